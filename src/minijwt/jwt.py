"""JSON Web Tokens: encode a claim set, decode and validate one (RFC 7519).

:func:`encode` and :func:`decode` are the familiar pair;
:class:`JWTVerifier` checks its options and prepares its key once, for
servers that verify many tokens with the same settings.

Example:
    >>> import minijwt
    >>> key = "a-secret-of-at-least-32-bytes!!!"
    >>> token = minijwt.encode({"sub": "alice"}, key, expires_in=3600)
    >>> minijwt.decode(token, key, algorithms=["HS256"], subject="alice")["sub"]
    'alice'
"""

from __future__ import annotations

import datetime as dt
import functools
import time
from collections.abc import Collection, Mapping
from types import MappingProxyType
from typing import Any

from . import _compact
from ._algorithms import Algorithm
from ._base64url import b64encode
from ._cache import BoundedCache
from ._claims import ClaimRules, check_claims, check_typ, is_number, numeric_date, to_seconds, to_timestamp
from ._json import dumps, loads_object
from ._keys import KeyInput
from .errors import EncodeError, InvalidKeyError, InvalidOptionError
from .jwk import fits_any, resolver_for, signing_key

__all__ = ["JWTVerifier", "decode", "encode"]

_TIME_CLAIMS = ("exp", "nbf", "iat")


def encode(
    claims: Mapping[str, Any],
    key: KeyInput,
    algorithm: str = "HS256",
    *,
    headers: Mapping[str, Any] | None = None,
    expires_in: float | dt.timedelta | None = None,
) -> str:
    """Sign a claim set as a JWT.

    The header is ``{"alg": algorithm, "typ": "JWT"}`` followed by
    ``headers`` (whose ``typ``, if given, replaces ``"JWT"``).

    Args:
        claims: The claim set, a JSON-serializable mapping with string keys.
            ``datetime`` values of ``exp``, ``nbf`` and ``iat`` become
            NumericDate integers (naive datetimes are read as UTC).
        key: The signing key (see :func:`minijwt.jws.sign`).
        algorithm: The JWA algorithm name.
        headers: Extra protected header parameters.
        expires_in: Lifetime in seconds or as a ``timedelta``: sets
            ``exp = iat + expires_in``, adding ``iat`` (now) when the claims
            have none, as ``jsonwebtoken``'s ``expiresIn`` does.

    Returns:
        The compact JWT.

    Raises:
        EncodeError: The claims are not a JSON object or not serializable,
            ``expires_in`` is invalid, or the claims already carry ``exp``
            while ``expires_in`` is given.
        InvalidAlgorithmError: ``algorithm`` is unknown or ``none``.
        InvalidKeyError: The key does not fit the algorithm.
    """
    # type() first: isinstance() against an abstract class costs more than
    # the rest of these checks.
    if type(claims) is not dict and not isinstance(claims, Mapping):
        raise EncodeError(f"claims must be a mapping (a JSON object), not {type(claims).__name__}")
    body: Mapping[str, Any] = claims
    get = claims.get
    if (
        isinstance(get("exp"), dt.datetime)
        or isinstance(get("iat"), dt.datetime)
        or isinstance(get("nbf"), dt.datetime)
    ):
        # Copy on write: the caller's claims stay as given.
        converted = {name: numeric_date(value) for name in _TIME_CLAIMS if isinstance(value := get(name), dt.datetime)}
        body = {**claims, **converted}
    if expires_in is not None:
        body = dict(body)
        _set_expiry(body, expires_in)
    for name in body:  # a loop: all() over a generator costs twice as much here
        if type(name) is not str:
            raise EncodeError("claim names must be strings")
    if headers is None and type(algorithm) is str:
        alg, header_b64 = _default_header(algorithm)
    elif headers is None:
        alg, header_b64 = _compact.encode_header(algorithm, _JWT_HEADER)  # explains the bad algorithm
    elif isinstance(headers, Mapping):
        alg, header_b64 = _compact.encode_header(algorithm, {**_JWT_HEADER, **headers})
    else:
        raise EncodeError(f"headers must be a mapping, not {type(headers).__name__}")
    return _compact.sign_compact(header_b64, b64encode(dumps(body, "claims")), signing_key(key, alg.name), alg)


_JWT_HEADER: Mapping[str, Any] = MappingProxyType({"typ": "JWT"})


@functools.lru_cache(maxsize=32)
def _default_header(algorithm: str) -> tuple[Algorithm, str]:
    """``{"alg": algorithm, "typ": "JWT"}``, encoded once per algorithm."""
    return _compact.encode_header(algorithm, _JWT_HEADER)


def _set_expiry(body: dict[str, Any], expires_in: object) -> None:
    if "exp" in body:
        raise EncodeError("claims already have 'exp'; do not also give expires_in")
    try:
        seconds = to_seconds(expires_in, "expires_in")
    except InvalidOptionError as exc:
        raise EncodeError(exc.message) from None
    assert seconds is not None
    iat = body.get("iat")
    if iat is None:
        iat = body["iat"] = int(time.time())
    elif not is_number(iat):
        raise EncodeError("claim 'iat' must be a number or a datetime to compute exp from expires_in")
    lifetime: float = int(seconds) if seconds.is_integer() else seconds
    body["exp"] = iat + lifetime


class JWTVerifier:
    """A prepared JWT verifier: options checked and key prepared once.

    Use one per configuration, for example one per API, and call
    :meth:`decode` for each request. It is immutable and thread-safe.

    Example:
        >>> import minijwt
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> verifier = minijwt.JWTVerifier(key, algorithms=["HS256"], issuer="https://auth.example")
        >>> token = minijwt.encode({"iss": "https://auth.example"}, key)
        >>> verifier.decode(token)
        {'iss': 'https://auth.example'}
    """

    __slots__ = ("_allowed", "_max_token_size", "_resolve", "_rules")

    def __init__(
        self,
        key: KeyInput,
        *,
        algorithms: str | Collection[str],
        audience: str | Collection[str] | None = None,
        issuer: str | Collection[str] | None = None,
        subject: str | None = None,
        leeway: float | dt.timedelta = 0,
        require: Collection[str] = (),
        max_age: float | dt.timedelta | None = None,
        typ: str | None = None,
        max_token_size: int = _compact.DEFAULT_MAX_TOKEN_SIZE,
    ) -> None:
        """Check the options and prepare the key.

        Args:
            key: The verification key (see :func:`minijwt.jws.verify`).
            algorithms: The algorithms you accept. Required.
            audience: This recipient's identifier, or several: the token's
                ``aud`` must contain at least one of them. When omitted, a
                token that has ``aud`` is rejected (RFC 7519 §4.1.3).
            issuer: The expected ``iss`` (or several); exact string match.
            subject: The expected ``sub``; exact string match.
            leeway: Allowed clock skew, in seconds or as a ``timedelta``.
            require: Claims that must be present.
            max_age: Reject tokens whose ``iat`` is older than this (seconds
                or ``timedelta``); makes ``iat`` required.
            typ: The expected ``typ`` header, compared case-insensitively
                with an omitted ``application/`` prefix (e.g. ``"at+jwt"``).
            max_token_size: The longest token accepted, in characters.

        Raises:
            InvalidAlgorithmError: ``algorithms`` is empty or names an
                unknown algorithm or ``none``.
            InvalidOptionError: Another option is invalid.
            InvalidKeyError: The key is invalid or fits none of ``algorithms``.
        """
        self._allowed = _compact.allowlist(algorithms)
        self._rules = ClaimRules.build(
            audience=audience,
            issuer=issuer,
            subject=subject,
            leeway=leeway,
            require=require,
            max_age=max_age,
            typ=typ,
        )
        self._max_token_size = _compact.check_max_token_size(max_token_size)
        self._resolve = resolver_for(key)
        if not fits_any(key, self._allowed):
            raise InvalidKeyError(f"the key fits none of the allowed algorithms ({', '.join(sorted(self._allowed))})")

    def decode(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> dict[str, Any]:
        """Verify a JWT and validate its claims; return the claim set.

        Args:
            token: The compact JWT.
            now: The time to validate against (seconds since the epoch or a
                ``datetime``); the clock when omitted.

        Returns:
            The claim set.

        Raises:
            InvalidTokenError: One of its subclasses says what was wrong:
                malformed (``DecodeError``), bad signature, algorithm not
                allowed, expired, not yet valid, wrong audience, issuer,
                subject or type, a required claim missing.
            InvalidKeyError: The key does not fit the token's algorithm.
        """
        header, payload = _compact.verify_compact(token, self._resolve, self._allowed, self._max_token_size)
        rules = self._rules
        if rules.typ is not None:
            check_typ(header, rules)
        claims = loads_object(payload, "payload")
        check_claims(claims, rules, None if now is None else to_timestamp(now, "now"))
        return claims


def decode(
    token: str | bytes,
    key: KeyInput,
    *,
    algorithms: str | Collection[str],
    audience: str | Collection[str] | None = None,
    issuer: str | Collection[str] | None = None,
    subject: str | None = None,
    leeway: float | dt.timedelta = 0,
    require: Collection[str] = (),
    max_age: float | dt.timedelta | None = None,
    typ: str | None = None,
    now: float | dt.datetime | None = None,
    max_token_size: int = _compact.DEFAULT_MAX_TOKEN_SIZE,
) -> dict[str, Any]:
    """Verify a JWT and validate its claims; return the claim set.

    The options are checked and the key prepared on the first call with a
    given configuration; later calls with the same key and options reuse that
    work (a bounded cache of 64 configurations). A :class:`JWTVerifier` makes
    the reuse explicit.

    The checks (RFC 7519, RFC 8725): the signature, with ``alg`` in
    ``algorithms``; the payload is a JSON object; ``exp``, ``nbf`` and ``iat``,
    when present, are numbers (not strings or booleans): the token is
    rejected when ``now >= exp + leeway`` or ``now < nbf - leeway``, or when
    ``iat`` is later than ``now + leeway`` or older than ``max_age``; ``aud``
    must contain ``audience`` (and a token with ``aud`` is rejected when no
    audience is given); ``iss`` and ``sub`` must equal ``issuer`` and
    ``subject`` exactly, and are strings whenever present; ``jti`` is a string
    when present; every name in ``require`` is present; the header's ``typ``
    matches ``typ`` when given.

    Args:
        token: The compact JWT.
        key: The verification key (see :func:`minijwt.jws.verify`).
        algorithms: The algorithms you accept. Required.
        audience: This recipient's identifier(s).
        issuer: The expected issuer(s).
        subject: The expected subject.
        leeway: Allowed clock skew, seconds or ``timedelta``.
        require: Claims that must be present.
        max_age: Maximum age of ``iat``, seconds or ``timedelta``.
        typ: The expected ``typ`` header.
        now: The time to validate against; the clock when omitted.
        max_token_size: The longest token accepted, in characters.

    Returns:
        The claim set.

    Raises:
        InvalidTokenError: The token must be rejected; the subclass says why.
        InvalidKeyError: The key is invalid or does not fit the token.
        InvalidOptionError: An option is invalid.
    """
    # A prepared verifier per configuration, looked up by the key (by value
    # for text, by identity otherwise) and a snapshot of the options, with
    # the types of the numbers: leeway=True must not find leeway=1's verifier.
    try:
        cache_key = (
            key if type(key) is str or type(key) is bytes else id(key),
            tuple(algorithms) if type(algorithms) is list else _freeze(algorithms),
            audience if type(audience) is str or audience is None else _freeze(audience),
            issuer if type(issuer) is str or issuer is None else _freeze(issuer),
            subject,
            require if type(require) is tuple else _freeze(require),
            typ,
            leeway,
            type(leeway),
            max_age,
            type(max_age),
            max_token_size,
            type(max_token_size),
        )
        entry = _VERIFIERS.get(cache_key)
    except TypeError:  # something unhashable: no cache
        cache_key, entry = None, None
    # A text key is part of the cache key by value; any other key by id, which
    # is only valid while the cached object is that very object.
    if entry is not None and (entry[0] is key or type(key) is str or type(key) is bytes):
        verifier = entry[1]
    else:
        verifier = JWTVerifier(
            key,
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            subject=subject,
            leeway=leeway,
            require=require,
            max_age=max_age,
            typ=typ,
            max_token_size=max_token_size,
        )
        if cache_key is not None:
            _VERIFIERS.put(cache_key, (key, verifier))
    return verifier.decode(token, now=now)


def _freeze(option: object) -> object:
    # A snapshot of a list or set of names, so that the cache never sees a
    # container change under it; the verifier treats it like the original.
    if type(option) is list:
        return tuple(option)
    if type(option) is set:
        return frozenset(option)
    return option


#: How many decode() configurations keep a prepared verifier.
VERIFIER_CACHE_SIZE = 64
_VERIFIERS: BoundedCache[tuple[object, JWTVerifier]] = BoundedCache(VERIFIER_CACHE_SIZE)
