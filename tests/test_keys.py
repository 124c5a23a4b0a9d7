"""Key input: classification of text and bytes, the parse cache, key objects."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa, x25519
from cryptography.x509.oid import NameOID
from support import private_key_for

import minijwt
from minijwt import ECKey, InvalidKeyError, OKPKey, RSAKey, SecretKey, load_key
from minijwt._keyload import from_crypto_object, prepare_key

Encoding = serialization.Encoding
PrivateFormat = serialization.PrivateFormat
PublicFormat = serialization.PublicFormat
NoEnc = serialization.NoEncryption()


def _rsa(bits: int = 2048, *, fresh: bool = False) -> rsa.RSAPrivateKey:
    if bits != 2048 or fresh:
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    key = private_key_for("RS256")
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


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
    key = _rsa()
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
    data = encode(_rsa().public_key())  # type: ignore[operator]
    typed = prepare_key(data)
    assert isinstance(typed, RSAKey)
    assert typed.private is None


def test_certificate_gives_its_public_key() -> None:
    key = _rsa()
    cert = _certificate(key)
    for form in (cert, cert.public_bytes(Encoding.PEM), cert.public_bytes(Encoding.DER)):
        typed = prepare_key(form)
        assert isinstance(typed, RSAKey)
        assert typed.private is None
        assert typed.public.public_numbers() == key.public_key().public_numbers()


def test_encrypted_pem_needs_the_password() -> None:
    pem = _rsa().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
    with pytest.raises(InvalidKeyError, match="password"):
        prepare_key(pem)
    with pytest.raises(InvalidKeyError):
        load_key(pem, password=b"wrong")
    assert isinstance(load_key(pem, password="pw"), RSAKey)
    der = _rsa().private_bytes(Encoding.DER, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw"))
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
    # DSA and Diffie-Hellman key files: tests/test_key_files.py (cryptography deprecates making them).


@pytest.mark.parametrize(
    "secret",
    [
        "-----BEGIN PUBLIC KEY-----\nnot really base64\n-----END PUBLIC KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\n-----END RSA PRIVATE KEY-----",
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
        "my secret prefix -----BEGIN something else----- and more text to make it long enough",
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ== user@host",
        "ecdsa-sha2-nistp256 AAAA user@host",
    ],
)
def test_key_lookalikes_are_never_secrets(secret: str) -> None:
    with pytest.raises(InvalidKeyError):
        prepare_key(secret)
    with pytest.raises(InvalidKeyError):
        prepare_key(secret.encode())


def test_jwk_text_is_never_a_secret() -> None:
    jwk = json.dumps({"kty": "oct", "k": "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI"})
    with pytest.raises(InvalidKeyError, match="JWK"):
        prepare_key(jwk)
    with pytest.raises(InvalidKeyError, match="JWK"):
        prepare_key(json.dumps({"keys": []}))
    with pytest.raises(InvalidKeyError, match="JWK"):
        prepare_key(json.dumps([{"kty": "RSA"}]))


def test_unarmoured_base64_der_is_never_a_secret() -> None:
    der = _rsa().public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match="base64"):
        prepare_key(base64.b64encode(der).decode())


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


def test_pem_text_is_parsed_once() -> None:
    pem = _rsa().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEnc).decode() + "\n"  # a fresh string
    minijwt.clear_caches()
    first = prepare_key(pem)
    for _ in range(50):
        assert prepare_key(pem) is first
    info = minijwt.cache_info()["keys.text"]
    assert info.size == 1
    assert info.bound == 128


def test_typed_keys_pass_through() -> None:
    typed = prepare_key(b"z" * 32)
    assert prepare_key(typed) is typed


# --- key strength at load, for every input path ------------------------------------


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


def test_a_weak_rsa_key_gets_the_same_error_whichever_way_it_comes() -> None:
    weak = _rsa(1024)
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


def _b64u_uint(value: int) -> str:
    import base64

    return base64.urlsafe_b64encode(value.to_bytes((value.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


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


def test_curves_come_from_the_key_object_and_halves_must_match() -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519

    p384 = ec.generate_private_key(ec.SECP384R1())
    assert minijwt.ECKey(public=p384.public_key()).crv == "P-384"
    assert minijwt.OKPKey(public=ed448.Ed448PrivateKey.generate().public_key()).crv == "Ed448"
    with pytest.raises(InvalidKeyError, match="does not match"):
        minijwt.ECKey(public=ec.generate_private_key(ec.SECP384R1()).public_key(), private=p384)
    with pytest.raises(InvalidKeyError, match="does not match"):
        minijwt.RSAKey(public=_rsa().public_key(), private=_rsa(2048, fresh=True))
    with pytest.raises(InvalidKeyError, match="does not match"):
        minijwt.OKPKey(
            public=ed25519.Ed25519PrivateKey.generate().public_key(), private=ed25519.Ed25519PrivateKey.generate()
        )
    with pytest.raises(InvalidKeyError, match="not used by JOSE"):
        minijwt.ECKey(public=ec.generate_private_key(ec.SECP256K1()).public_key())


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


def _modulus(bits: int) -> int:
    """An odd number of exactly ``bits`` bits without the ROCA fingerprint (the rules do not ask for primes)."""
    from minijwt._keys import has_roca_fingerprint

    n = (1 << (bits - 1)) | 0x1F
    while has_roca_fingerprint(n):
        n += 2
    assert n.bit_length() == bits
    return n


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


def _ed25519_openssh() -> tuple[ed25519.Ed25519PublicKey, bytes]:
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public, public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)


def _ssh2_file(openssh: bytes, headers: list[str], *, width: int = 20) -> bytes:
    body = openssh.split()[1].decode("ascii")
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    return "\n".join(["---- BEGIN SSH2 PUBLIC KEY ----", *headers, *lines, "---- END SSH2 PUBLIC KEY ----"]).encode()


@pytest.mark.parametrize(
    "headers",
    [
        [],
        ['Comment: "one line"'],
        ['Comment: "a comment that \\', "goes on \\", 'over three lines"', "x-tag: value"],
    ],
    ids=["no-headers", "one-header", "continued-headers"],
)
def test_an_rfc4716_file_is_its_headers_then_its_whole_base64_body(headers: list[str]) -> None:
    """RFC 4716 §3.3: header lines (a trailing backslash continues one) come first; every body line is key data."""
    public, openssh = _ed25519_openssh()
    loaded = load_key(_ssh2_file(openssh, headers))
    assert isinstance(loaded, OKPKey)
    assert loaded.public.public_bytes_raw() == public.public_bytes_raw()


def test_an_rfc4716_file_without_its_end_line_is_refused() -> None:
    _, openssh = _ed25519_openssh()
    complete = _ssh2_file(openssh, [])
    assert isinstance(load_key(complete), OKPKey)
    without_end = complete.rpartition(b"\n")[0]
    end_first = b"---- END SSH2 PUBLIC KEY ----\n" + without_end
    for text in (without_end, end_first):
        with pytest.raises(InvalidKeyError):
            load_key(text)


@pytest.mark.parametrize("stray", [b"*", b"!", b"%"])
def test_an_rfc4716_body_with_a_character_outside_base64_is_refused(stray: bytes) -> None:
    _, openssh = _ed25519_openssh()
    lines = _ssh2_file(openssh, []).split(b"\n")
    lines[2] = lines[2][:5] + stray + lines[2][5:]
    with pytest.raises(InvalidKeyError):
        load_key(b"\n".join(lines))


def test_an_openssh_key_is_read_from_its_type_on_and_what_follows_it_is_a_comment() -> None:
    """Lines before it (options, a comment) are not part of it; lines after it (another key) are ignored."""
    public, openssh = _ed25519_openssh()
    _, other = _ed25519_openssh()
    for text in (
        b"# the signing key\n" + openssh + b" user@host\n" + other + b" other@host",
        b"# the signing key\r\n" + openssh + b"\r\n# end\r\n",
        b'from="10.0.0.1",no-pty ' + openssh + b" user@host\n" + other,
    ):
        loaded = load_key(text)
        assert isinstance(loaded, OKPKey)
        assert loaded.public.public_bytes_raw() == public.public_bytes_raw()


@pytest.mark.parametrize(
    "secret",
    [
        b"\x30\x20" + b"s" * 32,  # one whole DER SEQUENCE, but of no key
        b"\x30\x81\x30" + b"s" * 48,  # the same, with a long-form length
        b" \x30\x20" + b"s" * 32 + b"\n",
    ],
)
def test_der_that_is_no_key_or_certificate_is_a_secret(secret: bytes) -> None:
    typed = prepare_key(secret)
    assert isinstance(typed, SecretKey)
    assert typed.secret == secret


def test_an_encrypted_der_private_key_is_never_a_secret() -> None:
    encrypted = _rsa().private_bytes(
        Encoding.DER, PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"a password")
    )
    with pytest.raises(InvalidKeyError):
        SecretKey(encrypted)
    with pytest.raises(InvalidKeyError):
        prepare_key(b"\n" + encrypted)
    loaded = load_key(b"\n" + encrypted + b"\n", password=b"a password")
    assert isinstance(loaded, RSAKey)


@pytest.mark.parametrize(
    "secret",
    ['["a JSON list", "of no keys at all"]', '[{"kid": "an object without kty"}, "kty"]', "[]"],
)
def test_a_json_list_without_a_key_object_is_a_secret(secret: str) -> None:
    typed = prepare_key(secret)
    assert isinstance(typed, SecretKey)
    with pytest.raises(InvalidKeyError, match="JWK"):
        prepare_key('[{"kid": "x"}, {"kty": "oct"}]')


@pytest.mark.parametrize(
    "mangle",
    [
        lambda blob: b"",
        lambda blob: blob[:3],
        lambda blob: b"\x00\x00\x00\x00" + blob[4:],  # an empty key type
        lambda blob: b"\x00\x00\x00\x05" + blob[4:],  # a type length that cuts the type short
        lambda blob: b"\xff\xff\xff\xff" + blob[4:],  # longer than the blob
        lambda blob: blob[:4] + b"ssh-ed2551\xff" + blob[15:],  # not ASCII
        lambda blob: blob[:-1],
    ],
    ids=["empty", "short", "empty-type", "cut-type", "long-type", "non-ascii-type", "truncated"],
)
def test_an_rfc4716_file_that_holds_no_ssh_public_key_is_refused(mangle: Any) -> None:
    _, openssh = _ed25519_openssh()
    blob = mangle(base64.b64decode(openssh.split()[1]))
    body = base64.b64encode(blob)
    text = b"---- BEGIN SSH2 PUBLIC KEY ----\n" + body + b"\n---- END SSH2 PUBLIC KEY ----\n"
    with pytest.raises(InvalidKeyError):
        load_key(text)
    with pytest.raises(InvalidKeyError):
        SecretKey(text)


def test_the_detector_names_each_kind_of_key_text_and_the_part_to_load() -> None:
    """find_key_text: the kind, a reason in words, and the data (without byte order mark and white space)."""
    from minijwt._keytext import find_key_text

    public, openssh = _ed25519_openssh()
    pem = public.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    der = public.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    four_dashes = pem.replace(b"-----", b"----")
    ssh2 = _ssh2_file(openssh, [])
    jwk = json.dumps(minijwt.JWK.from_key(public).to_dict()).encode()
    cases = [
        (b"\xef\xbb\xbf\n" + pem, "pem", pem.strip()),
        (four_dashes + b"\n", "armour", four_dashes.strip()),
        (b"  " + ssh2, "rfc4716", ssh2),
        (b'no-pty,command="x" ' + openssh + b" user@host\n", "ssh", openssh + b" user@host"),
        (b"\n" + jwk + b"\n", "jwk", jwk),
        (b" " + der + b"\r\n", "der", der),
        (base64.b64encode(der), "wrapped", der),
        (base64.urlsafe_b64encode(pem).rstrip(b"="), "wrapped", pem),
    ]
    for text, kind, data in cases:
        found = find_key_text(text)
        assert found is not None, kind
        assert (found.kind, found.data) == (kind, data)
        assert isinstance(found.reason, str)
        assert found.reason.startswith("the key ")
    assert find_key_text(b"a plain secret of thirty-two bytes") is None


def test_an_encrypted_openssh_private_key_loads_with_its_password() -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    text = private.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, serialization.BestAvailableEncryption(b"pw"))
    loaded = load_key(text, password="pw")
    assert isinstance(loaded, OKPKey)
    assert loaded.public.public_bytes_raw() == private.public_key().public_bytes_raw()
    with pytest.raises(InvalidKeyError, match="encrypted"):
        load_key(text)


def test_key_text_cut_before_its_begin_line_is_never_a_secret() -> None:
    """An END marker alone is key armour too: the rest of a PEM block pasted without its first line."""
    pem = _rsa().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    tail = pem.split(b"\n", 1)[1]
    for text in (tail, b"-----END PUBLIC KEY-----", b"secret text then\n---- END RSA PRIVATE KEY ----"):
        with pytest.raises(InvalidKeyError):
            prepare_key(text)
        with pytest.raises(InvalidKeyError):
            SecretKey(text)


@pytest.mark.parametrize("secret", [b"0", b" 0", b"\xef\xbb\xbf0", b"0\n", b"\x30\x82"])
def test_a_lone_sequence_tag_is_a_secret(secret: bytes) -> None:
    """A 0x30 byte ('0') with no complete length after it is no DER element."""
    typed = prepare_key(secret)
    assert isinstance(typed, SecretKey)
    assert typed.secret == secret


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


def test_der_followed_by_other_bytes_is_no_der_element() -> None:
    """Only white space may follow the SEQUENCE: anything else means the bytes are not DER."""
    from minijwt._keytext import find_key_text

    der = _rsa().public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert find_key_text(b" " + der + b" \n") is not None
    for text in (b" " + der + b"x", b" " + der + b"\x00", b" " + der[:-1]):
        assert find_key_text(text) is None


def test_a_wrapped_key_whose_base64_ends_in_x_is_found() -> None:
    """Only '=' is padding: base64 text ending in 'XXX' (here: of PEM text and the bytes 'Au\\xd7') wraps a key."""
    pem = _rsa().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    data = pem + b"Au\xd7"
    data = b" " * (-len(data) % 3) + data
    wrapped = base64.b64encode(data)
    assert wrapped.endswith(b"QXXX")
    with pytest.raises(InvalidKeyError, match="base64"):
        prepare_key(wrapped)


@pytest.mark.parametrize("padding", ["", "=", "==", "===", "====="])
def test_base64_of_a_key_is_never_a_secret_whatever_its_padding(padding: str) -> None:
    """A lenient decoder reads the key through missing or extra '=': so does the detector."""
    der = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    )
    body = base64.b64encode(der).rstrip(b"=").decode()
    assert len(body) % 4 == 2  # 91 bytes: base64 pads it with "=="
    for text in (body + padding, base64.urlsafe_b64encode(der).decode().rstrip("=") + padding):
        with pytest.raises(InvalidKeyError, match="base64"):
            prepare_key(text)


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
