"""The key-text detector (``_keytext``): what is never an HMAC secret, in every spelling."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from support import load_vectors, rsa_key

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


# --- what a key's own bytes say (KeyForm), read before cryptography parses them --------


def _ssh_string(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def _openssh_blob(cipher: bytes = b"none", kdf: bytes = b"none", key_type: bytes = b"ssh-ed25519") -> bytes:
    """The start of an openssh-key-v1 blob (PROTOCOL.key): magic, cipher, KDF, its options, one key's public part."""
    public = _ssh_string(key_type) + _ssh_string(b"k" * 32)
    return (
        b"openssh-key-v1\x00"
        + _ssh_string(cipher)
        + _ssh_string(kdf)
        + _ssh_string(b"")
        + (1).to_bytes(4, "big")
        + _ssh_string(public)
    )


def _pem(label: str, body: bytes) -> bytes:
    return f"-----BEGIN {label}-----\n".encode() + body + f"\n-----END {label}-----\n".encode()


def _openssh_pem(blob: bytes) -> bytes:
    return _pem("OPENSSH PRIVATE KEY", base64.encodebytes(blob).strip())


def test_an_openssh_private_key_is_encrypted_when_its_cipher_is_not_none() -> None:
    """PROTOCOL.key: the cipher name says whether the private part is encrypted; the KDF name does not."""
    from minijwt._keytext import KeyForm, pem_form

    private = ed25519.Ed25519PrivateKey.generate()
    plain = private.private_bytes(Encoding.PEM, PrivateFormat.OpenSSH, serialization.NoEncryption())
    encrypted = private.private_bytes(
        Encoding.PEM, PrivateFormat.OpenSSH, serialization.BestAvailableEncryption(b"a password")
    )
    assert pem_form(plain) == KeyForm(None, False)
    assert pem_form(encrypted) == KeyForm(None, True)
    rest = b"\x00" * 64  # the private part, which the form never reads
    assert pem_form(_openssh_pem(_openssh_blob(b"aes256-ctr", b"none") + rest)) == KeyForm(None, True)
    assert pem_form(_openssh_pem(_openssh_blob(b"none", b"bcrypt") + rest)) == KeyForm(None, False)
    assert pem_form(_openssh_pem(_openssh_blob(key_type=b"ssh-dss") + rest)) == KeyForm("DSA", False)


def test_an_openssh_private_key_says_its_form_only_when_its_fields_are_whole() -> None:
    """Fields up to the public key decide; a blob cut inside them, or a body that is no base64, says nothing."""
    from minijwt._keytext import KeyForm, pem_form

    blob = _openssh_blob(b"aes256-ctr", b"bcrypt")
    assert pem_form(_openssh_pem(blob)) == KeyForm(None, True)  # ending right after the public key
    for cut in (blob[:-1], blob[:20], blob[:40], b"openssh-key-v1\x00"):
        assert pem_form(_openssh_pem(cut)) == KeyForm(None, None), cut
    assert pem_form(_openssh_pem(b"another-key-v1\x00" + blob[15:])) == KeyForm(None, None)
    # A length of 4n + 1 is no base64 at all.
    not_base64 = _pem("OPENSSH PRIVATE KEY", b"AAAAA")
    assert pem_form(not_base64) == KeyForm(None, None)
    with pytest.raises(InvalidKeyError):
        load_key(not_base64)


def test_a_pem_private_key_is_encrypted_by_its_label_or_its_rfc1421_headers() -> None:
    """``ENCRYPTED PRIVATE KEY`` is encrypted whatever its body; so is a header block (before the first blank line)
    that says ENCRYPTED (``Proc-Type: 4,ENCRYPTED``); a header block that does not says nothing."""
    from minijwt._keytext import KeyForm, pem_form

    assert pem_form(_pem("ENCRYPTED PRIVATE KEY", b"AAAA")) == KeyForm(None, True)
    traditional = rsa_key().private_bytes(
        Encoding.PEM, PrivateFormat.TraditionalOpenSSL, serialization.BestAvailableEncryption(b"a password")
    )
    assert b"Proc-Type: 4,ENCRYPTED" in traditional
    assert pem_form(traditional) == KeyForm(None, True)
    body = base64.encodebytes(b"\x30\x03\x02\x01\x00").strip()
    assert pem_form(_pem("RSA PRIVATE KEY", b"Comment: x\n\n" + body)) == KeyForm(None, None)
    # The word after the first blank line is body, not a header.
    assert pem_form(_pem("RSA PRIVATE KEY", b"Comment: x\n\nENCRYPTED\n\n" + body)) == KeyForm(None, None)
    assert pem_form(_pem("RSA PRIVATE KEY", b"Proc-Type: 4,ENCRYPTED\n\n" + body)) == KeyForm(None, True)


def test_an_openssh_dsa_public_key_is_refused_by_its_type_whatever_follows_it() -> None:
    """The key type is the line's first word: a comment after the key does not hide ``ssh-dss``."""
    from minijwt._keytext import KeyForm, ssh_form

    assert ssh_form(b"ssh-dss AAAAB3NzaC1kc3M user@host") == KeyForm("DSA", None)
    assert ssh_form(b"ssh-dss AAAAB3NzaC1kc3M") == KeyForm("DSA", None)
    assert ssh_form(b"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 ssh-dss") == KeyForm(None, None)
    assert ssh_form(b"") == KeyForm(None, None)


def test_a_public_key_info_whose_algorithm_has_no_oid_is_no_refused_type() -> None:
    """Only an OBJECT IDENTIFIER names a refused type: an empty AlgorithmIdentifier, or other bytes, names none."""
    from minijwt._keytext import KeyForm, der_form

    dsa_oid = bytes.fromhex("2a8648ce380401")
    bits = b"\x03\x21\x00" + b"s" * 32
    named = b"\x30\x09\x06\x07" + dsa_oid
    assert der_form(b"\x30" + bytes([len(named + bits)]) + named + bits) == KeyForm("DSA", None)
    for algorithm in (b"\x30\x00", b"\x30\x09\x04\x07" + dsa_oid):
        der = b"\x30" + bytes([len(algorithm + bits)]) + algorithm + bits
        assert der_form(der) == KeyForm(None, None)
        typed = prepare_key(der)  # DER of no key: a secret
        assert isinstance(typed, SecretKey)


def test_a_pem_private_key_without_headers_or_encryption_is_a_private_key_not_encrypted() -> None:
    """``RSA PRIVATE KEY`` and ``EC PRIVATE KEY`` bodies say nothing of themselves: the label makes them unencrypted."""
    from minijwt._keytext import KeyForm, pem_form

    plain = serialization.NoEncryption()
    for private in (rsa_key(), ec.generate_private_key(ec.SECP256R1())):
        traditional = private.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, plain)
        assert pem_form(traditional) == KeyForm(None, False), traditional[:32]
        assert pem_form(private.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, plain)) == KeyForm(None, False)
    public = rsa_key().public_key().public_bytes(Encoding.PEM, PublicFormat.PKCS1)
    assert public.startswith(b"-----BEGIN RSA PUBLIC KEY-----")
    assert pem_form(public) == KeyForm(None, None)


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element (X.690 §8.1), with a short or a two-byte long-form length."""
    size = len(content)
    return bytes([tag]) + (bytes([size]) if size < 0x80 else b"\x82" + size.to_bytes(2, "big")) + content


_DSA_OID = bytes.fromhex("2a8648ce380401")  # 1.2.840.10040.4.1, id-dsa
_DSA_PUBLIC_INFO = _tlv(0x30, _tlv(0x30, _tlv(0x06, _DSA_OID)) + _tlv(0x03, b"\x00" + b"k" * 32))
# A TBSCertificate's fields before its key: serialNumber, signature, issuer, validity, subject.
_TBS_HEAD = _tlv(0x02, b"\x01") + _tlv(0x30, _tlv(0x06, b"\x2a\x03")) + _tlv(0x30, b"") * 3


def _certificate(tbs: bytes, signature_algorithm: bytes = _tlv(0x30, _tlv(0x06, b"\x2a\x03"))) -> bytes:
    return _tlv(0x30, _tlv(0x30, tbs) + signature_algorithm + _tlv(0x03, b"\x00sig"))


def test_der_says_its_key_form_by_its_structure() -> None:
    """RFC 5958 and RFC 5280 structures, told by their tags before any loader: encrypted, refused, private."""
    from minijwt._keytext import KeyForm, der_form

    private = ed25519.Ed25519PrivateKey.generate()
    encrypted = serialization.BestAvailableEncryption(b"a password")
    assert der_form(private.private_bytes(Encoding.DER, PrivateFormat.PKCS8, encrypted)) == KeyForm(None, True)
    plain = private.private_bytes(Encoding.DER, PrivateFormat.PKCS8, serialization.NoEncryption())
    assert der_form(plain) == KeyForm(None, False)
    spki = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    assert der_form(spki) == KeyForm(None, None)
    entries = load_vectors("key_files.json")["keys"]
    files = {entry["name"]: base64.b64decode(entry["data"]) for entry in entries if entry["form"] == "der"}
    assert der_form(files["dsa-public-der"]) == KeyForm("DSA", None)
    assert der_form(files["dsa-pkcs8-private-der"]) == KeyForm("DSA", False)  # OpenSSL's traditional DSA key
    assert der_form(files["dsa-certificate-der"]) == KeyForm("DSA", None)
    assert der_form(files["rsa-pkcs8-encrypted-der"]) == KeyForm(None, True)
    # A OneAsymmetricKey of the DSA algorithm: refused, and not encrypted, by its first three
    # fields (version, algorithm, key), whatever optional ones follow ([0] attributes, [1] publicKey).
    head = _tlv(0x02, b"\x00") + _tlv(0x30, _tlv(0x06, _DSA_OID)) + _tlv(0x04, b"\x00" * 4)
    for optional in (b"", _tlv(0xA0, b""), _tlv(0xA0, b"") + _tlv(0x81, b"\x00k")):
        assert der_form(_tlv(0x30, head + optional)) == KeyForm("DSA", False)
    # A SubjectPublicKeyInfo by its first two fields: one more after them hides no refused type.
    assert der_form(_DSA_PUBLIC_INFO) == KeyForm("DSA", None)
    padded = _tlv(0x30, _DSA_PUBLIC_INFO[2:] + _tlv(0x02, b"\x00"))
    assert der_form(padded) == KeyForm("DSA", None)
    with pytest.raises(InvalidKeyError, match="DSA"):
        prepare_key(padded)


def test_a_certificates_key_is_the_sixth_field_of_its_tbs_certificate_with_or_without_a_version() -> None:
    """RFC 5280 §4.1: an explicit [0] version comes first when present; the subject's key follows five fields."""
    from minijwt._keytext import KeyForm, der_form

    version = _tlv(0xA0, _tlv(0x02, b"\x02"))
    assert der_form(_certificate(_TBS_HEAD + _DSA_PUBLIC_INFO)) == KeyForm("DSA", None)  # v1: no version
    assert der_form(_certificate(version + _TBS_HEAD + _DSA_PUBLIC_INFO)) == KeyForm("DSA", None)
    extensions = _tlv(0xA3, _tlv(0x30, b""))
    assert der_form(_certificate(version + _TBS_HEAD + _DSA_PUBLIC_INFO + extensions)) == KeyForm("DSA", None)
    # A TBSCertificate without its key, or empty, names none; what follows it (here a signature
    # algorithm shaped like a DSA key) is not its field.
    for certificate in (
        _certificate(_TBS_HEAD),
        _certificate(version + _TBS_HEAD),
        _certificate(b""),
        _certificate(_TBS_HEAD, _DSA_PUBLIC_INFO),
    ):
        assert der_form(certificate) == KeyForm(None, None)
        assert isinstance(prepare_key(certificate), SecretKey)  # DER of no key or certificate


def test_der_lengths_are_read_as_x690_says() -> None:
    """X.690 §8.1.3: a zero length is an element (two bytes, even last); 0x80 is BER's indefinite length, never DER."""
    from minijwt._keytext import KeyForm, der_form

    # EncryptedPrivateKeyInfo whose encrypted data, its last field, is empty: still the two fields of one.
    empty_last = _tlv(0x30, _tlv(0x30, _tlv(0x06, b"\x2a\x03")) + _tlv(0x04, b""))
    assert der_form(empty_last) == KeyForm(None, True)
    # The body of a DSA SubjectPublicKeyInfo, 128 bytes, after "30 80": no element at all, so a secret.
    body = _tlv(0x30, _tlv(0x06, _DSA_OID)) + _tlv(0x03, b"\x00" + b"k" * 114)
    assert len(body) == 0x80
    indefinite = b"\x30\x80" + body
    assert der_form(indefinite) == KeyForm(None, None)
    assert der_form(b"\x30\x81\x80" + body) == KeyForm("DSA", None)  # the same body, with a DER length
    typed = prepare_key(indefinite)
    assert isinstance(typed, SecretKey)
    # Inside a structure too: an indefinite length ends the reading there.
    nested = _tlv(0x30, b"\x02\x80" + _tlv(0x30, _tlv(0x06, _DSA_OID)) + _tlv(0x04, b"\x00" * 4))
    assert der_form(nested) == KeyForm(None, None)
    # A length in one to four bytes is read (a longer one is no key's).
    spki = _DSA_PUBLIC_INFO[2:]
    for size in (1, 2, 3, 4):
        assert der_form(b"\x30" + bytes([0x80 | size]) + len(spki).to_bytes(size, "big") + spki) == KeyForm("DSA", None)
    assert der_form(b"\x30\x85" + len(spki).to_bytes(5, "big") + spki) == KeyForm(None, None)
