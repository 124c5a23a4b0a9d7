"""Strict JSON for JOSE headers and payloads.

Reading: UTF-8 only (RFC 8259 §8.1; no byte order mark, no invalid
sequences), an object where one is required, no duplicate member names (RFC
7515 §5.2 lets a recipient reject them, and accepting them lets two parsers
see two different tokens), no ``NaN``/``Infinity`` and no number that
overflows to infinity, no escaped lone surrogate (``"\\ud800"``, RFC 7493
§2.1: such a string is not Unicode text and cannot be encoded again), and no
crash on deep nesting or very long numbers. Integers of any size stay exact.

Writing: compact (no spaces), members in insertion order, UTF-8, and no
``NaN``/``Infinity``, so the same input always gives the same bytes.
"""

from __future__ import annotations

import json
import math
import re
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from .errors import DecodeError, EncodeError

__all__ = ["dumps", "loads_object"]

_BOM = b"\xef\xbb\xbf"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _Rejected(f"duplicate member name {name[:32]!r}")
            seen.add(name)
    return obj


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Rejected("a number is too large to represent")
    return value


def _no_constant(name: str) -> Any:
    raise _Rejected(f"{name} is not JSON")


# RFC 7493 §2.1: strings (names and values) must not hold a surrogate code
# point. Valid UTF-8 cannot carry one, so only a \uXXXX escape can bring it
# in: the parsed value is searched only when the text has an escape that
# could be one (\uD800 to \uDFFF). That test is on every token's path, so it
# is done on the decoded str, a one-character search first (the fastest there
# is), never with bytes.__contains__ (ten times slower on Python 3.11).
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_surrogate(value: Any) -> bool:
    # A loop over a stack, not recursion: the parser accepts nesting as deep
    # as the recursion limit allows.
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            if _SURROGATE.search(item):
                return True
        elif kind is dict:
            for name, member in item.items():
                if _SURROGATE.search(name):
                    return True
                stack.append(member)
        elif kind is list:
            stack.extend(item)
    return False


def _surrogate_error(what: str) -> DecodeError:
    return DecodeError(f"{what} is not acceptable JSON: a string has an escaped lone surrogate (RFC 7493 §2.1)")


class _Rejected(Exception):
    """Raised inside the parser's hooks; turned into a DecodeError."""


_DECODER = json.JSONDecoder(
    object_pairs_hook=_no_duplicates,
    parse_float=_finite_float,
    parse_constant=_no_constant,
)
_SCAN = _DECODER.scan_once  # type: ignore[attr-defined]  # set by JSONDecoder.__init__


def loads_object(data: bytes, what: str) -> dict[str, Any]:
    """Parse UTF-8 JSON text that must be an object, by the rules above; ``what`` names it in errors."""
    # The common case first: an object with no white space around it. Anything
    # else, and every error, goes through loads(), which explains.
    if data[:1] == b"{":
        try:
            text = data.decode("utf-8")
            value, end = _SCAN(text, 0)
        except (ValueError, StopIteration, RecursionError, _Rejected):
            pass  # loads() below reports it
        else:
            if end == len(text):
                if "\\" in text and _SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
                    raise _surrogate_error(what)
                return value  # type: ignore[no-any-return]
    value = loads(data, what)
    if type(value) is not dict:
        raise DecodeError(f"{what} is JSON but not a JSON object")
    return value


def loads(data: bytes, what: str) -> Any:
    """Parse UTF-8 JSON text of any type, by the rules above; ``what`` names it in errors."""
    if data.startswith(_BOM):
        raise DecodeError(f"{what} starts with a byte order mark; JSON in JOSE must not")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DecodeError(f"{what} is not valid UTF-8") from None
    try:
        # The C scanner directly: JSONDecoder.decode adds two regex passes
        # for white space around the value, which tokens do not have. Any
        # other shape (surrounding white space, trailing data, an error) goes
        # through the full decoder, which accepts or explains it.
        try:
            value, end = _SCAN(text, 0)
        except StopIteration:
            value, end = _DECODER.decode(text), len(text)
        if end != len(text):
            value = _DECODER.decode(text)
    except _Rejected as exc:
        raise DecodeError(f"{what} is not acceptable JSON: {exc}") from None
    except RecursionError:
        raise DecodeError(f"{what} is nested too deeply") from None
    except ValueError as exc:
        # json.JSONDecodeError, and int() refusing a number with too many
        # digits (Python's int_max_str_digits guard), are both ValueErrors.
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "a number has too many digits"
        raise DecodeError(f"{what} is not valid JSON: {reason}") from None
    if "\\" in text and _SURROGATE_ESCAPE.search(text) and _has_surrogate(value):
        raise _surrogate_error(what)
    return value


def _not_serializable(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON-serializable")


# The C encoder, built once with the options above; json.dumps() would build
# a new encoder on every call, which costs more than encoding a small header.
# Circular references end in RecursionError instead of a marker check.
_ENCODE: Any = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _not_serializable, encode_basestring, None, ":", ",", False, False, False)
)
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def dumps(value: Any, what: str) -> bytes:
    """Serialize a value as compact, deterministic UTF-8 JSON, dictionaries in their insertion order.

    Anything JSON cannot hold (a foreign type, a non-string key, NaN or
    infinity, a reference cycle, a lone surrogate ...) is an EncodeError.
    """
    try:
        if _ENCODE is not None:
            return "".join(_ENCODE(value, 0)).encode("utf-8")
        return _encode(value).encode("utf-8")  # pragma: no cover - no C accelerator
    except (TypeError, ValueError, RecursionError, UnicodeEncodeError) as exc:
        raise EncodeError(f"{what} cannot be encoded as JSON: {exc}") from None
