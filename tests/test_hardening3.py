"""Regression tests for the third hostile review, one section per hole.

docs/security.rst lists each rule with the tests below that guard it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
from support import b64u_encode

from minijwt import (
    JWK,
    DecodeError,
    InvalidClaimError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidTokenError,
    JWKSet,
    JWTVerifier,
    SecretKey,
    decode,
    encode,
    jws,
)
from minijwt._keys import OKPKey

# --- (1) small-order and non-canonical Edwards public keys ---------------------------
# The eight small-order Ed25519 points ("Taming the many EdDSAs", Chalkias et
# al., 2020), and their non-canonical twins (y + p, or x = 0 with the sign bit).

P25519 = 2**255 - 19
P448 = 2**448 - 2**224 - 1
ED25519_SMALL_ORDER = [
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000080",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
    "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
    "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]
ED25519_NON_CANONICAL = [
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = 1 + p: the identity
    "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # y = 1 + p, negative zero x
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = p: (sqrt(-1), 0)
    "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # y = p, sign set
    "0100000000000000000000000000000000000000000000000000000000000080",  # the identity, negative zero x
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",  # (0, -1), negative zero x
    "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",  # y = 2^255 - 1 >= p
]


def _ed448(y: int, negative: bool = False, extra: int = 0) -> str:
    return (y.to_bytes(56, "little") + bytes([(0x80 if negative else 0) | extra])).hex()


ED448_SMALL_ORDER = [_ed448(1), _ed448(P448 - 1), _ed448(0), _ed448(0, negative=True)]
ED448_NON_CANONICAL = [
    _ed448(P448 + 1),
    _ed448(P448),
    _ed448(1, negative=True),
    _ed448(P448 - 1, negative=True),
    _ed448(5, extra=0x01),  # the last octet's low bits must be zero
]
BAD_KEYS = (
    [("Ed25519", point, "small order") for point in ED25519_SMALL_ORDER]
    + [("Ed25519", point, "not canonically encoded") for point in ED25519_NON_CANONICAL]
    + [("Ed448", point, "small order") for point in ED448_SMALL_ORDER]
    + [("Ed448", point, "not canonically encoded") for point in ED448_NON_CANONICAL]
)


def _public(crv: str, point: str) -> ed25519.Ed25519PublicKey | ed448.Ed448PublicKey:
    # cryptography (OpenSSL) accepts every one of these encodings as a key.
    if crv == "Ed25519":
        return ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(point))
    return ed448.Ed448PublicKey.from_public_bytes(bytes.fromhex(point))


def test_the_small_order_identity_key_verifies_anything_in_cryptography() -> None:
    # Why the rule exists: with the identity as public key, R = identity and
    # S = 0 satisfy the verification equation for every message.
    key = ed25519.Ed25519PublicKey.from_public_bytes(bytes.fromhex(ED25519_SMALL_ORDER[0]))
    signature = bytes.fromhex(ED25519_SMALL_ORDER[0]) + bytes(32)
    for message in (b"one message", b"any other"):
        key.verify(signature, message)


@pytest.mark.parametrize(("crv", "point", "problem"), BAD_KEYS)
def test_a_configured_edwards_key_of_small_order_or_non_canonical_is_refused(
    crv: str, point: str, problem: str
) -> None:
    public = _public(crv, point)
    with pytest.raises(InvalidKeyError, match=problem):
        OKPKey(public=public)
    with pytest.raises(InvalidKeyError, match=problem):
        JWK.from_dict({"kty": "OKP", "crv": crv, "x": b64u_encode(bytes.fromhex(point))})
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match=problem):
        jws.verify("e30.e30.AA", pem, algorithms=["EdDSA"])


@pytest.mark.parametrize(("crv", "point", "problem"), BAD_KEYS)
def test_a_key_set_never_serves_such_a_key(crv: str, point: str, problem: str) -> None:
    members = {"kty": "OKP", "crv": crv, "x": b64u_encode(bytes.fromhex(point)), "kid": "bad"}
    good = JWK.generate("EdDSA", kid="good").public().to_dict()
    keys = JWKSet.from_dict({"keys": [members, good]})
    assert [jwk.kid for jwk in keys] == ["good"]
    assert [(skip.kid, problem in skip.reason) for skip in keys.skipped] == [("bad", True)]


@pytest.mark.parametrize(("crv", "point", "problem"), BAD_KEYS)
def test_an_embedded_edwards_key_of_small_order_is_a_token_error(crv: str, point: str, problem: str) -> None:
    header = {"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": crv, "x": b64u_encode(bytes.fromhex(point))}}
    # The forged signature: R = the point itself, S = 0 (any fixed value would do).
    size = 32 if crv == "Ed25519" else 57
    signature = bytes.fromhex(point) + bytes(size)
    token = ".".join((b64u_encode(json.dumps(header).encode()), b64u_encode(b'{"htm":"POST"}'), b64u_encode(signature)))
    with pytest.raises(DecodeError, match=problem) as raised:
        jws.verify(token, jws.EmbeddedJWK(algorithms=["EdDSA"]), algorithms=["EdDSA"])
    assert isinstance(raised.value, InvalidTokenError)


def test_ordinary_edwards_keys_still_load() -> None:
    for private in (ed25519.Ed25519PrivateKey.generate(), ed448.Ed448PrivateKey.generate()):
        key: Any = OKPKey(public=private.public_key(), private=private)
        assert key.public.public_bytes_raw() == private.public_key().public_bytes_raw()


# --- (2) an access-token verifier always checks the issuer and the audience ----------

SECRET = b"a-secret-of-at-least-32-bytes!!!"


@pytest.mark.parametrize("option", ["issuer", "audience"])
@pytest.mark.parametrize("value", [None, "", [], [""], 5, ["ok", 5], {"iss": "x"}])
def test_access_token_needs_a_real_issuer_and_audience(option: str, value: object) -> None:
    options: dict[str, Any] = {"issuer": "https://login.example", "audience": "api", option: value}
    with pytest.raises(InvalidOptionError):
        JWTVerifier.access_token(SECRET, algorithms=["HS256"], **options)


# --- (12, access tokens) wrong option types are option errors, never TypeError --------


@pytest.mark.parametrize(
    "options",
    [
        {"require": None},
        {"require": 5},
        {"require": [["nested"]]},
        {"require": [b"sub"]},
        {"require": {"sub": True}},
        {"typ": ["at+jwt"]},
        {"typ": None},
        {"typ": {"at+jwt": 1}},
        {"typ": "JWT"},
    ],
)
def test_access_token_options_of_the_wrong_type_are_option_errors(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidOptionError):
        JWTVerifier.access_token(
            SECRET, issuer="https://login.example", audience="api", algorithms=["HS256"], **options
        )


# --- (13) client_id is a string ------------------------------------------------------


def _access_token(**claims: Any) -> str:
    base = {"iss": "i", "aud": "a", "sub": "s", "iat": 1, "exp": 4_100_000_000, "jti": "j", "client_id": "app"}
    return encode({**base, **claims}, SECRET, "HS256", headers={"typ": "at+jwt"})


@pytest.mark.parametrize("client_id", [123, ["app"], {"id": "app"}, True, 1.5])
def test_a_non_string_client_id_is_an_invalid_claim(client_id: object) -> None:
    verifier = JWTVerifier.access_token(SECRET, issuer="i", audience="a", algorithms=["HS256"])
    with pytest.raises(InvalidClaimError, match="client_id") as raised:
        verifier.decode(_access_token(client_id=client_id))
    assert raised.value.claim == "client_id"
    # The same rule holds wherever client_id is required.
    with pytest.raises(InvalidClaimError):
        decode(_access_token(client_id=client_id), SECRET, algorithms=["HS256"], audience="a", require=["client_id"])


def test_a_string_client_id_is_accepted() -> None:
    verifier = JWTVerifier.access_token(SECRET, issuer="i", audience="a", algorithms=["HS256"])
    assert verifier.decode(_access_token())["client_id"] == "app"


# --- (7) JWS JSON: the number of signatures is bounded before any key lookup ---------


class _CountingKeys:
    """A key source that counts its lookups."""

    def __init__(self, key: bytes) -> None:
        self.key = SecretKey(key)
        self.lookups = 0

    def resolve_key(self, header: Any, alg: Any) -> SecretKey:
        self.lookups += 1
        return self.key


def _signed_json(count: int, good: int = 1) -> dict[str, Any]:
    signers = [jws.Signer(SECRET, "HS256") for _ in range(good)]
    signers += [jws.Signer(b"another-secret-of-32-bytes-or-more", "HS256") for _ in range(count - good)]
    return jws.sign_json(b"payload", signers)


def test_more_signatures_than_max_signatures_are_refused_before_any_lookup() -> None:
    keys = _CountingKeys(SECRET)
    signed = _signed_json(jws.DEFAULT_MAX_SIGNATURES + 1)
    with pytest.raises(DecodeError, match="17 signatures, more than the limit of 16"):
        jws.verify_json(signed, keys, algorithms=["HS256"])
    with pytest.raises(DecodeError, match="more than the limit of 16"):
        jws.verify_json(json.dumps(signed), keys, algorithms=["HS256"])
    with pytest.raises(DecodeError, match="3 signatures, more than the limit of 2"):
        jws.verify_json(_signed_json(3), keys, algorithms=["HS256"], max_signatures=2)
    assert keys.lookups == 0


def test_up_to_max_signatures_every_outcome_is_reported() -> None:
    keys = _CountingKeys(SECRET)
    result = jws.verify_json(_signed_json(16, good=2), keys, algorithms=["HS256"])
    assert [signature.verified for signature in result.signatures] == [True, True] + [False] * 14
    assert keys.lookups == 16
    result = jws.verify_json(_signed_json(3), keys, algorithms=["HS256"], max_signatures=3)
    assert len(result.signatures) == 3


@pytest.mark.parametrize("value", [0, -1, True, 1.5, "16", None])
def test_max_signatures_must_be_a_positive_int(value: object) -> None:
    # A huge limit is a limit all the same.
    assert jws.verify_json(_signed_json(1), SECRET, algorithms=["HS256"], max_signatures=10**400).payload == b"payload"
    with pytest.raises(InvalidOptionError, match="max_signatures"):
        jws.verify_json(_signed_json(1), SECRET, algorithms=["HS256"], max_signatures=value)  # type: ignore[arg-type]


# --- (8) JWS JSON: max_token_size holds for a mapping too ------------------------------


def test_max_token_size_applies_to_a_mapping_as_json_text() -> None:
    signed = jws.sign_json(b"x" * 5000, jws.Signer(SECRET, "HS256"))
    size = len(json.dumps(signed, separators=(",", ":")))
    with pytest.raises(DecodeError, match="longer than the limit of 1000"):
        jws.verify_json(signed, SECRET, algorithms=["HS256"], max_token_size=1000)
    with pytest.raises(DecodeError, match="longer than the limit of 1000"):
        jws.verify_json(json.dumps(signed), SECRET, algorithms=["HS256"], max_token_size=1000)
    assert jws.verify_json(signed, SECRET, algorithms=["HS256"], max_token_size=size + 100).payload == b"x" * 5000
