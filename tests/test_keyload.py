"""Key input (``_keyload``): text, bytes and objects as typed keys; passwords; the parse cache."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519
from cryptography.x509.oid import NameOID
from support import rsa_key

import minijwt
from minijwt import ECKey, InvalidKeyError, OKPKey, RSAKey, SecretKey, load_key
from minijwt._keyload import from_crypto_object, prepare_key

Encoding = serialization.Encoding


PrivateFormat = serialization.PrivateFormat


PublicFormat = serialization.PublicFormat


NoEnc = serialization.NoEncryption()


def _certificate(key: rsa.RSAPrivateKey) -> x509.Certificate:
    import datetime

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "minijwt test")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )


@pytest.mark.parametrize(
    "encode",
    [
        lambda k: k.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEnc),  # PKCS#1
        lambda k: k.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEnc),
        lambda k: k.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEnc),
        lambda k: k.private_bytes(Encoding.DER, PrivateFormat.TraditionalOpenSSL, NoEnc),
        lambda k: k.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, NoEnc),
    ],
    ids=["pem-pkcs1", "pem-pkcs8", "der-pkcs8", "der-pkcs1", "openssh"],
)
def test_rsa_private_formats(encode: object) -> None:
    key = rsa_key()
    data = encode(key)  # type: ignore[operator]
    for form in (data, data.decode("latin-1") if isinstance(data, bytes) and data[:1] == b"-" else data):
        typed = prepare_key(form)
        assert isinstance(typed, RSAKey)
        assert typed.private is not None
        assert typed.size == 2048


@pytest.mark.parametrize(
    "encode",
    [
        lambda k: k.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        lambda k: k.public_bytes(Encoding.PEM, PublicFormat.PKCS1),
        lambda k: k.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
        lambda k: k.public_bytes(Encoding.DER, PublicFormat.PKCS1),
        lambda k: k.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH),
    ],
    ids=["pem-spki", "pem-pkcs1", "der-spki", "der-pkcs1", "openssh"],
)
def test_rsa_public_formats(encode: object) -> None:
    data = encode(rsa_key().public_key())  # type: ignore[operator]
    typed = prepare_key(data)
    assert isinstance(typed, RSAKey)
    assert typed.private is None


def test_certificate_gives_its_public_key() -> None:
    key = rsa_key()
    cert = _certificate(key)
    for form in (cert, cert.public_bytes(Encoding.PEM), cert.public_bytes(Encoding.DER)):
        typed = prepare_key(form)
        assert isinstance(typed, RSAKey)
        assert typed.private is None
        assert typed.public.public_numbers() == key.public_key().public_numbers()


def test_encrypted_pem_needs_the_password() -> None:
    pem = rsa_key().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    with pytest.raises(InvalidKeyError, match="password"):
        prepare_key(pem)
    with pytest.raises(InvalidKeyError):
        load_key(pem, password=b"wrong")
    assert isinstance(load_key(pem, password="pw"), RSAKey)
    der = rsa_key().private_bytes(Encoding.DER, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    with pytest.raises(InvalidKeyError, match="password"):
        prepare_key(der)
    assert isinstance(load_key(der, password=b"pw"), RSAKey)


def test_password_for_a_plain_secret_is_an_error() -> None:
    with pytest.raises(InvalidKeyError, match="password"):
        load_key(b"x" * 32, password=b"pw")


@pytest.mark.parametrize(
    ("make", "kind", "crv"),
    [
        (lambda: ec.generate_private_key(ec.SECP256R1()), ECKey, "P-256"),
        (lambda: ec.generate_private_key(ec.SECP384R1()), ECKey, "P-384"),
        (lambda: ec.generate_private_key(ec.SECP521R1()), ECKey, "P-521"),
        (ed25519.Ed25519PrivateKey.generate, OKPKey, "Ed25519"),
        (ed448.Ed448PrivateKey.generate, OKPKey, "Ed448"),
    ],
)
def test_ec_and_okp_keys(make: object, kind: type, crv: str) -> None:
    private = make()  # type: ignore[operator]
    for form in (
        private,
        private.public_key(),
        private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEnc),
        private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo),
        private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo),
    ):
        typed = prepare_key(form)
        assert isinstance(typed, kind)
        assert isinstance(typed, (ECKey, OKPKey))
        assert typed.crv == crv


def test_unsupported_key_objects() -> None:
    with pytest.raises(InvalidKeyError, match="secp256k1"):
        from_crypto_object(ec.generate_private_key(ec.SECP256K1()))
    with pytest.raises(InvalidKeyError, match="unsupported key type"):
        from_crypto_object(x25519.X25519PrivateKey.generate())
    with pytest.raises(InvalidKeyError, match="unsupported key type"):
        prepare_key(12345)


@pytest.mark.parametrize(
    "secret",
    [
        b"x" * 32,
        "0123456789abcdef0123456789abcdef",  # starts with '0' (0x30, ASN.1 SEQUENCE) but is no DER
        b"\x30" + bytes(40),
        "{not json but braces} and a long enough tail.....",
        '{"sub": "a JSON object without kty is just text"}',
        "A" * 100,  # valid base64, but not DER
    ],
)
def test_plain_secrets(secret: str | bytes) -> None:
    typed = prepare_key(secret)
    assert isinstance(typed, SecretKey)
    assert typed.secret == (secret.encode() if isinstance(secret, str) else secret)
    assert typed.size == len(typed.secret) * 8
    assert "secret=" not in repr(typed)


def test_pem_text_is_parsed_once() -> None:
    pem = rsa_key().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEnc).decode() + "\n"  # a fresh string
    minijwt.clear_caches()
    first = prepare_key(pem)
    for _ in range(50):
        assert prepare_key(pem) is first
    info = minijwt.cache_info()["keys.text"]
    assert info.size == 1
    assert info.bound == 128


@pytest.mark.parametrize("alg", sorted(minijwt.ALGORITHMS))
def test_every_accepted_key_survives_a_jwk_round_trip(alg: str) -> None:
    from support import signing_and_verifying_key

    private, public = signing_and_verifying_key(alg)
    for key in (private, public):
        jwk = minijwt.JWK.from_key(key)
        for private_members in (True, False) if not isinstance(jwk.key, SecretKey) else (True,):
            again = minijwt.JWK.from_dict(jwk.to_dict(private=private_members))
            assert again.thumbprint() == jwk.thumbprint()
            assert again.kid == jwk.kid == minijwt.JWK.from_key(public).kid  # the thumbprint, both halves


def test_import_loads_no_x509_or_serialization_until_needed() -> None:
    import subprocess
    import sys

    probe = (
        "import sys, minijwt\n"
        "minijwt.decode(minijwt.encode({}, b'k' * 32), b'k' * 32, algorithms=['HS256'])\n"
        "heavy = ('cryptography.x509', 'cryptography.hazmat.primitives.serialization', 'minijwt.jwk',\n"
        "         'minijwt._jwk_members', 'minijwt._jws_json', 'minijwt.jwks_client', 'asyncio', 'ssl')\n"
        "print([m for m in sys.modules if m.startswith(heavy)])\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.strip() == "[]"


def test_an_encrypted_openssh_private_key_loads_with_its_password() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    text = private.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, serialization.BestAvailableEncryption(b"pw"))
    loaded = load_key(text, password="pw")
    assert isinstance(loaded, OKPKey)
    assert loaded.public.public_bytes_raw() == private.public_key().public_bytes_raw()
    with pytest.raises(InvalidKeyError, match="encrypted"):
        load_key(text)


@pytest.mark.parametrize("curve", [ec.SECP256R1(), ec.SECP521R1()], ids=["short-length", "long-length"])
def test_der_with_white_space_around_is_loaded_as_the_key_it_is(curve: ec.EllipticCurve) -> None:
    """The SEQUENCE's own length says where the DER ends (one length byte for P-256, 0x81 and one more for P-521)."""
    public = ec.generate_private_key(curve).public_key()
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    for text in (b" " + der + b"\n", b"\xef\xbb\xbf" + der, b"\r\n" + der + b" \t"):
        loaded = prepare_key(text)
        assert isinstance(loaded, ECKey)
        assert loaded.public.public_numbers() == public.public_numbers()
        with pytest.raises(InvalidKeyError):
            SecretKey(text)


@pytest.mark.parametrize(
    ("data", "cacheable"),
    [
        (b"\xff" * 65536, True),  # bytes count as they are, ASCII or not
        (b"\xff" * 65537, False),
        ("a" * 65536, True),  # ASCII text: one byte a character
        ("a" * 65537, False),
        ("é" * 16384, True),  # other text: up to 4 UTF-8 bytes a character, counted without encoding
        ("é" * 16385, False),
    ],
)
def test_key_text_up_to_64_kib_is_cacheable(data: str | bytes, cacheable: bool) -> None:
    from minijwt._keyload import MAX_CACHED_KEY_TEXT, is_cacheable_text

    assert MAX_CACHED_KEY_TEXT == 65536
    assert is_cacheable_text(data) is cacheable
