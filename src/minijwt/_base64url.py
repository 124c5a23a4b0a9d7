"""Strict base64url without padding (RFC 7515 §2, RFC 4648 §5).

The decoder accepts exactly one spelling of every byte string: the alphabet
``A-Z a-z 0-9 - _``, no ``=`` padding, no white space, no length that no
encoder can produce (``len % 4 == 1``) and no non-zero bits after the last
whole byte. Anything else is a :class:`~minijwt.errors.DecodeError`. A single
canonical form means that any change to a token's text changes the bytes it
decodes to, so a signature cannot survive an edit to an encoded segment.
"""

from __future__ import annotations

import binascii

from .errors import DecodeError

__all__ = ["b64decode", "b64encode"]

# Value of each alphabet character, to check the bits left over after the
# last whole byte: with 2 characters in the last quantum the low 4 bits of the
# second must be zero, with 3 characters the low 2 bits of the third.
_VALUE = {c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")}
_PAD = (b"", b"", b"==", b"=")
# base64url to standard base64 for the C decoder. "+", "/" and "=" become
# "*", which the strict decoder refuses like any other character outside the
# alphabet: one pass checks them all.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/***")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_SPARE_BITS_MASK = (0, 0, 0x0F, 0x03)


def b64encode(data: bytes) -> str:
    """Encode bytes as base64url text without padding."""
    # binascii directly: base64.urlsafe_b64encode adds two Python-level calls.
    return binascii.b2a_base64(data, newline=False).translate(_TO_URLSAFE).rstrip(b"=").decode("ascii")


def b64decode(text: str, what: str = "segment") -> bytes:
    """Decode unpadded base64url text, accepting only the canonical form; ``what`` names it in errors."""
    # Every character outside the URL-safe alphabet ("+", "/", "=", white
    # space, ".", non-ASCII ...) is refused by the strict decoder below.
    rem = len(text) % 4
    if rem == 1:
        raise DecodeError(f"{what} is not base64url: its length is impossible")
    if rem and _VALUE.get(text[-1], 0) & _SPARE_BITS_MASK[rem]:
        raise DecodeError(f"{what} is not canonical base64url: its last character has non-zero spare bits")
    try:
        return binascii.a2b_base64(text.encode("ascii").translate(_TO_STANDARD) + _PAD[rem], strict_mode=True)
    except (UnicodeEncodeError, binascii.Error):
        raise DecodeError(f"{what} is not base64url: only A-Z a-z 0-9 - _ are allowed, without padding") from None
