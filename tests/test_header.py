"""The protected header's own rules (RFC 7515 §4.1.11, RFC 7797 §3, §6), one by one."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

from minijwt import DecodeError, EncodeError, InvalidAlgorithmError, InvalidOptionError, jws
from minijwt._base64url import b64encode
from minijwt._header import (
    check_b64,
    check_crit,
    check_understood,
    freeze,
    mutable_copy,
    parse_header_uncached,
    understood_extensions,
)

SECRET = b"0123456789abcdef0123456789abcdef"

# Every parameter RFC 7515 §4.1 defines for a JWS header, "crit" itself included.
REGISTERED = ["alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"]


def _segment(header: dict[str, Any]) -> str:
    return b64encode(json.dumps(header).encode())


@pytest.mark.parametrize("name", REGISTERED)
def test_crit_never_lists_a_registered_parameter_when_verifying(name: str) -> None:
    header: dict[str, Any] = {"alg": "HS256"} if name in {"alg", "crit"} else {"alg": "HS256", name: "x"}
    header["crit"] = [name]  # the header has every parameter it lists, "crit" included
    with pytest.raises(DecodeError, match="registered"):
        parse_header_uncached(_segment(header))
    with pytest.raises(DecodeError, match="registered"):
        jws.verify(_segment(header) + ".e30.AAAA", SECRET, algorithms=["HS256"], crit=["ext"])


@pytest.mark.parametrize("name", REGISTERED)
def test_crit_never_lists_a_registered_parameter_when_signing(name: str) -> None:
    headers: dict[str, Any] = {"crit": [name]} if name in {"alg", "crit"} else {"crit": [name], name: "x"}
    with pytest.raises(EncodeError, match="registered"):
        jws.sign(b"x", SECRET, "HS256", headers=headers)


@pytest.mark.parametrize("name", REGISTERED)
def test_a_registered_parameter_is_never_a_declared_extension(name: str) -> None:
    with pytest.raises(InvalidOptionError, match="registered"):
        understood_extensions([name])
    with pytest.raises(InvalidOptionError, match="registered"):
        understood_extensions(["ext", name])


def test_crit_may_list_an_extension_the_header_has() -> None:
    header = {"alg": "HS256", "crit": ["ext"], "ext": 1}
    assert check_crit(header, DecodeError) == frozenset({"ext"})
    assert parse_header_uncached(_segment(header)).extensions == frozenset({"ext"})
    token = jws.sign(b"x", SECRET, "HS256", headers={"crit": ["ext"], "ext": 1})
    assert jws.verify(token, SECRET, algorithms=["HS256"], crit=["ext"]) == b"x"


@pytest.mark.parametrize(
    ("crit", "error_text"),
    [
        ([], "non-empty list"),
        ((), "non-empty list"),
        ("ext", "non-empty list"),
        (None, "non-empty list"),
        ({"ext": 1}, "non-empty list"),
        (["ext", 1], "only strings"),
        (["ext", "ext"], "twice"),
        (["ext", "missing"], "not in the header"),
    ],
)
@pytest.mark.parametrize("error", [DecodeError, EncodeError])
def test_crit_structure(crit: object, error_text: str, error: type[DecodeError] | type[EncodeError]) -> None:
    with pytest.raises(error, match=error_text):
        check_crit({"alg": "HS256", "crit": crit, "ext": 1}, error)


def test_a_tuple_crit_is_a_list() -> None:
    # A frozen header holds its lists as tuples.
    assert check_crit(freeze({"alg": "HS256", "crit": ["ext"], "ext": 1}), DecodeError) == frozenset({"ext"})
    assert check_b64(freeze({"alg": "HS256", "crit": ["b64"], "b64": False}), DecodeError) is False


def test_b64_is_native_and_not_an_extension() -> None:
    assert check_crit({"alg": "HS256", "crit": ["b64"], "b64": False}, DecodeError) == frozenset()
    assert check_crit({"alg": "HS256", "crit": ["b64", "ext"], "b64": True, "ext": 1}, DecodeError) == {"ext"}


@pytest.mark.parametrize("error", [DecodeError, EncodeError])
def test_b64_must_be_a_boolean_listed_in_crit(error: type[DecodeError] | type[EncodeError]) -> None:
    assert check_b64({"alg": "HS256"}, error) is True
    assert check_b64({"alg": "HS256", "b64": True, "crit": ["b64"]}, error) is True
    assert check_b64({"alg": "HS256", "b64": False, "crit": ["b64"]}, error) is False
    for value in (0, 1, "false", None):
        with pytest.raises(error, match="true or false"):
            check_b64({"alg": "HS256", "b64": value, "crit": ["b64"]}, error)
    for crit in (None, "b64", ["ext"]):
        with pytest.raises(error, match="crit"):
            check_b64({"alg": "HS256", "b64": False, "crit": crit}, error)


def test_an_extension_not_understood_is_refused() -> None:
    check_understood(frozenset(), frozenset())
    check_understood(frozenset({"a"}), frozenset({"a", "b"}))
    with pytest.raises(DecodeError, match="'b'"):
        check_understood(frozenset({"a", "b"}), frozenset({"a"}))
    with pytest.raises(DecodeError, match="'a'"):
        check_understood(frozenset({"a", "b"}), frozenset())


@pytest.mark.parametrize("crit", ["ext", b"ext", 1, None, [""], ["ext", 2]])
def test_declared_extensions_are_a_list_of_names(crit: object) -> None:
    with pytest.raises(InvalidOptionError):
        understood_extensions(crit)


def test_declared_extensions() -> None:
    assert understood_extensions(()) == frozenset()
    assert understood_extensions([]) == frozenset()
    assert understood_extensions(["a", "b", "a"]) == frozenset({"a", "b"})
    assert understood_extensions(("a",)) == frozenset({"a"})


def test_a_parsed_header_is_read_only_all_the_way_down() -> None:
    header = freeze({"alg": "HS256", "x": {"y": [1, {"z": 2}]}, "s": "t"})
    assert isinstance(header, MappingProxyType)
    assert isinstance(header["x"], MappingProxyType)
    assert header["x"]["y"] == (1, MappingProxyType({"z": 2}))
    assert isinstance(header["x"]["y"][1], MappingProxyType)
    flat = freeze({"alg": "HS256", "list": [1]})
    assert flat["list"] == (1,)
    assert mutable_copy(header) == {"alg": "HS256", "x": {"y": [1, {"z": 2}]}, "s": "t"}
    copy = mutable_copy(header)
    assert type(copy["x"]) is dict
    assert type(copy["x"]["y"]) is list
    assert type(copy["x"]["y"][1]) is dict


def test_the_header_needs_alg() -> None:
    with pytest.raises(InvalidAlgorithmError, match="no 'alg'"):
        parse_header_uncached(_segment({"typ": "JWT"}))
    with pytest.raises(InvalidAlgorithmError):
        parse_header_uncached(_segment({"alg": None}))


@pytest.mark.parametrize("algorithm", [["HS256"], {"HS256": 1}, {"HS256"}, None, 256])
@pytest.mark.parametrize("headers", [None, {"kid": "k"}])
def test_an_algorithm_that_is_not_a_string_is_an_encode_error(algorithm: object, headers: object) -> None:
    with pytest.raises(EncodeError, match="must be a string"):
        jws.sign(b"x", SECRET, algorithm, headers=headers)  # type: ignore[arg-type]


def test_remembered_headers_never_confuse_equal_values_of_other_types() -> None:
    # 1, 1.0 and True are equal (and hash alike) in Python, but not in JSON.
    for value in (1, 1.0, True, 1, True, 1.0, "1"):
        segment = jws.sign(b"x", SECRET, "HS256", headers={"x": value}).split(".")[0]
        parsed = parse_header_uncached(segment).header["x"]
        assert (type(parsed), parsed) == (type(value), value)
