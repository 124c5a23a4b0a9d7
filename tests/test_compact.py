"""The compact serialization's own rules (RFC 7515 §7.1): size, shape, order of checks."""

from __future__ import annotations

import base64

import pytest

import minijwt
from minijwt import DecodeError, InvalidAlgorithmError, InvalidOptionError, jws
from minijwt._compact import DEFAULT_MAX_TOKEN_SIZE, as_text, check_max_token_size, parse_jws, parse_jwt, split

SECRET = b"0123456789abcdef0123456789abcdef"
HS256 = frozenset({"HS256"})


@pytest.fixture(scope="module")
def token() -> str:
    return jws.sign(b"payload", SECRET, "HS256")


@pytest.mark.parametrize("kind", [str, bytes])
def test_a_token_of_exactly_the_maximum_size_is_accepted_and_one_more_character_is_not(
    token: str, kind: type[str] | type[bytes]
) -> None:
    text: str | bytes = token if kind is str else token.encode()
    size = len(token)
    assert parse_jwt(text, HS256, size)[4] == b"payload"
    assert parse_jws(text, HS256, size, frozenset(), None)[4] == b"payload"
    assert as_text(text, size) == token
    with pytest.raises(DecodeError, match=f"longer than the limit of {size - 1}"):
        parse_jwt(text, HS256, size - 1)
    with pytest.raises(DecodeError, match=f"longer than the limit of {size - 1}"):
        parse_jws(text, HS256, size - 1, frozenset(), None)
    with pytest.raises(DecodeError, match="longer than the limit"):
        as_text(text, size - 1)


def test_the_maximum_size_applies_to_every_verifying_function(token: str) -> None:
    size = len(token)
    assert jws.verify(token, SECRET, algorithms=["HS256"], max_token_size=size) == b"payload"
    with pytest.raises(DecodeError, match="longer than the limit"):
        jws.verify(token, SECRET, algorithms=["HS256"], max_token_size=size - 1)
    claims = minijwt.encode({"sub": "a"}, SECRET, algorithm="HS256")
    assert minijwt.decode(claims, SECRET, algorithms=["HS256"], max_token_size=len(claims)) == {"sub": "a"}
    with pytest.raises(DecodeError, match="longer than the limit"):
        minijwt.decode(claims, SECRET, algorithms=["HS256"], max_token_size=len(claims) - 1)


def test_the_default_maximum_size_is_256_kib() -> None:
    assert DEFAULT_MAX_TOKEN_SIZE == 262_144
    header = jws.sign(b"", SECRET, "HS256").split(".")[0]
    fits = header + "." + "A" * (DEFAULT_MAX_TOKEN_SIZE - len(header) - 3) + ".!"
    assert len(fits) == DEFAULT_MAX_TOKEN_SIZE
    # One more character is refused for its size, not for what it holds.
    with pytest.raises(DecodeError, match="longer than the limit"):
        jws.verify(fits + "A", SECRET, algorithms=["HS256"])
    with pytest.raises(DecodeError, match="signature") as refused:
        jws.verify(fits, SECRET, algorithms=["HS256"])
    assert "longer than the limit" not in str(refused.value)


@pytest.mark.parametrize("value", [1, 2, 10**9])
def test_max_token_size_is_any_positive_integer(value: int) -> None:
    assert check_max_token_size(value) == value


@pytest.mark.parametrize("value", [0, -1, True, 1.0, "100", None])
def test_max_token_size_is_never_zero_negative_or_not_an_integer(value: object) -> None:
    with pytest.raises(InvalidOptionError, match="positive integer"):
        check_max_token_size(value)


# Protected headers: a JWE's (RFC 7516 §4.1.2: "enc" is required) and a JWS's.
JWE_HEADER = "eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ"  # {"alg":"RSA-OAEP","enc":"A256GCM"}
JWS_HEADER = "eyJhbGciOiJIUzI1NiJ9"  # {"alg":"HS256"}
PASTED = "two tokens pasted together"


@pytest.mark.parametrize(
    ("text", "error_text"),
    [
        ("a.b", "3 segments"),
        ("a.b.c.d", "has 4"),
        (f"{JWE_HEADER}.b.c.d.e", "it is a JWE"),
        ("a.b.c.d.e", r"but has 5$"),
        (' {"payload": "e30"}', "JSON serialization"),
        ("", "has 1$"),
        (f"{JWS_HEADER}.e30.AAAA {JWS_HEADER}.e30.AAAA", rf"but has 5 \({PASTED}\?\)$"),
        (f"{JWS_HEADER}.e30.AAAA{JWS_HEADER}.e30.AAAA", rf"but has 5 \({PASTED}\?\)$"),
        (f"{JWS_HEADER}.e30.AAAA.{JWS_HEADER}.e30.AAAA", rf"but has 6 \({PASTED}\?\)$"),
        ("eyJhbGciOiJSU0EtT0FFUCJ9.a.b.c.d", rf"but has 5 \({PASTED}\?\)$"),  # a header without "enc"
        (f"{JWE_HEADER}.b.c.d.e.f", rf"but has 6 \({PASTED}\?\)$"),
        ("a.b.c.d.e.f", r"but has 6$"),
        ("a.b.c.d.e.f.g", r"but has 7$"),
    ],
)
def test_other_shapes_are_explained(text: str, error_text: str) -> None:
    with pytest.raises(DecodeError, match=error_text):
        split(text)
    with pytest.raises(DecodeError, match=error_text):
        parse_jwt(text, HS256, 1000)
    with pytest.raises(DecodeError, match=error_text):
        parse_jws(text, HS256, 1000, frozenset(), None)


@pytest.mark.parametrize("first", [JWE_HEADER, JWS_HEADER])
def test_only_a_header_in_the_first_segment_is_described(first: str) -> None:
    """Two tokens pasted together are not a JWE, and a JWE's is the only header with "enc"."""
    for text in (f"{first}.b.c.d.e", f"{first}.b.c.d.e.f"):
        with pytest.raises(DecodeError) as caught:
            split(text)
        said_jwe = "JWE" in caught.value.message
        said_pasted = PASTED in caught.value.message
        assert said_jwe == (first == JWE_HEADER and text.count(".") == 4)
        assert said_pasted != said_jwe
    # A first segment too long to be a real header is not decoded at all.
    long_header = base64.urlsafe_b64encode(b'{"enc": "' + b"x" * 4096 + b'"}').rstrip(b"=").decode()
    with pytest.raises(DecodeError, match=r"but has 5$"):
        split(f"{long_header}.b.c.d.e")


def test_three_segments_split() -> None:
    assert split("a.b.c") == ("a", "b", "c")


def test_the_algorithm_is_checked_before_the_signature_and_payload(token: str) -> None:
    header, _, _ = token.split(".")
    for broken in (f"{header}.e30.!!", f"{header}.!!.AAAA"):
        with pytest.raises(InvalidAlgorithmError, match="not in the allowed"):
            parse_jwt(broken, frozenset({"HS384"}), 1000)
        with pytest.raises(InvalidAlgorithmError, match="not in the allowed"):
            parse_jws(broken, frozenset({"HS384"}), 1000, frozenset(), None)
        with pytest.raises(DecodeError):
            parse_jwt(broken, HS256, 1000)


def test_the_signing_input_is_the_header_and_payload_segments(token: str) -> None:
    header, payload, _ = token.split(".")
    expected = f"{header}.{payload}".encode()
    assert parse_jwt(token, HS256, 1000)[2] == expected
    assert parse_jws(token, HS256, 1000, frozenset(), None)[2] == expected


def test_a_header_longer_than_the_cache_limit_is_parsed_every_time() -> None:
    from minijwt._header import HEADER_CACHE_MAX_LENGTH

    token = jws.sign(b"payload", SECRET, "HS256", headers={"kid": "k" * HEADER_CACHE_MAX_LENGTH})
    header = token.split(".")[0]
    assert len(header) > HEADER_CACHE_MAX_LENGTH
    minijwt.clear_caches()
    for _ in range(2):
        assert parse_jwt(token, HS256, 10_000)[0]["kid"] == "k" * HEADER_CACHE_MAX_LENGTH
        assert parse_jws(token, HS256, 10_000, frozenset(), None)[4] == b"payload"
        assert jws.verify(token, SECRET, algorithms=["HS256"]) == b"payload"
    assert minijwt.cache_info()["header.parse"].size == 0
    with pytest.raises(InvalidAlgorithmError, match="not in the allowed"):
        parse_jwt(token, frozenset({"HS384"}), 10_000)
    broken = header[:-2] + "!!." + token.split(".", 1)[1]
    with pytest.raises(DecodeError, match="header"):
        parse_jwt(broken, HS256, 10_000)
