"""What is never an HMAC secret: the detector of key text, in every spelling.

A public key is public. Used as an HMAC secret it lets anyone forge tokens
(algorithm confusion, RFC 8725 §2.1), so bytes that are, or wrap, a key in
any format a key is written in are never a secret. They are:

- key armour anywhere: a ``BEGIN``/``END`` marker naming a ``KEY`` or a
  ``CERTIFICATE`` after a dash or at the start of a line, whatever the number
  of dashes or the spacing (PEM, RFC 7468; the SSH2 public key file of
  RFC 4716), and any ``-----BEGIN`` at all;
- an SSH key type anywhere (``ssh-rsa``, ``ssh-ed25519``, ``ssh-ed448``,
  ``ssh-dss``, ``ecdsa-sha2-``, ``sk-ssh-``, ``sk-ecdsa-``): an OpenSSH
  public key, an ``authorized_keys`` line with options before the type;
- JWK or JWK Set JSON, after any byte order mark and white space;
- DER that parses as a private key, public key or certificate;
- base64 or base64url (with any padding or none, white space ignored) of any of these.

:func:`find_key_text` says which, and why; ``SecretKey`` calls
:func:`refuse_key_text` so that no path (text, bytes, a JWK's ``k``) can make
a secret of one. Every check is a single pass over the bytes: substring
tests, regular expressions with bounded repetition, ``bytes.translate``.
"""

from __future__ import annotations

import binascii
import json
import re
from typing import NamedTuple

from cryptography.exceptions import UnsupportedAlgorithm

from .errors import InvalidKeyError

__all__ = ["KeyText", "find_key_text", "refuse_key_text"]


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
    """Refuse bytes that are key text as an HMAC secret.

    Raises:
        InvalidKeyError: The bytes are, or wrap, a key or certificate.
    """
    found = find_key_text(secret)
    if found is not None:
        raise InvalidKeyError(f"{found.reason}; it is never used as an HMAC secret")


def find_key_text(raw: bytes) -> KeyText | None:
    """Whether bytes are (or wrap) a key or certificate, and which kind.

    Args:
        raw: The bytes, as given.

    Returns:
        What was found, or None for bytes that are none of the kinds above.
    """
    found = _direct(raw)
    if found is not None:
        return found
    decoded = _base64_decoded(raw)
    if decoded is not None:
        inner = _direct(decoded)
        if inner is not None:
            return KeyText("wrapped", f"the key is base64 of {_without_article(inner.reason)}", decoded)
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
    if raw[start : start + 1] != b"\x30" or start + 2 > len(raw):
        return None
    first = raw[start + 1]
    if first < 0x80:  # short form: the length itself
        header, length = 2, first
    else:  # long form: that many length bytes follow
        # A count the bytes do not hold, or a length they do not hold, ends
        # past them; any other odd header (no length bytes, leading zeros)
        # is BER, never DER, and cryptography refuses it as a key.
        count = first & 0x7F
        header, length = 2 + count, int.from_bytes(raw[start + 2 : start + 2 + count], "big")
    end = start + header + length
    if end > len(raw) or raw[end:].strip(_WHITE_SPACE):
        return None
    return raw[start:end]


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
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    loaders = (
        lambda: serialization.load_der_private_key(der, None),
        lambda: serialization.load_der_public_key(der),
        lambda: x509.load_der_x509_certificate(der),
    )
    for load in loaders:
        try:
            load()
        except TypeError:  # an encrypted private key: a key all the same
            return True
        except (ValueError, UnsupportedAlgorithm):
            continue
        return True
    return False


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


def _without_article(reason: str) -> str:
    # "the key is PEM text" -> "PEM text", to read "the key is base64 of PEM text".
    prefix = "the key is "
    return reason[len(prefix) :] if reason.startswith(prefix) else reason
