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
from ._json import dumps, loads_object
from ._keys import Key
from .errors import DecodeError, EncodeError, InvalidAlgorithmError, InvalidOptionError, InvalidSignatureError

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
#: time, so the cache never holds more than about 256 KiB.
HEADER_CACHE_MAX_LENGTH = 1024
HEADER_CACHE_SIZE = 256


def parse_header(segment: str) -> tuple[Mapping[str, Any], Algorithm]:
    """Decode a header segment and check its ``alg`` and ``crit``.

    Returns:
        The header (read-only: it may be shared between calls) and its algorithm.
    """
    if len(segment) <= HEADER_CACHE_MAX_LENGTH:
        return _parse_header_cached(segment)
    return _parse_header(segment)


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
    """A resolver that always answers with the same key."""

    def resolve(header: Mapping[str, Any], alg: Algorithm) -> Key:
        return key

    return resolve


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
    text = as_text(token, max_token_size)
    header_b64, payload_b64, signature_b64 = split(text)
    header, alg = parse_header(header_b64)
    if alg.name not in allowed:
        raise InvalidAlgorithmError(f"algorithm {alg.name} is not in the allowed algorithms")
    key = resolve_key(header, alg)
    check_key(alg, key, signing=False)
    signature = b64decode(signature_b64, "signature")
    # The payload segment is decoded before the signature is checked only so
    # that a malformed one is a DecodeError; its content is not looked at. Once
    # all three segments have decoded, the text is known to be ASCII.
    payload = b64decode(payload_b64, "payload")
    signing_input = text[: len(header_b64) + 1 + len(payload_b64)].encode("ascii")
    if not alg.verify(key, signing_input, signature):
        raise InvalidSignatureError("signature verification failed")
    return header, payload


def sign_compact(payload: bytes, key: Key, alg: Algorithm, header: dict[str, Any]) -> str:
    """Sign ``payload`` with ``header`` (which already carries ``alg``)."""
    check_key(alg, key, signing=True)
    signing_input = b64encode(dumps(header, "header")) + "." + b64encode(payload)
    signature = alg.sign(key, signing_input.encode("ascii"))
    return signing_input + "." + b64encode(signature)


def build_header(algorithm: str, headers: Mapping[str, Any] | None) -> tuple[Algorithm, dict[str, Any]]:
    """Build the protected header for signing: ``alg`` first, then the caller's."""
    alg = get_algorithm(algorithm)
    header: dict[str, Any] = {"alg": alg.name}
    if headers is not None:
        if not isinstance(headers, Mapping):
            raise EncodeError(f"headers must be a mapping, not {type(headers).__name__}")
        for name, value in headers.items():
            if type(name) is not str:
                raise EncodeError("header parameter names must be strings")
            if name == "alg":
                if value != alg.name:
                    raise EncodeError(f"headers name alg {value!r}, but the algorithm is {alg.name}")
                continue
            header[name] = value
        check_crit(header, None)
    return alg, header


__all__ = [
    "ALGORITHMS",
    "DEFAULT_MAX_TOKEN_SIZE",
    "allowlist",
    "as_text",
    "build_header",
    "check_crit",
    "check_max_token_size",
    "decode_header",
    "sign_compact",
    "split",
    "static_resolver",
    "verify_compact",
]
