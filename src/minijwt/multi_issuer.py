"""Tokens from several issuers, each verified only with its own keys (RFC 8725 §3.8).

:class:`MultiIssuerVerifier` reads a token's ``iss`` before any I/O, routes
it to that issuer's configuration (an :class:`IssuerConfig`: its keys, its
audience, its algorithms), and verifies it with that issuer's keys alone. The
issuers are a fixed mapping, tenant templates (``{tenantid}``, as Microsoft
Entra writes them), or a function that looks them up; issuers a token's author
can name (a function's, a template's) are fetched only from the public
internet.

Example:
    >>> import minijwt
    >>> a, b = b"secret-of-issuer-a-32-bytes-long", b"secret-of-issuer-b-32-bytes-long"
    >>> verifier = minijwt.MultiIssuerVerifier(
    ...     {"https://a.example": minijwt.IssuerConfig(a), "https://b.example": minijwt.IssuerConfig(b)},
    ...     algorithms=["HS256"],
    ... )
    >>> verifier.decode(minijwt.encode({"iss": "https://b.example", "sub": "bob"}, b))
    {'iss': 'https://b.example', 'sub': 'bob'}
    >>> verifier.decode(minijwt.encode({"iss": "https://b.example", "sub": "eve"}, a))  # A's key, B's name
    Traceback (most recent call last):
    ...
    minijwt.errors.InvalidSignatureError: signature verification failed
"""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import logging
import threading
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

from . import _compact
from ._algorithms import ALGORITHMS, Algorithm, allowlist
from ._cache import LRUCache
from ._claims import to_timestamp
from ._header import mutable_copy, understood_extensions
from ._http import public_fetch, safe_url
from ._issuers import (
    TENANT,
    check_dynamic_issuer,
    check_template,
    fetched_url_problem,
    issuer_member_matches,
    match_template,
    tenant_rule,
    token_issuer,
)
from ._json import loads_object
from ._jwks_core import is_async
from ._keys import Key
from ._resolve import KeyInput
from .errors import InvalidIssuerError, InvalidKeyError, InvalidOptionError, JWKSFetchError, KeyNotFoundError
from .jwk import JWK, JWKSet
from .jwks_client import AsyncJWKSClient, JWKSClient, JWKSStatus
from .jwt import JWTVerifier, VerifiedJWT

__all__ = ["IssuerConfig", "MultiIssuerVerifier"]

_log = logging.getLogger("minijwt")

#: The claim options an issuer's configuration may set (each replaces the verifier's).
CLAIM_OPTIONS = frozenset({"leeway", "require", "max_age", "typ", "subject"})
#: The options of the JWKS clients the verifier builds.
CLIENT_OPTIONS = frozenset(
    {"cache_ttl", "min_refresh_interval", "timeout", "max_bytes", "max_stale", "refresh_ahead", "max_keys", "headers"}
)
# Options that shape the parse, done once before routing: the verifier's only.
_PARSE_OPTIONS = frozenset({"crit", "max_token_size"})
# A fetch refused for these reasons was refused because of where the token's
# author pointed it: the token's fault (401), never an outage (503).
_REFUSED_REASONS = frozenset({"forbidden_address", "insecure_url"})
# The tenant a template's options are checked with when the verifier is built.
_NO_ONE = "00000000-0000-0000-0000-000000000000"
# RFC 9068 §2.2: the claims every access token carries.
_ACCESS_TOKEN_CLAIMS = ("iss", "exp", "aud", "sub", "iat", "jti", "client_id")

_Client = JWKSClient | AsyncJWKSClient


@dataclass(frozen=True, slots=True, init=False, eq=False)
class IssuerConfig:
    """One issuer's keys and rules, for :class:`MultiIssuerVerifier`.

    Where the keys come from, first given first: ``keys`` (any key input: a
    key, a :class:`~minijwt.JWK`, a :class:`~minijwt.JWKSet`, a
    :class:`~minijwt.KeySource`, a :class:`~minijwt.JWKSClient`); else
    ``jwks_uri``; else the issuer's discovery document (OIDC Discovery, then
    RFC 8414, as :meth:`JWKSClient.from_issuer <minijwt.JWKSClient.from_issuer>`).

    Args:
        keys: The issuer's verification keys.
        jwks_uri: The issuer's JWK Set URL, when ``keys`` is not given.
        audience: This issuer's expected audience; replaces the verifier's.
        algorithms: This issuer's algorithms; replace the verifier's (not
            merged: an issuer may allow one the verifier's list lacks).
        tenants: For a tenant template (an issuer with ``{tenantid}``): the
            tenant ids accepted, a collection or a function ``(tid) -> bool``.
            Required for a template; refused for any other issuer.
        **options: Claim options (``leeway``, ``require``, ``max_age``,
            ``typ``, ``subject``), each replacing the verifier's, and options
            of the JWKS client built for the issuer (``cache_ttl``,
            ``min_refresh_interval``, ``timeout``, ``max_stale`` ...).

    Raises:
        InvalidOptionError: An unknown option, both ``keys`` and ``jwks_uri``,
            or a ``jwks_uri`` that is not a string.

    Example:
        >>> import minijwt
        >>> minijwt.IssuerConfig(jwks_uri="https://login.example/jwks.json", audience="api").jwks_uri
        'https://login.example/jwks.json'
    """

    keys: KeyInput | None
    jwks_uri: str | None
    audience: str | Collection[str] | None
    algorithms: str | Collection[str] | None
    tenants: Collection[str] | Callable[[str], bool] | None
    #: The claim and client options given, by name.
    options: Mapping[str, Any]

    def __init__(
        self,
        keys: KeyInput | None = None,
        *,
        jwks_uri: str | None = None,
        audience: str | Collection[str] | None = None,
        algorithms: str | Collection[str] | None = None,
        tenants: Collection[str] | Callable[[str], bool] | None = None,
        **options: Any,
    ) -> None:
        """Check the options' names and shapes; the values are checked when a verifier uses the configuration."""
        unknown = set(options) - CLAIM_OPTIONS - CLIENT_OPTIONS
        if unknown:
            raise InvalidOptionError(f"IssuerConfig: unknown option {sorted(unknown)[0]!r}")
        if keys is not None and jwks_uri is not None:
            raise InvalidOptionError("IssuerConfig: give keys or jwks_uri, not both")
        if jwks_uri is not None and not isinstance(jwks_uri, str):
            raise InvalidOptionError("IssuerConfig: jwks_uri must be a URL string")
        # Frozen: what a verifier prepared from it cannot change behind its back.
        for name, value in (
            ("keys", keys),
            ("jwks_uri", jwks_uri),
            ("audience", audience),
            ("algorithms", algorithms),
            ("tenants", tenants),
            ("options", MappingProxyType(dict(options))),
        ):
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        source = "keys" if self.keys is not None else f"jwks_uri={self.jwks_uri!r}" if self.jwks_uri else "discovery"
        return f"IssuerConfig({source})"


#: What ``issuers=`` may be: a mapping, or a function (plain or coroutine) of the unverified ``iss``.
Issuers = Mapping[str, IssuerConfig] | Callable[[str], IssuerConfig | Awaitable[IssuerConfig | None] | None]


class _Route:
    """One issuer as the verifier holds it: its prepared verifier, and the JWKS client its keys come from."""

    __slots__ = ("client", "dynamic", "issuer", "refused", "tid", "verifier")

    def __init__(
        self, issuer: str, verifier: JWTVerifier, client: _Client | None, *, dynamic: bool, tid: str | None
    ) -> None:
        self.issuer = issuer
        self.verifier = verifier
        self.client = client
        self.dynamic = dynamic
        #: A template's tenant: every token routed here must carry it as ``tid``.
        self.tid = tid
        #: Why this issuer may not be contacted, once a fetch was refused for it.
        self.refused: str | None = None


def _key_for_issuer(iss: str, tid: str | None, header: Mapping[str, Any], alg: Algorithm) -> Callable[[JWKSet], Key]:
    """The key for a token from a published set, where a JWK's ``issuer`` member must name the token's issuer."""

    def pick(keys: JWKSet) -> Key:
        jwk: JWK = keys.select(header, alg)
        member = jwk.extra.get("issuer")
        if member is not None and not issuer_member_matches(member, iss, tid):
            raise KeyNotFoundError("the key for this token belongs to another issuer (its 'issuer' member)")
        return jwk.key

    return pick


class MultiIssuerVerifier:
    """A verifier of tokens from several issuers, each checked with its own keys and rules.

    The token is parsed once; its ``iss`` (read from the unverified payload)
    chooses the issuer's configuration before anything is fetched, and only
    that issuer's keys can verify it (RFC 8725 §3.8): a token naming issuer B
    signed with issuer A's key fails, even under a ``kid`` both publish.
    Issuers produced by a function or a template are held at most
    ``max_issuers`` at a time (least recently used first out), and are
    fetched from the public internet only (see ``allow_private_networks``).

    Args:
        issuers: A mapping from issuer identifier to :class:`IssuerConfig`,
            or a function ``(unverified_iss) -> IssuerConfig | None`` (a
            coroutine function serves :meth:`adecode` only). A mapping key
            holding ``{tenantid}`` is a tenant template.
        algorithms: The algorithms accepted (an issuer's own list replaces it).
        audience: The expected audience (an issuer's own replaces it).
        max_issuers: The most issuers from a function or a template held at once.
        allow_private_networks: Let issuers from a function or a template be
            fetched from any address, and over ``http`` from loopback (tests).
        fetch: The JWKS clients' ``fetch=``: a plain function serves
            :meth:`decode` and :meth:`adecode`, a coroutine function
            :meth:`adecode` only.
        clock: Seconds since the epoch, read when a call passes no ``now=``;
            also the built clients' clock.
        **options: :class:`~minijwt.JWTVerifier`'s options (``leeway``,
            ``require``, ``max_age``, ``typ``, ``subject``, ``crit``,
            ``max_token_size``) and the built JWKS clients' (``cache_ttl``,
            ``min_refresh_interval``, ``timeout``, ``max_stale`` ...).

    Raises:
        InvalidOptionError: An option is invalid; a template without
            ``tenants``; a template whose host is a non-global address.
        InvalidKeyError: A listed issuer's keys fit none of its algorithms.

    Example:
        >>> import minijwt
        >>> verifier = minijwt.MultiIssuerVerifier(
        ...     {"https://a.example": minijwt.IssuerConfig(b"secret-of-issuer-a-32-bytes-long")}, algorithms=["HS256"]
        ... )
        >>> verifier.decode(minijwt.encode({"iss": "https://c.example"}, b"secret-of-issuer-a-32-bytes-long"))
        Traceback (most recent call last):
        ...
        minijwt.errors.InvalidIssuerError: the token's issuer is not one this verifier accepts
    """

    def __init__(
        self,
        issuers: Issuers,
        *,
        algorithms: str | Collection[str],
        audience: str | Collection[str] | None = None,
        max_issuers: int = 100,
        allow_private_networks: bool = False,
        fetch: Callable[..., Any] | None = None,
        clock: Callable[[], float] | None = None,
        **options: Any,
    ) -> None:
        """Check every option, and prepare every listed issuer (nothing is fetched)."""
        self._setup(issuers, algorithms, audience, max_issuers, allow_private_networks, fetch, clock, options, False)

    def _setup(  # noqa: PLR0917 - the constructor's options, and whether access tokens are verified
        self,
        issuers: Issuers,
        algorithms: str | Collection[str],
        audience: str | Collection[str] | None,
        max_issuers: int,
        allow_private_networks: bool,
        fetch: Callable[..., Any] | None,
        clock: Callable[[], float] | None,
        options: dict[str, Any],
        access_token: bool,
    ) -> None:
        unknown = set(options) - CLAIM_OPTIONS - CLIENT_OPTIONS - _PARSE_OPTIONS
        if unknown:
            raise InvalidOptionError(f"MultiIssuerVerifier: unknown option {sorted(unknown)[0]!r}")
        if type(max_issuers) is not int or max_issuers < 1:
            raise InvalidOptionError("max_issuers must be a positive integer")
        if type(allow_private_networks) is not bool:
            raise InvalidOptionError("allow_private_networks must be True or False")
        if fetch is not None and not callable(fetch):
            raise InvalidOptionError("fetch must be a function")
        if clock is not None and not callable(clock):
            raise InvalidOptionError("clock must be a function returning seconds since the epoch")
        self._algorithms = allowlist(algorithms)
        self._audience = audience
        self._claim_options = {name: options[name] for name in CLAIM_OPTIONS & set(options)}
        self._client_options = {name: options[name] for name in CLIENT_OPTIONS & set(options)}
        if access_token:
            self._claim_options = _access_token_options(self._claim_options)
        self._access_token = access_token
        self._max_token_size = _compact.check_max_token_size(
            options.get("max_token_size", _compact.DEFAULT_MAX_TOKEN_SIZE)
        )
        self._crit = understood_extensions(options.get("crit", ()))
        self._max_issuers = max_issuers
        self._allow_private = allow_private_networks
        self._fetch = fetch
        self._async_fetch = fetch is not None and is_async(fetch)
        self._adecode_only = self._async_fetch
        self._clock = clock
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._templates: dict[str, IssuerConfig] = {}
        self._tenant_rules: dict[str, Callable[[str], bool]] = {}
        self._function: Callable[[str], Any] | None = None
        self._async_function = False
        self._dynamic = LRUCache[_Route](max_issuers)
        self._clients: dict[tuple[str, str], _Client] = {}
        self._dynamic_clients = LRUCache[_Client](max_issuers)
        self._parse_allowed = self._listed(issuers)

    def _listed(self, issuers: Issuers) -> frozenset[str]:
        """Prepare every listed issuer and template; return the algorithms any of them allows (the parse's)."""
        if callable(issuers) and not isinstance(issuers, Mapping):
            self._function = issuers
            self._async_function = is_async(issuers)
            self._adecode_only = self._adecode_only or self._async_function
            return frozenset(ALGORITHMS)  # an issuer's own list may hold any
        if not isinstance(issuers, Mapping) or not issuers:
            raise InvalidOptionError("issuers must be a non-empty mapping of issuer to IssuerConfig, or a function")
        allowed = set(self._algorithms)
        for issuer, config in issuers.items():
            try:
                token_issuer({"iss": issuer})  # what a token's iss must be to be routed at all
            except InvalidIssuerError:
                raise InvalidOptionError(f"issuers: {issuer!r} is not an issuer a token could name") from None
            if not isinstance(config, IssuerConfig):
                raise InvalidOptionError(f"issuers[{issuer!r}] must be an IssuerConfig, not {type(config).__name__}")
            if TENANT in issuer:
                check_template(issuer, allow_private_networks=self._allow_private)
                self._tenant_rules[issuer] = tenant_rule(issuer, config.tenants)
                self._templates[issuer] = config
                # Its options are checked now, on a tenant of no one (no client is kept).
                try:
                    sample = self._build(issuer.replace(TENANT, _NO_ONE), config, True, _NO_ONE)
                except InvalidIssuerError:  # its jwks_uri: a mistake of the configuration, not of a token
                    raise InvalidOptionError(
                        f"issuers[{issuer!r}]: jwks_uri must be an https URL without user information,"
                        " query or fragment"
                    ) from None
                allowed |= sample.verifier._allowed
                continue
            if config.tenants is not None:
                raise InvalidOptionError(f"issuers[{issuer!r}]: tenants= is for a template with {TENANT}")
            route = self._build(issuer, config, False, None)
            self._routes[issuer] = route
            allowed |= route.verifier._allowed
        return frozenset(allowed)

    # --- building an issuer's route ------------------------------------------------------------

    def _build(self, issuer: str, config: IssuerConfig, dynamic: bool, tid: str | None) -> _Route:
        """The route of one issuer: its verifier, and the client its keys come from (no I/O).

        ``tid`` is the tenant of a template's issuer (the tokens routed to it must name it).
        """
        claim_options = {**self._claim_options, **{k: v for k, v in config.options.items() if k in CLAIM_OPTIONS}}
        if self._access_token:
            claim_options = _access_token_options(claim_options)
        client: _Client | None = None
        keys: object = config.keys
        if keys is None:
            if dynamic:
                check_dynamic_issuer(issuer, allow_private_networks=self._allow_private)
            client = self._client_for(issuer, config, dynamic, store=tid != _NO_ONE)
            keys = client
        elif isinstance(keys, (JWKSClient, AsyncJWKSClient)):
            client = keys
        verifier = JWTVerifier(
            cast("KeyInput", keys),
            algorithms=config.algorithms if config.algorithms is not None else self._algorithms,
            audience=config.audience if config.audience is not None else self._audience,
            issuer=issuer,
            **claim_options,
        )
        return _Route(issuer, verifier, client, dynamic=dynamic, tid=tid)

    def _client_for(self, issuer: str, config: IssuerConfig, dynamic: bool, *, store: bool = True) -> _Client:
        """The JWKS client of an issuer: one per JWK Set URL (or per discovered issuer), shared by issuers naming it."""
        source = ("jwks", config.jwks_uri) if config.jwks_uri is not None else ("issuer", issuer)
        held = self._dynamic_clients.get(source) if dynamic else self._clients.get(source)
        if held is None:
            held = self._clients.get(source)  # a listed issuer's client serves a dynamic one naming the same URL
        if held is not None:
            return held
        options: dict[str, Any] = {
            **self._client_options,
            **{k: v for k, v in config.options.items() if k in CLIENT_OPTIONS},
        }
        if self._clock is not None:
            options["clock"] = self._clock
        fetch = self._fetch
        if dynamic and not self._allow_private:
            fetch = _guarded(fetch)
        cls: type[_Client] = AsyncJWKSClient if fetch is not None and is_async(fetch) else JWKSClient
        if fetch is not None:
            options["fetch"] = fetch
        if config.jwks_uri is not None:
            if dynamic:
                check_dynamic_issuer(config.jwks_uri, allow_private_networks=self._allow_private)
            client: _Client = cls(config.jwks_uri, **options)
        else:
            client = cls.from_issuer(issuer, **options)
        if not store:
            pass
        elif dynamic:
            self._dynamic_clients.put(source, client)
        else:
            self._clients[source] = client
        return client

    # --- routing -------------------------------------------------------------------------------

    def _route(self, iss: str, claims: Mapping[str, Any]) -> _Route | tuple[IssuerConfig | None, str | None]:
        """The route of an issuer, or what to build one from: ``(config, tid)``, or ``(None, None)`` for the function.

        No I/O: an issuer that is neither listed, nor a listed template's
        accepted tenant, nor left to a function, is refused here.
        """
        route = self._routes.get(iss)
        if route is not None:
            return route
        route = self._dynamic.get(iss)
        if route is not None:
            if route.refused is not None:
                raise InvalidIssuerError(route.refused, claim="iss")
            if route.tid is not None and claims.get("tid") != route.tid:
                raise InvalidIssuerError("the token's tid does not match its issuer", claim="iss")
            return route
        if self._templates:
            matched = match_template(iss, claims, self._templates)
            if matched is not None:
                template, tid = matched
                if not self._tenant_rules[template](tid):
                    raise InvalidIssuerError("the token's tenant is not one this verifier accepts", claim="iss")
                return self._templates[template], tid
        if self._function is None:
            raise InvalidIssuerError("the token's issuer is not one this verifier accepts", claim="iss")
        return None, None

    def _held(self, iss: str, config: object, tid: str | None) -> _Route:
        """The route for an issuer a function or a template produced, built once and held (bounded)."""
        if config is None:
            raise InvalidIssuerError("the token's issuer is not one this verifier accepts", claim="iss")
        if not isinstance(config, IssuerConfig):
            raise InvalidOptionError(
                f"the issuers function must return an IssuerConfig or None, not {type(config).__name__}"
            )
        with self._lock:
            route = self._dynamic.get(iss)
            if route is None:  # not built by another thread meanwhile: one route, one client, one fetch
                route = self._build(iss, config, True, tid)
                self._dynamic.put(iss, route)
        return route

    def _sync_route(self, iss: str, claims: Mapping[str, Any]) -> _Route:
        found = self._route(iss, claims)
        if isinstance(found, _Route):
            return found
        config, tid = found
        return self._held(iss, config if config is not None else self._ask(iss), tid)

    async def _async_route(self, iss: str, claims: Mapping[str, Any]) -> _Route:
        found = self._route(iss, claims)
        if isinstance(found, _Route):
            return found
        config, tid = found
        answer = config if config is not None else self._ask(iss)
        return self._held(iss, await answer if inspect.isawaitable(answer) else answer, tid)

    def _ask(self, iss: str) -> object:
        """The issuers function's answer for an issuer not held (an awaitable from a coroutine function)."""
        assert self._function is not None
        return self._function(iss)

    # --- verification ----------------------------------------------------------------------------

    def _now(self, now: float | dt.datetime | None) -> float | None:
        if now is not None:
            return to_timestamp(now, "now")
        return None if self._clock is None else float(self._clock())

    def decode(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> dict[str, Any]:
        """Verify a token from any of the issuers, with that issuer's keys and rules; return the claims.

        Args:
            token: The compact JWT.
            now: The time to validate against; ``clock()`` (else the system
                clock) when omitted.

        Raises:
            InvalidIssuerError: The token's issuer is not accepted (not listed,
                refused by the function or the tenant rule, or one that may
                not be contacted), or its ``iss`` is malformed.
            MissingRequiredClaimError: The token has no ``iss``.
            InvalidTokenError: Any other reason the token is refused, as
                :meth:`JWTVerifier.decode <minijwt.JWTVerifier.decode>` says.
            JWKSFetchError: A listed issuer's keys cannot be fetched.
            InvalidKeyError: The keys can only be looked up asynchronously (use :meth:`adecode`).
        """
        if self._adecode_only:
            # Whether a route is held already or not: decode never works on some tokens only.
            raise InvalidKeyError("fetch or the issuers function is a coroutine function: use adecode (await it)")
        # parse -> route -> resolve -> signature -> claims, written out: it runs for every token.
        parsed = _compact.parse_jwt(token, self._parse_allowed, self._max_token_size, self._crit)
        claims = loads_object(parsed[4], "payload")
        iss = claims.get("iss")
        # A listed issuer is routing text already (it was checked as one); any other is checked first.
        route = self._routes.get(iss) if type(iss) is str else None
        if route is None:
            iss = token_issuer(claims)
            route = self._sync_route(iss, claims)
        when = None if now is None and self._clock is None else self._now(now)
        client = route.client
        try:
            if client is None:
                route.verifier._check_parsed(parsed, claims, when)
            else:
                pick = _key_for_issuer(route.issuer, _tid(claims), parsed[0], parsed[1])
                key = client._fresh(pick)
                if key is None:
                    if isinstance(client, AsyncJWKSClient):
                        raise InvalidKeyError("this issuer's keys are looked up asynchronously: use adecode (await it)")
                    key = client._lookup(pick)
                route.verifier._check_parsed(parsed, claims, when, key)
        except JWKSFetchError as exc:
            raise self._refusal(route, exc) from None
        return claims

    def decode_complete(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> VerifiedJWT:
        """Like :meth:`decode`, and return the protected header too.

        Example:
            >>> import minijwt
            >>> key = b"secret-of-issuer-a-32-bytes-long"
            >>> issuers = {"https://a.example": minijwt.IssuerConfig(key)}
            >>> verifier = minijwt.MultiIssuerVerifier(issuers, algorithms="HS256")
            >>> verifier.decode_complete(minijwt.encode({"iss": "https://a.example"}, key)).header["alg"]
            'HS256'
        """
        claims = self.decode(token, now=now)
        header = _compact.parse_jwt(token, self._parse_allowed, self._max_token_size, self._crit)[0]
        return VerifiedJWT(mutable_copy(header), claims)

    async def adecode(self, token: str | bytes, *, now: float | dt.datetime | None = None) -> dict[str, Any]:
        """The coroutine twin of :meth:`decode`: a fetch never blocks the event loop.

        Example:
            >>> import asyncio, minijwt
            >>> key = b"secret-of-issuer-a-32-bytes-long"
            >>> issuers = {"https://a.example": minijwt.IssuerConfig(key)}
            >>> verifier = minijwt.MultiIssuerVerifier(issuers, algorithms="HS256")
            >>> asyncio.run(verifier.adecode(minijwt.encode({"iss": "https://a.example", "sub": "a"}, key)))
            {'iss': 'https://a.example', 'sub': 'a'}
        """
        parsed = _compact.parse_jwt(token, self._parse_allowed, self._max_token_size, self._crit)
        claims = loads_object(parsed[4], "payload")
        iss = token_issuer(claims)
        route = await self._async_route(iss, claims)
        when = self._now(now)
        client = route.client
        try:
            if client is None:
                await route.verifier._acheck_parsed(parsed, claims, when)
            else:
                pick = _key_for_issuer(route.issuer, _tid(claims), parsed[0], parsed[1])
                key = client._fresh(pick)
                if key is None:
                    if isinstance(client, AsyncJWKSClient):
                        key = await client._lookup(pick)
                    else:
                        key = await asyncio.to_thread(client._lookup, pick)
                route.verifier._check_parsed(parsed, claims, when, key)
        except JWKSFetchError as exc:
            raise self._refusal(route, exc) from None
        return claims

    def _refusal(self, route: _Route, exc: JWKSFetchError) -> Exception:
        """What a failed fetch means: for an issuer a token's author chose, refused by the guard, a 401."""
        if not route.dynamic or exc.reason not in _REFUSED_REASONS:
            return exc
        # Remembered while the route is held: no second attempt, no second log line
        # (the client logged its refused fetch).
        route.refused = f"the token's issuer may not be contacted ({exc.reason})"
        return InvalidIssuerError(route.refused, claim="iss")

    # --- for operators and the web integrations -------------------------------------------------

    @property
    def may_wait(self) -> bool:
        """Whether finding a token's key may wait for the network, so that async code awaits :meth:`adecode`.

        Example:
            >>> import minijwt
            >>> minijwt.MultiIssuerVerifier(
            ...     {"https://a.example": minijwt.IssuerConfig(b"secret-of-issuer-a-32-bytes-long")}, algorithms="HS256"
            ... ).may_wait
            False
        """
        if self._function is not None or self._templates or self._async_fetch:
            return True
        return any(route.verifier.may_wait or route.client is not None for route in self._routes.values())

    def status(self) -> dict[str, JWKSStatus]:
        """Each held issuer's key cache (:class:`~minijwt.JWKSStatus`), for health checks: issuers with a JWKS client.

        Example:
            >>> import minijwt
            >>> verifier = minijwt.MultiIssuerVerifier(
            ...     {"https://a.example": minijwt.IssuerConfig(jwks_uri="https://a.example/jwks")}, algorithms="RS256"
            ... )
            >>> verifier.status()["https://a.example"].fetches
            0
        """
        routes = [*self._routes.values(), *(self._dynamic.get(iss) for iss in self._dynamic.keys())]  # noqa: SIM118 - a list of keys, not a view
        return {route.issuer: route.client.status for route in routes if route is not None and route.client is not None}

    @classmethod
    def access_token(
        cls,
        issuers: Issuers,
        *,
        audience: str | Collection[str],
        algorithms: str | Collection[str],
        **options: Any,
    ) -> MultiIssuerVerifier:
        """A verifier of OAuth 2.0 access tokens in the JWT profile (RFC 9068), for every issuer.

        As :meth:`JWTVerifier.access_token <minijwt.JWTVerifier.access_token>`, per issuer: the
        ``typ`` header ``at+jwt``, and ``iss``, ``exp``, ``aud``, ``sub``,
        ``iat``, ``jti`` and ``client_id`` required (an issuer's ``require``
        adds to them; its ``typ`` cannot be another).

        Raises:
            InvalidOptionError: As the constructor, or ``audience`` is ``None``,
                or a ``typ`` other than ``at+jwt`` is chosen.

        Example:
            >>> import minijwt
            >>> key = b"secret-of-issuer-a-32-bytes-long"
            >>> verifier = minijwt.MultiIssuerVerifier.access_token(
            ...     {"https://a.example": minijwt.IssuerConfig(key)}, audience="https://api.example", algorithms="HS256"
            ... )
            >>> claims = {"iss": "https://a.example", "aud": "https://api.example", "sub": "alice",
            ...           "client_id": "app", "jti": "j1", "iat": 1700000000, "exp": 4100000000}
            >>> verifier.decode(minijwt.encode(claims, key, headers={"typ": "at+jwt"}))["sub"]
            'alice'
        """
        if audience is None:
            raise InvalidOptionError("audience is required for access tokens (RFC 9068 §4); it cannot be None")
        max_issuers = options.pop("max_issuers", 100)
        allow_private_networks = options.pop("allow_private_networks", False)
        fetch, clock = options.pop("fetch", None), options.pop("clock", None)
        verifier = cls.__new__(cls)
        verifier._setup(issuers, algorithms, audience, max_issuers, allow_private_networks, fetch, clock, options, True)
        return verifier

    def __repr__(self) -> str:
        listed = len(self._routes) + len(self._templates)
        return f"MultiIssuerVerifier({listed} listed issuers, {len(self._dynamic)} held)"


def _tid(claims: Mapping[str, Any]) -> str | None:
    tid = claims.get("tid")
    return tid if type(tid) is str else None


def _access_token_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """RFC 9068 §4 on top of an issuer's claim options: ``typ`` is ``at+jwt``, the profile's claims required."""
    typ = options.get("typ", "at+jwt")
    if typ not in {"at+jwt", "application/at+jwt"}:
        raise InvalidOptionError("an access token's typ is at+jwt (RFC 9068 §2.1); no other typ can be chosen")
    extra = options.get("require", ())
    if isinstance(extra, (str, bytes)) or not isinstance(extra, Collection):
        raise InvalidOptionError("require must be a list of claim names")
    return {**options, "typ": "at+jwt", "require": tuple(dict.fromkeys((*_ACCESS_TOKEN_CLAIMS, *extra)))}


def _guarded(fetch: Callable[..., Any] | None) -> Callable[..., Any]:
    """The fetch for an issuer a token's author chose: the URL rules always, the address rule for our connections."""
    if fetch is None:
        return public_fetch
    if is_async(fetch):

        async def guarded_async(url: str, **options: Any) -> Any:
            _check_fetched_url(url)
            return await fetch(url, **options)

        return guarded_async

    def guarded(url: str, **options: Any) -> Any:
        _check_fetched_url(url)
        return fetch(url, **options)

    return guarded


def _check_fetched_url(url: str) -> None:
    problem = fetched_url_problem(url)
    if problem is not None:
        raise JWKSFetchError(f"{safe_url(url)}: {problem}", reason="insecure_url")
