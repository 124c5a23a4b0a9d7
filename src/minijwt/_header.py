"""The JWS protected header: parse, encode, ``crit``, ``b64``, the signing input.

Shared by both serializations. Parsing checks, in RFC 7515 §5.2 order, that
the header is a strict JSON object, that its ``alg`` names a supported
algorithm (``none`` never does), and that ``crit`` lists only extensions the
caller understands. Parsed headers are remembered per header segment (a
service sees the same few over and over) and handed out read-only, nested
values included, so that no caller can change what a later token's header
says it signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ._algorithms import Algorithm, get_algorithm, signing_algorithm
from ._base64url import b64decode, b64encode
from ._cache import memoize
from ._json import dumps, loads_object
from .errors import DecodeError, EncodeError, InvalidAlgorithmError

__all__ = [
    "HEADER_CACHE_MAX_LENGTH",
    "HEADER_CACHE_SIZE",
    "REGISTERED_HEADER_NAMES",
    "ParsedHeader",
    "check_crit",
    "decode_header",
    "encode_header",
    "mutable_copy",
    "parse_header",
    "parse_header_uncached",
    "signing_input",
]

# Header parameters that RFC 7515 §4.1 and RFC 7518 define for JWS. A producer
# must not list them in "crit" (RFC 7515 §4.1.11).
REGISTERED_HEADER_NAMES = frozenset({"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"})

#: Header segments up to this length are parsed once and remembered (in a
#: cache of HEADER_CACHE_SIZE entries). Longer ones, which no real issuer
#: produces, are parsed every time, so the cache holds at most 256 small
#: headers, whatever tokens arrive.
HEADER_CACHE_MAX_LENGTH = 1024
#: How many header segments stay parsed, and how many headers stay encoded.
HEADER_CACHE_SIZE = 256

# Extensions this library implements itself when a header lists them in
# "crit": "b64" (RFC 7797), in its "true" form only until unencoded payloads
# are supported.
_NATIVE_CRITICAL = frozenset({"b64"})


class ParsedHeader(NamedTuple):
    """A checked protected header.

    Attributes:
        header: The header, read-only (nested values too).
        alg: Its algorithm's table row.
    """

    header: Mapping[str, Any]
    alg: Algorithm


def decode_header(segment: str) -> dict[str, Any]:
    """Decode a protected header segment into a new JSON object (unchecked)."""
    return loads_object(b64decode(segment, "header"), "header")


def _freeze(value: Any) -> Any:
    if type(value) is dict:
        return MappingProxyType({name: _freeze(item) for name, item in value.items()})
    if type(value) is list:
        return tuple(_freeze(item) for item in value)
    return value


def mutable_copy(header: Mapping[str, Any]) -> dict[str, Any]:
    """A caller's own copy of a frozen header: dicts and lists again, shared with nothing."""
    return {name: _thaw(value) for name, value in header.items()}


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {name: _thaw(item) for name, item in value.items()}
    if type(value) is tuple:
        return [_thaw(item) for item in value]
    return value


def _parse(segment: str) -> ParsedHeader:
    header = decode_header(segment)
    alg_name = header.get("alg")
    if alg_name is None:
        raise InvalidAlgorithmError("header has no 'alg'")
    alg = get_algorithm(alg_name)
    check_crit(header, _NATIVE_CRITICAL)
    check_b64(header, DecodeError)
    if any(type(value) is dict or type(value) is list for value in header.values()):
        return ParsedHeader(_freeze(header), alg)
    return ParsedHeader(MappingProxyType(header), alg)


#: Parse and check a protected header segment, remembering the result; for
#: segments up to HEADER_CACHE_MAX_LENGTH (callers use parse_header_uncached
#: for longer ones, so that the cache holds only small entries). Raises
#: DecodeError (not canonical base64url, not a strict JSON object, a bad
#: ``crit`` or ``b64``) or InvalidAlgorithmError (``alg`` missing, ``none``
#: or unknown).
parse_header = memoize("header.parse", HEADER_CACHE_SIZE)(_parse)
parse_header_uncached = _parse


def check_crit(header: Mapping[str, Any], understood: frozenset[str] | None) -> None:
    """Check ``crit`` (RFC 7515 §4.1.11).

    Args:
        header: The protected header.
        understood: Extension names the recipient implements; ``None`` checks
            the structure only (used when signing).

    Raises:
        DecodeError: When verifying (``understood`` given).
        EncodeError: When signing.
    """
    if "crit" not in header:
        return
    error = EncodeError if understood is None else DecodeError
    crit = header["crit"]
    if type(crit) is not list or not crit:
        raise error("header 'crit' must be a non-empty list of header parameter names")
    if any(type(name) is not str for name in crit):
        raise error("header 'crit' must contain only strings")
    if len(set(crit)) != len(crit):
        raise error("header 'crit' lists a name twice")
    for name in crit:
        if name in REGISTERED_HEADER_NAMES:
            raise error(f"header 'crit' must not list the registered parameter {name!r}")
        if name not in header:
            raise error("header 'crit' lists a parameter that is not in the header")
        if understood is not None and name not in understood:
            raise DecodeError(f"header 'crit' requires the extension {name[:32]!r}, which is not supported")


def check_b64(header: Mapping[str, Any], error: type[DecodeError] | type[EncodeError]) -> None:
    """The ``b64`` rule (RFC 7797 §3, §6).

    ``b64`` must be a boolean and, when present, be listed in ``crit``
    (RFC 7797 §6). ``b64: false`` (unencoded payload) is not supported yet,
    so it is refused, never silently ignored: ignoring it would sign or check
    different bytes from the ones the header describes.
    """
    if "b64" not in header:
        return
    b64 = header["b64"]
    if type(b64) is not bool:
        raise error("header 'b64' must be true or false")
    crit = header.get("crit")
    if type(crit) is not list or "b64" not in crit:
        raise error("header 'b64' must be listed in 'crit' (RFC 7797 §6)")
    if b64 is False:
        raise error("unencoded payloads ('b64': false, RFC 7797) are not supported")


def encode_header(algorithm: str, headers: Mapping[str, Any] | None) -> tuple[Algorithm, str]:
    """Build, check and encode the protected header: ``alg`` first, then ``headers``.

    Headers whose values are all strings (``kid``, ``typ`` ...) are encoded
    once and remembered (HEADER_CACHE_SIZE entries); others every time.

    Raises:
        EncodeError: The algorithm is unknown or ``none``, the headers are not
            a mapping of strings to JSON values, name another ``alg``, or break
            the ``crit``/``b64`` rules.
    """
    if type(algorithm) is not str:
        signing_algorithm(algorithm)  # raises, saying why
    if headers is None:
        return _encode_cached(algorithm, ())
    if not isinstance(headers, Mapping):
        raise EncodeError(f"headers must be a mapping, not {type(headers).__name__}")
    items = tuple(headers.items())
    # Only all-string headers are cached: 1, 1.0 and True are equal as cache
    # keys but not as JSON.
    if all(type(value) is str for _, value in items):
        try:
            return _encode_cached(algorithm, items)
        except TypeError:  # an unhashable name; _encode reports it
            pass
    return _encode(algorithm, items)


def _encode(algorithm: str, items: tuple[tuple[Any, Any], ...]) -> tuple[Algorithm, str]:
    alg = signing_algorithm(algorithm)
    header: dict[str, Any] = {"alg": alg.name}
    for name, value in items:
        if type(name) is not str:
            raise EncodeError("header parameter names must be strings")
        if name == "alg":
            if value != alg.name:
                raise EncodeError(f"headers name alg {value!r}, but the algorithm is {alg.name}")
            continue
        header[name] = value
    check_crit(header, None)
    check_b64(header, EncodeError)
    return alg, b64encode(dumps(header, "header"))


_encode_cached = memoize("header.encode", HEADER_CACHE_SIZE)(_encode)


def signing_input(header_b64: str, payload_b64: str) -> bytes:
    """The JWS Signing Input: ``ASCII(header || '.' || payload)`` (RFC 7515 §5.1)."""
    return (header_b64 + "." + payload_b64).encode("ascii")
