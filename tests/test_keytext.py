"""The key-text detector (``_keytext``): what is never an HMAC secret, in every spelling."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from support import rsa_key

import minijwt
from minijwt import InvalidKeyError, OKPKey, RSAKey, SecretKey, load_key
from minijwt._keyload import prepare_key

Encoding = serialization.Encoding


PrivateFormat = serialization.PrivateFormat


PublicFormat = serialization.PublicFormat


def _ed25519_openssh() -> tuple[ed25519.Ed25519PublicKey, bytes]:
    public = ed25519.Ed25519PrivateKey.generate().public_key()
    return public, public.public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH)


def _ssh2_file(openssh: bytes, headers: list[str], *, width: int = 20) -> bytes:
    body = openssh.split()[1].decode("ascii")
    lines = [body[i : i + width] for i in range(0, len(body), width)]
    return "\n".join(["---- BEGIN SSH2 PUBLIC KEY ----", *headers, *lines, "---- END SSH2 PUBLIC KEY ----"]).encode()


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
    der = rsa_key().public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(InvalidKeyError, match="base64"):
        prepare_key(base64.b64encode(der).decode())


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
    encrypted = rsa_key().private_bytes(
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


def test_key_text_cut_before_its_begin_line_is_never_a_secret() -> None:
    """An END marker alone is key armour too: the rest of a PEM block pasted without its first line."""
    pem = rsa_key().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
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


def test_der_followed_by_other_bytes_is_no_der_element() -> None:
    """Only white space may follow the SEQUENCE: anything else means the bytes are not DER."""
    from minijwt._keytext import find_key_text

    der = rsa_key().public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert find_key_text(b" " + der + b" \n") is not None
    for text in (b" " + der + b"x", b" " + der + b"\x00", b" " + der[:-1]):
        assert find_key_text(text) is None


def test_a_wrapped_key_whose_base64_ends_in_x_is_found() -> None:
    """Only '=' is padding: base64 text ending in 'XXX' (here: of PEM text and the bytes 'Au\\xd7') wraps a key."""
    pem = rsa_key().public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
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
