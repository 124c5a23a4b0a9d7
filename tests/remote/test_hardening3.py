"""The third hostile review's holes in the JWKS clients, each with its regression test.

docs/security.rst lists each rule with these tests. Real loopback servers
(``jwks_server``), an injectable clock, no sleeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.jwks_server import JWKSServer, Reply, averify, jwks_reply, sign, verify, wait_until

import minijwt
from minijwt.errors import InvalidOptionError, JWKSFetchError, KeyNotFoundError, MiniJWTError
from minijwt.jwks_client import AsyncJWKSClient, JWKSClient
from minijwt.testing import FrozenClock

Keys = tuple[minijwt.JWK, ...]


# --- (4) an AsyncJWKSClient outlives the event loop that started a fetch ---------------


def test_a_fetch_left_pending_on_a_closed_loop_is_dropped(server: JWKSServer, rsa_keys: Keys) -> None:
    gate = threading.Event()
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "gate": gate})
    client = AsyncJWKSClient(server.url(), timeout=5.0)
    token = sign(rsa_keys[0])

    loop = asyncio.new_event_loop()
    lookup = loop.create_task(averify(client, token))
    loop.run_until_complete(asyncio.sleep(0.05))  # the fetch has started, and waits at the gate
    assert client.status.refreshing
    lookup.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()  # closed with the fetch still pending: it will never end
    gate.set()
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])

    assert asyncio.run(averify(client, token))["sub"] == "alice"  # a new loop fetches anew
    assert client.status.last_error is None


def test_a_fetch_cancelled_by_asyncio_run_is_no_failure_of_the_issuer(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    gate = threading.Event()
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "gate": gate})
    client = AsyncJWKSClient(server.url(), timeout=5.0, clock=clock)
    token = sign(rsa_keys[0])

    async def start_and_leave() -> None:
        asyncio.get_running_loop().create_task(averify(client, token))
        await asyncio.sleep(0.05)  # asyncio.run now ends, cancelling the fetch

    try:
        asyncio.run(start_and_leave())
    finally:
        gate.set()
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    assert client.status.last_error is None
    assert not client.status.refreshing
    # No cooldown was added (the clock has not moved): the next lookup fetches.
    assert asyncio.run(averify(client, token))["sub"] == "alice"
    assert client.status.last_error is None


# --- (5) fork() while a JWKSClient fetches ------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is not available on this platform")
def test_a_child_forked_during_a_fetch_fetches_for_itself(server: JWKSServer, rsa_keys: Keys) -> None:
    gate = threading.Event()
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "gate": gate})
    client = JWKSClient(server.url(), timeout=3.0)
    parent_lookup = threading.Thread(target=client.get_jwk_set)
    parent_lookup.start()
    wait_until(lambda: client.status.refreshing)
    server.routes["/jwks"] = jwks_reply([rsa_keys[0], rsa_keys[1]])
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # Python 3.12+: fork() of a threaded process
        pid = os.fork()
    if pid == 0:  # the child: report and leave at once, whatever happens
        code = 1
        try:
            os.close(read)
            keys = client.get_jwk_set()  # the parent's fetch will never end here
            os.write(write, str(len(keys)).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as answer:
            received = answer.read()  # the child ends within its own timeout
        _, status = os.waitpid(pid, 0)
    finally:
        gate.set()
        parent_lookup.join(10)
    assert os.waitstatus_to_exitcode(status) == 0
    assert received == b"2"  # fetched anew, after the fork


# --- (6) the issuer down and the key not held: a 503, not a 401 ---------------------------


def test_an_unknown_kid_while_the_issuer_is_down_is_a_fetch_error(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = JWKSClient(server.url(), clock=clock, timeout=2.0)
    verify(client, sign(rsa_keys[0]))
    server.routes["/jwks"] = Reply(status=503)
    clock.advance(31)  # past the cooldown: the unknown kid makes the client refresh, which fails
    with pytest.raises(JWKSFetchError) as caught:
        verify(client, sign(rsa_keys[1]))
    assert caught.value.reason == "status"
    assert server.count() == 2
    # In the cooldown after that failure: the failure again, without a fetch.
    with pytest.raises(JWKSFetchError):
        verify(client, sign(rsa_keys[1]))
    assert server.count() == 2
    # The held key still verifies (stale-if-error is for keys it has).
    assert verify(client, sign(rsa_keys[0]))["sub"] == "alice"


def test_an_unknown_kid_after_a_successful_refresh_is_not_found(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = JWKSClient(server.url(), clock=clock, timeout=2.0)
    with pytest.raises(KeyNotFoundError):
        verify(client, sign(rsa_keys[1]))
    # A flood of random kids against a healthy issuer: one refresh per cooldown.
    for round_ in range(3):
        for number in range(50):
            with pytest.raises(KeyNotFoundError):
                verify(client, sign(rsa_keys[1], kid=f"random-{round_}-{number}"))
        assert server.count() == 1 + round_
        clock.advance(31)


def test_async_an_unknown_kid_while_the_issuer_is_down_is_a_fetch_error(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = AsyncJWKSClient(server.url(), clock=clock, timeout=2.0)

    async def main() -> None:
        await averify(client, sign(rsa_keys[0]))
        server.routes["/jwks"] = Reply(status=503)
        clock.advance(31)
        for _ in range(2):
            with pytest.raises(JWKSFetchError):
                await averify(client, sign(rsa_keys[1]))

    asyncio.run(main())
    assert server.count() == 2


# --- (12) option values: only InvalidOptionError, and never a later OverflowError ------------

HUGE = 10**400
TIME_OPTIONS = ["cache_ttl", "min_refresh_interval", "max_stale", "refresh_ahead", "timeout"]


@pytest.mark.parametrize("client_class", [JWKSClient, AsyncJWKSClient])
@pytest.mark.parametrize("option", TIME_OPTIONS)
@pytest.mark.parametrize("value", [HUGE, -HUGE, -1, math.nan, math.inf, 1e10, "5", None, True, [5]])
def test_time_options_out_of_range_are_option_errors(client_class: Any, option: str, value: object) -> None:
    with pytest.raises(InvalidOptionError, match=option):
        client_class("https://issuer.example/jwks", **{option: value})


@pytest.mark.parametrize("client_class", [JWKSClient, AsyncJWKSClient])
@pytest.mark.parametrize("value", [HUGE, -HUGE, math.nan, math.inf, "0", 1e300])
def test_initial_fetched_at_out_of_range_is_an_option_error(client_class: Any, value: object) -> None:
    key = minijwt.JWK.generate("ES256", kid="k").public().to_dict()
    with pytest.raises(InvalidOptionError, match="fetched_at"):
        client_class("https://issuer.example/jwks", initial={"keys": [key], "fetched_at": value})


def test_the_largest_allowed_values_still_serve_lookups(server: JWKSServer, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    year = 366 * 86_400
    client = JWKSClient(
        server.url(), cache_ttl=year, min_refresh_interval=year, max_stale=year, refresh_ahead=year, timeout=3600
    )
    assert verify(client, sign(rsa_keys[0]))["sub"] == "alice"


_option_values = st.one_of(
    st.integers(min_value=-(10**500), max_value=10**500),
    st.floats(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
    st.just(HUGE),
)


def _published(url: str, *, headers: Any, timeout: float, max_bytes: int) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, minijwt.JWKSet([_KEY.public()]).to_json().encode()


_KEY = minijwt.JWK.generate("ES256", kid="p")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    option=st.sampled_from([*TIME_OPTIONS, "max_bytes", "max_keys"]),
    value=_option_values,
    asynchronous=st.booleans(),
)
def test_property_client_options_raise_only_option_errors(option: str, value: object, asynchronous: bool) -> None:
    client_class: Any = AsyncJWKSClient if asynchronous else JWKSClient
    try:
        client = client_class("https://issuer.example/jwks", fetch=_published, **{option: value})
    except InvalidOptionError:
        return
    # Accepted: then a lookup works, or fails only with minijwt's own errors.
    token = minijwt.encode({"sub": "a"}, _KEY, "ES256", headers={"kid": "p"})
    try:
        if asynchronous:
            asyncio.run(minijwt.adecode(token, client, algorithms=["ES256"]))
        else:
            minijwt.decode(token, client, algorithms=["ES256"])
    except MiniJWTError:
        pass


@settings(max_examples=300, deadline=None)
@given(
    option=st.sampled_from(["issuer", "audience", "require", "typ", "leeway", "max_age", "subject", "crit"]),
    value=_option_values,
)
def test_property_access_token_options_raise_only_option_errors(option: str, value: object) -> None:
    options: dict[str, Any] = {"issuer": "https://login.example", "audience": "api", option: value}
    with contextlib.suppress(InvalidOptionError):
        minijwt.JWTVerifier.access_token(b"a-secret-of-at-least-32-bytes!!!", algorithms=["HS256"], **options)
