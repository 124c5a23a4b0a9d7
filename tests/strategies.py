"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from minijwt import ALGORITHMS

#: Every algorithm name in the table.
algorithms = st.sampled_from(sorted(ALGORITHMS))

#: Arbitrary payload bytes.
payloads = st.binary(max_size=512)

_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)

#: JSON values: nested lists and objects of scalars.
json_values: st.SearchStrategy[Any] = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)

_reserved = {"alg", "crit", "b64"}

#: Extra protected-header members (never alg/crit, which have rules of their own).
extra_headers = st.dictionaries(
    st.text(min_size=1, max_size=12).filter(lambda name: name not in _reserved), json_values, max_size=4
)
