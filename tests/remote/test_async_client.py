"""AsyncJWKSClient: single flight across tasks, cancellation, the loop never blocked, both kinds of fetch=."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
from support.jwks_server import JWKSServer, Reply, averify, jwks_reply, sign

import minijwt
from minijwt.errors import InvalidOptionError, JWKSFetchError
from minijwt.jwks_client import AsyncJWKSClient
from minijwt.testing import FrozenClock

Keys = tuple[minijwt.JWK, ...]


def client_for(server: JWKSServer, clock: FrozenClock, **options: Any) -> AsyncJWKSClient:
    options.setdefault("timeout", 2.0)
    return AsyncJWKSClient(server.url(), clock=clock, **options)


def test_32_tasks_missing_one_kid_share_one_fetch(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "delay": 0.3})
    client = client_for(server, clock)
    token = sign(rsa_keys[0])

    async def main() -> list[dict[str, Any]]:
        return await asyncio.gather(*(averify(client, token) for _ in range(32)))

    assert [claims["sub"] for claims in asyncio.run(main())] == ["alice"] * 32
    assert server.count() == 1


def test_rotation_32_tasks_share_one_refetch_and_cache_answers(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)

    async def main() -> None:
        await averify(client, sign(rsa_keys[0]))
        server.routes["/jwks"] = Reply(**{**vars(jwks_reply(list(rsa_keys[:2]))), "delay": 0.2})
        clock.advance(31)
        await asyncio.gather(*(averify(client, sign(rsa_keys[n % 2])) for n in range(32)))
        for _ in range(10):
            await averify(client, sign(rsa_keys[1]))

    asyncio.run(main())
    assert server.count() == 2


def test_a_cancelled_waiter_does_not_cancel_or_poison_the_shared_fetch(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    gate = threading.Event()
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "gate": gate})
    client = client_for(server, clock)
    token = sign(rsa_keys[0])

    async def main() -> None:
        first = asyncio.create_task(averify(client, token))
        second = asyncio.create_task(averify(client, token))
        while server.count() == 0:  # the shared fetch has reached the server
            await asyncio.sleep(0.005)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        gate.set()
        assert (await second)["sub"] == "alice"
        assert (await averify(client, token))["sub"] == "alice"

    asyncio.run(main())
    assert server.count() == 1
    assert client.status.last_error is None


def test_every_waiter_cancelled_the_fetch_still_completes(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    gate = threading.Event()
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "gate": gate})
    client = client_for(server, clock)
    token = sign(rsa_keys[0])

    async def main() -> None:
        waiters = [asyncio.create_task(averify(client, token)) for _ in range(4)]
        while server.count() == 0:
            await asyncio.sleep(0.005)
        for waiter in waiters:
            waiter.cancel()
        await asyncio.gather(*waiters, return_exceptions=True)
        gate.set()
        while client.status.refreshing:
            await asyncio.sleep(0.005)
        assert client.status.fresh
        assert (await averify(client, token))["sub"] == "alice"

    asyncio.run(main())
    assert server.count() == 1


def test_the_loop_keeps_running_during_a_fetch(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "delay": 0.3})
    client = client_for(server, clock)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def main() -> None:
        task = asyncio.create_task(ticker())
        await averify(client, sign(rsa_keys[0]))
        task.cancel()

    asyncio.run(main())
    assert ticks >= 5  # a blocked loop would have ticked once


def test_refresh_ahead_runs_in_the_background(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    token = sign(rsa_keys[0])

    async def main() -> None:
        await averify(client, token)
        gate = threading.Event()
        server.routes["/jwks"] = Reply(**{**vars(jwks_reply(list(rsa_keys[:2]))), "gate": gate})
        clock.advance(285)
        for _ in range(20):
            await averify(client, token)
            assert client.status.refreshing  # answered while the refresh is held
        gate.set()
        while client.status.refreshing:
            await asyncio.sleep(0.005)
        await averify(client, sign(rsa_keys[1]))

    asyncio.run(main())
    assert server.count() == 2


@pytest.mark.parametrize("kind", ["coroutine", "plain"])
def test_fetch_may_be_a_coroutine_or_a_plain_function(rsa_keys: Keys, kind: str) -> None:
    body = minijwt.JWKSet([rsa_keys[0].public()]).to_json().encode()
    threads: list[int] = []

    def plain(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        threads.append(threading.get_ident())
        return 200, {"Cache-Control": "max-age=60"}, body

    async def coroutine(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        threads.append(threading.get_ident())
        await asyncio.sleep(0)
        return 200, {"Cache-Control": "max-age=60"}, body

    client = AsyncJWKSClient("https://issuer.example/jwks", fetch=coroutine if kind == "coroutine" else plain)

    async def main() -> None:
        assert (await client.get_signing_key("k1")).kid == "k1"

    asyncio.run(main())
    # A plain function runs in a worker thread, a coroutine on the loop's own.
    assert (threads[0] == threading.get_ident()) is (kind == "coroutine")


def test_a_hanging_async_fetch_is_bounded_by_the_timeout(rsa_keys: Keys) -> None:
    async def hangs(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        await asyncio.sleep(60)

    client = AsyncJWKSClient("https://issuer.example/jwks", fetch=hangs, timeout=0.3)

    async def main() -> None:
        with pytest.raises(JWKSFetchError) as caught:
            await client.get_signing_key("k1")
        assert caught.value.reason == "timeout"

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 0.3 + 1.0


def test_stalled_server_fails_within_the_timeout(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = Reply(stall=True)
    client = client_for(server, clock, timeout=0.5)

    async def main() -> None:
        with pytest.raises(JWKSFetchError) as caught:
            await averify(client, sign(rsa_keys[0]))
        assert caught.value.reason == "timeout"

    started = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - started < 0.5 + 1.0


def test_outage_after_warm_fetch_and_cooldown(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    token = sign(rsa_keys[0])

    async def main() -> None:
        await averify(client, token)
        server.routes["/jwks"] = Reply(status=502)
        clock.advance(301)
        await averify(client, token)  # stale-if-error
        with pytest.raises(JWKSFetchError) as unknown:
            await averify(client, sign(rsa_keys[1]))  # cooldown after a failure: no fetch, the outage
        assert unknown.value.reason == "status"
        assert len(await client.get_jwk_set()) == 1
        with pytest.raises(JWKSFetchError):
            await client.get_jwk_set(refresh=True)

    asyncio.run(main())
    assert server.count() == 3
    assert client.status.last_error == "status"


def test_nothing_held_and_down_is_a_fetch_error(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    url = server.url()
    server.close()
    client = AsyncJWKSClient(url, clock=clock)

    async def main() -> None:
        for _ in range(3):
            with pytest.raises(JWKSFetchError) as caught:
                await client.get_signing_key_from_jwt(sign(rsa_keys[0]))
            assert caught.value.reason == "network"

    asyncio.run(main())
    assert client.status.fetches == 1


def test_async_options_are_validated() -> None:
    with pytest.raises(InvalidOptionError):
        AsyncJWKSClient("http://192.0.2.1/jwks")
    with pytest.raises(InvalidOptionError):
        AsyncJWKSClient("https://issuer.example/jwks", max_keys=-1)


def test_a_forced_refresh_joins_the_fetch_in_progress(rsa_keys: Keys) -> None:
    """``get_jwk_set(refresh=True)`` fetches now; a fetch already under way is that fetch, shared, not a second one."""
    body = minijwt.JWKSet([rsa_keys[0].public()]).to_json().encode()
    calls: list[str] = []

    async def main() -> None:
        entered, release = asyncio.Event(), asyncio.Event()

        async def fetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
            calls.append(url)
            entered.set()
            await release.wait()
            return 200, {}, body

        client = AsyncJWKSClient("https://issuer.example/jwks", fetch=fetch)
        lookup = asyncio.create_task(client.get_signing_key("k1"))
        await entered.wait()  # the lookup's fetch is under way
        forced = asyncio.create_task(client.get_jwk_set(refresh=True))
        for _ in range(5):
            await asyncio.sleep(0)  # the forced refresh has decided, and waits
        release.set()
        assert (await lookup).kid == "k1"
        assert [jwk.kid for jwk in await forced] == ["k1"]
        assert client.status.fetches == 1

    asyncio.run(main())
    assert calls == ["https://issuer.example/jwks"]
