"""What is never an HMAC secret: the detector of key text, in every spelling.

A public key used as an HMAC secret lets anyone forge tokens (algorithm
confusion, RFC 8725 §2.1), so bytes that are, or wrap, a key in any format a
key is written in are never a secret; the security page lists the formats
("What is never an HMAC secret"). :func:`find_key_text` says which, and why;
``SecretKey`` calls :func:`refuse_key_text` so that no path (text, bytes, a
JWK's ``k``) can make a secret of one. Every check is a single pass over the
bytes: substring tests, regular expressions with bounded repetition,
``bytes.translate``.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import NamedTuple

from cryptography.exceptions import UnsupportedAlgorithm

from ._mldsa import by_oid
from .errors import InvalidKeyError

__all__ = ["KeyForm", "KeyText", "der_form", "find_key_text", "load_der", "pem_form", "refuse_key_text", "ssh_form"]


class KeyText(NamedTuple):
    """Bytes recognised as a key, and how.

    Attributes:
        kind: ``"pem"`` (standard armour), ``"armour"`` (armour that is not
            standard PEM), ``"rfc4716"``, ``"ssh"``, ``"jwk"``, ``"der"`` or
            ``"wrapped"`` (base64 or base64url of one of the others).
        reason: What the bytes are, in words, for an error message.
        data: The part to load: the text without byte order mark and
            surrounding white space; for ``"ssh"`` the key from its type on.
    """

    kind: str
    reason: str
    data: bytes


_WHITE_SPACE = b" \t\r\n\x0b\x0c"
# Byte order marks and white space before the text, in any order. The two
# alternatives start with different bytes, so the match never backtracks.
_LEADING = re.compile(rb"(?:\xef\xbb\xbf|[ \t\r\n\x0b\x0c])*")

# RFC 7468 §3 and RFC 4716 §3.2: a marker is BEGIN or END and a label in
# upper case, between runs of dashes. Only one dash (or a line start) is
# required in front, so a lost or extra dash or space does not hide it. Every
# repetition is bounded, so a search costs a constant per position.
_ARMOUR = re.compile(rb"(?:^|-)[ \t]{0,16}(?:BEGIN|END)[ \t]{1,16}[A-Z0-9 \t]{0,64}?(?:KEY|CERTIFICATE)", re.MULTILINE)
# OpenSSH key types (RFC 4253 §6.6, RFC 5656 §6.2, RFC 8709 §4, PROTOCOL.u2f).
_SSH_TYPE = re.compile(rb"ssh-(?:rsa|ed25519|ed448|dss)|ecdsa-sha2-|sk-ssh-|sk-ecdsa-")

_B64_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_URL = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_URL_TO_STANDARD = bytes.maketrans(b"-_", b"+/")
# The shortest DER key is an Ed25519 SubjectPublicKeyInfo, 44 bytes; the
# shortest PEM block is longer. Shorter base64 cannot wrap a key.
_MIN_WRAPPED_LENGTH = 40


def refuse_key_text(secret: bytes) -> None:
    """Refuse bytes that are, or wrap, a key or certificate as an HMAC secret."""
    found = find_key_text(secret)
    if found is not None:
        raise InvalidKeyError(f"{found.reason}; it is never used as an HMAC secret")


def find_key_text(raw: bytes) -> KeyText | None:
    """Whether bytes are (or wrap) a key or certificate, and which kind; None if neither."""
    found = _direct(raw)
    if found is not None:
        return found
    decoded = _base64_decoded(raw)
    if decoded is not None:
        inner = _direct(decoded)
        if inner is not None:
            # "the key is PEM text" -> "the key is base64 of PEM text"
            return KeyText("wrapped", f"the key is base64 of {inner.reason.removeprefix('the key is ')}", decoded)
    return None


def _direct(raw: bytes) -> KeyText | None:
    text = raw[_leading(raw) :].rstrip(_WHITE_SPACE)
    if b"BEGIN" in text or b"END" in text:
        found = _armour(text)
        if found is not None:
            return found
    if b"ssh-" in text or b"sk-" in text or b"ecdsa-sha2-" in text:
        match = _SSH_TYPE.search(text)
        if match is not None:
            # cryptography's loader reads the type and the key, and takes the rest for a comment.
            return KeyText("ssh", "the key is an OpenSSH public key", text[match.start() :])
    if text[:1] in (b"{", b"[") and _is_jwk_json(text):
        return KeyText("jwk", "the key is a JWK or JWK Set in JSON text", text)
    der = _der_element(raw)
    if der is not None and _is_der_key(der):
        return KeyText("der", "the key is DER of a key or certificate", der)
    return None


def _leading(raw: bytes) -> int:
    """How many bytes of byte order marks and white space the bytes start with."""
    match = _LEADING.match(raw)
    assert match is not None  # zero or more of them: it always matches
    return match.end()


def _der_element(raw: bytes) -> bytes | None:
    """The ASN.1 SEQUENCE the bytes hold, after any byte order mark and white space.

    Every DER key and certificate is one SEQUENCE (tag 0x30). Its length
    field (X.690 §8.1.3) says where it ends, so white space around it can be
    told from its own bytes, which may be white-space values too.
    """
    start = _leading(raw)
    element = _element(raw, start, len(raw))
    if element is None or element[0] != 0x30 or raw[element[3] :].strip(_WHITE_SPACE):
        return None
    return raw[start : element[3]]


def _armour(text: bytes) -> KeyText | None:
    if b"BEGIN SSH2 PUBLIC KEY" in text:
        return KeyText("rfc4716", "the key is an SSH2 public key file (RFC 4716)", text)
    if b"-----BEGIN" in text:
        return KeyText("pem", "the key is PEM text", text)
    if _ARMOUR.search(text) is not None:
        return KeyText("armour", "the key has key armour that is not standard PEM (check its dashes)", text)
    return None


def _is_jwk_json(text: bytes) -> bool:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return False
    if isinstance(value, dict):
        return "kty" in value or "keys" in value
    return isinstance(value, list) and any(isinstance(item, dict) and "kty" in item for item in value)


def _is_der_key(der: bytes) -> bool:
    form = der_form(der)
    if form.refused is not None or form.encrypted or form.ml_dsa is not None:
        # A key all the same, told from its bytes: cryptography would warn loading it, or (ML-DSA
        # before release 48) cannot load it at all, and it must not become a secret for that.
        return True
    try:
        return load_der(der, None) is not None
    except TypeError:  # an encrypted private key: a key all the same
        return True


def load_der(der: bytes, password: bytes | None) -> object | None:
    """The private key, public key or certificate DER holds, or None; TypeError for a missing or surplus password."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    loaders = (
        lambda: serialization.load_der_private_key(der, password),
        lambda: serialization.load_der_public_key(der),
        lambda: x509.load_der_x509_certificate(der),
    )
    for load in loaders:
        try:
            return load()
        except (ValueError, UnsupportedAlgorithm):
            continue
    return None


def _base64_decoded(raw: bytes) -> bytes | None:
    """Standard base64 or base64url, with any padding or none, white space ignored; else None.

    Any run of ``=`` at the end is taken as padding: a lenient decoder reads
    the key through an extra ``=`` too.
    """
    compact = raw[_leading(raw) :].translate(None, _WHITE_SPACE)
    if len(compact) < _MIN_WRAPPED_LENGTH:
        return None
    body = compact.rstrip(b"=")
    # bytes.translate with a delete set: one pass, no backtracking.
    if not body.translate(None, _B64_STANDARD):
        standard = body
    elif not body.translate(None, _B64_URL):
        standard = body.translate(_URL_TO_STANDARD)
    else:
        return None
    try:  # a length of 4n + 1 is no base64: strict mode refuses it
        return binascii.a2b_base64(standard + b"=" * (-len(standard) % 4), strict_mode=True)
    except binascii.Error:
        return None


# --- Facts read from a key's own bytes, before cryptography parses them -------
#
# Two decisions must not depend on the installed cryptography release: a
# loader of a key type it deprecates (DSA, finite-field Diffie-Hellman) emits
# a CryptographyDeprecationWarning, which a user's test suite may turn into an
# error; and how it reports a missing or surplus password has changed between
# releases. Both are read here from the structure of the input instead.

# AlgorithmIdentifier OIDs (content bytes) of key types JOSE never signs with
# and cryptography deprecates; they are refused without being loaded.
_REFUSED_KEY_OIDS: dict[bytes, str] = {
    bytes.fromhex("2a8648ce380401"): "DSA",  # 1.2.840.10040.4.1, id-dsa (RFC 3279 §2.3.2)
    bytes.fromhex("2a8648ce3e0201"): "Diffie-Hellman",  # 1.2.840.10046.2.1, dhpublicnumber (RFC 3279 §2.3.3)
    bytes.fromhex("2a864886f70d010301"): "Diffie-Hellman",  # 1.2.840.113549.1.3.1, dhKeyAgreement (PKCS #3)
}
_REFUSED_PEM_LABELS: dict[str, str] = {"DSA PRIVATE KEY": "DSA", "DH PRIVATE KEY": "Diffie-Hellman"}
_REFUSED_SSH_TYPES: dict[bytes, str] = {b"ssh-dss": "DSA"}
_OPENSSH_MAGIC = b"openssh-key-v1\x00"  # OpenSSH's PROTOCOL.key
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]{1,64})-----(.*?)-----END \1-----", re.DOTALL)
_MAX_CHILDREN = 16


class KeyForm(NamedTuple):
    """What a key's bytes say about it, without loading it.

    Attributes:
        refused: The name of a key type minijwt refuses without loading it
            (``"DSA"``, ``"Diffie-Hellman"``), or ``None``.
        encrypted: True for an encrypted private key, False for a private key
            that is not encrypted, None when the bytes do not say (a public
            key, a certificate, or a form not recognised).
        ml_dsa: The ML-DSA parameter set its algorithm identifier names
            (``"ML-DSA-65"``), or ``None``: such a key is a key whatever the
            installed ``cryptography`` can load.
    """

    refused: str | None
    encrypted: bool | None
    ml_dsa: str | None = None


def der_form(der: bytes) -> KeyForm:
    """The key form of DER bytes: a SubjectPublicKeyInfo, a PKCS #8 key, a certificate."""
    top = _element(der, 0, len(der))
    if top is None or top[0] != 0x30:
        return KeyForm(None, None)
    items = _children(der, top[2], top[3])
    tags = [item[0] for item in items]
    if tags == [0x30, 0x04]:  # EncryptedPrivateKeyInfo (RFC 5958 §3)
        return KeyForm(None, True)
    if tags[:2] == [0x30, 0x03]:  # SubjectPublicKeyInfo (RFC 5280 §4.1.2.7)
        return _key_form(der, items[0], None)
    if tags[:3] == [0x02, 0x30, 0x04]:  # OneAsymmetricKey (RFC 5958 §2)
        return _key_form(der, items[1], False)
    if len(tags) == 6 and all(tag == 0x02 for tag in tags) and der[items[0][2] : items[0][3]] == b"\x00":
        # OpenSSL's traditional DSA private key: version 0, p, q, g, y, x.
        return KeyForm("DSA", False)
    if tags == [0x30, 0x30, 0x03]:  # Certificate (RFC 5280 §4.1): its TBSCertificate
        tbs = _children(der, items[0][2], items[0][3])
        if tbs and tbs[0][0] == 0xA0:  # the explicit version, when present
            tbs = tbs[1:]
        # serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
        if len(tbs) >= 6 and tbs[5][0] == 0x30:
            inner = der_form(der[tbs[5][1] : tbs[5][3]])
            return KeyForm(inner.refused, None, inner.ml_dsa)
    return KeyForm(None, None)


def pem_form(text: bytes) -> KeyForm:
    """The key form of the first PEM block in ``text`` (RFC 7468; RFC 1421 headers)."""
    match = _PEM_BLOCK.search(text)
    if match is None:
        return KeyForm(None, None)
    label, body = match.group(1).decode("ascii"), match.group(2)
    if label in _REFUSED_PEM_LABELS:
        return KeyForm(_REFUSED_PEM_LABELS[label], None)
    if label == "ENCRYPTED PRIVATE KEY":
        return KeyForm(None, True)
    if label == "OPENSSH PRIVATE KEY":
        return _openssh_form(body)
    if b":" in body:  # RFC 1421 headers: "Proc-Type: 4,ENCRYPTED" marks an encrypted key
        return KeyForm(None, True if b"ENCRYPTED" in body.split(b"\n\n", 1)[0] else None)
    try:
        der = binascii.a2b_base64(body)
    except binascii.Error:
        return KeyForm(None, None)
    form = der_form(der)
    if label.endswith("PRIVATE KEY") and form.encrypted is None and form.refused is None:
        return KeyForm(None, False, form.ml_dsa)  # "RSA PRIVATE KEY", "EC PRIVATE KEY" without headers
    return form


def ssh_form(line: bytes) -> KeyForm:
    """The key form of an OpenSSH public key line (from its key type on)."""
    return KeyForm(_REFUSED_SSH_TYPES.get(line.split(None, 1)[0] if line.strip() else b""), None)


def _openssh_form(body: bytes) -> KeyForm:
    # PROTOCOL.key: magic, string ciphername, string kdfname, string
    # kdfoptions, uint32 number of keys, string public key (whose first
    # field is the key type), ...
    try:
        blob = binascii.a2b_base64(body)
    except binascii.Error:
        return KeyForm(None, None)
    if not blob.startswith(_OPENSSH_MAGIC):
        return KeyForm(None, None)
    fields: list[bytes] = []
    pos = len(_OPENSSH_MAGIC)
    for size in (None, None, None, 4, None):
        if size is None:
            length = int.from_bytes(blob[pos : pos + 4], "big")
            pos += 4
        else:
            length = size
        if pos + length > len(blob):
            return KeyForm(None, None)
        fields.append(blob[pos : pos + length])
        pos += length
    cipher, public = fields[0], fields[4]
    key_type = public[4 : 4 + int.from_bytes(public[:4], "big")]
    return KeyForm(_REFUSED_SSH_TYPES.get(key_type), cipher != b"none")


def _element(data: bytes, pos: int, limit: int) -> tuple[int, int, int, int] | None:
    """(tag, start, value start, end) of the DER element at ``pos`` (X.690 §8.1), or None."""
    if pos + 2 > limit:
        return None
    first = data[pos + 1]
    if first < 0x80:
        value, length = pos + 2, first
    else:
        count = first & 0x7F
        if not 0 < count <= 4:
            return None
        value, length = pos + 2 + count, int.from_bytes(data[pos + 2 : pos + 2 + count], "big")
    end = value + length
    if end > limit:
        return None
    return data[pos], pos, value, end


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    items: list[tuple[int, int, int, int]] = []
    pos = start
    while pos < end and len(items) < _MAX_CHILDREN:
        item = _element(data, pos, end)
        if item is None:
            break
        items.append(item)
        pos = item[3]
    return items


def _key_form(der: bytes, algorithm: tuple[int, int, int, int], encrypted: bool | None) -> KeyForm:
    """A key's form from its AlgorithmIdentifier: a refused type, or an ML-DSA parameter set."""
    parts = _children(der, algorithm[2], algorithm[3])
    if not parts or parts[0][0] != 0x06:
        return KeyForm(None, encrypted)
    oid = der[parts[0][2] : parts[0][3]]
    row = by_oid(oid)
    return KeyForm(_REFUSED_KEY_OIDS.get(oid), encrypted, None if row is None else row.alg)
