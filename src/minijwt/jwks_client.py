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
import contextlib
import inspect
import os
import threading
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Future
from typing import Any, ClassVar, Protocol, TypeVar

from . import _jwks_state as rules
from ._algorithms import Algorithm
from ._http import FetchResult, stdlib_fetch
from ._jwks_core import Fetched, Outcome, _ClientBase, as_outcome, by_header, by_kid, by_token, is_async, whole_set
from ._jwks_parse import parse_jwks
from ._jwks_state import JWKSStatus
from ._keys import Key
from .errors import JWKSFetchError, KeyNotFoundError
from .jwk import JWK, JWKSet

__all__ = ["AsyncFetch", "AsyncJWKSClient", "Fetch", "JWKSClient", "JWKSStatus", "parse_jwks"]

T = TypeVar("T")


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


def _wait(flight: Future[Outcome], limit: float) -> Outcome:
    """The outcome of a fetch in progress, which any number of threads may wait for."""
    try:
        return flight.result(limit)
    except TimeoutError:
        return JWKSFetchError("the fetch in progress did not end in time", reason="timeout")


class JWKSClient(_ClientBase[Fetch, "Future[Outcome]"]):
    """A thread-safe, caching client of one issuer's JWK Set.

    Create one per issuer at start-up and share it: it is a key source, so it
    can be passed where a key is expected. A lookup that must wait for the
    network fetches in the calling thread; the others wait for that fetch.

    Example:
        >>> from minijwt import JWKSClient
        >>> client = JWKSClient("https://issuer.example/.well-known/jwks.json", cache_ttl=600)
        >>> client.url, client.status.fetches
        ('https://issuer.example/.well-known/jwks.json', 0)
    """

    _async_fetch: ClassVar[bool] = False

    def _new_driver(self) -> None:
        self._lock = threading.Lock()
        self._flight = None
        self._pid = os.getpid()

    def _after_fork(self) -> None:
        """Start afresh in a child of ``fork()``.

        The child inherits the parent's lock (perhaps held, by a thread that
        does not exist here) and its fetch in progress, which no thread here
        will finish: every lookup would wait for it and fail. Checked on the
        slow path only (a lookup the held set answers never gets here).
        """
        if self._pid != os.getpid():
            self._new_driver()
            self._state = rules.abandoned(self._state)

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
        # _fresh_key, inline: on the hot path a call costs more than the two
        # dictionary reads it makes (a sixth more instructions per lookup, measured).
        state = self._state
        if self._clock() < state.quiet_until:
            try:
                return state.keys.resolve_key(header, alg)
            except KeyNotFoundError:
                pass  # perhaps a new key: the slow path decides
        return self._lookup(by_header(header, alg))

    async def aresolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The async key source method, for :func:`minijwt.adecode` and async middleware.

        A key already held and fresh is answered at once, on the event loop;
        anything that may wait for the network runs in a worker thread, so
        that the loop is never blocked.

        Raises:
            KeyNotFoundError: No key fits.
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        key = self._fresh_key(header, alg)
        return key if key is not None else await asyncio.to_thread(self.resolve_key, header, alg)

    def get_signing_key(self, kid: str) -> JWK:
        """The key with this ``kid`` that can verify signatures (:meth:`minijwt.JWKSet.select_by_kid`).

        Raises:
            KeyNotFoundError: No such key, or several different ones.
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        return self._lookup(by_kid(kid))

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
        return self._lookup(by_token(token))

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
            return self._lookup(whole_set)
        self._after_fork()
        with self._lock:
            flight, begun = self._refresh()
        if begun:
            self._run(flight)
        return self._refreshed(_wait(flight, self._wait_limit()))

    # --- the slow path ---------------------------------------------------------------------

    def _lookup(self, pick: Callable[[JWKSet], T]) -> T:
        self._after_fork()
        with self._lock:
            found, flight, begun = self._dispatch(pick)
        if flight is not None and begun:
            if found is None:
                self._run(flight)  # this thread fetches; the others join
            else:
                threading.Thread(target=self._run, args=(flight,), name="minijwt-jwks-refresh", daemon=True).start()
        if found is not None:
            return found
        assert flight is not None
        return self._settle(_wait(flight, self._wait_limit()), pick)

    def _begin(self) -> Future[Outcome]:
        """Mark a fetch as started; called with the lock held."""
        self._state = rules.begin(self._state, self._clock())
        self._flight = flight = Future[Outcome]()
        return flight

    def _run(self, flight: Future[Outcome]) -> None:
        # Every end of a fetch is recorded, also an interruption (KeyboardInterrupt ...).
        outcome: Outcome = JWKSFetchError("the fetch was interrupted", reason="network")
        try:
            outcome = self._drive()
        except Exception as exc:  # a fetch= function may raise anything
            outcome = as_outcome(exc)
        finally:
            with self._lock:
                self._state = self._recorded(outcome)
                self._flight = None
            flight.set_result(outcome)

    def _drive(self) -> Fetched:
        fetch: Fetch = self._fetch if self._fetch is not None else stdlib_fetch
        options = self._fetch_options()
        with contextlib.closing(self._plan()) as plan:
            step = self._advance(plan, None)
            while isinstance(step, str):
                step = self._advance(plan, fetch(step, **options))
            return step


class AsyncJWKSClient(_ClientBase[Fetch | AsyncFetch, asyncio.Task[Fetched]]):
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

    _async_fetch: ClassVar[bool] = True

    def _new_driver(self) -> None:
        self._flight = None

    async def aresolve_key(self, header: Mapping[str, Any], alg: Algorithm) -> Key:
        """The key that verifies a token with this header (the async key source method).

        Raises:
            KeyNotFoundError: No key fits.
            JWKSFetchError: No usable key set is held and none could be fetched.
        """
        key = self._fresh_key(header, alg)
        return key if key is not None else await self._lookup(by_header(header, alg))

    async def get_signing_key(self, kid: str) -> JWK:
        """The key with this ``kid`` that can verify signatures (see :meth:`JWKSClient.get_signing_key`)."""
        return await self._lookup(by_kid(kid))

    async def get_signing_key_from_jwt(self, token: str | bytes) -> JWK:
        """The key for a token, chosen by its header (see :meth:`JWKSClient.get_signing_key_from_jwt`)."""
        return await self._lookup(by_token(token))

    async def get_jwk_set(self, *, refresh: bool = False) -> JWKSet:
        """The held key set, fetched if needed (see :meth:`JWKSClient.get_jwk_set`)."""
        if not refresh:
            return await self._lookup(whole_set)
        self._current_flight()
        flight, _ = self._refresh()
        return self._refreshed(await self._wait(flight))

    # --- the slow path ----------------------------------------------------------------------------

    async def _lookup(self, pick: Callable[[JWKSet], T]) -> T:
        # No await between the decision and starting the fetch: on one event
        # loop, that makes the two atomic, and the fetch single.
        self._current_flight()
        found, flight, _ = self._dispatch(pick)  # a fetch begun is a task, running already
        if found is not None:
            return found
        assert flight is not None
        return self._settle(await self._wait(flight), pick)

    def _current_flight(self) -> asyncio.Task[Fetched] | None:
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

    def _begin(self) -> asyncio.Task[Fetched]:
        self._state = rules.begin(self._state, self._clock())
        task = asyncio.get_running_loop().create_task(self._drive(), name="minijwt-jwks-refresh")
        task.add_done_callback(self._finished)
        self._flight = task
        return task

    def _finished(self, task: asyncio.Task[Fetched]) -> None:
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

    async def _wait(self, flight: asyncio.Task[Fetched]) -> Outcome:
        try:
            # shield: a waiter's cancellation must not cancel the fetch others wait for.
            async with asyncio.timeout(self._wait_limit()):
                return await asyncio.shield(flight)
        except asyncio.CancelledError:
            if flight.cancelled() and not _current_task_cancelling():
                return as_outcome(asyncio.CancelledError())
            raise
        except Exception as exc:  # the fetch's failure, or the wait's timeout
            return as_outcome(exc)

    async def _drive(self) -> Fetched:
        options = self._fetch_options()
        with contextlib.closing(self._plan()) as plan:
            step = self._advance(plan, None)
            while isinstance(step, str):
                step = self._advance(plan, await self._get(step, options))
            return step

    async def _get(self, url: str, options: dict[str, Any]) -> object:
        fetch: Callable[..., object] | None = self._fetch  # either kind: which one is known only when called
        if fetch is None:
            # Bounded by its own deadline; in a worker thread so the loop runs on.
            return await asyncio.to_thread(stdlib_fetch, url, **options)
        async with asyncio.timeout(self._timeout):
            result = fetch(url, **options) if is_async(fetch) else await asyncio.to_thread(fetch, url, **options)
            return await result if inspect.isawaitable(result) else result


def _task_outcome(task: asyncio.Task[Fetched]) -> Outcome:
    error = task.exception()  # also marks it retrieved: no "never retrieved" warning
    return task.result() if error is None else as_outcome(error)


def _current_task_cancelling() -> bool:
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
