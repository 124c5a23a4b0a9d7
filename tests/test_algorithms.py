"""The JWA table: completeness and the key rules bound to each algorithm."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given
from hypothesis import strategies as st
from support import private_key_for

import minijwt
from minijwt import ALGORITHMS, SUPPORTED_ALGORITHMS, InvalidAlgorithmError, InvalidKeyError, SecretKey
from minijwt._algorithms import check_key, get_algorithm
from minijwt._keyload import from_crypto_object

EXPECTED = {
    "HS256", "HS384", "HS512",
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA", "Ed25519", "Ed448",
}  # fmt: skip


def test_table_is_complete() -> None:
    assert set(ALGORITHMS) == EXPECTED
    assert set(SUPPORTED_ALGORITHMS) == EXPECTED
    for name, alg in ALGORITHMS.items():
        assert alg.name == name


@pytest.mark.parametrize("name", ["none", "None", "NONE", "nOnE"])
def test_none_is_never_an_algorithm(name: str) -> None:
    with pytest.raises(InvalidAlgorithmError, match="none"):
        get_algorithm(name)


@pytest.mark.parametrize("name", ["HS1", "hs256", "RS256 ", "", "A128KW", "ES256K", 256, None, ["HS256"]])
def test_unknown_algorithms(name: object) -> None:
    with pytest.raises(InvalidAlgorithmError):
        get_algorithm(name)


@pytest.mark.parametrize(("alg", "size"), [("HS256", 32), ("HS384", 48), ("HS512", 64)])
def test_hmac_secret_must_be_as_long_as_the_hash(alg: str, size: int) -> None:
    row = get_algorithm(alg)
    check_key(row, SecretKey(b"k" * size), signing=True)
    with pytest.raises(InvalidKeyError, match=f"at least {size} bytes"):
        check_key(row, SecretKey(b"k" * (size - 1)), signing=True)
    with pytest.raises(InvalidKeyError, match=f"at least {size} bytes"):
        check_key(row, SecretKey(b"k" * (size - 1)), signing=False)


@pytest.mark.parametrize("alg", ["RS256", "PS512"])
def test_rsa_under_2048_bits_is_refused(alg: str) -> None:
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    # Refused when the key is made, whichever way it comes in.
    with pytest.raises(InvalidKeyError, match="at least 2048 are required"):
        from_crypto_object(small)
    with pytest.raises(InvalidKeyError, match="at least 2048 are required"):
        from_crypto_object(small.public_key())
    with pytest.raises(InvalidKeyError, match="at least 2048 are required"):
        minijwt.encode({}, small, alg)


def test_rsa_over_16384_bits_is_refused() -> None:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers

    huge = RSAPublicNumbers(65537, (1 << 16400) + 1).public_key()
    with pytest.raises(InvalidKeyError, match="more than 16384 are refused"):
        from_crypto_object(huge)


@pytest.mark.parametrize(
    ("alg", "curve"),
    [("ES256", ec.SECP384R1()), ("ES384", ec.SECP256R1()), ("ES512", ec.SECP384R1()), ("ES256", ec.SECP521R1())],
)
def test_ec_curve_must_match(alg: str, curve: ec.EllipticCurve) -> None:
    key = from_crypto_object(ec.generate_private_key(curve))
    with pytest.raises(InvalidKeyError, match="needs a key on"):
        check_key(get_algorithm(alg), key, signing=False)


def test_eddsa_curves() -> None:
    ed25519_key = from_crypto_object(ed25519.Ed25519PrivateKey.generate())
    ed448_key = from_crypto_object(ed448.Ed448PrivateKey.generate())
    check_key(get_algorithm("EdDSA"), ed25519_key, signing=True)
    check_key(get_algorithm("EdDSA"), ed448_key, signing=True)
    with pytest.raises(InvalidKeyError):
        check_key(get_algorithm("Ed25519"), ed448_key, signing=True)
    with pytest.raises(InvalidKeyError):
        check_key(get_algorithm("Ed448"), ed25519_key, signing=True)


@pytest.mark.parametrize(
    ("alg", "key_alg"),
    [("HS256", "RS256"), ("RS256", "ES256"), ("ES256", "EdDSA"), ("EdDSA", "RS256"), ("PS256", "ES256")],
)
def test_key_type_must_fit(alg: str, key_alg: str) -> None:
    key = from_crypto_object(private_key_for(key_alg))
    with pytest.raises(InvalidKeyError, match=f"{alg} needs a"):
        check_key(get_algorithm(alg), key, signing=False)


def test_asymmetric_key_is_never_an_hmac_secret() -> None:
    for key_alg in ("RS256", "ES256", "EdDSA"):
        with pytest.raises(InvalidKeyError, match="HS256 needs a key of type oct"):
            check_key(get_algorithm("HS256"), from_crypto_object(private_key_for(key_alg)), signing=False)


@pytest.mark.parametrize("alg", ["RS256", "PS256", "ES256", "EdDSA"])
def test_signing_needs_a_private_key(alg: str) -> None:
    public = from_crypto_object(private_key_for(alg).public_key())
    with pytest.raises(InvalidKeyError, match="private key"):
        check_key(get_algorithm(alg), public, signing=True)
    check_key(get_algorithm(alg), public, signing=False)


@pytest.mark.parametrize(("alg", "size"), [("ES256", 64), ("ES384", 96), ("ES512", 132)])
def test_ecdsa_signature_is_raw_fixed_length(alg: str, size: int) -> None:
    row = get_algorithm(alg)
    key = from_crypto_object(private_key_for(alg))
    signature = row.sign(key, b"data")
    assert len(signature) == size == row.signature_size
    assert row.verify(key, b"data", signature)
    # Wrong lengths are refused before any conversion.
    assert not row.verify(key, b"data", signature[:-1])
    assert not row.verify(key, b"data", signature + b"\x00")
    assert not row.verify(key, b"data", b"\x00" + signature[:-1])
    assert not row.verify(key, b"data", b"")


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512"])
def test_psychic_signatures_are_refused(alg: str) -> None:
    """r = 0 / s = 0 never verifies (CVE-2022-21449)."""
    row = get_algorithm(alg)
    key = from_crypto_object(private_key_for(alg))
    half = row.signature_size // 2
    assert not row.verify(key, b"data", bytes(row.signature_size))
    good = row.sign(key, b"data")
    assert not row.verify(key, b"data", bytes(half) + good[half:])
    assert not row.verify(key, b"data", good[:half] + bytes(half))


def test_ecdsa_der_signature_is_not_accepted() -> None:
    row = get_algorithm("ES256")
    private = private_key_for("ES256")
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    der = private.sign(b"data", ec.ECDSA(hashes.SHA256()))
    decode_dss_signature(der)  # it is a valid DER signature ...
    assert not row.verify(from_crypto_object(private), b"data", der)  # ... but not a JWS one


@pytest.mark.parametrize(("alg", "digest"), [("PS256", hashes.SHA256()), ("PS384", hashes.SHA384())])
def test_pss_salt_must_equal_hash_length(alg: str, digest: hashes.HashAlgorithm) -> None:
    """RFC 7518 §3.5: the salt is as long as the hash; other lengths are refused."""
    private = private_key_for("RS256")
    assert isinstance(private, rsa.RSAPrivateKey)
    key = from_crypto_object(private)
    row = get_algorithm(alg)
    right = private.sign(b"m", padding.PSS(padding.MGF1(digest), digest.digest_size), digest)
    assert row.verify(key, b"m", right)
    for salt in (0, digest.digest_size - 1, digest.digest_size + 1):
        wrong = private.sign(b"m", padding.PSS(padding.MGF1(digest), salt), digest)
        assert not row.verify(key, b"m", wrong)


def test_hmac_verify_compares_whole_mac() -> None:
    row = get_algorithm("HS256")
    key = SecretKey(b"s" * 32)
    mac = row.sign(key, b"data")
    assert row.verify(key, b"data", mac)
    assert not row.verify(key, b"data", mac[:-1])
    assert not row.verify(key, b"data", mac + b"\x00")
    assert not row.verify(key, b"data", b"")


@given(secret=st.binary(min_size=1, max_size=300), message=st.binary(max_size=600))
def test_prepared_hmac_equals_the_standard_library(secret: bytes, message: bytes) -> None:
    """The prepared inner/outer states (RFC 2104) give hmac's MAC, for keys shorter and longer than a block."""
    import hmac as std_hmac

    from hypothesis import assume

    try:
        key = minijwt.SecretKey(secret)
    except minijwt.InvalidKeyError:  # bytes that spell key text are never secrets
        assume(False)
    for alg, digest in (("HS256", "sha256"), ("HS384", "sha384"), ("HS512", "sha512")):
        row = minijwt.ALGORITHMS[alg]
        expected = std_hmac.digest(secret, message, digest)
        assert row.sign(key, message) == expected
        assert row.sign(key, message) == expected  # the prepared state is reused, unchanged
        assert row.verify(key, message, expected)
        assert not row.verify(key, message + b"x", expected)
