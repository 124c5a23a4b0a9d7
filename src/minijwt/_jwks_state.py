"""The decisions of a remote JWK Set client, without any I/O.

The clients in :mod:`minijwt.jwks_client` hold one immutable :class:`State`
and replace it whole after each fetch; every decision is a pure function of
that state, the :class:`Policy` and the time, so each rule can be tested with
a made-up clock and no network.

The rules, for a lookup at time ``now`` (the key asked for "found" when the
held set can answer it):

=====================================================  =========================================
situation                                              action
=====================================================  =========================================
found, fresh, before the refresh-ahead window          answer (the hot path: no lock, no fetch)
found, fresh, in the refresh-ahead window              answer, and start one background refresh
found, past freshness, the last refresh failed         answer from the stale set (stale-if-error,
(until ``max_stale`` past freshness)                   RFC 5861 §4), and refresh in the background
                                                       once the cooldown is over
found, past freshness, no failure yet                  fetch and wait (single flight)
not found, a fetch in progress                         wait for it
not found, cooldown after a failed fetch               repeat that failure, without network: the
                                                       issuer is down, so whether the key exists
                                                       cannot be known (a 503, not a 401)
not found, a usable set held, cooldown after success   "no such key", without network
not found, otherwise                                   fetch and wait
=====================================================  =========================================

The cooldown (``min_refresh_interval``) counts from the start of the last
fetch, successful or not: tokens naming random key IDs cannot make the client
fetch more often than once per cooldown. The background refreshes obey it
too. Keys already held and fresh are never held back by the cooldown nor by a
fetch in progress.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, replace

from .jwk import JWKSet

__all__ = [
    "DEFAULT_CACHE_TTL",
    "DEFAULT_MAX_STALE",
    "DEFAULT_MIN_REFRESH_INTERVAL",
    "DEFAULT_REFRESH_AHEAD",
    "EMPTY",
    "Action",
    "Failure",
    "JWKSStatus",
    "Policy",
    "State",
    "abandoned",
    "decide",
    "status",
]

#: The key set held before any fetch: it answers nothing.
EMPTY = JWKSet(())


class Action(enum.Enum):
    """What a lookup must do."""

    ANSWER = "answer"
    """Answer from the held set."""
    ANSWER_AND_REFRESH = "answer_and_refresh"
    """Answer from the held set, and start one fetch in the background."""
    FETCH = "fetch"
    """Start a fetch and wait for it."""
    JOIN = "join"
    """Wait for the fetch in progress."""
    NOT_FOUND = "not_found"
    """The held set has no such key, and no fetch may be made yet."""
    FAIL = "fail"
    """Nothing usable is held and no fetch may be made yet: repeat the last failure."""


#: The defaults of the timing options, each written once (the clients'
#: signatures and the middleware's ``Retry-After`` read them from here).
DEFAULT_CACHE_TTL = 300.0
#: The cooldown: at most one fetch per this many seconds.
DEFAULT_MIN_REFRESH_INTERVAL = 30.0
DEFAULT_MAX_STALE = 86_400.0
DEFAULT_REFRESH_AHEAD = 30.0


@dataclass(frozen=True, slots=True)
class Policy:
    """The timing options of a client, in seconds.

    Attributes:
        cache_ttl: The longest a fetched set stays fresh.
        min_refresh_interval: The cooldown: the least time between two
            fetches started by lookups, and the shortest freshness.
        max_stale: How long past freshness a set keeps answering while
            refreshes fail.
        refresh_ahead: How long before the end of freshness a lookup starts
            a background refresh (at most half the freshness).
    """

    cache_ttl: float = DEFAULT_CACHE_TTL
    min_refresh_interval: float = DEFAULT_MIN_REFRESH_INTERVAL
    max_stale: float = DEFAULT_MAX_STALE
    refresh_ahead: float = DEFAULT_REFRESH_AHEAD


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed fetch: its reason word and its message."""

    reason: str
    message: str


@dataclass(frozen=True, slots=True)
class State:
    """What a client holds, and what it remembers of its fetches.

    Times are on the client's clock (monotonic seconds).

    Attributes:
        keys: The held set (:data:`EMPTY` before the first success).
        fetched_at: When the held set was received.
        fresh_until: The end of its freshness.
        quiet_until: The start of the refresh-ahead window: before it, a
            lookup that the set answers needs no other decision.
        usable_until: The end of its use when refreshes fail.
        failure: The last fetch's failure, or ``None`` when it succeeded.
        fetches: How many fetches were started.
        last_attempt: When the last fetch started.
        in_flight: Whether a fetch is in progress.

    The set remembers its own answers (:meth:`~minijwt.JWKSet.resolve_key`),
    so a state holds nothing that changes.
    """

    keys: JWKSet = EMPTY
    fetched_at: float = -math.inf
    fresh_until: float = -math.inf
    quiet_until: float = -math.inf
    usable_until: float = -math.inf
    failure: Failure | None = None
    fetches: int = 0
    last_attempt: float = -math.inf
    in_flight: bool = False


@dataclass(frozen=True, slots=True)
class JWKSStatus:
    """A snapshot of a client's cache, for health checks and metrics.

    Attributes:
        fresh: A key set is held and fresh.
        stale: A key set is held past its freshness and still answers
            (refreshing it failed, or is about to be tried).
        age: Seconds since the held set was fetched, or ``None`` when none is held.
        last_error: The reason word of the last fetch when it failed
            (see :class:`~minijwt.JWKSFetchError`), else ``None``.
        fetches: How many fetches were started.
        refreshing: A fetch is in progress.
    """

    fresh: bool
    stale: bool
    age: float | None
    last_error: str | None
    fetches: int
    refreshing: bool


def usable(state: State, now: float) -> bool:
    """Whether the held set may still answer: fresh, or within ``max_stale`` of it."""
    return now < state.usable_until


def cooling(state: State, policy: Policy, now: float) -> bool:
    """Whether the cooldown after the last fetch's start is still running."""
    return now < state.last_attempt + policy.min_refresh_interval


def decide(state: State, policy: Policy, now: float, *, found: bool) -> Action:
    """What a lookup at ``now`` must do (the table in the module docstring).

    Args:
        state: The client's state.
        policy: Its options.
        now: The time on the client's clock.
        found: Whether the held set answers this lookup.

    Returns:
        The action.

    Example:
        >>> policy = Policy(cache_ttl=300, min_refresh_interval=30, refresh_ahead=30)
        >>> held = succeeded(begin(State(), 0.0), policy, EMPTY, now=0.0, lifetime=300)
        >>> decide(held, policy, 10.0, found=True), decide(held, policy, 280.0, found=True)
        (<Action.ANSWER: 'answer'>, <Action.ANSWER_AND_REFRESH: 'answer_and_refresh'>)
        >>> decide(held, policy, 10.0, found=False), decide(held, policy, 40.0, found=False)
        (<Action.NOT_FOUND: 'not_found'>, <Action.FETCH: 'fetch'>)
    """
    if found and usable(state, now):
        if now < state.quiet_until:
            return Action.ANSWER
        if now < state.fresh_until or state.failure is not None:
            # The refresh-ahead window, or stale-if-error (RFC 5861 §4): answer
            # now, refresh behind the caller's back when allowed.
            if state.in_flight or cooling(state, policy, now):
                return Action.ANSWER
            return Action.ANSWER_AND_REFRESH
        # Past freshness and nothing has failed yet: the set may have changed
        # (a key withdrawn), so the answer waits for the refresh.
        if state.in_flight:
            return Action.JOIN
        # Freshness outlasts the cooldown (it is at least as long); but keep the rule whole.
        return Action.ANSWER if cooling(state, policy, now) else Action.FETCH
    if state.in_flight:
        return Action.JOIN
    if cooling(state, policy, now):
        # After a failed fetch the held set may lack a key the issuer has
        # published since: "no such key" would be a guess, so the failure is
        # the answer. After a successful one, it is the truth.
        if state.failure is not None:
            return Action.FAIL
        if usable(state, now):
            return Action.NOT_FOUND
    return Action.FETCH


# --- transitions ----------------------------------------------------------------


def begin(state: State, now: float) -> State:
    """The state once a fetch has started at ``now``."""
    return replace(state, in_flight=True, fetches=state.fetches + 1, last_attempt=now)


def succeeded(state: State, policy: Policy, keys: JWKSet, *, now: float, lifetime: float) -> State:
    """The state once a fetch has brought ``keys``, fresh for ``lifetime`` seconds from ``now``."""
    return replace(
        _held(state, policy, keys, fetched_at=now, fresh_until=now + lifetime),
        failure=None,
        in_flight=False,
    )


def abandoned(state: State) -> State:
    """The state once a fetch was given up without an answer from the issuer.

    Its event loop closed or cancelled it, or the process was forked while it
    ran: nothing is known of the issuer, so nothing is recorded as its failure
    and no cooldown is added; the next lookup may fetch again.
    """
    return replace(state, in_flight=False)


def failed(state: State, reason: str, message: str) -> State:
    """The state once a fetch has failed; the held set is kept (stale-if-error)."""
    return replace(state, failure=Failure(reason, message), in_flight=False)


def seeded(policy: Policy, keys: JWKSet, *, now: float, age: float | None) -> State:
    """The first state, from a key set given by the caller.

    Args:
        policy: The client's options.
        keys: The set.
        now: The time on the client's clock.
        age: How old the set is, in seconds, when known. A set of unknown age
            is held already past its freshness: the first lookup fetches, and
            the set answers only if that fails (for ``max_stale`` seconds).

    Returns:
        The state.
    """
    if age is None:
        return _held(State(), policy, keys, fetched_at=now, fresh_until=now)
    fetched_at = now - max(age, 0.0)
    return _held(State(), policy, keys, fetched_at=fetched_at, fresh_until=fetched_at + policy.cache_ttl)


def _held(state: State, policy: Policy, keys: JWKSet, *, fetched_at: float, fresh_until: float) -> State:
    window = fresh_until - fetched_at
    # Refresh ahead in the last refresh_ahead seconds, never in more than half
    # of the freshness (a short max-age would otherwise refresh on every lookup).
    ahead = min(policy.refresh_ahead, window / 2)
    return replace(
        state,
        keys=keys,
        fetched_at=fetched_at,
        fresh_until=fresh_until,
        quiet_until=fresh_until - ahead,
        usable_until=fresh_until + policy.max_stale,
    )


def status(state: State, now: float) -> JWKSStatus:
    """The public snapshot of a state at ``now``."""
    held = usable(state, now)
    fresh = held and now < state.fresh_until
    return JWKSStatus(
        fresh=fresh,
        stale=held and not fresh,
        age=now - state.fetched_at if state.fetched_at > -math.inf else None,
        last_error=state.failure.reason if state.failure is not None else None,
        fetches=state.fetches,
        refreshing=state.in_flight,
    )
