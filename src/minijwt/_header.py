"""The JWS protected header: parse, encode, ``crit``, ``b64``, the signing input.

Shared by both serializations. Parsed headers are remembered per header
segment (a service sees the same few over and over) and handed out read-only,
nested values included, so that no caller can change what a later token's
header says it signed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from ._algorithms import Algorithm, get_algorithm, signing_algorithm
from ._base64url import b64decode, b64encode
from ._cache import memoize
from ._json import dumps, loads_object
from .errors import DecodeError, EncodeError, InvalidAlgorithmError, InvalidOptionError

__all__ = [
    "HEADER_CACHE_MAX_LENGTH",
    "HEADER_CACHE_SIZE",
    "NATIVE_CRITICAL",
    "REGISTERED_HEADER_NAMES",
    "EncodedHeader",
    "ParsedHeader",
    "check_b64",
    "check_crit",
    "check_understood",
    "decode_header",
    "encode_header",
    "encode_protected",
    "freeze",
    "mutable_copy",
    "parse_header",
    "parse_header_uncached",
    "payload_part",
    "signing_input",
    "understood_extensions",
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

#: Extensions this library implements itself when a header lists them in
#: "crit": "b64", the unencoded payload option (RFC 7797).
NATIVE_CRITICAL = frozenset({"b64"})
_NO_EXTENSIONS: frozenset[str] = frozenset()


class ParsedHeader(NamedTuple):
    """A checked protected header.

    Attributes:
        header: The header, read-only (nested values too).
        alg: Its algorithm's table row.
        extensions: The names its ``crit`` lists beyond the ones this library
            implements (empty for almost every header): the caller must
            understand each of them (:func:`check_understood`).
        b64: False for an unencoded payload (RFC 7797), True otherwise.
    """

    header: Mapping[str, Any]
    alg: Algorithm
    extensions: frozenset[str]
    b64: bool


def decode_header(segment: str) -> dict[str, Any]:
    """Decode a protected header segment into a new JSON object (unchecked)."""
    return loads_object(b64decode(segment, "header"), "header")


def _freeze(value: Any) -> Any:
    if type(value) is dict:
        return MappingProxyType({name: _freeze(item) for name, item in value.items()})
    if type(value) is list:
        return tuple(_freeze(item) for item in value)
    return value


def freeze(header: dict[str, Any]) -> Mapping[str, Any]:
    """A read-only view of a decoded header, nested values included."""
    if any(type(value) is dict or type(value) is list for value in header.values()):
        frozen: Mapping[str, Any] = _freeze(header)
        return frozen
    return MappingProxyType(header)


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
    extensions = check_crit(header, DecodeError)
    b64 = check_b64(header, DecodeError)
    return ParsedHeader(freeze(header), alg, extensions, b64)


#: Parse and check a protected header segment, remembering the result; for
#: segments up to HEADER_CACHE_MAX_LENGTH (callers use parse_header_uncached
#: for longer ones, so that the cache holds only small entries). Which
#: extensions the caller understands is not part of the cache: ``extensions``
#: says what the header needs, and the caller checks it (one truth test for
#: the headers that list none).
parse_header = memoize("header.parse", HEADER_CACHE_SIZE)(_parse)
parse_header_uncached = _parse


def check_crit(header: Mapping[str, Any], error: type[DecodeError] | type[EncodeError]) -> frozenset[str]:
    """Check the structure of ``crit`` (RFC 7515 §4.1.11); the names it lists that this library does not implement.

    Which of them the recipient understands is :func:`check_understood`'s
    question, asked per call (the result of this check is cached). The header
    is the protected one (for the JSON serialization, the JOSE header, whose
    ``crit`` is known to be protected).
    """
    if "crit" not in header:
        return _NO_EXTENSIONS
    crit = header["crit"]
    if (type(crit) is not list and type(crit) is not tuple) or not crit:
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
    return frozenset(crit) - NATIVE_CRITICAL


def check_understood(extensions: frozenset[str], understood: frozenset[str]) -> None:
    """Refuse a header whose ``crit`` names an extension neither native nor declared by ``crit=`` (RFC 7515 §4.1.11)."""
    if extensions and not extensions <= understood:
        name = min(extensions - understood)
        raise DecodeError(f"header 'crit' requires the extension {name[:32]!r}, which is not supported")


def understood_extensions(crit: object) -> frozenset[str]:
    """Check a ``crit=`` option: the extension parameter names the caller understands.

    A name RFC 7515 or RFC 7518 defines is refused: those are never critical extensions.
    """
    if crit == ():
        return _NO_EXTENSIONS
    if isinstance(crit, (str, bytes)) or not isinstance(crit, Collection):
        raise InvalidOptionError("crit must be a list of header parameter names, e.g. crit=['exp']")
    names = tuple(crit)
    if any(type(name) is not str or not name for name in names):
        raise InvalidOptionError("crit must list header parameter names (non-empty strings)")
    registered = sorted(REGISTERED_HEADER_NAMES.intersection(names))
    if registered:
        raise InvalidOptionError(f"crit must not name the registered header parameter {registered[0]!r}")
    return frozenset(names)


def check_b64(header: Mapping[str, Any], error: type[DecodeError] | type[EncodeError]) -> bool:
    """The ``b64`` rule (RFC 7797 §3, §6); True unless the payload is unencoded.

    ``b64`` must be a boolean and, when present, be listed in ``crit``
    (RFC 7797 §6), so that a recipient that does not implement it refuses the
    JWS rather than check different bytes from the ones that were signed.
    ``b64`` must be integrity protected: the caller passes the protected
    header (for the JSON serialization, after refusing ``b64`` in an
    unprotected header).
    """
    if "b64" not in header:
        return True
    b64 = header["b64"]
    if type(b64) is not bool:
        raise error("header 'b64' must be true or false")
    crit = header.get("crit")
    if (type(crit) is not list and type(crit) is not tuple) or "b64" not in crit:
        raise error("header 'b64' must be listed in 'crit' (RFC 7797 §6)")
    return b64


class EncodedHeader(NamedTuple):
    """A protected header built for signing.

    Attributes:
        alg: The algorithm's table row.
        segment: ``BASE64URL(UTF8(header))``.
        b64: False when the header asks for an unencoded payload (RFC 7797).
    """

    alg: Algorithm
    segment: str
    b64: bool


def encode_header(algorithm: str, headers: Mapping[str, Any] | None) -> tuple[Algorithm, str]:
    """Build, check and encode a JWT's protected header: ``alg`` first, then ``headers``.

    As :func:`encode_protected`, and a JWT's payload is always encoded
    (RFC 7797 §7): ``b64: false`` is refused.
    """
    alg, segment, b64 = encode_protected(algorithm, headers)
    if not b64:
        raise EncodeError("a JWT cannot have an unencoded payload ('b64': false, RFC 7797 §7)")
    return alg, segment


def encode_protected(algorithm: str, headers: Mapping[str, Any] | None) -> EncodedHeader:
    """Build, check and encode a JWS protected header: ``alg`` first, then ``headers``.

    Headers whose values are all strings (``kid``, ``typ`` ...) are encoded
    once and remembered (HEADER_CACHE_SIZE entries); others every time.
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


def _encode(algorithm: str, items: tuple[tuple[Any, Any], ...]) -> EncodedHeader:
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
    check_crit(header, EncodeError)
    b64 = check_b64(header, EncodeError)
    return EncodedHeader(alg, b64encode(dumps(header, "header")), b64)


_encode_cached = memoize("header.encode", HEADER_CACHE_SIZE)(_encode)


def payload_part(payload: bytes, b64: bool) -> bytes:
    """What follows the ``.`` in the signing input: the payload, base64url-encoded unless ``b64`` is false."""
    return b64encode(payload).encode("ascii") if b64 else payload


def signing_input(protected_segment: str, payload_part: bytes) -> bytes:
    """The JWS Signing Input (RFC 7515 §5.1, RFC 7797 §3): ``ASCII(protected segment) || '.' || payload part``.

    The segment is empty when a JSON serialization's signature has no protected header.
    """
    return protected_segment.encode("ascii") + b"." + payload_part
