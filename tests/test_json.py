"""Strict JSON for headers and payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from strategies import json_values

from minijwt import DecodeError, EncodeError
from minijwt._json import dumps, loads, loads_object


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'\xef\xbb\xbf{"a":1}', "byte order mark"),
        (b'{"a":"\xff"}', "UTF-8"),
        (b'{"a":"\xed\xa0\x80"}', "UTF-8"),  # an encoded surrogate is not UTF-8
        (b'{"a":"\xc0\xaf"}', "UTF-8"),  # overlong encoding of '/'
        (b'{"a":1,"a":2}', "duplicate"),
        (b'{"a":{"b":1,"b":1}}', "duplicate"),
        (b'[{"x":1,"x":1}]', "duplicate"),
        (b'{"a":NaN}', "NaN"),
        (b'{"a":Infinity}', "Infinity"),
        (b'{"a":-Infinity}', "Infinity"),
        (b'{"a":1e999}', "too large"),
        (b'{"a":-1e999}', "too large"),
        (b'{"a":' + b"9" * 5000 + b"}", "digits"),
        (b"[" * 100_000 + b"]" * 100_000, "nested"),
        (b'{"a":1', "valid JSON"),
        (b"", "valid JSON"),
        (b'{"a":1} x', "valid JSON"),
        (b"{'a':1}", "valid JSON"),
    ],
)
def test_rejects(data: bytes, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        loads(data, "header")


@pytest.mark.parametrize("data", [b"[]", b"1", b'"x"', b"null", b"true"])
def test_object_required(data: bytes) -> None:
    with pytest.raises(DecodeError, match="not a JSON object"):
        loads_object(data, "payload")


def test_accepts_unicode_and_big_numbers() -> None:
    data = '{"name":"Zoë ☃ 𝄞","big":123456789012345678901234567890,"f":1.5e300}'.encode()
    assert loads_object(data, "payload") == {"name": "Zoë ☃ 𝄞", "big": 123456789012345678901234567890, "f": 1.5e300}


def test_dumps_is_compact_and_keeps_order() -> None:
    assert dumps({"b": 1, "a": [1, 2], "é": "☃"}, "claims") == '{"b":1,"a":[1,2],"é":"☃"}'.encode()


@pytest.mark.parametrize(
    "value",
    [
        {"a": float("nan")},
        {"a": float("inf")},
        {"a": object()},
        {"a": b"bytes"},
        {"a": "\ud800"},
        {("tuple", "key"): 1},
    ],
)
def test_dumps_rejects(value: Any) -> None:
    with pytest.raises(EncodeError):
        dumps(value, "claims")


def test_dumps_rejects_cycles_and_deep_nesting() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(EncodeError):
        dumps(cycle, "claims")
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(EncodeError):
        dumps(deep, "claims")


@given(json_values)
def test_round_trip(value: Any) -> None:
    encoded = dumps(value, "payload")
    assert encoded == dumps(value, "payload")  # deterministic
    decoded = loads(encoded, "payload")
    assert json.dumps(decoded, sort_keys=True) == json.dumps(value, sort_keys=True)


@pytest.mark.parametrize("data", [b"{1", b'{"a"', b"{[1]", b"{null", b'{"a":1}x', b'{"a":1}{}', b'{"a":1} x'])
def test_an_object_is_one_whole_object(data: bytes) -> None:
    # An opening brace before some other value, or an object followed by more text, is not one JSON object.
    with pytest.raises(DecodeError, match="not valid JSON"):
        loads_object(data, "payload")


@pytest.mark.parametrize("data", [b' {"a":1}', b'{"a":1} ', b'\n\t{"a":1}\r\n', b" {} "])
def test_white_space_around_an_object_is_allowed(data: bytes) -> None:
    assert loads_object(data, "payload") == json.loads(data)


@pytest.mark.parametrize(
    "data",
    [
        b'"\\ud800"',
        b'["\\udfff"]',
        b'{"a":"\\ud800"}',
        b' {"a":"\\ud800"}',
        b'{"\\udbff":1} ',
        b'{"a":[{"b":"x\\uDC00"}]}',
    ],
)
def test_an_escaped_lone_surrogate_is_refused_whatever_the_shape(data: bytes) -> None:
    with pytest.raises(DecodeError, match="surrogate"):
        loads(data, "payload")
    if data.strip().startswith(b"{"):
        with pytest.raises(DecodeError, match="surrogate"):
            loads_object(data, "payload")


def test_an_escaped_surrogate_pair_is_one_character() -> None:
    assert loads(b'["\\ud834\\udd1e"]', "payload") == ["\U0001d11e"]
    assert loads_object(b' {"\\ud834\\udd1e":"\\ud834\\udd1e"}', "payload") == {"\U0001d11e": "\U0001d11e"}
