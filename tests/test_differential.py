"""Differential test of claim validation against PyJWT.

For generated claim sets and options, minijwt accepts a token exactly when
PyJWT does, except for the deliberate differences listed in the docs; each of
those is tested one by one below, showing both libraries' answers.

Time claims are whole seconds at least 5 s away from every boundary, so both
libraries reading the clock a moment apart cannot disagree.
"""

from __future__ import annotations

import time
from typing import Any

import jwt as pyjwt
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minijwt

KEY = b"0123456789abcdef0123456789abcdef"
ISSUER = "https://auth.example"
MISSING = object()

_offsets = st.sampled_from([MISSING, -1000, -100, -10, 10, 100, 1000])
_aud = st.sampled_from([MISSING, "api", "web", ["api", "x"], ["x"], "API", [1], 5, ["web", "api"]])
_iss = st.sampled_from([MISSING, ISSUER, ISSUER + ".evil", "https://auth.exampl", "h", 5, [ISSUER]])
_sub = st.sampled_from([MISSING, "alice", "bob", "alice ", 5])
_jti = st.sampled_from([MISSING, "id-1", 7])
_extra = st.dictionaries(st.sampled_from(["name", "scope", "n"]), st.integers() | st.text(max_size=5), max_size=2)

_options = st.fixed_dictionaries(
    {
        "audience": st.sampled_from([None, "api", ["api", "web"], "x"]),
        "issuer": st.sampled_from([None, ISSUER, [ISSUER, "https://other.example"]]),
        "subject": st.sampled_from([None, "alice"]),
        "leeway": st.sampled_from([0, 5, 50, 500]),
        "require": st.sampled_from([(), ("exp",), ("sub", "iat")]),
    }
)


def _is_deliberate_difference(claims: dict[str, Any], options: dict[str, Any]) -> bool:
    # minijwt checks that iss is a string even when no issuer is expected.
    if options["issuer"] is None and "iss" in claims and not isinstance(claims["iss"], str):
        return True
    # minijwt requires sub when a subject is expected.
    return options["subject"] is not None and "sub" not in claims


def _accepts_minijwt(token: str, options: dict[str, Any]) -> bool:
    try:
        minijwt.decode(token, KEY, algorithms=["HS256"], **options)
    except minijwt.InvalidTokenError:
        return False
    return True


def _accepts_pyjwt(token: str, options: dict[str, Any]) -> bool:
    pyjwt_options = {key: value for key, value in options.items() if key != "require"}
    try:
        pyjwt.decode(token, KEY, algorithms=["HS256"], options={"require": list(options["require"])}, **pyjwt_options)
    except pyjwt.InvalidTokenError:
        return False
    return True


_claim_sets = st.fixed_dictionaries(
    {"exp": _offsets, "nbf": _offsets, "iat": _offsets, "aud": _aud, "iss": _iss, "sub": _sub, "jti": _jti}
)


@given(drawn=_claim_sets, extra=_extra, options=_options)
def test_same_decision_as_pyjwt(drawn: dict[str, Any], extra: dict[str, Any], options: dict[str, Any]) -> None:
    now = int(time.time())
    claims: dict[str, Any] = dict(extra)
    for name, value in drawn.items():
        if value is not MISSING:
            claims[name] = now + value if name in {"exp", "nbf", "iat"} else value
    if _is_deliberate_difference(claims, options):
        return
    token = minijwt.encode(claims, KEY)
    assert _accepts_minijwt(token, options) == _accepts_pyjwt(token, options), (claims, options)


# --- the deliberate differences, one by one ----------------------------------------


def _both(claims: dict[str, Any], **options: Any) -> tuple[bool, bool]:
    options.setdefault("require", ())
    options.setdefault("leeway", 0)
    token = minijwt.encode(claims, KEY)
    return _accepts_minijwt(token, options), _accepts_pyjwt(token, options)


def test_difference_iss_must_be_a_string_even_unchecked() -> None:
    assert _both({"iss": 5}) == (False, True)


def test_difference_expected_subject_must_be_present() -> None:
    """PyJWT accepts a token without sub when a subject is expected; minijwt requires it."""
    assert _both({}, subject="alice") == (False, True)


@pytest.mark.parametrize(
    ("claim", "value"),
    [("exp", "4000000000"), ("nbf", "1000"), ("nbf", True), ("iat", "1000"), ("iat", True), ("iat", False)],
)
def test_difference_time_claims_must_be_json_numbers(claim: str, value: Any) -> None:
    """PyJWT calls int() on the value, so numeric strings and booleans pass; RFC 7519 §2 says NumericDate."""
    mine, theirs = _both({claim: value})
    assert mine is False
    assert theirs is True


def test_difference_fractional_exp_is_not_truncated() -> None:
    """PyJWT truncates exp to an integer; minijwt compares the NumericDate as given."""
    if time.time() % 1 > 0.7:  # leave room before the next whole second
        time.sleep(0.35)
    exp = int(time.time()) + 0.999  # a fraction of a second still to go; truncated, it has passed
    mine, theirs = _both({"exp": exp})
    assert mine is True
    assert theirs is False


@pytest.mark.parametrize("aud", [[], "", None])
def test_difference_empty_aud_without_audience(aud: Any) -> None:
    """PyJWT treats a falsy aud as absent; minijwt rejects any aud when no audience is given (RFC 7519 §4.1.3)."""
    assert _both({"aud": aud}) == (False, True)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_difference_short_hmac_keys() -> None:
    """PyJWT only warns about an HMAC key shorter than the hash; minijwt refuses it (RFC 7518 §3.2)."""
    token = pyjwt.encode({"sub": "a"}, "short", algorithm="HS256")
    assert pyjwt.decode(token, "short", algorithms=["HS256"]) == {"sub": "a"}
    with pytest.raises(minijwt.InvalidKeyError):
        minijwt.decode(token, "short", algorithms=["HS256"])


def test_difference_duplicate_claims() -> None:
    token = minijwt.jws.sign(b'{"sub":"alice","sub":"admin"}', KEY, "HS256")
    assert pyjwt.decode(token, KEY, algorithms=["HS256"]) == {"sub": "admin"}
    with pytest.raises(minijwt.DecodeError, match="duplicate"):
        minijwt.decode(token, KEY, algorithms=["HS256"])


def test_difference_iat_in_the_future_error_class() -> None:
    """Both reject; PyJWT says ImmatureSignatureError, minijwt InvalidIssuedAtError."""
    token = minijwt.encode({"iat": int(time.time()) + 1000}, KEY)
    with pytest.raises(pyjwt.ImmatureSignatureError):
        pyjwt.decode(token, KEY, algorithms=["HS256"])
    with pytest.raises(minijwt.InvalidIssuedAtError):
        minijwt.decode(token, KEY, algorithms=["HS256"])
