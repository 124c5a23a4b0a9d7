"""JSON Web Tokens: encode a claim set, decode and validate one (RFC 7519).

:func:`~minijwt.encode` and :func:`~minijwt.decode` are the familiar pair;
:class:`~minijwt.JWTVerifier` checks its options and prepares its key once, for
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
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, runtime_checkable

from . import _compact
from ._algorithms import Algorithm, allowlist
from ._base64url import b64encode
from ._cache import BoundedCache, memoize
from ._claims import ClaimRules, check_claims, check_typ, is_number, numeric_date, to_seconds, to_timestamp
from ._header import encode_header, mutable_copy, understood_extensions
from ._json import dumps, loads_object
from ._keys import Key
from ._memo import OPTIONS, VERIFIERS, recall, remember, snapshot
from ._memo import VERIFIER_CACHE_SIZE as VERIFIER_CACHE_SIZE  # noqa: PLC0414 - re-exported: minijwt.jwt's
from ._resolve import (
    AsyncResolver,
    KeyInput,
    Resolver,
    SingleKeyResolver,
    async_resolver_for,
    check_fits_any,
    fitting_resolver,
    signing_key,
)
from .errors import EncodeError, InvalidAlgorithmError, InvalidKeyError, InvalidOptionError

__all__ = ["JWTVerifier", "TokenVerifier", "VerifiedJWT", "adecode", "decode", "decode_complete", "encode"]

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
            ``expires_in`` is invalid, the claims already carry ``exp``
            while ``expires_in`` is given, or ``algorithm`` is unknown or
            ``none``.
        InvalidKeyError: The key does not fit the algorithm.

    Example:
        >>> import minijwt
        >>> token = minijwt.encode({"sub": "alice"}, b"a-secret-of-at-least-32-bytes!!!", "HS256")
        >>> minijwt.get_unverified_header(token)
        {'alg': 'HS256', 'typ': 'JWT'}
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
        alg, header_b64 = encode_header(algorithm, _JWT_HEADER)  # explains the bad algorithm
    elif isinstance(headers, Mapping):
        alg, header_b64 = encode_header(algorithm, {**_JWT_HEADER, **headers})
    else:
        raise EncodeError(f"headers must be a mapping, not {type(headers).__name__}")
    return _compact.sign(header_b64, b64encode(dumps(body, "claims")), signing_key(key, alg), alg)


_JWT_HEADER: Mapping[str, Any] = MappingProxyType({"typ": "JWT"})


#: How many algorithms keep their encoded default JWT header.
DEFAULT_HEADER_CACHE_SIZE = 32


@memoize("header.jwt_default", DEFAULT_HEADER_CACHE_SIZE)
def _default_header(algorithm: str) -> tuple[Algorithm, str]:
    """``{"alg": algorithm, "typ": "JWT"}``, encoded once per algorithm."""
    return encode_header(algorithm, _JWT_HEADER)


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


@dataclass(frozen=True, slots=True)
class VerifiedJWT:
    """A verified JWT: its protected header and its validated claim set.

    Attributes:
        header: The protected header (the caller's own copy).
        claims: The claim set, every claim check applied.
    """

    header: dict[str, Any]
    claims: dict[str, Any]


@runtime_checkable
class TokenVerifier(Protocol):
    """What the web integrations need of a verifier: :class:`JWTVerifier` and :class:`~minijwt.MultiIssuerVerifier`.

    Every middleware and integration takes any object with these members as
    ``verifier=``.
    """

    @property
    def may_wait(self) -> bool:
        """Whether finding a token's key may wait for the network (then async code awaits :meth:`adecode`)."""
        ...

    def decode(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> dict[str, Any]:
        """Verify a token and return its claims; raise an :class:`~minijwt.InvalidTokenError` if it is not valid."""
        ...

    async def adecode(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> dict[str, Any]:
        """The coroutine twin of :meth:`decode`."""
        ...


class JWTVerifier:
    """A prepared JWT verifier: options checked and key prepared once.

    Use one per configuration, for example one per API, and call
    :meth:`decode` for each request. It is immutable and thread-safe. Every
    configuration mistake (a bad option, a key that fits none of the
    algorithms) is raised here, when the verifier is built, so that a token
    can only ever cause an :class:`~minijwt.InvalidTokenError`.

    Example:
        >>> import minijwt
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> verifier = minijwt.JWTVerifier(key, algorithms=["HS256"], issuer="https://auth.example")
        >>> token = minijwt.encode({"iss": "https://auth.example"}, key)
        >>> verifier.decode(token)
        {'iss': 'https://auth.example'}
    """

    __slots__ = ("_allowed", "_aresolve", "_crit", "_hot", "_key", "_max_token_size", "_resolve", "_rules")

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
        crit: Collection[str] = (),
        clock: Callable[[], float | dt.datetime] | None = None,
    ) -> None:
        """Check the options and prepare the key.

        Args:
            key: The verification key (see :func:`minijwt.jws.verify`): a
                single key, a :class:`~minijwt.JWK`, a :class:`~minijwt.JWKSet`
                or any :class:`~minijwt.KeySource`.
            algorithms: The algorithms you accept. Required.
            audience: This recipient's identifier, or several: the token's
                ``aud`` must contain at least one of them. When omitted, a
                token that has ``aud`` is rejected (RFC 7519 §4.1.3).
            issuer: The expected ``iss`` (or several); exact string match.
            subject: The expected ``sub``; exact string match.
            leeway: Allowed clock skew, in seconds or as a ``timedelta``.
            require: Claims that must be present (a ``null`` value counts as
                absent).
            max_age: Reject tokens whose ``iat`` is older than this (seconds
                or ``timedelta``); makes ``iat`` required.
            typ: The expected ``typ`` header, compared case-insensitively
                (ASCII) with an omitted ``application/`` prefix (e.g. ``"at+jwt"``).
            max_token_size: The longest token accepted, in characters.
            crit: The extension header parameters you understand and check
                yourself (RFC 7515 §4.1.11): a token whose ``crit`` lists any
                other name is refused. A JWT never has an unencoded payload
                (RFC 7797 §7), so ``b64: false`` is refused whatever ``crit``
                says.
            clock: The time, in seconds since the epoch (or as an aware
                ``datetime``), read when a call passes no ``now=``; the
                system clock by default. A frozen clock
                (:class:`minijwt.testing.FrozenClock`) lets a test of an
                application move time by hand.

        Raises:
            InvalidOptionError: An option is invalid: ``algorithms`` empty,
                ``None`` or naming an unknown algorithm or ``none``; an empty
                ``audience`` or ``issuer``; a negative ``leeway`` ...
            InvalidKeyError: The key is invalid or fits none of ``algorithms``.
        """
        self._allowed = allowlist(algorithms)
        self._rules = ClaimRules.build(
            audience=audience,
            issuer=issuer,
            subject=subject,
            leeway=leeway,
            require=require,
            max_age=max_age,
            typ=typ,
            clock=clock,
        )
        self._max_token_size = _compact.check_max_token_size(max_token_size)
        self._crit = understood_extensions(crit)
        self._key = key
        self._resolve: Resolver | None = None
        self._aresolve: AsyncResolver | None = None
        if callable(getattr(key, "aresolve_key", None)):
            self._aresolve = async_resolver_for(key)
        if self._aresolve is None or callable(getattr(key, "resolve_key", None)):
            # The key is loaded, its fit worked out and checked, and its
            # resolver made, once.
            self._resolve = fitting_resolver(key, self._allowed)
        else:
            check_fits_any(key, self._allowed, None)  # an async-only source: only it can say
        # A single key: the resolve step is a set lookup, done inline.
        static = self._resolve if isinstance(self._resolve, SingleKeyResolver) else None
        # What decode() reads for every token, in one tuple: one attribute
        # load instead of seven.
        self._hot = (
            self._allowed,
            self._max_token_size,
            self._crit,
            static.key if static is not None else None,
            static.serves if static is not None else frozenset(),
            self._rules,
            self._resolve,
        )

    @property
    def may_wait(self) -> bool:
        """Whether finding a token's key may wait, since its key source has ``aresolve_key`` (the JWKS clients).

        When false (a single key, a :class:`~minijwt.JWK` or
        :class:`~minijwt.JWKSet`, a key source with ``resolve_key`` only),
        :meth:`adecode` never awaits anything, and async code may call
        :meth:`decode` instead, without a coroutine.

        Example:
            >>> import minijwt
            >>> minijwt.JWTVerifier(b"a-secret-of-at-least-32-bytes!!!", algorithms=["HS256"]).may_wait
            False
        """
        return self._aresolve is not None

    def decode(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> dict[str, Any]:
        """Verify a JWT and validate its claims; return the claim set.

        Args:
            token: The compact JWT.
            now: The time to validate against (seconds since the epoch or an
                aware ``datetime``); the clock when omitted.

        Returns:
            The claim set.

        Raises:
            InvalidTokenError: One of its subclasses says what was wrong:
                malformed (``DecodeError``), bad signature, algorithm not
                allowed or not one the key serves, expired, not yet valid,
                wrong audience, issuer, subject or type, a required claim
                missing, no key for the token (``KeyNotFoundError``).
            InvalidOptionError: ``now`` is invalid.
        """
        allowed, max_token_size, crit, static_key, serves, rules, resolve = self._hot
        if resolve is None:
            raise _needs_adecode(self._key)
        # parse -> resolve -> check signature -> claims (RFC 8725 order).
        header, alg, signing_input, signature, payload = _parse(token, allowed, max_token_size, crit)
        # A single key's resolve step is a set lookup, done inline.
        key = static_key if alg.name in serves else resolve(header, alg)
        if not alg.verify(key, signing_input, signature):  # _compact.check_signature, inline
            raise _compact.bad_signature()
        # The claims step, written out here: it runs for every token.
        if rules.typ is not None:
            check_typ(header, rules)
        claims = loads_object(payload, "payload")
        check_claims(claims, rules, None if now is None else to_timestamp(now, "now"))
        return claims

    def decode_complete(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> VerifiedJWT:
        """Like :meth:`decode`, and return the protected header too.

        Every claim check is applied, as in :meth:`decode`.

        Returns:
            The header and the claim set.

        Example:
            >>> import minijwt
            >>> key = b"a-secret-of-at-least-32-bytes!!!"
            >>> verifier = minijwt.JWTVerifier(key, algorithms=["HS256"])
            >>> verifier.decode_complete(minijwt.encode({}, key, headers={"kid": "k1"})).header["kid"]
            'k1'
        """
        resolve = self._resolve
        if resolve is None:
            raise _needs_adecode(self._key)
        parsed = _compact.parse_jwt(token, self._allowed, self._max_token_size, self._crit)
        header, alg = parsed[0], parsed[1]
        _compact.check_signature(alg, resolve(header, alg), parsed[2], parsed[3])
        return VerifiedJWT(mutable_copy(header), self._claims(parsed, now))

    async def adecode(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> dict[str, Any]:
        """The coroutine twin of :meth:`decode`: awaits an asynchronous key lookup.

        Use it in async code with an :class:`~minijwt.AsyncKeySource` (such as
        an async JWKS client); with any other key it does the same as
        :meth:`decode` without a thread hop.

        Example:
            >>> import asyncio, minijwt
            >>> key = b"a-secret-of-at-least-32-bytes!!!"
            >>> verifier = minijwt.JWTVerifier(key, algorithms=["HS256"])
            >>> asyncio.run(verifier.adecode(minijwt.encode({"sub": "a"}, key)))
            {'sub': 'a'}
        """
        parsed = _compact.parse_jwt(token, self._allowed, self._max_token_size, self._crit)
        header, alg = parsed[0], parsed[1]
        aresolve = self._aresolve
        if aresolve is not None:
            key = await aresolve(header, alg)
        else:
            key = self._resolve(header, alg)  # type: ignore[misc]
        _compact.check_signature(parsed[1], key, parsed[2], parsed[3])
        return self._claims(parsed, now)

    def _check_parsed(
        self, parsed: _compact.ParsedCompact, claims: dict[str, Any], now: float | None, key: Key | None = None
    ) -> None:
        """Every step after routing, for a token parsed and whose claims were read to route it.

        The multi-issuer verifier parses once, with the union of its issuers'
        algorithms, so the algorithm is checked against this verifier's own
        list here. ``key`` is the key it chose itself (by the issuer rules of
        a JWK Set); else this verifier's resolver finds it. Written out as
        :meth:`decode` is, since it runs for every token.
        """
        header, alg, signing_input, signature, _ = parsed
        allowed, _, _, static_key, serves, rules, resolve = self._hot
        if alg.name not in allowed:
            raise InvalidAlgorithmError(f"algorithm {alg.name} is not in the allowed algorithms")
        if key is None:
            if alg.name in serves:
                key = static_key
            elif resolve is None:
                raise _needs_adecode(self._key)
            else:
                key = resolve(header, alg)
        if not alg.verify(key, signing_input, signature):
            raise _compact.bad_signature()
        if rules.typ is not None:
            check_typ(header, rules)
        check_claims(claims, rules, now)

    async def _acheck_parsed(self, parsed: _compact.ParsedCompact, claims: dict[str, Any], now: float | None) -> None:
        """The coroutine twin of :meth:`_check_parsed`: awaits an asynchronous key lookup."""
        header, alg, signing_input, signature, _ = parsed
        if alg.name not in self._allowed:
            raise InvalidAlgorithmError(f"algorithm {alg.name} is not in the allowed algorithms")
        aresolve = self._aresolve
        key = await aresolve(header, alg) if aresolve is not None else self._resolve(header, alg)  # type: ignore[misc]
        _compact.check_signature(alg, key, signing_input, signature)
        self._check_claims(header, claims, now)

    def _check_claims(self, header: Mapping[str, Any], claims: dict[str, Any], now: float | None) -> None:
        rules = self._rules
        if rules.typ is not None:
            check_typ(header, rules)
        check_claims(claims, rules, now)

    def _claims(self, parsed: _compact.ParsedCompact, now: float | dt.datetime | None) -> dict[str, Any]:
        rules = self._rules
        header, _, _, _, payload = parsed
        if rules.typ is not None:
            check_typ(header, rules)
        claims = loads_object(payload, "payload")
        check_claims(claims, rules, None if now is None else to_timestamp(now, "now"))
        return claims

    @classmethod
    def access_token(
        cls,
        key: KeyInput,
        *,
        issuer: str | Collection[str],
        audience: str | Collection[str],
        algorithms: str | Collection[str],
        **options: Any,
    ) -> JWTVerifier:
        """A verifier of OAuth 2.0 access tokens in the JWT profile (RFC 9068).

        RFC 9068 §4: the ``typ`` header must be ``at+jwt`` (or
        ``application/at+jwt``), so that an ID token or another JWT signed by
        the same issuer is never taken for an access token; ``iss``, ``exp``,
        ``aud``, ``sub``, ``iat``, ``jti`` and ``client_id`` are required, the
        issuer and the audience checked.

        Args:
            key: The verification key, usually the issuer's
                :class:`~minijwt.JWKSClient`.
            issuer: The authorization server's issuer identifier(s).
            audience: This resource server's identifier(s).
            algorithms: The algorithms you accept.
            **options: Any other keyword of :class:`JWTVerifier` (``leeway``,
                ``max_age`` ...); names given in ``require`` are required on
                top of the profile's.

        Raises:
            InvalidOptionError: An option is invalid, or ``typ`` names
                another type.
            InvalidKeyError: The key fits none of ``algorithms``.

        Example:
            >>> import minijwt
            >>> key = b"a-secret-of-at-least-32-bytes!!!"
            >>> verifier = minijwt.JWTVerifier.access_token(
            ...     key, issuer="https://login.example", audience="https://api.example", algorithms=["HS256"]
            ... )
            >>> claims = {"iss": "https://login.example", "aud": "https://api.example", "sub": "alice",
            ...           "client_id": "app", "jti": "a1", "iat": 1700000000, "exp": 4100000000}
            >>> verifier.decode(minijwt.encode(claims, key, headers={"typ": "at+jwt"}))["sub"]
            'alice'
            >>> verifier.decode(minijwt.encode(claims, key))  # typ "JWT": an ID token, say
            Traceback (most recent call last):
            ...
            minijwt.errors.InvalidTokenTypeError: ...
        """
        # RFC 9068 §4: the issuer and the audience are always checked, so
        # neither may be left out (None: an unset environment variable, say).
        for name, value in (("issuer", issuer), ("audience", audience)):
            if value is None:
                raise InvalidOptionError(f"{name} is required for access tokens (RFC 9068 §4); it cannot be None")
        typ = options.pop("typ", "at+jwt")
        if type(typ) is not str or typ not in {"at+jwt", "application/at+jwt"}:
            raise InvalidOptionError("an access token's typ is at+jwt (RFC 9068 §2.1); no other typ can be chosen")
        extra = options.pop("require", ())
        if isinstance(extra, (str, bytes, Mapping)) or not isinstance(extra, Iterable):
            raise InvalidOptionError("require must be a list of claim names")
        extra = tuple(extra)
        if not all(isinstance(name, str) for name in extra):
            raise InvalidOptionError("require must contain only claim names (strings)")
        require = tuple(dict.fromkeys(("iss", "exp", "aud", "sub", "iat", "jti", "client_id", *extra)))
        return cls(
            key, issuer=issuer, audience=audience, algorithms=algorithms, typ="at+jwt", require=require, **options
        )


def _needs_adecode(key: object) -> InvalidKeyError:
    return InvalidKeyError(f"{type(key).__name__} looks keys up asynchronously: use adecode (await it)")


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
    max_token_size: int = _compact.DEFAULT_MAX_TOKEN_SIZE,
    crit: Collection[str] = (),
    clock: Callable[[], float | dt.datetime] | None = None,
    now: float | dt.datetime | None = None,
) -> dict[str, Any]:
    """Verify a JWT and validate its claims; return the claim set.

    The options are checked and the key prepared on the first call with a
    given configuration; later calls with the same key and options reuse that
    work (a bounded cache of 64 configurations). A :class:`JWTVerifier` makes
    the reuse explicit. The options are :class:`JWTVerifier`'s, plus ``now``.

    The checks (RFC 7519, RFC 8725): the signature, with ``alg`` in
    ``algorithms``; the payload is a JSON object; ``exp``, ``nbf`` and ``iat``,
    when present, are numbers (not strings or booleans): the token is
    rejected when ``now >= exp + leeway`` or ``now < nbf - leeway``, or when
    ``iat`` is later than ``now + leeway`` or older than ``max_age``; ``aud``
    must contain ``audience`` (and a token with ``aud`` is rejected when no
    audience is given); ``iss`` and ``sub`` must equal ``issuer`` and
    ``subject`` exactly, and are strings whenever present; ``jti`` is a string
    when present; every name in ``require`` is present and not ``null``; the
    header's ``typ`` matches ``typ`` when given.

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
        max_token_size: The longest token accepted, in characters.
        crit: The extension header parameters you understand (RFC 7515
            §4.1.11); a token whose ``crit`` lists another name is refused.
        clock: The time when ``now`` is omitted (see :class:`JWTVerifier`);
            the system clock by default.
        now: The time to validate against (seconds or an aware ``datetime``);
            ``clock`` when omitted.

    Returns:
        The claim set.

    Raises:
        InvalidTokenError: The token must be rejected; the subclass says why.
        InvalidKeyError: The key is invalid or fits none of ``algorithms``.
        InvalidOptionError: An option is invalid.
    """
    # _verifier()'s lookup, written out: this runs for every token, and the
    # call would add a tenth to the cost of decode(). For every option that
    # hashes, the cache key must be the one _verifier() makes: any other tuple
    # only misses, and _verifier() below then finds the verifier (a test
    # checks the hit). Lists are snapshot here for the options usually given
    # as lists; a list of crit names, or a set, takes the longer way.
    text_key = type(key) is str or type(key) is bytes
    try:
        entry = _VERIFIERS.get(
            (
                key if text_key else id(key),
                tuple(algorithms) if type(algorithms) is list else algorithms,
                tuple(audience) if type(audience) is list else audience,
                tuple(issuer) if type(issuer) is list else issuer,
                subject,
                tuple(require) if type(require) is list else require,
                typ,
                crit,
                leeway,
                max_age,
                max_token_size,
                type(leeway),
                type(max_age),
                type(max_token_size),
                clock,
            )
        )
    except TypeError:  # a set, or a list of crit names: _verifier() takes a snapshot
        entry = None
    if entry is not None and (text_key or entry[0] is key):
        return entry[1].decode(token, now=now)
    verifier = _verifier(
        key, algorithms, audience, issuer, subject, leeway, require, max_age, typ, max_token_size, crit, clock
    )
    return verifier.decode(token, now=now)


def decode_complete(
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
    max_token_size: int = _compact.DEFAULT_MAX_TOKEN_SIZE,
    crit: Collection[str] = (),
    clock: Callable[[], float | dt.datetime] | None = None,
    now: float | dt.datetime | None = None,
) -> VerifiedJWT:
    """Like :func:`decode`, and return the protected header with the claims.

    PyJWT's ``decode_complete`` maps here: every claim check is applied.

    Returns:
        The header and the claim set.

    Example:
        >>> import minijwt
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> result = minijwt.decode_complete(minijwt.encode({"sub": "a"}, key), key, algorithms=["HS256"])
        >>> result.header, result.claims
        ({'alg': 'HS256', 'typ': 'JWT'}, {'sub': 'a'})
    """
    return _verifier(
        key, algorithms, audience, issuer, subject, leeway, require, max_age, typ, max_token_size, crit, clock
    ).decode_complete(token, now=now)


async def adecode(
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
    max_token_size: int = _compact.DEFAULT_MAX_TOKEN_SIZE,
    crit: Collection[str] = (),
    clock: Callable[[], float | dt.datetime] | None = None,
    now: float | dt.datetime | None = None,
) -> dict[str, Any]:
    """The coroutine twin of :func:`decode`, for an asynchronous key source.

    Accepts every key :func:`decode` accepts, plus an
    :class:`~minijwt.AsyncKeySource` such as an async JWKS client, whose
    lookup it awaits. Every other step is :func:`decode`'s.

    Example:
        >>> import asyncio, minijwt
        >>> key = b"a-secret-of-at-least-32-bytes!!!"
        >>> asyncio.run(minijwt.adecode(minijwt.encode({"sub": "a"}, key), key, algorithms=["HS256"]))
        {'sub': 'a'}
    """
    verifier = _verifier(
        key, algorithms, audience, issuer, subject, leeway, require, max_age, typ, max_token_size, crit, clock
    )
    return await verifier.adecode(token, now=now)


def _verifier(key: object, *options: object) -> JWTVerifier:
    """The prepared verifier for a configuration (the key, then ``_memo.OPTIONS``), from the memo or new."""
    snap = snapshot(key, *options)
    found: JWTVerifier | None = recall(snap, key)
    if found is not None:
        return found
    verifier = JWTVerifier(key, **dict(zip(OPTIONS, options, strict=True)))  # type: ignore[arg-type]
    remember(snap, key, verifier)
    return verifier


_parse = _compact.parse_jwt


#: decode()'s memo, typed for this module (the same cache object).
_VERIFIERS: BoundedCache[tuple[object, JWTVerifier]] = VERIFIERS
