"""Strict base64url (RFC 7515 §2, RFC 4648 §5)."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minijwt import DecodeError
from minijwt._base64url import b64decode, b64encode


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        (b"", ""),
        (b"f", "Zg"),
        (b"fo", "Zm8"),
        (b"foo", "Zm9v"),
        (b"\xfb\xff", "-_8"),
        # RFC 7515 Appendix C example: bytes 3, 236, 255, 224, 193 -> "A-z_4ME"
        (bytes([3, 236, 255, 224, 193]), "A-z_4ME"),
    ],
)
def test_known_values(raw: bytes, encoded: str) -> None:
    assert b64encode(raw) == encoded
    assert b64decode(encoded) == raw


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Zg==", "padding"),
        ("Zm8=", "padding"),
        ("+/8", "standard alphabet"),
        ("Zm 9v", "inner space"),
        ("Zm9v\n", "trailing newline"),
        (" Zm9v", "leading space"),
        ("Zm9v\t", "tab"),
        ("Zé9v", "non-ASCII"),
        ("\uff3a\uff4d\uff19\uff56", "full-width digits and letters"),
        ("Z", "impossible length 1"),
        ("Zm9vY", "impossible length 5"),
        ("Zh", "non-zero spare bits (2 chars)"),
        ("Zm9", "non-zero spare bits (3 chars)"),
        ("A-z_4MF", "non-zero spare bits at the end of a longer text"),
        ("Zm9v.", "dot"),
        ("Zm9v\x00", "NUL"),
    ],
)
def test_rejects_non_canonical(text: str, reason: str) -> None:
    with pytest.raises(DecodeError):
        b64decode(text)


def test_error_names_the_segment() -> None:
    with pytest.raises(DecodeError, match="signature"):
        b64decode("Zg==", "signature")


@given(st.binary(max_size=300))
def test_round_trip(data: bytes) -> None:
    encoded = b64encode(data)
    assert "=" not in encoded
    assert b64decode(encoded) == data


@given(st.text(max_size=40))
def test_only_canonical_text_decodes(text: str) -> None:
    """Any text either fails with DecodeError or is the one encoding of its bytes."""
    try:
        data = b64decode(text)
    except DecodeError:
        return
    assert b64encode(data) == text


@given(st.binary(min_size=1, max_size=60))
def test_padded_or_standard_alphabet_is_rejected(data: bytes) -> None:
    standard = base64.b64encode(data).decode("ascii")
    if "=" in standard or "+" in standard or "/" in standard:
        with pytest.raises(DecodeError):
            b64decode(standard)


ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


@pytest.mark.parametrize("value", range(64))
def test_any_character_of_the_alphabet_may_end_an_encoding(value: int) -> None:
    # The unpadded encoding of 3, 2 and 1 bytes whose last 6, 4 and 2 bits select each character in turn.
    assert b64encode(bytes([0, 0, value])) == "AAA" + ALPHABET[value]
    assert b64decode("AAA" + ALPHABET[value]) == bytes([0, 0, value])
    assert b64encode(bytes([value << 2])) == ALPHABET[value] + "A"


@pytest.mark.parametrize("spare_bit", [0x01, 0x02, 0x04, 0x08])
def test_each_spare_bit_of_a_two_character_quantum_is_refused(spare_bit: int) -> None:
    # 2 characters carry 1 byte: 12 bits, the low 4 bits of the second character are spare.
    for first in "AQgw":
        for high in (0x00, 0x10, 0x20, 0x30):
            canonical = first + ALPHABET[high]
            assert b64encode(b64decode(canonical)) == canonical
            with pytest.raises(DecodeError, match="spare bits"):
                b64decode(first + ALPHABET[high | spare_bit])
            with pytest.raises(DecodeError, match="spare bits"):
                b64decode("AAAA" + first + ALPHABET[high | spare_bit])


@pytest.mark.parametrize("spare_bit", [0x01, 0x02])
def test_each_spare_bit_of_a_three_character_quantum_is_refused(spare_bit: int) -> None:
    # 3 characters carry 2 bytes: 18 bits, the low 2 bits of the third character are spare.
    for high in range(0, 64, 4):
        canonical = "AA" + ALPHABET[high]
        assert b64encode(b64decode(canonical)) == canonical
        with pytest.raises(DecodeError, match="spare bits"):
            b64decode("AA" + ALPHABET[high | spare_bit])
        with pytest.raises(DecodeError, match="spare bits"):
            b64decode("AAAAAA" + ALPHABET[high | spare_bit])


@pytest.mark.parametrize("length", [1, 5, 9])
def test_a_length_of_one_more_than_a_multiple_of_four_is_refused(length: int) -> None:
    with pytest.raises(DecodeError, match="length"):
        b64decode("A" * length)
    assert b64decode("A" * (length - 1)) == bytes((length - 1) // 4 * 3)
