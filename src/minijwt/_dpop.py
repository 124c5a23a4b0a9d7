"""The DPoP proof rules that need no key and no I/O (RFC 9449): the URL comparison, ``ath``, the replay key.

:class:`minijwt.dpop.DPoPVerifier` applies them around the signature check.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse

from ._algorithms import Algorithm
from ._base64url import b64encode
from ._cache import memoize
from ._embedded import EmbeddedJWK, embedded_thumbprint
from ._header import HEADER_CACHE_MAX_LENGTH, parse_header
from ._keys import Key

__all__ = ["DPOP_CACHE_SIZE", "access_token_hash", "normalized_htu", "proof_key", "replay_key", "typ_is_dpop"]

#: How many proof keys and URLs are kept (``dpop.keys``, ``dpop.urls``).
DPOP_CACHE_SIZE = 256

# RFC 3986 §2.3: the unreserved characters, which a percent-encoding never needs to hide.
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def typ_is_dpop(typ: object) -> bool:
    """Whether a ``typ`` header names a DPoP proof: ``dpop+jwt``, ASCII case-insensitive, ``application/`` optional.

    Example:
        >>> typ_is_dpop("DPoP+JWT"), typ_is_dpop("application/dpop+jwt"), typ_is_dpop("JWT")
        (True, True, False)
    """
    if type(typ) is not str or not typ.isascii():
        return False
    typ = typ.lower()
    return typ in {"dpop+jwt", "application/dpop+jwt"}


def _escape(match: re.Match[str]) -> str:
    # RFC 3986 §6.2.2.2: an escaped unreserved character is the character;
    # any other escape stays, its hex digits in upper case (§6.2.2.1).
    char = chr(int(match.group(1), 16))
    return char if char in _UNRESERVED else "%" + match.group(1).upper()


def _remove_dot_segments(path: str) -> str:
    # RFC 3986 §5.2.4, segment by segment.
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
            continue
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
            continue
        output.append(segment)
    text = "/".join(output)
    return text if text.startswith("/") else "/" + text


def _normalized_htu(url: str) -> str | None:
    """A URL as DPoP compares it: RFC 3986 §6.2.2 and §6.2.3 normalization, without query and fragment.

    Scheme and host in lower case, the scheme's default port removed, an
    empty path as ``/``, dot segments removed, escaped unreserved characters
    decoded and the hex digits of the other escapes in upper case (so ``%2F``
    stays ``%2F``, never ``/``). ``None`` for what is no absolute http(s) URL.

    Example:
        >>> normalized_htu("HTTPS://Server.Example:443/a/./b/../c%7e?q=1#f")
        'https://server.example/a/c~'
        >>> normalized_htu("https://server.example/a%2fb")
        'https://server.example/a%2Fb'
    """
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname  # lower case already; an IPv6 address without its brackets
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    authority = f"{userinfo}@{host}" if "@" in parts.netloc else host
    path = _remove_dot_segments(_ESCAPE.sub(_escape, parts.path)) if parts.path else "/"
    return f"{scheme}://{authority}{path}"


# A service sees the same few URLs again and again, in its requests and its clients' proofs.
normalized_htu = memoize("dpop.urls", DPOP_CACHE_SIZE)(_normalized_htu)


def _proof_key(header_b64: str, allowed: frozenset[str]) -> tuple[Key, str]:
    header, alg = parse_header(header_b64)[:2]
    key = EmbeddedJWK(algorithms=allowed).resolve_key(header, alg)
    return key, embedded_thumbprint(key)


_proof_key_cached = memoize("dpop.keys", DPOP_CACHE_SIZE)(_proof_key)


def proof_key(header_b64: str, alg: Algorithm, allowed: frozenset[str]) -> tuple[Key, str]:
    """The public key a proof's header carries (``EmbeddedJWK``'s rules) and its RFC 7638 thumbprint.

    A client signs every proof with one key under one header, so the key is
    checked (on its curve, not small-order ...) and its thumbprint computed
    once per header segment, not once per request. ``alg`` (already checked
    against ``allowed``) is the header's own.

    Raises:
        KeyNotFoundError: No ``jwk``, or one that is private, symmetric or may not verify ``alg``.
        DecodeError: The ``jwk`` is not a valid public key.
    """
    del alg  # the header's own, read again from it (the cache is keyed by the segment)
    if len(header_b64) <= HEADER_CACHE_MAX_LENGTH:
        return _proof_key_cached(header_b64, allowed)
    return _proof_key(header_b64, allowed)


def access_token_hash(access_token: str) -> str:
    """``ath``: the base64url SHA-256 of the access token's ASCII (RFC 9449 §4.2).

    Example:
        >>> access_token_hash("Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU")  # RFC 9449 §7.1
        'fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo'
    """
    return b64encode(hashlib.sha256(access_token.encode("ascii", "replace")).digest())


def replay_key(jkt: str, jti: str) -> str:
    """What a replay store records for a proof: base64url SHA-256 of ``jkt + "." + jti`` (UTF-8).

    One client's ``jti`` never blocks another's (the key's thumbprint is in
    it), and stores shared by several processes agree on it.
    """
    return b64encode(hashlib.sha256(f"{jkt}.{jti}".encode("utf-8", "surrogatepass")).digest())
