"""Verification keys from an issuer's published JWK Set, fetched and cached.

:class:`JWKSClient` (threads) and :class:`AsyncJWKSClient` (asyncio) fetch the
JWK Set at a ``jwks_uri``, or find that URI from the issuer's discovery
document (:meth:`~minijwt.JWKSClient.from_issuer`), keep it, and choose the key for
each token. Both are key sources: pass one where a key is expected.

What they guarantee:

- keys come over ``https`` only (``http`` to loopback for tests), never through
  a redirect, within one timeout and a size limit;
- a fresh key set answers without any lock or I/O; a token naming an unknown
  ``kid`` refetches the set at most once per ``min_refresh_interval``, however
  many such tokens arrive; concurrent lookups share one fetch;
- when the issuer is down, the keys already held keep working for
  ``max_stale`` seconds; when nothing is held, every lookup raises
  :class:`~minijwt.JWKSFetchError` (a server-side failure, never a token error);
- published sets hold public keys only (OIDC Discovery 1.0 §3): symmetric keys
  and keys with private members are ignored, with a warning in the log.

The cache, cooldown and staleness rules are in the private module
``minijwt._jwks_state``; the remote JWK Sets how-to lays them out on a timeline.
Reading a published set is ``_jwks_parse``'s, finding it from the issuer's
metadata ``_discovery``'s, and which key a token gets :class:`~minijwt.JWKSet`'s.

Example:
    >>> import minijwt
    >>> from minijwt.jwks_client import JWKSClient
    >>> key = minijwt.JWK.generate("ES256", kid="2026-11")
    >>> published = minijwt.JWKSet([key.public()]).to_json().encode()
    >>> def fetch(url, *, headers, timeout, max_bytes):  # stands in for the issuer
    ...     return 200, {"cache-control": "max-age=600"}, published
    >>> client = JWKSClient("https://issuer.example/jwks.json", fetch=fetch)
    >>> token = minijwt.encode({"sub": "alice"}, key, "ES256", headers={"kid": key.kid})
    >>> client.get_signing_key_from_jwt(token).kid
    '2026-11'
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, Self, TypeVar, cast

from . import _jwks_state as rules
from ._algorithms import Algorithm, get_algorithm
from ._discovery import check_issuer, discover
from ._http import (
    FetchResult,
    cache_lifetime,
    check_answer,
    check_url,
    safe_url,
    status_error,
    stdlib_fetch,
    url_option,
)
from ._jwks_parse import jwks_from_object, parse_jwks
from ._jwks_state import (
    DEFAULT_CACHE_TTL,
    DEFAULT_MAX_STALE,
    DEFAULT_MIN_REFRESH_INTERVAL,
    DEFAULT_REFRESH_AHEAD,
    EMPTY,
    Action,
    JWKSStatus,
    Policy,
    State,
)
from ._keys import Key
from ._resolve import _BuiltinKeySource
from .errors import InvalidOptionError, JWKSFetchError, KeyNotFoundError
from .jwk import JWK, JWKSet
from .jws import get_unverified_header

__all__ = ["AsyncFetch", "AsyncJWKSClient", "Fetch", "JWKSClient", "JWKSStatus", "parse_jwks"]

_log = logging.getLogger("minijwt")

T = TypeVar("T")

# RFC 9110 §5.1: a header name is a token.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A joiner's wait beyond the fetch's own timeouts, in seconds, before giving up.
_GRACE = 1.0


# --- the fetch= function ------------------------------------------------------------


class Fetch(Protocol):
    """The ``fetch=`` function of a JWKS client: one HTTP GET, done your way.

    Give one to use a TLS context of your own (a private certificate
    authority, a client certificate) or another HTTP client. The client
    calls it once per document (the discovery document, then the JWK Set),
    after its own checks of the URL, and checks what it returns.

    Example:
        >>> import minijwt
        >>> from minijwt.jwks_client import JWKSClient
        >>> published = minijwt.JWKSet([minijwt.JWK.generate("ES256").public()]).to_json().encode()
        >>> def fetch(url, *, headers, timeout, max_bytes):
        ...     return 200, {"Cache-Control": "max-age=600"}, published
        >>> len(JWKSClient("https://issuer.example/jwks.json", fetch=fetch).get_jwk_set())
        1
    """

    def __call__(self, url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> FetchResult:
        """GET ``url``.

        Args:
            url: An ``https`` URL (``http`` only to loopback, or with
                ``allow_http=True``).
            headers: The client's ``headers=`` (empty unless given), to send
                with the request.
            timeout: Seconds for the whole exchange: connect, headers and body.
            max_bytes: The largest body to accept; a longer one is refused
                even when returned.

        Returns:
            ``(status, headers, body)``: the status code (an ``int``; a 3xx
            returned as it is, since a redirect is never followed), the
            response headers (any mapping; names in any case) and the body
            (``bytes``).

        Raises:
            JWKSFetchError: When there is no answer. Any other exception is
                reported as ``JWKSFetchError`` with reason ``"network"``
                (``"timeout"`` for a ``TimeoutError``), its type named and its
                message left out.
        """


class AsyncFetch(Protocol):
    """The coroutine form of :class:`Fetch`, for an ``AsyncJWKSClient``: the same arguments and result."""

    def __call__(
        self, url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int
    ) -> Awaitable[FetchResult]:
        """GET ``url``, as :meth:`Fetch.__call__ <minijwt.jwks_client.Fetch.__call__>` does."""


# --- selection -------------------------------------------------------------------------


def _whole_set(keys: JWKSet) -> JWKSet:
    if keys is EMPTY:
        raise KeyNotFoundError("no JWK Set is held")
    return keys


def _by_kid(kid: str) -> Callable[[JWKSet], JWK]:
    return lambda keys: keys.select_by_kid(kid)


def _by_header(header: Mapping[str, Any], alg: Algorithm) -> Callable[[JWKSet], Key]:
    return lambda keys: keys.resolve_key(header, alg)


def _fresh_choice(state: State, header: Mapping[str, Any], alg: Algorithm) -> Key | None:
    """The key for a token from a fresh held set, or None to take the slow path.

    The set remembers its answers (JWKSet.resolve_key): a repeated lookup is
    two dictionary reads and allocates nothing.
    """
    try:
        return state.keys.resolve_key(header, alg)
    except KeyNotFoundError:
        return None


def _token_lookup(token: str | bytes) -> Callable[[JWKSet], JWK]:
    header = get_unverified_header(token)  # only to choose the key; the caller verifies
    alg = get_algorithm(header.get("alg"))
    return lambda keys: keys.select(header, alg)


@dataclass(frozen=True, slots=True)
class _Fetched:
    keys: JWKSet
    lifetime: float
    notes: tuple[str, ...]


_Outcome = _Fetched | JWKSFetchError


def _copy(error: JWKSFetchError) -> JWKSFetchError:
    # A new exception for each caller: one instance raised in several threads
    # or tasks would share (and grow) one traceback.
    return JWKSFetchError(error.message, reason=error.reason)


def _as_outcome(exc: BaseException) -> JWKSFetchError:
    if isinstance(exc, JWKSFetchError):
        return exc
    if isinstance(exc, asyncio.CancelledError):
        return JWKSFetchError("the fetch was cancelled", reason="network")
    if isinstance(exc, TimeoutError):
        return JWKSFetchError("the key server did not answer in time", reason="timeout")
    return JWKSFetchError(f"the fetch function raised {type(exc).__name__}", reason="network")


# --- options ------------------------------------------------------------------------------


# The largest value each kind of option takes: beyond them a setting is a
# mistake, and huge numbers would overflow a float or the timeouts of the
# threading and socket modules (OverflowError) on the first lookup.
_MAX_DURATION = 366 * 86_400.0  # a year, for cache and staleness times
_MAX_TIMEOUT = 3_600.0  # an hour, for one fetch
_MAX_TIMESTAMP = 253_402_300_799.0  # 9999-12-31T23:59:59Z, for fetched_at
_MAX_BYTES = 1 << 30  # a JWK Set or discovery document of a gigabyte is no such thing
_MAX_KEYS = 100_000


def _seconds(name: str, value: object, *, positive: bool, maximum: float = _MAX_DURATION) -> float:
    # Compared before any conversion: float(10**400) itself overflows.
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:  # noqa: PLR0124 - NaN
        raise InvalidOptionError(f"{name} must be a number of seconds")
    if value < 0 or (positive and value == 0):
        raise InvalidOptionError(f"{name} must be {'positive' if positive else 'zero or more'}")
    if value > maximum:
        raise InvalidOptionError(f"{name} must be at most {maximum:g} seconds")
    return float(value)


def _count(name: str, value: object, maximum: int) -> int:
    if type(value) is not int or value <= 0:
        raise InvalidOptionError(f"{name} must be a positive integer")
    if value > maximum:
        raise InvalidOptionError(f"{name} must be at most {maximum}")
    return value


def _headers(value: object) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidOptionError("headers must be a mapping of header names to values")
    out: dict[str, str] = {}
    for name, text in value.items():
        if not isinstance(name, str) or not _TOKEN.fullmatch(name):
            raise InvalidOptionError("a header name must be an HTTP token")
        if not isinstance(text, str) or any(c in text for c in "\r\n\0"):
            raise InvalidOptionError(f"the value of header {name!r} must be a string without line breaks")
        out[name] = text
    return out


# --- what both clients share ----------------------------------------------------------------


class _ClientBase(_BuiltinKeySource):
    """Options, parsing, the fetch plan and the state: everything but the I/O."""

    #: The keys these sources answer with always fit the token's algorithm
    #: (JWKSet.select chose them).
    answers_fitting_keys: ClassVar[bool] = True

    _state: State
    _clock: Callable[[], float]

    def _configure(
        self,
        url: str | None,
        *,
        issuer: str | None,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
        timeout: float = 5,
        max_bytes: int = 1_048_576,
        max_stale: float = DEFAULT_MAX_STALE,
        refresh_ahead: float = DEFAULT_REFRESH_AHEAD,
        max_keys: int = 100,
        headers: Mapping[str, str] | None = None,
        allow_http: bool = False,
        fetch: Fetch | AsyncFetch | None = None,
        initial: Mapping[str, Any] | JWKSet | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        if type(allow_http) is not bool:
            raise InvalidOptionError("allow_http must be True or False")
        self._allow_http = allow_http
        self._issuer = None if issuer is None else check_issuer(issuer, allow_http=allow_http)
        self._jwks_url = None if url is None else url_option(url, allow_http=allow_http, name="url")
        ttl = _seconds("cache_ttl", cache_ttl, positive=True)
        cooldown = _seconds("min_refresh_interval", min_refresh_interval, positive=False)
        if cooldown > ttl:
            raise InvalidOptionError("min_refresh_interval must not be longer than cache_ttl")
        self._policy = Policy(
            cache_ttl=ttl,
            min_refresh_interval=cooldown,
            max_stale=_seconds("max_stale", max_stale, positive=False),
            refresh_ahead=_seconds("refresh_ahead", refresh_ahead, positive=False),
        )
        self._timeout = _seconds("timeout", timeout, positive=True, maximum=_MAX_TIMEOUT)
        self._max_bytes = _count("max_bytes", max_bytes, _MAX_BYTES)
        self._max_keys = _count("max_keys", max_keys, _MAX_KEYS)
        self._headers = _headers(headers)
        if fetch is not None and not callable(fetch):
            raise InvalidOptionError("fetch must be a function")
        self._fetch = fetch
        if clock is not None and not callable(clock):
            raise InvalidOptionError("clock must be a function returning seconds")
        self._clock = clock if clock is not None else time.monotonic
        self._state = self._initial_state(initial)

    def _initial_state(self, initial: object) -> State:
        if initial is None:
            return State()
        age: float | None = None
        if isinstance(initial, JWKSet):
            if any(jwk.kty == "oct" for jwk in initial):
                raise InvalidOptionError("initial: a set of verification keys from an issuer has no symmetric keys")
            keys = JWKSet([jwk.public() for jwk in initial], skipped=initial.skipped)
        elif isinstance(initial, Mapping):
            fetched_at = initial.get("fetched_at")
            if fetched_at is not None:
                age = time.time() - _seconds(
                    "initial['fetched_at']", fetched_at, positive=False, maximum=_MAX_TIMESTAMP
                )
            if initial.get("keys") == []:
                return State()  # what export() gives before any fetch: nothing to seed
            try:
                keys, notes = jwks_from_object(initial, max_keys=self._max_keys)
            except JWKSFetchError as exc:
                raise InvalidOptionError(f"initial: {exc.message}") from None
            self._log_notes(notes, "the initial JWK Set")
        else:
            raise InvalidOptionError("initial must be a JWK Set dict, the dict export() returns, or a JWKSet")
        if not len(keys):
            return State()  # nothing to seed
        return rules.seeded(self._policy, keys, now=self._clock(), age=age)

    # --- public, I/O-free ---------------------------------------------------------

    @property
    def url(self) -> str | None:
        """The JWK Set URL, as given or as discovery found it (``None`` until then).

        Example:
            >>> from minijwt import JWKSClient
            >>> JWKSClient("https://login.example/jwks.json").url
            'https://login.example/jwks.json'
            >>> JWKSClient.from_issuer("https://login.example").url is None  # discovery has not run yet
            True
        """
        return self._jwks_url

    @property
    def issuer(self) -> str | None:
        """The issuer given to ``from_issuer``, exactly; ``None`` for a client made with a URL.

        Pass it as the verifier's ``issuer=``: the discovery document had to
        name this same issuer.

        Example:
            >>> from minijwt import JWKSClient
            >>> JWKSClient.from_issuer("https://login.example/").issuer
            'https://login.example/'
        """
        return self._issuer

    @property
    def status(self) -> JWKSStatus:
        """A snapshot of the cache (a :class:`~minijwt.JWKSStatus`), for health checks and metrics.

        Reading it does no I/O and takes no lock.

        Example:
            >>> from minijwt import JWKSClient
            >>> status = JWKSClient("https://login.example/jwks.json").status
            >>> status.fresh, status.age, status.last_error, status.fetches
            (False, None, None, 0)
        """
        return rules.status(self._state, self._clock())

    def export(self) -> dict[str, Any]:
        """The held key set and when it was fetched, to persist and pass back as ``initial=``.

        Returns:
            ``{"keys": [...], "fetched_at": <Unix time, seconds>}``, public
            members only; ``{"keys": []}`` when nothing is held.

        Example:
            >>> from minijwt import JWKSClient
            >>> JWKSClient("https://login.example/jwks.json").export()  # nothing fetched yet
            {'keys': []}
        """
        state = self._state
        if state.keys is EMPTY:
            return {"keys": []}
        fetched_at = time.time() - (self._clock() - state.fetched_at)
        return {"keys": state.keys.to_dict()["keys"], "fetched_at": round(fetched_at, 3)}

    def __repr__(self) -> str:
        where = f"issuer={self._issuer!r}" if self._issuer is not None else f"url={self._jwks_url!r}"
        return f"{type(self).__name__}({where})"

    # --- the fetch, as steps: each yield is one GET, answered by the I/O shell ---------

    def _plan(self) -> Generator[str, FetchResult, _Fetched]:
        if self._jwks_url is None:
            assert self._issuer is not None
            self._jwks_url = yield from discover(self._issuer, allow_http=self._allow_http)
        url = self._jwks_url
        assert url is not None
        check_url(url, allow_http=self._allow_http)
        status, headers, body = yield url
        if status != 200:
            raise status_error(status)
        keys, notes = parse_jwks(body, max_keys=self._max_keys)
        policy = self._policy
        lifetime = cache_lifetime(headers, floor=policy.min_refresh_interval, ceiling=policy.cache_ttl)
        return _Fetched(keys, lifetime, notes)

    def _fetch_options(self) -> dict[str, Any]:
        return {"headers": self._headers, "timeout": self._timeout, "max_bytes": self._max_bytes}

    def _wait_limit(self) -> float:
        """How long a caller waits for a fetch in progress: every request's timeout, and a little."""
        requests = 1 if self._jwks_url is not None else 3
        return requests * self._timeout + _GRACE

    # --- recording an outcome, deciding after one -------------------------------------------

    def _recorded(self, outcome: _Outcome) -> State:
        """The state after a fetch ended; logs the outcome (once per fetch)."""
        now = self._clock()
        where = safe_url(self._jwks_url) if self._jwks_url is not None else f"the issuer {self._issuer}"
        if isinstance(outcome, JWKSFetchError):
            _log.warning("fetching the JWK Set from %s failed (%s): %s", where, outcome.reason, outcome.message)
            return rules.failed(self._state, outcome.reason, outcome.message)
        self._log_notes(outcome.notes, f"the JWK Set from {where}")
        return rules.succeeded(self._state, self._policy, outcome.keys, now=now, lifetime=outcome.lifetime)

    @staticmethod
    def _log_notes(notes: tuple[str, ...], where: str) -> None:
        for note in notes:
            level = logging.WARNING if "ignored" in note else logging.INFO
            _log.log(level, "%s: %s", where, note)

    def _settle(self, outcome: _Outcome, pick: Callable[[JWKSet], T]) -> T:
        """The answer to a lookup that waited for a fetch."""
        if isinstance(outcome, _Fetched):
            return pick(outcome.keys)
        if rules.usable(self._state, self._clock()):
            try:
                return pick(self._state.keys)  # stale-if-error (RFC 5861 §4)
            except KeyNotFoundError:
                # The refresh that would have found a new key failed: whether
                # the key exists cannot be known, so this is the issuer's
                # outage (a 503), not the token's fault (a 401).
                raise JWKSFetchError(
                    f"the key is not in the held set, and refreshing it failed: {outcome.message}",
                    reason=outcome.reason,
                ) from None
        raise _copy(outcome)

    def _cached_failure(self) -> JWKSFetchError:
        failure = self._state.failure
        assert failure is not None
        return JWKSFetchError(
            f"{failure.message} (the last fetch failed; the next is allowed after the refresh cooldown)",
            reason=failure.reason,
        )


def _try(pick: Callable[[JWKSet], T], keys: JWKSet) -> tuple[T | None, KeyNotFoundError | None]:
    try:
        return pick(keys), None
    except KeyNotFoundError as exc:
        return None, exc


# --- threads -------------------------------------------------------------------------------------


class _Flight:
    """One fetch in progress, which any number of threads may wait for."""

    __slots__ = ("_done", "outcome")

    def __init__(self) -> None:
        self._done = threading.Event()
        self.outcome: _Outcome | None = None

    def finish(self, outcome: _Outcome) -> None:
        self.outcome = outcome
        self._done.set()

    def wait(self, limit: float) -> _Outcome:
        if not self._done.wait(limit) or self.outcome is None:
            return JWKSFetchError("the fetch in progress did not end in time", reason="timeout")
        return self.outcome


class JWKSClient(_ClientBase):
    """A thread-safe, caching client of one issuer's JWK Set.

    Create one per issuer at start-up and share it: it is a key source, so it
    can be passed where a key is expected.

    Example:
        >>> from minijwt import JWKSClient
        >>> client = JWKSClient("https://issuer.example/.well-known/jwks.json", cache_ttl=600)
        >>> client.url, client.status.fetches
        ('https://issuer.example/.well-known/jwks.json', 0)
    """

    def __init__(
        self,
        url: str,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
        timeout: float = 5,
        max_bytes: int = 1_048_576,
        max_stale: float = DEFAULT_MAX_STALE,
        refresh_ahead: float = DEFAULT_REFRESH_AHEAD,
        max_keys: int = 100,
        headers: Mapping[str, str] | None = None,
        allow_http: bool = False,
        fetch: Fetch | None = None,
        initial: Mapping[str, Any] | JWKSet | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Check the options; nothing is fetched until the first lookup.

        Args:
            url: The JWK Set URL (the issuer's ``jwks_uri``): ``https``, or
                ``http`` to a loopback host.
            cache_ttl: The longest a fetched set is used without refetching,
                in seconds; a shorter ``Cache-Control: max-age`` is honoured
                down to ``min_refresh_interval``.
            min_refresh_interval: The cooldown: at most one fetch per this
                many seconds for unknown ``kid`` values and after failures.
            timeout: Seconds for a whole fetch (connect, headers, body).
            max_bytes: The largest response body accepted.
            max_stale: How long past freshness held keys keep working while
                refreshes fail, in seconds.
            refresh_ahead: How long before the set's freshness ends a lookup
                starts a background refresh (at most half the freshness).
            max_keys: The most keys accepted in a set.
            headers: Extra request headers (e.g. an API key for a gateway).
            allow_http: Accept plain ``http`` to any host. Only for tests on
                a private network: anyone on the path could replace the keys.
            fetch: A function to do each GET instead of the standard library,
                ``fetch(url, *, headers, timeout, max_bytes) -> (status,
                headers, body)``, for a TLS context of your own or another
                HTTP client (see :class:`~minijwt.jwks_client.Fetch`).
            initial: A key set to start with: a JWK Set dict, the dict
                :meth:`~minijwt.JWKSClient.export` returns (its ``fetched_at`` gives its age), or
                a :class:`~minijwt.JWKSet`. A set of unknown age is used only
                if the first fetch fails.
            clock: A monotonic clock in seconds (for tests).

        Raises:
            InvalidOptionError: An option is invalid, or the URL is not
                ``https`` (nor loopback ``http``).
        """
        if fetch is not None and _is_async(fetch):
            raise InvalidOptionError("fetch must be a plain function for JWKSClient; use AsyncJWKSClient")
        self._configure(
            url,
            issuer=None,
            cache_ttl=cache_ttl,
            min_refresh_interval=min_refresh_interval,
            timeout=timeout,
            max_bytes=max_bytes,
            max_stale=max_stale,
            refresh_ahead=refresh_ahead,
            max_keys=max_keys,
            headers=headers,
            allow_http=allow_http,
            fetch=fetch,
            initial=initial,
            clock=clock,
        )

    def _configure(self, url: str | None, **options: Any) -> None:
        super()._configure(url, **options)
        self._lock = threading.Lock()
        self._flight: _Flight | None = None
        self._pid = os.getpid()

    def _after_fork(self) -> None:
        """Start afresh in a child of ``fork()``.

        The child inherits the parent's lock (perhaps held, by a thread that
        does not exist here) and its fetch in progress, which no thread here
        will finish: every lookup would wait for it and fail. Checked on the
        slow path only (a lookup the held set answers never gets here).
        """
        if self._pid != os.getpid():
            self._lock = threading.Lock()
            self._flight = None
            self._state = rules.abandoned(self._state)
            self._pid = os.getpid()

    @classmethod
    def from_issuer(cls, issuer: str, **options: Any) -> Self:
        """A client for an issuer, which finds the JWK Set URL in its metadata.

        On the first fetch (never here), the client reads
        ``<issuer>/.well-known/openid-configuration`` (OIDC Discovery 1.0 §4),
        or, when that is not found, the RFC 8414 §3.1 location
        (``https://as.example/tenant1`` →
        ``https://as.example/.well-known/oauth-authorization-server/tenant1``).
        The document's ``issuer`` must equal ``issuer`` exactly, and its
        ``jwks_uri`` is held to the same ``https`` rule.

        Args:
            issuer: The issuer identifier, exactly as in the tokens' ``iss``.
            **options: The constructor's keyword arguments.

        Raises:
            InvalidOptionError: An option is invalid.

        Example:
            >>> from minijwt import JWKSClient
            >>> client = JWKSClient.from_issuer("https://login.example/tenant1")
            >>> client.issuer, client.url
            ('https://login.example/tenant1', None)
        """
        fetch = options.get("fetch")
        if fetch is not None and _is_async(fetch):
            raise InvalidOptionError("fetch must be a plain function for JWKSClient; use AsyncJWKSClient")
        client = cls.__new__(cls)
        client._configure(None, issuer=issuer, **options)
        return client

    # --- lookups -----------------------------------------------------------------------

    def resolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The key that verifies a token with this header (the key source method).

        Args:
            header: The token's protected header.
            alg: The token's algorithm, already checked against the allowlist.

        Returns:
            The typed key.

        Raises:
            KeyNotFoundError: No key fits (see :meth:`minijwt.JWKSet.select`).
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        state = self._state
        # The hot path: a fresh set, which remembers its answer for this kid
        # and alg: two dictionary reads, no lock, no decision.
        if self._clock() < state.quiet_until:
            try:
                return state.keys.resolve_key(header, alg)
            except KeyNotFoundError:
                pass  # perhaps a new key: the slow path decides
        return self._lookup(_by_header(header, alg))

    async def aresolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The async key source method, for :func:`minijwt.adecode` and async middleware.

        A key already held and fresh is answered at once, on the event loop;
        anything that may wait for the network runs in a worker thread, so
        that the loop is never blocked.

        Raises:
            KeyNotFoundError: No key fits.
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        state = self._state
        if self._clock() < state.quiet_until:
            key = _fresh_choice(state, header, alg)
            if key is not None:
                return key
        return await asyncio.to_thread(self.resolve_key, header, alg)

    def get_signing_key(self, kid: str) -> JWK:
        """The key with this ``kid`` that can verify signatures.

        Raises:
            KeyNotFoundError: No such key, or several different ones.
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        return self._lookup(_by_kid(kid))

    def get_signing_key_from_jwt(self, token: str | bytes) -> JWK:
        """The key for a token, chosen by its header (read, not verified).

        By ``kid`` and ``alg``; without ``kid``, the only key that can verify
        the token's ``alg``. Verify the token with the key afterwards.

        Raises:
            DecodeError: The token is malformed.
            InvalidAlgorithmError: Its ``alg`` is missing, ``none`` or unknown.
            KeyNotFoundError: No key fits, or (without ``kid``) several do.
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        return self._lookup(_token_lookup(token))

    def get_jwk_set(self, *, refresh: bool = False) -> JWKSet:
        """The held key set, fetched if needed.

        Args:
            refresh: Fetch now, whatever the cache and the cooldown say (a
                fetch in progress is shared), and raise if that fails.

        Raises:
            JWKSFetchError: The set could not be fetched (with ``refresh``, or
                when no usable set is held).
        """
        if not refresh:
            return self._lookup(_whole_set)
        self._after_fork()
        with self._lock:
            flight, start = self._flight, self._flight is None
            if flight is None:
                flight = self._begin()
        if start:
            self._run(flight)
        outcome = flight.wait(self._wait_limit())
        if isinstance(outcome, JWKSFetchError):
            raise _copy(outcome)
        return outcome.keys

    # --- the slow path ---------------------------------------------------------------------

    def _lookup(self, pick: Callable[[JWKSet], T]) -> T:
        self._after_fork()
        with self._lock:
            state, now = self._state, self._clock()
            value, miss = _try(pick, state.keys)
            action = rules.decide(state, self._policy, now, found=miss is None)
            flight = self._flight
            if action is Action.FETCH or action is Action.ANSWER_AND_REFRESH:
                flight = self._begin()
        if action is Action.ANSWER or action is Action.ANSWER_AND_REFRESH:
            if action is Action.ANSWER_AND_REFRESH:
                assert flight is not None
                threading.Thread(target=self._run, args=(flight,), name="minijwt-jwks-refresh", daemon=True).start()
            return cast(T, value)  # found
        if action is Action.NOT_FOUND:
            assert miss is not None
            raise miss
        if action is Action.FAIL:
            raise self._cached_failure()
        assert flight is not None
        if action is Action.FETCH:
            self._run(flight)
        return self._settle(flight.wait(self._wait_limit()), pick)

    def _begin(self) -> _Flight:
        """Mark a fetch as started; called with the lock held."""
        self._state = rules.begin(self._state, self._clock())
        self._flight = _Flight()
        return self._flight

    def _run(self, flight: _Flight) -> None:
        # Every end of a fetch is recorded, also an interruption (KeyboardInterrupt ...).
        outcome: _Outcome = JWKSFetchError("the fetch was interrupted", reason="network")
        try:
            outcome = self._drive()
        except Exception as exc:  # a fetch= function may raise anything
            outcome = _as_outcome(exc)
        finally:
            with self._lock:
                self._state = self._recorded(outcome)
                self._flight = None
            flight.finish(outcome)

    def _drive(self) -> _Fetched:
        plan = self._plan()
        fetch: Fetch = self._fetch if self._fetch is not None else stdlib_fetch  # type: ignore[assignment]
        options = self._fetch_options()
        try:
            url = next(plan)
            while True:
                url = plan.send(check_answer(fetch(url, **options), self._max_bytes))
        except StopIteration as stop:
            result: _Fetched = stop.value
            return result
        finally:
            plan.close()


# --- asyncio ---------------------------------------------------------------------------------------


def _is_async(fetch: object) -> bool:
    # A coroutine function, or an object whose __call__ is one.
    return inspect.iscoroutinefunction(fetch) or inspect.iscoroutinefunction(type(fetch).__call__)


class AsyncJWKSClient(_ClientBase):
    """The asyncio twin of :class:`JWKSClient`: the same options and rules.

    Lookups are coroutines and never block the event loop: the standard
    library fetch runs in a worker thread, and ``fetch=`` may be a coroutine
    function or a plain one (run in a worker thread). Tasks missing the same
    key share one fetch; a task cancelled while it waits does not cancel the
    fetch the others wait for. Use one client from one event loop at a time.

    Example:
        >>> import asyncio
        >>> from minijwt import AsyncJWKSClient
        >>> client = AsyncJWKSClient("https://issuer.example/.well-known/jwks.json")
        >>> asyncio.run(client.get_jwk_set())  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
        timeout: float = 5,
        max_bytes: int = 1_048_576,
        max_stale: float = DEFAULT_MAX_STALE,
        refresh_ahead: float = DEFAULT_REFRESH_AHEAD,
        max_keys: int = 100,
        headers: Mapping[str, str] | None = None,
        allow_http: bool = False,
        fetch: Fetch | AsyncFetch | None = None,
        initial: Mapping[str, Any] | JWKSet | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        """Check the options (see :class:`JWKSClient`); nothing is fetched here.

        Raises:
            InvalidOptionError: An option is invalid, or the URL is not
                ``https`` (nor loopback ``http``).
        """
        self._configure(
            url,
            issuer=None,
            cache_ttl=cache_ttl,
            min_refresh_interval=min_refresh_interval,
            timeout=timeout,
            max_bytes=max_bytes,
            max_stale=max_stale,
            refresh_ahead=refresh_ahead,
            max_keys=max_keys,
            headers=headers,
            allow_http=allow_http,
            fetch=fetch,
            initial=initial,
            clock=clock,
        )

    def _configure(self, url: str | None, **options: Any) -> None:
        super()._configure(url, **options)
        self._flight: asyncio.Task[_Fetched] | None = None

    @classmethod
    def from_issuer(cls, issuer: str, **options: Any) -> Self:
        """A client for an issuer, which finds the JWK Set URL in its metadata.

        See :meth:`JWKSClient.from_issuer`.

        Raises:
            InvalidOptionError: An option is invalid.
        """
        client = cls.__new__(cls)
        client._configure(None, issuer=issuer, **options)
        return client

    # --- lookups ------------------------------------------------------------------------------

    async def aresolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The key that verifies a token with this header (the async key source method).

        Raises:
            KeyNotFoundError: No key fits.
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        state = self._state
        if self._clock() < state.quiet_until:
            key = _fresh_choice(state, header, alg)
            if key is not None:
                return key
        return await self._lookup(_by_header(header, alg))

    async def get_signing_key(self, kid: str) -> JWK:
        """The key with this ``kid`` that can verify signatures (see :meth:`JWKSClient.get_signing_key`)."""
        return await self._lookup(_by_kid(kid))

    async def get_signing_key_from_jwt(self, token: str | bytes) -> JWK:
        """The key for a token, chosen by its header (see :meth:`JWKSClient.get_signing_key_from_jwt`)."""
        return await self._lookup(_token_lookup(token))

    async def get_jwk_set(self, *, refresh: bool = False) -> JWKSet:
        """The held key set, fetched if needed (see :meth:`JWKSClient.get_jwk_set`)."""
        if not refresh:
            return await self._lookup(_whole_set)
        flight = self._current_flight() or self._begin()
        outcome = await self._wait(flight)
        if isinstance(outcome, JWKSFetchError):
            raise _copy(outcome)
        return outcome.keys

    # --- the slow path ----------------------------------------------------------------------------

    async def _lookup(self, pick: Callable[[JWKSet], T]) -> T:
        # No await between the decision and starting the fetch: on one event
        # loop, that makes the two atomic, and the fetch single.
        self._current_flight()
        state, now = self._state, self._clock()
        value, miss = _try(pick, state.keys)
        action = rules.decide(state, self._policy, now, found=miss is None)
        if action is Action.ANSWER or action is Action.ANSWER_AND_REFRESH:
            if action is Action.ANSWER_AND_REFRESH:
                self._begin()
            return cast(T, value)  # found
        if action is Action.NOT_FOUND:
            assert miss is not None
            raise miss
        if action is Action.FAIL:
            raise self._cached_failure()
        flight = self._begin() if action is Action.FETCH else self._flight
        assert flight is not None
        return self._settle(await self._wait(flight), pick)

    def _current_flight(self) -> asyncio.Task[_Fetched] | None:
        """The fetch in progress on this event loop, if any.

        A fetch started on another loop (a closed one: ``asyncio.run``
        returned while it was pending) is dropped, and not counted as a
        failure of the issuer: this loop could never await it, and it may
        never end.
        """
        flight = self._flight
        if flight is not None and flight.get_loop() is not asyncio.get_running_loop():
            self._flight = None
            self._state = rules.abandoned(self._state)
            return None
        return flight

    def _begin(self) -> asyncio.Task[_Fetched]:
        self._state = rules.begin(self._state, self._clock())
        task = asyncio.get_running_loop().create_task(self._drive(), name="minijwt-jwks-refresh")
        task.add_done_callback(self._finished)
        self._flight = task
        return task

    def _finished(self, task: asyncio.Task[_Fetched]) -> None:
        # Every end of the fetch is recorded here. Only its own loop cancels
        # the fetch (waiters are shielded from it), as asyncio.run does when
        # it ends: that says nothing of the issuer, so it is no failure.
        if self._flight is task:
            self._flight = None
        elif self._flight is not None:
            return  # dropped for a fetch on another loop, which owns the state now
        if task.cancelled():
            self._state = rules.abandoned(self._state)
            return
        self._state = self._recorded(_task_outcome(task))

    async def _wait(self, flight: asyncio.Task[_Fetched]) -> _Outcome:
        try:
            # shield: a waiter's cancellation must not cancel the fetch others wait for.
            async with asyncio.timeout(self._wait_limit()):
                return await asyncio.shield(flight)
        except asyncio.CancelledError:
            if flight.cancelled() and not _current_task_cancelling():
                return _as_outcome(asyncio.CancelledError())
            raise
        except Exception as exc:  # the fetch's failure, or the wait's timeout
            return _as_outcome(exc)

    async def _drive(self) -> _Fetched:
        plan = self._plan()
        options = self._fetch_options()
        try:
            url = next(plan)
            while True:
                url = plan.send(check_answer(await self._get(url, options), self._max_bytes))
        except StopIteration as stop:
            result: _Fetched = stop.value
            return result
        finally:
            plan.close()

    async def _get(self, url: str, options: dict[str, Any]) -> object:
        fetch: Callable[..., object] | None = self._fetch
        if fetch is None:
            # Bounded by its own deadline; in a worker thread so the loop runs on.
            return await asyncio.to_thread(stdlib_fetch, url, **options)
        async with asyncio.timeout(self._timeout):
            result: object = (
                fetch(url, **options) if _is_async(fetch) else await asyncio.to_thread(fetch, url, **options)
            )
            if inspect.isawaitable(result):
                result = await result
            return result


def _task_outcome(task: asyncio.Task[_Fetched]) -> _Outcome:
    error = task.exception()  # also marks it retrieved: no "never retrieved" warning
    return task.result() if error is None else _as_outcome(error)


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
