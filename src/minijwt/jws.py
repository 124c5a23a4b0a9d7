"""Compact JWS: sign bytes, verify a token (RFC 7515).

This is the layer under JWT: it signs and verifies arbitrary payload bytes.
Most applications want :func:`minijwt.encode` and :func:`minijwt.decode`,
which add the JWT claim set on top.

Example:
    >>> from minijwt import jws
    >>> key = b"a-secret-of-at-least-32-bytes!!!"
    >>> token = jws.sign(b"hello", key, "HS256")
    >>> jws.verify(token, key, algorithms=["HS256"])
    b'hello'
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from . import _compact
from ._base64url import b64encode
from ._keys import KeyInput
from .errors import EncodeError
from .jwk import resolver_for, signing_key

__all__ = [
    "DEFAULT_MAX_TOKEN_SIZE",
    "VerifiedJWS",
    "get_unverified_header",
    "sign",
    "verify",
    "verify_complete",
]

DEFAULT_MAX_TOKEN_SIZE = _compact.DEFAULT_MAX_TOKEN_SIZE


@dataclass(frozen=True, slots=True)
class VerifiedJWS:
    """A verified compact JWS.

    Attributes:
        header: The protected header.
        payload: The payload bytes.
    """

    header: dict[str, Any]
    payload: bytes


def sign(
    payload: bytes | str,
    key: KeyInput,
    algorithm: str,
    *,
    headers: Mapping[str, Any] | None = None,
) -> str:
    """Sign a payload and return the compact JWS.

    The protected header is ``{"alg": algorithm}`` followed by ``headers``;
    nothing else is added.

    Args:
        payload: The bytes to sign (``str`` is encoded as UTF-8).
        key: The signing key: an HMAC secret (``str``/``bytes``), a private key
            as PEM, DER or OpenSSH text, a ``cryptography`` private key, a
            :class:`~minijwt.JWK`, or a key from :func:`minijwt.load_key`.
        algorithm: The JWA algorithm name, e.g. ``"RS256"``.
        headers: Extra protected header parameters. An ``alg`` member must
            equal ``algorithm``.

    Returns:
        The compact serialization ``header.payload.signature``.

    Raises:
        InvalidAlgorithmError: ``algorithm`` is unknown or ``none``.
        InvalidKeyError: The key is malformed, too short, public, or does not
            fit the algorithm.
        EncodeError: The payload or headers cannot be encoded.
    """
    if isinstance(payload, str):
        payload = _utf8(payload)
    elif not isinstance(payload, bytes):
        raise EncodeError(f"payload must be bytes, not {type(payload).__name__}")
    alg, header_b64 = _compact.encode_header(algorithm, headers)
    return _compact.sign_compact(header_b64, b64encode(payload), signing_key(key, alg.name), alg)


def _utf8(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise EncodeError("payload text is not valid Unicode (it has a lone surrogate)") from None


def verify_complete(
    token: str | bytes,
    key: KeyInput,
    *,
    algorithms: str | Collection[str],
    max_token_size: int = DEFAULT_MAX_TOKEN_SIZE,
) -> VerifiedJWS:
    """Verify a compact JWS and return its header and payload.

    Same checks as :func:`verify`.

    Returns:
        The verified header and payload.
    """
    allowed = _compact.allowlist(algorithms)
    _compact.check_max_token_size(max_token_size)
    header, payload = _compact.verify_compact(token, resolver_for(key), allowed, max_token_size)
    return VerifiedJWS(dict(header), payload)


def verify(
    token: str | bytes,
    key: KeyInput,
    *,
    algorithms: str | Collection[str],
    max_token_size: int = DEFAULT_MAX_TOKEN_SIZE,
) -> bytes:
    """Verify a compact JWS and return its payload.

    Checks, in order: the token is ``str``/``bytes`` of at most
    ``max_token_size`` characters with exactly three segments; each segment
    is canonical base64url; the header is a strict JSON object whose ``alg``
    is a string naming an algorithm in ``algorithms`` (``none`` never is);
    ``crit``, if present, is well formed and names only extensions this
    library implements (none yet); the key fits the algorithm; the signature
    verifies. Header parameters ``jwk``, ``jku``, ``x5u`` and ``x5c`` are never
    used to find a key.

    Args:
        token: The compact JWS.
        key: The verification key: an HMAC secret, a public (or private) key
            as PEM, DER or OpenSSH text, a certificate, a ``cryptography`` key,
            a key from :func:`minijwt.load_key`, a :class:`~minijwt.JWK`, or a
            :class:`~minijwt.JWKSet` (the token's ``kid`` picks the key).
        algorithms: The algorithms you accept, e.g. ``["RS256"]``. Required:
            choosing them is the caller's decision, never the token's.
        max_token_size: The longest token accepted, in characters.

    Returns:
        The payload bytes.

    Raises:
        DecodeError: The token is malformed or too long.
        InvalidAlgorithmError: ``alg`` is missing, ``none``, unknown or not
            allowed, or ``algorithms`` itself is invalid.
        InvalidKeyError: The key is malformed or does not fit ``alg``.
        InvalidSignatureError: The signature does not verify.
        KeyNotFoundError: With a JWK Set, no key fits the token.
    """
    return verify_complete(token, key, algorithms=algorithms, max_token_size=max_token_size).payload


def get_unverified_header(token: str | bytes, *, max_token_size: int = DEFAULT_MAX_TOKEN_SIZE) -> dict[str, Any]:
    """Return a token's protected header without verifying anything.

    Use it only to choose how to verify (for example to read ``kid``); never
    trust what it returns.

    Args:
        token: A compact JWS.
        max_token_size: The longest token accepted, in characters.

    Returns:
        The header as a dict.

    Raises:
        DecodeError: The token or its header is malformed, or too long.
    """
    text = _compact.as_text(token, max_token_size)
    return _compact.decode_header(_compact.split(text)[0])
