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
from ._algorithms import allowlist
from ._base64url import b64encode
from ._header import decode_header, encode_header, mutable_copy
from ._resolve import KeyInput, check_fits_any, resolver_for, signing_key
from .errors import EncodeError, InvalidAlgorithmError, KeyNotFoundError

__all__ = [
    "DEFAULT_MAX_TOKEN_SIZE",
    "VerifiedJWS",
    "get_unverified_header",
    "sign",
    "verify",
    "verify_complete",
]

#: The longest token accepted by default, in characters (256 KiB): far above
#: any real token, far below what could hurt. A longer token is refused before
#: any decoding. Every verifying function takes ``max_token_size``.
DEFAULT_MAX_TOKEN_SIZE = _compact.DEFAULT_MAX_TOKEN_SIZE


@dataclass(frozen=True, slots=True)
class VerifiedJWS:
    """A verified compact JWS.

    Attributes:
        header: The protected header (the caller's own copy).
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
        EncodeError: ``algorithm`` is unknown or ``none``, or the payload or
            headers cannot be encoded (``b64: false`` is not supported yet).
        InvalidKeyError: The key is malformed, too short, public, or does not
            fit the algorithm.

    Example:
        >>> from minijwt import jws
        >>> jws.sign(b"hi", b"a-secret-of-at-least-32-bytes!!!", "HS256").count(".")
        2
    """
    if isinstance(payload, str):
        payload = _utf8(payload)
    elif not isinstance(payload, bytes):
        raise EncodeError(f"payload must be bytes, not {type(payload).__name__}")
    alg, header_b64 = encode_header(algorithm, headers)
    return _compact.sign(header_b64, b64encode(payload), signing_key(key, alg), alg)


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

    Same checks as :func:`verify`. This checks the signature only: for a JWT,
    use :func:`minijwt.decode_complete`, which also checks the claims.

    Returns:
        The verified header and payload.

    Example:
        >>> from minijwt import jws
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> jws.verify_complete(jws.sign(b"hi", key, "HS256"), key, algorithms=["HS256"]).header
        {'alg': 'HS256'}
    """
    allowed = allowlist(algorithms)
    max_token_size = _compact.check_max_token_size(max_token_size)
    resolve = resolver_for(key)
    parsed = _compact.parse(token, allowed, max_token_size)
    try:
        found = resolve(parsed.header, parsed.alg)
    except (InvalidAlgorithmError, KeyNotFoundError):
        # No key for this token. If no key could serve any allowed algorithm,
        # no token ever could: that is the caller's configuration, said as
        # such (a verifier built ahead says it when it is built).
        check_fits_any(key, allowed)
        raise
    _compact.check_signature(parsed, found)
    return VerifiedJWS(mutable_copy(parsed.header), parsed.payload)


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
    library implements (``b64``); the key can serve the algorithm; the
    signature verifies. Header parameters ``jwk``, ``jku``, ``x5u`` and
    ``x5c`` are never used to find a key.

    Args:
        token: The compact JWS.
        key: The verification key: an HMAC secret, a public (or private) key
            as PEM, DER or OpenSSH text, a certificate, a ``cryptography`` key,
            a key from :func:`minijwt.load_key`, a :class:`~minijwt.JWK`, a
            :class:`~minijwt.JWKSet` (the token's ``kid`` picks the key), or
            any :class:`~minijwt.KeySource`.
        algorithms: The algorithms you accept, e.g. ``["RS256"]``. Required:
            choosing them is the caller's decision, never the token's.
        max_token_size: The longest token accepted, in characters.

    Returns:
        The payload bytes.

    Raises:
        DecodeError: The token is malformed or too long.
        InvalidAlgorithmError: ``alg`` is missing, ``none``, unknown, not
            allowed, or not one a single key can serve.
        InvalidSignatureError: The signature does not verify.
        KeyNotFoundError: A key source has no key for the token.
        InvalidOptionError: ``algorithms`` or ``max_token_size`` is invalid.
        InvalidKeyError: The key is malformed, or fits none of ``algorithms``.
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

    Example:
        >>> import minijwt
        >>> token = minijwt.encode({}, b"a-secret-of-at-least-32-bytes!!!", headers={"kid": "k1"})
        >>> minijwt.get_unverified_header(token)["kid"]
        'k1'
    """
    text = _compact.as_text(token, max_token_size)
    return decode_header(_compact.split(text)[0])
