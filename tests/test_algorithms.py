"""The JWA table: completeness and the key rules bound to each algorithm."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from hypothesis import given
from hypothesis import strategies as st
from support import private_key_for

import minijwt
from minijwt import ALGORITHMS, SUPPORTED_ALGORITHMS, InvalidAlgorithmError, InvalidKeyError, SecretKey
from minijwt._algorithms import allowlist, check_key, get_algorithm, misfit
from minijwt._keyload import from_crypto_object

EXPECTED = {
    "HS256", "HS384", "HS512",
    "RS256", "RS384", "RS512",
    "PS256", "PS384", "PS512",
    "ES256", "ES384", "ES512",
    "EdDSA", "Ed25519", "Ed448",
    "ML-DSA-44", "ML-DSA-65", "ML-DSA-87",
}  # fmt: skip


def test_table_is_complete() -> None:
    assert set(ALGORITHMS) == EXPECTED
    assert set(SUPPORTED_ALGORITHMS) == EXPECTED
    assert tuple(ALGORITHMS) == SUPPORTED_ALGORITHMS  # derived from the table, in its order
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


# name: (kty, curves, hash, minimum key size in bits, signature size in bytes or 0 when the key decides)
TABLE = {
    "HS256": ("oct", set(), "SHA-256", 256, 32),
    "HS384": ("oct", set(), "SHA-384", 384, 48),
    "HS512": ("oct", set(), "SHA-512", 512, 64),
    "RS256": ("RSA", set(), "SHA-256", 2048, 0),
    "RS384": ("RSA", set(), "SHA-384", 2048, 0),
    "RS512": ("RSA", set(), "SHA-512", 2048, 0),
    "PS256": ("RSA", set(), "SHA-256", 2048, 0),
    "PS384": ("RSA", set(), "SHA-384", 2048, 0),
    "PS512": ("RSA", set(), "SHA-512", 2048, 0),
    "ES256": ("EC", {"P-256"}, "SHA-256", 256, 64),
    "ES384": ("EC", {"P-384"}, "SHA-384", 384, 96),
    "ES512": ("EC", {"P-521"}, "SHA-512", 521, 132),
    "EdDSA": ("OKP", {"Ed25519", "Ed448"}, "", 256, 0),
    "Ed25519": ("OKP", {"Ed25519"}, "", 256, 64),
    "Ed448": ("OKP", {"Ed448"}, "", 456, 114),
}
KEY_TYPES = {"oct": SecretKey, "RSA": minijwt.RSAKey, "EC": minijwt.ECKey, "OKP": minijwt.OKPKey}


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_row_of_the_table_states_its_algorithm(name: str) -> None:
    kty, curves, hash_name, min_key_size, signature_size = TABLE[name]
    row = ALGORITHMS[name]
    assert (row.name, row.kty, set(row.curves), row.hash_name) == (name, kty, curves, hash_name)
    assert (row.min_key_size, row.signature_size) == (min_key_size, signature_size)
    assert type(row.min_key_size) is int
    assert type(row.signature_size) is int
    assert row.key_type is KEY_TYPES[kty]
    assert row.key_type.kty == kty
    assert type(row.curves) is frozenset


@pytest.mark.parametrize("name", [name for name, row in sorted(TABLE.items()) if row[4]])
def test_a_fixed_signature_size_is_the_size_of_every_signature(name: str) -> None:
    row = ALGORITHMS[name]
    key = from_crypto_object(private_key_for(name)) if row.kty != "oct" else SecretKey(bytes(row.min_key_size // 8))
    for message in (b"", b"data", bytes(1000)):
        assert len(row.sign(key, message)) == row.signature_size


@pytest.mark.parametrize("name", ["EdDSA", "Ed25519", "Ed448"])
def test_an_edwards_row_accepts_exactly_its_curves(name: str) -> None:
    row = ALGORITHMS[name]
    for crv, make in (("Ed25519", ed25519.Ed25519PrivateKey.generate), ("Ed448", ed448.Ed448PrivateKey.generate)):
        key = from_crypto_object(make())
        assert (misfit(row, key) is None) == (crv in row.curves)
        if crv in row.curves:
            signature = row.sign(key, b"data")
            assert row.verify(key, b"data", signature)
            assert not row.verify(key, b"datb", signature)


def test_the_table_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        ALGORITHMS["HS256"] = ALGORITHMS["HS512"]  # type: ignore[index]
    with pytest.raises(TypeError):
        del ALGORITHMS["HS256"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        ALGORITHMS.clear()  # type: ignore[attr-defined]
    row = ALGORITHMS["HS256"]
    for field, value in (("min_key_size", 8), ("key_type", minijwt.RSAKey), ("verify", lambda *_: True)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(row, field, value)
    assert row.min_key_size == 256


@pytest.mark.parametrize(
    "algorithms", [frozenset({"HS256", 1}), frozenset({"HS256", None}), ["HS256", 1], ("HS256", b"RS256")]
)
def test_an_allowlist_of_anything_but_algorithm_names_is_refused(algorithms: object) -> None:
    with pytest.raises(minijwt.InvalidOptionError, match="string"):
        allowlist(algorithms)


@pytest.mark.parametrize("algorithms", [[], (), frozenset(), set(), iter([])])
def test_an_empty_allowlist_is_refused(algorithms: object) -> None:
    with pytest.raises(minijwt.InvalidOptionError, match="at least one"):
        allowlist(algorithms)
    with pytest.raises(minijwt.InvalidOptionError, match="at least one"):
        minijwt.decode("a.b.c", SecretKey(bytes(32)), algorithms=algorithms)  # type: ignore[arg-type]


class _RecordingPublicKey:
    """Stands in for an EC public key: counts the signatures that reach the primitive."""

    def __init__(self, public: ec.EllipticCurvePublicKey) -> None:
        self.public = public
        self.calls = 0

    def verify(self, signature: bytes, data: bytes, scheme: ec.EllipticCurveSignatureAlgorithm) -> None:
        self.calls += 1
        self.public.verify(signature, data, scheme)


@pytest.mark.parametrize("alg", ["ES256", "ES384", "ES512"])
def test_a_zero_r_or_s_is_refused_before_the_primitive_is_reached(alg: str) -> None:
    row = get_algorithm(alg)
    private = private_key_for(alg)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    key = from_crypto_object(private.public_key())
    recorder = _RecordingPublicKey(private.public_key())
    # The typed key is frozen; its public half is swapped for the recorder here only.
    object.__setattr__(key, "public", recorder)
    half = row.signature_size // 2
    good = row.sign(from_crypto_object(private), b"data")
    assert row.verify(key, b"data", good)
    assert recorder.calls == 1  # the recorder is on the path a signature takes
    r, s = good[:half], good[half:]
    for signature in (bytes(half) + s, r + bytes(half), bytes(2 * half)):
        assert not row.verify(key, b"data", signature)
    # Wrong lengths are refused before the primitive too.
    for signature in (good[:-1], good + b"\x00", b""):
        assert not row.verify(key, b"data", signature)
    assert recorder.calls == 1
    # r = 1 and s = 1 are not refused by the guard: the primitive decides.
    one = (1).to_bytes(half, "big")
    assert not row.verify(key, b"data", one + s)
    assert not row.verify(key, b"data", r + one)
    assert recorder.calls == 3
