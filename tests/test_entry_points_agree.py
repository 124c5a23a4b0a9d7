"""decode, decode_complete, adecode and JWTVerifier.decode are one pipeline: they agree on every token.

Each entry point is a thin facade over the same steps (parse, resolve, check
the signature, claims), some with their own fast path; a check that landed in
one of them only would show here as a disagreement.
"""

from __future__ import annotations

import asyncio
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import minijwt

SECRET = b"a-secret-of-at-least-32-bytes!!!"
NOW = 1_700_000_000
OPTIONS: dict[str, Any] = {
    "algorithms": ["HS256"],
    "audience": "api",
    "issuer": "https://issuer.example",
    "leeway": 5,
    "require": ["sub"],
    "max_age": 3600,
}

_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=NOW - 10_000, max_value=NOW + 10_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["api", "other", "https://issuer.example", "alice"]),
    st.lists(st.sampled_from(["api", "other", 5]), max_size=3),
)
_claims = st.dictionaries(
    st.sampled_from(["exp", "nbf", "iat", "aud", "iss", "sub", "jti", "client_id", "x"]), _values, max_size=9
)


def _outcome(call: Any) -> object:
    try:
        return ("claims", call())
    except minijwt.MiniJWTError as exc:
        return ("error", type(exc))


def _token(claims: dict[str, Any], flip: int | None, headers: dict[str, Any]) -> str:
    token = minijwt.encode(claims, SECRET, "HS256", headers=headers)
    if flip is not None:
        position = flip % len(token)
        replacement = "A" if token[position] != "A" else "B"
        token = token[:position] + replacement + token[position + 1 :]
    return token


@settings(max_examples=400, deadline=None)
@given(
    claims=_claims,
    flip=st.one_of(st.none(), st.integers(min_value=0, max_value=10_000)),
    headers=st.sampled_from([{}, {"typ": "JWT"}, {"kid": "k"}, {"crit": ["exp"], "exp": 1}]),
)
def test_the_entry_points_agree(claims: dict[str, Any], flip: int | None, headers: dict[str, Any]) -> None:
    try:
        token = _token(claims, flip, headers)
    except minijwt.MiniJWTError:
        return  # a claim set that cannot be encoded (NaN ...): nothing to verify
    verifier = minijwt.JWTVerifier(SECRET, **OPTIONS)
    outcomes = {
        "decode": _outcome(lambda: minijwt.decode(token, SECRET, now=NOW, **OPTIONS)),
        "decode_complete": _outcome(lambda: minijwt.decode_complete(token, SECRET, now=NOW, **OPTIONS).claims),
        "adecode": _outcome(lambda: asyncio.run(minijwt.adecode(token, SECRET, now=NOW, **OPTIONS))),
        "JWTVerifier.decode": _outcome(lambda: verifier.decode(token, now=NOW)),
        "JWTVerifier.decode_complete": _outcome(lambda: verifier.decode_complete(token, now=NOW).claims),
        "JWTVerifier.adecode": _outcome(lambda: asyncio.run(verifier.adecode(token, now=NOW))),
    }
    assert len({repr(outcome) for outcome in outcomes.values()}) == 1, outcomes
