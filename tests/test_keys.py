"""Typed keys (``_keys``): the key-strength rules, enforced whatever path a key comes by."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519
from support import rsa_key

import minijwt
from minijwt import InvalidKeyError, SecretKey, load_key
from minijwt._keyload import prepare_key

Encoding = serialization.Encoding


PrivateFormat = serialization.PrivateFormat


PublicFormat = serialization.PublicFormat


NoEnc = serialization.NoEncryption()


def _weak_inputs(private: Any) -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import PublicFormat

    public = private.public_key()
    return {
        "object": public,
        "private object": private,
        "PEM": public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        "PKCS#1 PEM": public.public_bytes(Encoding.PEM, PublicFormat.PKCS1),
        "DER": public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        "OpenSSH": public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
        "private PEM": private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEnc),
    }


def _b64u_uint(value: int) -> str:

    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


def _modulus(bits: int) -> int:
    """An odd number of exactly ``bits`` bits without the ROCA fingerprint (the rules do not ask for primes)."""
    from minijwt._keys import has_roca_fingerprint

    n = (1 << (bits - 1)) | 0x1F
    while has_roca_fingerprint(n):
        n += 2
    assert n.bit_length() == bits
    return n


def test_secret_rules() -> None:
    with pytest.raises(InvalidKeyError, match="empty"):
        prepare_key(b"")
    with pytest.raises(InvalidKeyError, match="empty"):
        SecretKey(b"")
    with pytest.raises(InvalidKeyError, match="bytes"):
        SecretKey("text")  # type: ignore[arg-type]
    with pytest.raises(InvalidKeyError, match="surrogate"):
        prepare_key("\ud800" * 40)
    with pytest.raises(InvalidKeyError, match="bytearray"):
        prepare_key(bytearray(b"y" * 32))
    with pytest.raises(InvalidKeyError, match="str or bytes"):
        load_key(123)  # type: ignore[arg-type]


def test_typed_keys_pass_through() -> None:
    typed = prepare_key(b"z" * 32)
    assert prepare_key(typed) is typed


def test_a_weak_rsa_key_gets_the_same_error_whichever_way_it_comes() -> None:
    weak = rsa_key(1024)
    messages = set()
    for form, value in _weak_inputs(weak).items():
        with pytest.raises(InvalidKeyError) as info:
            prepare_key(value)
        messages.add(info.value.message)
        assert "1024 bits" in info.value.message, form
    numbers = weak.public_key().public_numbers()
    jwk = {"kty": "RSA", "n": _b64u_uint(numbers.n), "e": _b64u_uint(numbers.e)}
    with pytest.raises(InvalidKeyError) as info:
        minijwt.JWK.from_dict(jwk)
    messages.add(info.value.message)
    assert len(messages) == 1


def test_a_roca_key_is_refused_whichever_way_it_comes() -> None:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
    from cryptography.hazmat.primitives.serialization import PublicFormat
    from support import roca_form_modulus

    public = RSAPublicNumbers(65537, roca_form_modulus()).public_key()
    for value in (public, public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)):
        with pytest.raises(InvalidKeyError, match="ROCA"):
            prepare_key(value)


def test_curves_come_from_the_key_object_and_halves_must_match() -> None:

    p384 = ec.generate_private_key(ec.SECP384R1())
    assert minijwt.ECKey(public=p384.public_key()).crv == "P-384"
    assert minijwt.OKPKey(public=ed448.Ed448PrivateKey.generate().public_key()).crv == "Ed448"
    with pytest.raises(InvalidKeyError, match="does not match"):
        minijwt.ECKey(public=ec.generate_private_key(ec.SECP384R1()).public_key(), private=p384)
    with pytest.raises(InvalidKeyError, match="does not match"):
        minijwt.RSAKey(public=rsa_key().public_key(), private=rsa_key(2048, fresh=True))
    with pytest.raises(InvalidKeyError, match="does not match"):
        minijwt.OKPKey(
            public=ed25519.Ed25519PrivateKey.generate().public_key(), private=ed25519.Ed25519PrivateKey.generate()
        )
    with pytest.raises(InvalidKeyError, match="not used by JOSE"):
        minijwt.ECKey(public=ec.generate_private_key(ec.SECP256K1()).public_key())


@pytest.mark.parametrize(("bits", "accepted"), [(2047, False), (2048, True), (16384, True), (16385, False)])
def test_rsa_modulus_size_limits_on_both_sides(bits: int, accepted: bool) -> None:
    from minijwt._keys import MAX_RSA_BITS, MIN_RSA_BITS, check_rsa_public

    assert (MIN_RSA_BITS, MAX_RSA_BITS) == (2048, 16384)
    if accepted:
        check_rsa_public(_modulus(bits), 65537)
    else:
        with pytest.raises(InvalidKeyError, match=f"{bits} bits"):
            check_rsa_public(_modulus(bits), 65537)


@pytest.mark.parametrize(
    ("e", "accepted"),
    [(1, False), (2, False), (3, True), (4, False), (65537, True), (2**256 - 1, True), (2**256 + 1, False)],
)
def test_rsa_public_exponent_limits(e: int, accepted: bool) -> None:
    from minijwt._keys import check_rsa_public

    if accepted:
        check_rsa_public(_modulus(2048), e)
    else:
        with pytest.raises(InvalidKeyError, match="exponent"):
            check_rsa_public(_modulus(2048), e)


def test_rsa_public_exponent_must_be_below_the_modulus() -> None:
    from minijwt._keys import check_rsa_public

    n = _modulus(2048)
    with pytest.raises(InvalidKeyError, match="exponent"):
        check_rsa_public(n, n)
    with pytest.raises(InvalidKeyError, match="exponent"):
        check_rsa_public(n, n + 2)
    with pytest.raises(InvalidKeyError, match="even"):
        check_rsa_public(n + 1, 65537)
