"""The clients as key sources of decode, adecode and JWTVerifier."""

from __future__ import annotations

import asyncio
import threading

import pytest
from support.jwks_server import JWKSServer, jwks_reply, sign

import minijwt
from minijwt.jwks_client import AsyncJWKSClient, JWKSClient
from minijwt.testing import FrozenClock


def test_a_verifier_built_on_a_client(server: JWKSServer, rsa_keys: tuple[minijwt.JWK, ...]) -> None:
    server.routes["/jwks"] = jwks_reply(list(rsa_keys[:2]))
    client = JWKSClient(server.url())
    verifier = minijwt.JWTVerifier(client, algorithms=["RS256"], subject="alice")
    assert verifier.decode(sign(rsa_keys[0]))["sub"] == "alice"
    assert verifier.decode(sign(rsa_keys[1]))["sub"] == "alice"
    with pytest.raises(minijwt.KeyNotFoundError):
        verifier.decode(sign(rsa_keys[2]))
    assert minijwt.jws.verify(sign(rsa_keys[0]), client, algorithms=["RS256"])
    assert server.count() == 1


def test_a_sync_client_under_adecode_answers_held_keys_on_the_loop(
    server: JWKSServer, rsa_keys: tuple[minijwt.JWK, ...], clock: FrozenClock
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = JWKSClient(server.url(), clock=clock)
    verifier = minijwt.JWTVerifier(client, algorithms=["RS256"])
    token = sign(rsa_keys[0])

    async def main() -> None:
        loop_thread = threading.get_ident()
        assert (await verifier.adecode(token))["sub"] == "alice"  # first: fetched in a worker thread
        seen: list[int] = []
        original = client.resolve_key

        def spy(*args: object) -> minijwt.Key:
            seen.append(threading.get_ident())
            return original(*args)  # type: ignore[arg-type]

        client.resolve_key = spy  # type: ignore[method-assign,assignment]
        for _ in range(20):
            assert (await verifier.adecode(token))["sub"] == "alice"
        assert seen == []  # a held, fresh key never leaves the loop ...
        clock.advance(10_000)
        assert (await verifier.adecode(token))["sub"] == "alice"
        assert seen
        assert all(ident != loop_thread for ident in seen)

    asyncio.run(main())


def test_an_async_client_needs_adecode(server: JWKSServer, rsa_keys: tuple[minijwt.JWK, ...]) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = AsyncJWKSClient(server.url())
    token = sign(rsa_keys[0])
    with pytest.raises(minijwt.InvalidKeyError, match="adecode"):
        minijwt.decode(token, client, algorithms=["RS256"])
    with pytest.raises(minijwt.InvalidKeyError, match="adecode"):
        minijwt.JWTVerifier(client, algorithms=["RS256"]).decode(token)
    claims = asyncio.run(minijwt.JWTVerifier(client, algorithms=["RS256"]).adecode(token))
    assert claims["sub"] == "alice"


def test_nothing_held_and_the_issuer_down_is_a_fetch_error_not_a_token_error(server: JWKSServer) -> None:
    client = JWKSClient(server.url("/missing"))
    with pytest.raises(minijwt.JWKSFetchError) as info:
        minijwt.decode(sign(minijwt.JWK.generate("RS256", kid="x")), client, algorithms=["RS256"])
    assert info.value.reason == "status"
    assert not isinstance(info.value, minijwt.InvalidTokenError)
