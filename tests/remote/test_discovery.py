"""from_issuer: OIDC Discovery 1.0 §4 and RFC 8414 §3.1 metadata, the exact issuer match, the https rule."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from support.jwks_server import JWKSServer, Reply, averify, json_reply, jwks_reply, sign, verify

import minijwt
from minijwt._http import FetchResult, stdlib_fetch
from minijwt.errors import InvalidOptionError, JWKSFetchError
from minijwt.jwks_client import AsyncJWKSClient, JWKSClient
from minijwt.testing import FrozenClock

Keys = tuple[minijwt.JWK, ...]
OIDC = "/.well-known/openid-configuration"
RFC8414 = "/.well-known/oauth-authorization-server"


def test_oidc_discovery_finds_the_jwks_uri_on_first_use(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    issuer = server.origin
    server.routes[OIDC] = json_reply({"issuer": issuer, "jwks_uri": server.url("/keys")})
    server.routes["/keys"] = jwks_reply([rsa_keys[0]])
    client = JWKSClient.from_issuer(issuer, clock=clock, timeout=2.0)
    assert server.requests == []  # nothing fetched by the constructor
    assert client.issuer == issuer
    assert client.url is None
    verify(client, sign(rsa_keys[0]))
    assert client.url == server.url("/keys")
    clock.advance(31)
    with pytest.raises(minijwt.KeyNotFoundError):
        verify(client, sign(rsa_keys[1]))  # a refetch of the keys, not of the metadata
    assert (server.count(OIDC), server.count("/keys")) == (1, 2)


def test_trailing_slash_issuer(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    issuer = server.origin + "/realms/main/"
    server.routes["/realms/main" + OIDC] = json_reply({"issuer": issuer, "jwks_uri": server.url("/keys")})
    server.routes["/keys"] = jwks_reply([rsa_keys[0]])
    verify(JWKSClient.from_issuer(issuer, clock=clock), sign(rsa_keys[0]))


def test_issuer_mismatch_is_refused(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    issuer = server.origin
    server.routes[OIDC] = json_reply({"issuer": issuer + "/other", "jwks_uri": server.url("/keys")})
    server.routes["/keys"] = jwks_reply([rsa_keys[0]])
    client = JWKSClient.from_issuer(issuer, clock=clock)
    with pytest.raises(JWKSFetchError) as caught:
        verify(client, sign(rsa_keys[0]))
    assert caught.value.reason == "issuer_mismatch"
    assert caught.value.message == (
        f"the discovery document names the issuer {issuer + '/other'!r}, not the expected issuer {issuer!r}"
    )
    assert server.count("/keys") == 0
    assert client.url is None


@pytest.mark.parametrize(
    ("named", "said"),
    [
        (None, "names no issuer,"),
        (7, "names an issuer that is not a string (int),"),
        (
            "https://evil.example\nWARNING forged line\x1b[31m",
            r"names the issuer 'https://evil.example\nWARNING forged line\x1b[31m',",
        ),
        # 200 characters are quoted whole; a longer issuer is cut to them.
        ("https://idp.example/" + "a" * 180, "names the issuer 'https://idp.example/" + "a" * 180 + "',"),
        (
            "https://idp.example/" + "a" * 500,
            "names the issuer 'https://idp.example/" + "a" * 180 + "'... (520 characters),",
        ),
    ],
)
def test_issuer_mismatch_names_the_received_issuer_safely(
    server: JWKSServer, clock: FrozenClock, named: object, said: str
) -> None:
    document = {"jwks_uri": server.url("/keys")} | ({} if named is None else {"issuer": named})
    server.routes[OIDC] = json_reply(document)
    client = JWKSClient.from_issuer(server.origin, clock=clock)
    with pytest.raises(JWKSFetchError) as caught:
        client.get_jwk_set()
    message = caught.value.message
    assert caught.value.reason == "issuer_mismatch"
    assert said in message
    assert message.endswith(f"not the expected issuer {server.origin!r}")
    assert message.isprintable()  # no line break or escape sequence reaches a log line
    assert len(message) < 400


def test_rfc8414_fallback(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    issuer = server.origin + "/tenant1"
    # No OIDC document at /tenant1/.well-known/openid-configuration (404), the RFC 8414 one instead.
    server.routes["/.well-known/oauth-authorization-server/tenant1"] = json_reply(
        {"issuer": issuer, "jwks_uri": server.url("/tenant1/keys")}
    )
    server.routes["/tenant1/keys"] = jwks_reply([rsa_keys[0]])
    client = JWKSClient.from_issuer(issuer, clock=clock)
    verify(client, sign(rsa_keys[0]))
    assert [request.path for request in server.requests] == [
        "/tenant1" + OIDC,
        "/.well-known/oauth-authorization-server/tenant1",
        "/tenant1/keys",
    ]


@pytest.mark.parametrize("path", ["/tenantX", "/tenantX/"])
def test_both_locations_keep_the_issuers_path_whole(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, path: str
) -> None:
    """OIDC Discovery 1.0 §4 appends to the issuer, RFC 8414 §3.1 puts its path after the well-known
    segment; only a final "/" is dropped, never a letter of the path."""
    issuer = server.origin + path
    server.routes[RFC8414 + "/tenantX"] = json_reply({"issuer": issuer, "jwks_uri": server.url("/keys")})
    server.routes["/keys"] = jwks_reply([rsa_keys[0]])
    verify(JWKSClient.from_issuer(issuer, clock=clock), sign(rsa_keys[0]))
    assert [request.path for request in server.requests] == ["/tenantX" + OIDC, RFC8414 + "/tenantX", "/keys"]


def test_no_metadata_anywhere(server: JWKSServer, clock: FrozenClock) -> None:
    client = JWKSClient.from_issuer(server.origin, clock=clock)
    with pytest.raises(JWKSFetchError) as caught:
        client.get_jwk_set()
    assert caught.value.reason == "status"


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"issuer": "ISSUER"}, "not_jwks"),
        ({"issuer": "ISSUER", "jwks_uri": "http://192.0.2.1/keys"}, "insecure_url"),
        ({"issuer": "ISSUER", "jwks_uri": "https://user:pw@idp.example/keys"}, "insecure_url"),
    ],
)
def test_bad_metadata(server: JWKSServer, clock: FrozenClock, document: dict[str, Any], reason: str) -> None:
    document = {name: server.origin if value == "ISSUER" else value for name, value in document.items()}
    server.routes[OIDC] = json_reply(document)
    client = JWKSClient.from_issuer(server.origin, clock=clock)
    with pytest.raises(JWKSFetchError) as caught:
        client.get_jwk_set()
    assert caught.value.reason == reason
    assert len(server.requests) == 1  # refused before any other connection


def test_garbage_metadata_falls_back_then_fails(server: JWKSServer, clock: FrozenClock) -> None:
    server.routes[OIDC] = Reply(body=b"<html>hello</html>")
    client = JWKSClient.from_issuer(server.origin, clock=clock)
    with pytest.raises(JWKSFetchError) as caught:
        client.get_jwk_set()
    assert caught.value.reason == "status"  # the RFC 8414 location answered 404 last
    assert len(server.requests) == 2


@pytest.mark.parametrize("body", [b"<html>hello</html>", b"[]", b'"issuer"'])
def test_no_json_object_at_the_last_location_fails_as_not_json(
    server: JWKSServer, clock: FrozenClock, body: bytes
) -> None:
    server.routes[RFC8414] = Reply(body=body)  # after a 404 at the OIDC location
    client = JWKSClient.from_issuer(server.origin, clock=clock)
    with pytest.raises(JWKSFetchError) as caught:
        client.get_jwk_set()
    assert caught.value.reason == "not_json"
    assert [request.path for request in server.requests] == [OIDC, RFC8414]


def test_allow_http_lets_an_http_issuer_that_is_not_loopback_through(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    """With allow_http, an issuer on plain http on another host, and a jwks_uri there, are used.

    issuer.test (a name reserved for testing, RFC 2606) is never looked up:
    fetch= forwards each GET to the loopback server and records the URL it
    was asked for, each document's own, nothing added.
    """
    issuer = "http://issuer.test"
    server.routes[RFC8414] = json_reply({"issuer": issuer, "jwks_uri": issuer + "/keys"})
    server.routes["/keys"] = jwks_reply([rsa_keys[0]])
    asked: list[str] = []

    def forwarding(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> FetchResult:
        asked.append(url)
        there = url.replace(issuer, server.origin, 1)
        return stdlib_fetch(there, headers=headers, timeout=timeout, max_bytes=max_bytes)

    client = JWKSClient.from_issuer(issuer, allow_http=True, fetch=forwarding, clock=clock, timeout=2.0)
    verify(client, sign(rsa_keys[0]))
    assert client.url == issuer + "/keys"
    assert asked == [issuer + OIDC, issuer + RFC8414, issuer + "/keys"]


@pytest.mark.parametrize(
    "issuer",
    ["http://issuer.example", "https://issuer.example/?tenant=1", "https://issuer.example/#x", "issuer.example"],
)
def test_issuer_is_validated(issuer: str) -> None:
    with pytest.raises(InvalidOptionError):
        JWKSClient.from_issuer(issuer)
    with pytest.raises(InvalidOptionError):
        AsyncJWKSClient.from_issuer(issuer)


def test_async_discovery(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    issuer = server.origin
    server.routes[OIDC] = json_reply({"issuer": issuer, "jwks_uri": server.url("/keys")})
    server.routes["/keys"] = jwks_reply([rsa_keys[0]])
    client = AsyncJWKSClient.from_issuer(issuer, clock=clock)

    async def main() -> None:
        await asyncio.gather(*(averify(client, sign(rsa_keys[0])) for _ in range(8)))

    asyncio.run(main())
    assert (server.count(OIDC), server.count("/keys")) == (1, 1)
    assert client.url == server.url("/keys")
