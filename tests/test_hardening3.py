"""Regression tests for the third hostile review, one section per hole.

docs/security.rst lists each rule with the tests below that guard it.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519

from minijwt import JWK, DecodeError, InvalidKeyError, InvalidTokenError, JWKSet, jws
from minijwt._keys import OKPKey


def _b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


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
        JWK.from_dict({"kty": "OKP", "crv": crv, "x": _b64u(bytes.fromhex(point))})
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match=problem):
        jws.verify("e30.e30.AA", pem, algorithms=["EdDSA"])


@pytest.mark.parametrize(("crv", "point", "problem"), BAD_KEYS)
def test_a_key_set_never_serves_such_a_key(crv: str, point: str, problem: str) -> None:
    members = {"kty": "OKP", "crv": crv, "x": _b64u(bytes.fromhex(point)), "kid": "bad"}
    good = JWK.generate("EdDSA", kid="good").public().to_dict()
    keys = JWKSet.from_dict({"keys": [members, good]})
    assert [jwk.kid for jwk in keys] == ["good"]
    assert [(skip.kid, problem in skip.reason) for skip in keys.skipped] == [("bad", True)]


@pytest.mark.parametrize(("crv", "point", "problem"), BAD_KEYS)
def test_an_embedded_edwards_key_of_small_order_is_a_token_error(crv: str, point: str, problem: str) -> None:
    header = {"alg": "EdDSA", "jwk": {"kty": "OKP", "crv": crv, "x": _b64u(bytes.fromhex(point))}}
    # The forged signature: R = the point itself, S = 0 (any fixed value would do).
    size = 32 if crv == "Ed25519" else 57
    signature = bytes.fromhex(point) + bytes(size)
    token = ".".join((_b64u(json.dumps(header).encode()), _b64u(b'{"htm":"POST"}'), _b64u(signature)))
    with pytest.raises(DecodeError, match=problem) as raised:
        jws.verify(token, jws.EmbeddedJWK(algorithms=["EdDSA"]), algorithms=["EdDSA"])
    assert isinstance(raised.value, InvalidTokenError)


def test_ordinary_edwards_keys_still_load() -> None:
    for private in (ed25519.Ed25519PrivateKey.generate(), ed448.Ed448PrivateKey.generate()):
        key: Any = OKPKey(public=private.public_key(), private=private)
        assert key.public.public_bytes_raw() == private.public_key().public_bytes_raw()
