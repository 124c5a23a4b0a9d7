"""The core the two JWKS clients share: everything but their I/O.

:class:`~minijwt.JWKSClient` (threads) and :class:`~minijwt.AsyncJWKSClient`
(asyncio) differ only in how a fetch is begun, run and waited for. The rules
they decide by are ``_jwks_state``'s; issuer metadata is ``_discovery``'s, a
published set ``_jwks_parse``'s, and which key a token gets ``JWKSet``'s.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Self, TypeVar, cast

from . import _jwks_state as rules
from ._algorithms import Algorithm, get_algorithm
from ._discovery import check_issuer, discover
from ._http import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    FetchResult,
    cache_lifetime,
    check_answer,
    check_url,
    safe_url,
    status_error,
    url_option,
)
from ._jwks_parse import DEFAULT_MAX_KEYS, jwks_from_object, parse_jwks
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

__all__ = ["Fetched", "Outcome", "as_outcome", "by_header", "by_kid", "by_token", "is_async", "whole_set"]

_log = logging.getLogger("minijwt")

T = TypeVar("T")
#: What ``fetch=`` may be, as each client says (a plain function for threads, either kind for asyncio).
FetchT = TypeVar("FetchT")
#: How a client's I/O driver holds a fetch in progress.
FlightT = TypeVar("FlightT")

# RFC 9110 §5.1: a header name is a token.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A joiner's wait beyond the fetch's own timeouts, in seconds, before giving up.
_GRACE = 1.0


def is_async(fetch: object) -> bool:
    """Whether a ``fetch=`` function is a coroutine function, or an object whose ``__call__`` is one."""
    return inspect.iscoroutinefunction(fetch) or inspect.iscoroutinefunction(type(fetch).__call__)


# --- what a lookup asks of the held set (JWKSet's rules) ---------------------------------


def whole_set(keys: JWKSet) -> JWKSet:
    """The held set itself, once one is held."""
    if keys is EMPTY:
        raise KeyNotFoundError("no JWK Set is held")
    return keys


def by_kid(kid: str) -> Callable[[JWKSet], JWK]:
    """The key with this ``kid`` that can verify signatures (``JWKSet.select_by_kid``)."""
    return lambda keys: keys.select_by_kid(kid)


def by_header(header: Mapping[str, Any], alg: Algorithm) -> Callable[[JWKSet], Key]:
    """The key for a token's header and algorithm (``JWKSet.resolve_key``)."""
    return lambda keys: keys.resolve_key(header, alg)


def by_token(token: str | bytes) -> Callable[[JWKSet], JWK]:
    """The key for a token, by its header (``JWKSet.select``); a malformed token raises here."""
    header = get_unverified_header(token)  # only to choose the key; the caller verifies
    alg = get_algorithm(header.get("alg"))
    return lambda keys: keys.select(header, alg)


def _try(pick: Callable[[JWKSet], T], keys: JWKSet) -> tuple[T | None, KeyNotFoundError | None]:
    try:
        return pick(keys), None
    except KeyNotFoundError as exc:
        return None, exc


# --- a fetch's outcome ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetch's success: the set, how long it stays fresh, and the notes for the log."""

    keys: JWKSet
    lifetime: float
    notes: tuple[str, ...]


#: How a fetch ended.
Outcome = Fetched | JWKSFetchError


def _copy(error: JWKSFetchError) -> JWKSFetchError:
    # A new exception for each caller: one instance raised in several threads
    # or tasks would share (and grow) one traceback.
    return JWKSFetchError(error.message, reason=error.reason)


def as_outcome(exc: BaseException) -> JWKSFetchError:
    """What an exception that ended a fetch says of it: never the message of a foreign exception."""
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


# --- the core --------------------------------------------------------------------------------------


class _ClientBase(_BuiltinKeySource, Generic[FetchT, FlightT]):
    """Options, the fetch plan, the decisions and the state: everything but the I/O.

    A subclass is an I/O driver: it says how a fetch is begun, run and
    waited for (``_new_driver``, ``_begin``, and its own ``_lookup``). Every
    decision it asks of ``_dispatch``, at a moment nothing else can change
    the state (the thread client under its lock, the asyncio client between
    two awaits).
    """

    #: The keys these sources answer with always fit the token's algorithm
    #: (JWKSet.select chose them).
    answers_fitting_keys: ClassVar[bool] = True
    #: Whether ``fetch=`` may be a coroutine function.
    _async_fetch: ClassVar[bool]

    _state: State
    _flight: FlightT | None

    def __init__(
        self,
        url: str,
        *,
        cache_ttl: float = DEFAULT_CACHE_TTL,
        min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_stale: float = DEFAULT_MAX_STALE,
        refresh_ahead: float = DEFAULT_REFRESH_AHEAD,
        max_keys: int = DEFAULT_MAX_KEYS,
        headers: Mapping[str, str] | None = None,
        allow_http: bool = False,
        fetch: FetchT | None = None,
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
                HTTP client (see :class:`~minijwt.jwks_client.Fetch`). An
                ``AsyncJWKSClient`` also takes a coroutine function
                (:class:`~minijwt.jwks_client.AsyncFetch`), and runs a plain
                one in a worker thread.
            initial: A key set to start with: a JWK Set dict, the dict
                :meth:`~minijwt.JWKSClient.export` returns (its ``fetched_at`` gives its age), or
                a :class:`~minijwt.JWKSet`. A set of unknown age is used only
                if the first fetch fails.
            clock: A monotonic clock in seconds (for tests).

        Raises:
            InvalidOptionError: An option is invalid, or the URL is not
                ``https`` (nor loopback ``http``).
        """
        if type(allow_http) is not bool:
            raise InvalidOptionError("allow_http must be True or False")
        self._allow_http = allow_http
        self._jwks_url: str | None = url_option(url, allow_http=allow_http, name="url")
        self._issuer: str | None = None
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
        if fetch is not None and not self._async_fetch and is_async(fetch):
            raise InvalidOptionError(f"fetch must be a plain function for {type(self).__name__}; use AsyncJWKSClient")
        self._fetch = fetch
        if clock is not None and not callable(clock):
            raise InvalidOptionError("clock must be a function returning seconds")
        self._clock: Callable[[], float] = clock if clock is not None else time.monotonic
        self._state = self._initial_state(initial)
        self._new_driver()

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
        issuer = check_issuer(issuer, allow_http=options.get("allow_http") is True)
        # The one constructor checks the options, with the issuer standing in
        # for the JWK Set URL (it passes the same checks); discovery finds
        # the real one on the first fetch.
        client = cls(issuer, **options)
        client._issuer, client._jwks_url = issuer, None
        return client

    def _new_driver(self) -> None:
        """Set up the I/O driver's own state: no fetch in progress."""
        raise NotImplementedError

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

    # --- lookups: the fast path, then the one decision ---------------------------------------

    def _fresh_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key | None:
        """The key from a fresh held set, or ``None``: no lock, no decision, two dictionary reads."""
        state = self._state
        if self._clock() < state.quiet_until:
            try:
                return state.keys.resolve_key(header, alg)
            except KeyNotFoundError:
                pass  # perhaps a new key: the slow path decides
        return None

    def _fresh(self, pick: Callable[[JWKSet], T]) -> T | None:
        """``pick``'s answer from a fresh held set, or ``None``: :meth:`_fresh_key` for any rule of choice.

        The multi-issuer verifier's lookups add the ``issuer`` member rule to
        the set's; a miss goes to the driver's ``_lookup``, as any other does.
        """
        state = self._state
        if self._clock() < state.quiet_until:
            try:
                return pick(state.keys)
            except KeyNotFoundError:
                pass  # perhaps a new key: the slow path decides
        return None

    def _dispatch(self, pick: Callable[[JWKSet], T]) -> tuple[T | None, FlightT | None, bool]:
        """What a lookup does, decided by ``_jwks_state.decide``; a fetch it needs is begun here.

        Called where nothing else changes the state meanwhile. Returns
        ``(found, flight, begun)``: the answer from the held set (``None``
        when it must wait for ``flight``); the fetch to wait for, or one begun
        in the background; and whether this lookup began it (so its driver
        starts it). Raises ``KeyNotFoundError`` or the last failure when no
        fetch may be made yet.
        """
        state = self._state
        found, miss = _try(pick, state.keys)
        action = rules.decide(state, self._policy, self._clock(), found=miss is None)
        if action is Action.ANSWER:
            return found, None, False
        if action is Action.ANSWER_AND_REFRESH:
            return found, self._begin(), True  # the answer now, the fetch in the background
        if action is Action.FETCH:
            return None, self._begin(), True  # even when found: the set may have changed
        if action is Action.JOIN:
            return None, self._flight, False
        if action is Action.NOT_FOUND:
            assert miss is not None
            raise miss
        raise self._cached_failure()  # Action.FAIL

    def _refresh(self) -> tuple[FlightT, bool]:
        """The fetch a forced refresh waits for, and whether it was begun here: the one in progress, or a new one."""
        flight = self._flight
        return (flight, False) if flight is not None else (self._begin(), True)

    def _begin(self) -> FlightT:
        """Record a fetch as started, and hold it as the one in progress."""
        raise NotImplementedError

    # --- the fetch, as steps: each yield is one GET, answered by the I/O driver ---------

    def _plan(self) -> Generator[str, FetchResult, Fetched]:
        if self._jwks_url is None:
            assert self._issuer is not None
            self._jwks_url = yield from discover(self._issuer, allow_http=self._allow_http)
        url = self._jwks_url
        check_url(url, allow_http=self._allow_http)
        status, headers, body = yield url
        if status != 200:
            raise status_error(status)
        keys, notes = parse_jwks(body, max_keys=self._max_keys)
        policy = self._policy
        lifetime = cache_lifetime(headers, floor=policy.min_refresh_interval, ceiling=policy.cache_ttl)
        return Fetched(keys, lifetime, notes)

    def _advance(self, plan: Generator[str, FetchResult, Fetched], answer: object) -> str | Fetched:
        """The plan's next URL to GET, or its result, once sent a fetch's answer (``None`` to start it)."""
        try:
            return next(plan) if answer is None else plan.send(check_answer(answer, self._max_bytes))
        except StopIteration as stop:
            return cast(Fetched, stop.value)

    def _fetch_options(self) -> dict[str, Any]:
        return {"headers": self._headers, "timeout": self._timeout, "max_bytes": self._max_bytes}

    def _wait_limit(self) -> float:
        """How long a caller waits for a fetch in progress: every request's timeout, and a little."""
        requests = 1 if self._jwks_url is not None else 3
        return requests * self._timeout + _GRACE

    # --- recording an outcome, answering after one -------------------------------------------

    def _recorded(self, outcome: Outcome) -> State:
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

    def _settle(self, outcome: Outcome, pick: Callable[[JWKSet], T]) -> T:
        """The answer to a lookup that waited for a fetch."""
        if isinstance(outcome, Fetched):
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

    @staticmethod
    def _refreshed(outcome: Outcome) -> JWKSet:
        """The answer to a forced refresh: the set it fetched, or its failure."""
        if isinstance(outcome, JWKSFetchError):
            raise _copy(outcome)
        return outcome.keys

    def _cached_failure(self) -> JWKSFetchError:
        failure = self._state.failure
        assert failure is not None
        return JWKSFetchError(
            f"{failure.message} (the last fetch failed; the next is allowed after the refresh cooldown)",
            reason=failure.reason,
        )
