"""JWTVerifier.access_token: the RFC 9068 profile of a JWT access token."""

from __future__ import annotations

import time
from typing import Any

import pytest

import minijwt

KEY = b"a-secret-of-at-least-32-bytes!!!"
ISSUER = "https://login.example"
AUDIENCE = "https://api.example"


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "client_id": "web-app",
        "jti": "t-1",
        "iat": now,
        "exp": now + 300,
        "scope": "orders:read",
    }
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _token(typ: str = "at+jwt", /, **changes: Any) -> str:
    return minijwt.encode(_claims(**changes), KEY, headers={"typ": typ})


@pytest.fixture
def verifier() -> minijwt.JWTVerifier:
    return minijwt.JWTVerifier.access_token(KEY, issuer=ISSUER, audience=AUDIENCE, algorithms=["HS256"])


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+JWT"])
def test_an_access_token_is_accepted(verifier: minijwt.JWTVerifier, typ: str) -> None:
    assert verifier.decode(_token(typ))["client_id"] == "web-app"


@pytest.mark.parametrize("typ", ["JWT", "jwt", "id+jwt", "application/jwt"])
def test_another_type_is_refused(verifier: minijwt.JWTVerifier, typ: str) -> None:
    with pytest.raises(minijwt.InvalidTokenTypeError):
        verifier.decode(_token(typ))


def test_a_token_without_typ_is_refused(verifier: minijwt.JWTVerifier) -> None:
    token = minijwt.jws.sign(minijwt.jwt.encode(_claims(), KEY).split(".")[1].encode(), KEY, "HS256")
    with pytest.raises(minijwt.InvalidTokenError):
        verifier.decode(token)


@pytest.mark.parametrize("claim", ["iss", "exp", "aud", "sub", "iat", "jti", "client_id"])
def test_every_profile_claim_is_required(verifier: minijwt.JWTVerifier, claim: str) -> None:
    with pytest.raises(minijwt.InvalidTokenError) as info:
        verifier.decode(_token(**{claim: None}))
    if claim not in {"iss", "aud"}:  # a missing iss or aud fails the issuer or audience check first
        assert isinstance(info.value, minijwt.MissingRequiredClaimError)
        assert info.value.claim == claim


def test_issuer_and_audience_are_checked(verifier: minijwt.JWTVerifier) -> None:
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(_token(iss="https://elsewhere.example"))
    with pytest.raises(minijwt.InvalidAudienceError):
        verifier.decode(_token(aud="https://other-api.example"))


def test_other_options_pass_through_and_require_adds() -> None:
    verifier = minijwt.JWTVerifier.access_token(
        KEY, issuer=ISSUER, audience=AUDIENCE, algorithms=["HS256"], require=["scope"], leeway=5
    )
    assert verifier.decode(_token())["sub"] == "alice"
    with pytest.raises(minijwt.MissingRequiredClaimError):
        verifier.decode(_token(scope=None))
    assert isinstance(verifier, minijwt.JWTVerifier)


def test_the_profile_type_cannot_be_changed() -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        minijwt.JWTVerifier.access_token(KEY, issuer=ISSUER, audience=AUDIENCE, algorithms=["HS256"], typ="JWT")
    same = minijwt.JWTVerifier.access_token(
        KEY, issuer=ISSUER, audience=AUDIENCE, algorithms=["HS256"], typ="application/at+jwt"
    )
    assert same.decode(_token())["sub"] == "alice"
    with pytest.raises(minijwt.InvalidOptionError):
        minijwt.JWTVerifier.access_token(KEY, issuer=ISSUER, audience=AUDIENCE, algorithms=["HS256"], require="scope")


def test_configuration_mistakes_fail_at_construction() -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        minijwt.JWTVerifier.access_token(KEY, issuer="", audience=AUDIENCE, algorithms=["HS256"])
    with pytest.raises(minijwt.InvalidKeyError):
        minijwt.JWTVerifier.access_token(KEY, issuer=ISSUER, audience=AUDIENCE, algorithms=["RS256"])
