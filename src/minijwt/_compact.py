"""Parsing and checking of the compact JWS serialization (RFC 7515 §7.1).

Private core shared by the ``jws`` and ``jwt`` facades: token shape and size,
the header, the algorithm allowlist, ``crit``, and the signature itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any

from ._algorithms import ALGORITHMS, Algorithm, check_key, get_algorithm
from ._base64url import b64decode, b64encode
from ._cache import BoundedCache
from ._json import dumps, loads_object
from ._keys import Key
from .errors import (
    DecodeError,
    EncodeError,
    InvalidAlgorithmError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidSignatureError,
)

#: Default upper bound on a token's length in characters (256 KiB). Far above
#: any real token (a few hundred bytes to a few KB), far below what could
#: hurt: a longer token is refused before any decoding. Every verifying
#: function takes ``max_token_size`` to change it.
DEFAULT_MAX_TOKEN_SIZE = 256 * 1024

# Header parameters that RFC 7515 §4.1 and RFC 7518 define for JWS. A producer
# must not list them in "crit" (RFC 7515 §4.1.11).
_REGISTERED_HEADER_NAMES = frozenset(
    {"alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit"}
)

# Extensions this implementation understands when listed in "crit". None yet:
# any critical extension therefore makes the token unacceptable.
_UNDERSTOOD_CRITICAL: frozenset[str] = frozenset()

#: Finds the key for a token from its header and algorithm, and checks that
#: the key fits the algorithm (raising InvalidKeyError or KeyNotFoundError).
KeyResolver = Callable[[Mapping[str, Any], Algorithm], Key]


def check_max_token_size(value: object) -> int:
    """Validate a ``max_token_size`` option."""
    if type(value) is not int or value <= 0:
        raise InvalidOptionError("max_token_size must be a positive integer")
    return value


def as_text(token: object, max_token_size: int) -> str:
    """Check a token's type and size and return it as text, before decoding."""
    if not isinstance(token, (str, bytes)):
        raise DecodeError(f"token must be str or bytes, not {type(token).__name__}")
    if len(token) > max_token_size:
        raise DecodeError(f"token is longer than the limit of {max_token_size} characters")
    if isinstance(token, bytes):
        try:
            return token.decode("ascii")
        except UnicodeDecodeError:
            raise DecodeError("token contains bytes that are not ASCII") from None
    return token


def split(token: str) -> tuple[str, str, str]:
    """Split a compact JWS into its three segments, explaining other shapes."""
    parts = token.split(".")
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    stripped = token.lstrip()
    if stripped.startswith("{"):
        raise DecodeError("token is a JSON serialization; only the compact serialization is accepted")
    if len(parts) == 5:
        raise DecodeError("token has 5 segments: it is a JWE (encrypted), which this library does not decrypt")
    raise DecodeError(f"token must have 3 segments separated by '.', but has {len(parts)}")


def decode_header(segment: str) -> dict[str, Any]:
    """Decode a protected header segment into its JSON object."""
    return loads_object(b64decode(segment, "header"), "header")


#: Header segments up to this length are parsed once and remembered (in a
#: cache of HEADER_CACHE_SIZE entries): a service sees the same few headers
#: over and over. Longer ones, which no real issuer produces, are parsed every
#: time, so the cache holds at most 256 small headers, whatever tokens arrive.
HEADER_CACHE_MAX_LENGTH = 1024
HEADER_CACHE_SIZE = 256


def _parse_header(segment: str) -> tuple[Mapping[str, Any], Algorithm]:
    header = decode_header(segment)
    alg_name = header.get("alg")
    if alg_name is None:
        raise InvalidAlgorithmError("header has no 'alg'")
    alg = get_algorithm(alg_name)
    check_crit(header, _UNDERSTOOD_CRITICAL)
    return MappingProxyType(header), alg


_parse_header_cached = functools.lru_cache(maxsize=HEADER_CACHE_SIZE)(_parse_header)


def check_crit(header: Mapping[str, Any], understood: frozenset[str] | None) -> None:
    """Check ``crit`` (RFC 7515 §4.1.11).

    Args:
        header: The protected header.
        understood: Extension names the caller implements; ``None`` checks the
            structure only (used when signing).
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
        if name in _REGISTERED_HEADER_NAMES:
            raise error(f"header 'crit' must not list the registered parameter {name!r}")
        if name not in header:
            raise error("header 'crit' lists a parameter that is not in the header")
        if understood is not None and name not in understood:
            raise DecodeError(f"header 'crit' requires the extension {name[:32]!r}, which is not supported")


@functools.lru_cache(maxsize=64)
def _allowlist_from_tuple(names: tuple[object, ...]) -> frozenset[str]:
    if not names:
        raise InvalidAlgorithmError("algorithms must name at least one algorithm")
    for name in names:
        get_algorithm(name)  # raises for non-strings, 'none' and unknown names
    return frozenset(names)  # type: ignore[arg-type]


def allowlist(algorithms: object) -> frozenset[str]:
    """Validate the caller's ``algorithms`` allowlist.

    A single string means that one algorithm. Every name must be a supported
    algorithm; ``none`` is refused here, so it can never be allowed.
    """
    if type(algorithms) is frozenset:
        return _allowlist_from_tuple(tuple(sorted(algorithms, key=repr)))
    if isinstance(algorithms, str):
        return _allowlist_from_tuple((algorithms,))
    if algorithms is None:
        raise InvalidAlgorithmError("algorithms is required: name the algorithms you accept, e.g. ['RS256']")
    if not isinstance(algorithms, Iterable) or isinstance(algorithms, (bytes, Mapping)):
        raise InvalidAlgorithmError("algorithms must be a list of algorithm names")
    try:
        return _allowlist_from_tuple(tuple(algorithms))
    except TypeError:
        raise InvalidAlgorithmError("algorithms must be a list of algorithm names (strings)") from None


def static_resolver(key: Key) -> KeyResolver:
    """A resolver that always answers with the same key, after checking it fits ``alg``."""
    entry = _RESOLVERS.get(id(key))
    if entry is not None and entry[0] is key:
        return entry[1]
    # Which algorithms the key fits is worked out once per key, not per token.
    fits = frozenset(name for name, row in ALGORITHMS.items() if _fits(row, key))

    def resolve(header: Mapping[str, Any], alg: Algorithm) -> Key:
        if alg.name not in fits:
            check_key(alg, key, signing=False)  # raises, saying why
        return key

    _RESOLVERS.put(id(key), (key, resolve))
    return resolve


_RESOLVERS: BoundedCache[tuple[Key, KeyResolver]] = BoundedCache(128)


def _fits(alg: Algorithm, key: Key) -> bool:
    try:
        check_key(alg, key, signing=False)
    except InvalidKeyError:
        return False
    return True


def verify_compact(
    token: object,
    resolve_key: KeyResolver,
    allowed: frozenset[str],
    max_token_size: int,
) -> tuple[Mapping[str, Any], bytes]:
    """Verify a compact JWS; return its (read-only) header and payload bytes.

    The order follows RFC 7515 §5.2 and RFC 8725: shape and size first, then
    the header and its ``alg``, then the key, then the signature, and only then
    the payload.
    """
    text = token if type(token) is str and len(token) <= max_token_size else as_text(token, max_token_size)
    header_b64, payload_b64, signature_b64 = split(text)
    if len(header_b64) <= HEADER_CACHE_MAX_LENGTH:
        header, alg = _parse_header_cached(header_b64)
    else:
        header, alg = _parse_header(header_b64)
    if alg.name not in allowed:
        raise InvalidAlgorithmError(f"algorithm {alg.name} is not in the allowed algorithms")
    key = resolve_key(header, alg)  # checked to fit alg by the resolver
    signature = b64decode(signature_b64, "signature")
    # The payload segment is decoded before the signature is checked only so
    # that a malformed one is a DecodeError; its content is not looked at. Once
    # all three segments have decoded, the text is known to be ASCII.
    payload = b64decode(payload_b64, "payload")
    signing_input = text[: len(header_b64) + 1 + len(payload_b64)].encode("ascii")
    if not alg.verify(key, signing_input, signature):
        raise InvalidSignatureError("signature verification failed")
    return header, payload


def sign_compact(header_b64: str, payload_b64: str, key: Key, alg: Algorithm) -> str:
    """Sign the encoded header and payload; return the compact JWS."""
    check_key(alg, key, signing=True)
    signing_input = header_b64 + "." + payload_b64
    return signing_input + "." + b64encode(alg.sign(key, signing_input.encode("ascii")))


def encode_header(algorithm: str, headers: Mapping[str, Any] | None) -> tuple[Algorithm, str]:
    """Build, check and encode the protected header: ``alg`` first, then ``headers``.

    Headers whose values are all strings (``kid``, ``typ`` ...) are encoded
    once and remembered (HEADER_CACHE_SIZE entries); others every time.
    """
    if type(algorithm) is not str:
        get_algorithm(algorithm)  # raises, saying why
    if headers is None:
        return _encode_header_cached(algorithm, ())
    if not isinstance(headers, Mapping):
        raise EncodeError(f"headers must be a mapping, not {type(headers).__name__}")
    items = tuple(headers.items())
    # Only all-string headers are cached: 1, 1.0 and True are equal as cache
    # keys but not as JSON.
    if all(type(value) is str for _, value in items):
        try:
            return _encode_header_cached(algorithm, items)
        except TypeError:  # an unhashable name; _encode_header reports it
            pass
    return _encode_header(algorithm, items)


def _encode_header(algorithm: str, items: tuple[tuple[Any, Any], ...]) -> tuple[Algorithm, str]:
    alg = get_algorithm(algorithm)
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
    return alg, b64encode(dumps(header, "header"))


_encode_header_cached = functools.lru_cache(maxsize=HEADER_CACHE_SIZE)(_encode_header)


__all__ = [
    "ALGORITHMS",
    "DEFAULT_MAX_TOKEN_SIZE",
    "allowlist",
    "as_text",
    "check_crit",
    "check_max_token_size",
    "decode_header",
    "encode_header",
    "sign_compact",
    "split",
    "static_resolver",
    "verify_compact",
]
