"""JWKSClient against a real HTTP server on loopback: caching, rotation, floods, outages and faults.

Time passes only through the fake clock; real time is used only for the
server's own faults (stall, trickle, delay) and bounded by generous ceilings.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
from support.jwks_server import JWKSServer, Reply, averify, json_reply, jwks_reply, sign, verify, wait_until

import minijwt
from minijwt import _http, _jwks_parse
from minijwt import _jwks_state as rules
from minijwt._jwks_core import as_outcome, is_async
from minijwt.errors import InvalidOptionError, JWKSFetchError, KeyNotFoundError
from minijwt.jwks_client import AsyncJWKSClient, JWKSClient, parse_jwks
from minijwt.testing import FrozenClock

Keys = tuple[minijwt.JWK, ...]


def client_for(server: JWKSServer, clock: FrozenClock, **options: Any) -> JWKSClient:
    options.setdefault("timeout", 2.0)
    return JWKSClient(server.url(), clock=clock, **options)


def test_first_lookup_fetches_then_the_cache_answers(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply(list(rsa_keys[:2]))
    client = client_for(server, clock)
    for _ in range(20):
        assert verify(client, sign(rsa_keys[0]))["sub"] == "alice"
        assert verify(client, sign(rsa_keys[1]))["sub"] == "alice"
        clock.advance(1)
    assert server.count() == 1
    assert client.status.fresh
    assert client.status.fetches == 1


def test_rotation_new_kid_found_and_removed_kid_expires_with_cache_ttl(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    k1, k2, _ = rsa_keys
    # The server would let the set be cached for a day: cache_ttl (300 s) still wins.
    server.routes["/jwks"] = jwks_reply([k1], cache_control="public, max-age=86400")
    client = client_for(server, clock)
    verify(client, sign(k1))

    server.routes["/jwks"] = jwks_reply([k1, k2], cache_control="max-age=86400")
    clock.advance(31)  # past the cooldown: a new kid triggers one refresh
    verify(client, sign(k2))
    assert server.count() == 2

    server.routes["/jwks"] = jwks_reply([k2], cache_control="max-age=86400")  # k1 withdrawn
    clock.advance(299)
    verify(client, sign(k1))  # still cached: the set fetched 299 s ago is fresh
    clock.advance(1)  # cache_ttl has passed since the last fetch
    with pytest.raises(KeyNotFoundError):
        verify(client, sign(k1))
    verify(client, sign(k2))
    assert server.count() == 3


def test_mixed_set_good_key_verifies_others_never_chosen(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    good = rsa_keys[0]
    ed448 = minijwt.JWK.generate("Ed448", kid="ed448")
    encryption = {**rsa_keys[1].public().to_dict(), "kid": "enc", "use": "enc"}
    del encryption["alg"]
    wrap_only = {**rsa_keys[2].public().to_dict(), "kid": "wrap", "key_ops": ["wrapKey"]}
    del wrap_only["alg"]
    private = {**minijwt.JWK.generate("ES256", kid="leaked").to_dict(private=True)}
    document = {
        "keys": [
            ed448.public().to_dict(),
            encryption,
            wrap_only,
            {"kty": "RSA", "kid": "malformed", "n": "not base64url!", "e": "AQAB"},
            {"kty": "XYZ", "kid": "unknown-kty", "x": "AAAA"},
            {"kty": "oct", "kid": "shared", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA"},
            private,
            good.public().to_dict(),
        ]
    }
    server.routes["/jwks"] = jwks_reply(document)
    client = client_for(server, clock)
    with caplog.at_level(logging.INFO, logger="minijwt"):
        assert verify(client, sign(good))["sub"] == "alice"
    verify(client, sign(ed448, "Ed448"))
    # use: enc and key_ops without verify are never chosen, whatever the token says.
    for kid in ("enc", "wrap"):
        with pytest.raises(KeyNotFoundError):
            verify(client, sign(rsa_keys[1], kid=kid))
        with pytest.raises(KeyNotFoundError):
            client.get_signing_key(kid)
    for kid in ("malformed", "unknown-kty", "shared", "leaked"):
        with pytest.raises(KeyNotFoundError):
            client.get_signing_key(kid)
    assert client.get_signing_key("k1").kid == "k1"
    assert sorted(jwk.kid or "" for jwk in client.get_jwk_set()) == ["ed448", "enc", "k1", "wrap"]
    text = caplog.text
    assert "kid 'leaked'" in text
    assert "private members" in text
    assert "kid 'shared'" in text
    assert "kid 'malformed'" in text
    assert "kid 'enc'" in text
    assert server.count() == 1


def test_refresh_ahead_one_background_fetch_and_no_caller_waits(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    k1, k2, _ = rsa_keys
    server.routes["/jwks"] = jwks_reply([k1])
    client = client_for(server, clock, cache_ttl=300, refresh_ahead=30)
    verify(client, sign(k1))

    gate = threading.Event()
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([k1, k2])), "gate": gate})
    clock.advance(280)  # in the last 30 s of freshness
    for _ in range(50):
        verify(client, sign(k1))
        # Answered while the refresh is still held by the server: nobody waited for it.
        assert client.status.refreshing
    wait_until(lambda: server.count() == 2)
    gate.set()
    wait_until(lambda: not client.status.refreshing)
    assert server.count() == 2
    verify(client, sign(k2))  # the background refresh brought k2: no further fetch
    assert server.count() == 2
    assert client.status.age == 0


def test_export_and_initial_round_trip(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    first = client_for(server, clock)
    verify(first, sign(rsa_keys[0]))
    saved = json.loads(json.dumps(first.export()))
    assert set(saved) == {"keys", "fetched_at"}
    assert abs(saved["fetched_at"] - time.time()) < 60
    assert "d" not in saved["keys"][0]

    def no_network(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        raise AssertionError("a recent exported set must answer without fetching")

    second = JWKSClient("https://issuer.example/jwks", initial=saved, fetch=no_network)
    verify(second, sign(rsa_keys[0]))
    assert second.status.fresh


@pytest.mark.parametrize("form", ["dict", "jwkset"])
def test_initial_set_of_unknown_age_is_the_fallback_when_the_issuer_is_down(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, form: str
) -> None:
    published = minijwt.JWKSet([rsa_keys[0].public()])
    initial: Any = published.to_dict() if form == "dict" else minijwt.JWKSet([rsa_keys[0]])
    server.routes["/jwks"] = Reply(status=503)
    client = client_for(server, clock, initial=initial)
    verify(client, sign(rsa_keys[0]))  # the fetch fails; the initial set answers
    assert server.count() == 1
    assert client.status.stale
    assert client.export()["keys"] == published.to_dict()["keys"]


def test_initial_is_validated() -> None:
    with pytest.raises(InvalidOptionError):
        JWKSClient("https://issuer.example/jwks", initial={"keys": "nope"})
    with pytest.raises(InvalidOptionError):
        JWKSClient("https://issuer.example/jwks", initial={"keys": [{"kty": "oct", "k": "AAAA"}]})
    with pytest.raises(InvalidOptionError):
        JWKSClient("https://issuer.example/jwks", initial=minijwt.JWKSet([minijwt.JWK.generate("HS256")]))
    assert JWKSClient("https://issuer.example/jwks", initial={"keys": []}).export() == {"keys": []}
    assert JWKSClient("https://issuer.example/jwks", initial=minijwt.JWKSet([])).export() == {"keys": []}


def test_flood_of_random_kids_is_bounded_by_the_cooldown(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock, min_refresh_interval=60)
    good = sign(rsa_keys[0])
    verify(client, good)
    for _ in range(1000):
        with pytest.raises(KeyNotFoundError):
            verify(client, sign(rsa_keys[1], kid=secrets.token_urlsafe(8)))
        verify(client, good)
        clock.advance(0.1)  # 100 s in all
    # The warm-up fetch, and one more when the 60 s cooldown had passed.
    assert server.count() == 2


def test_32_threads_missing_one_kid_share_one_fetch(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "delay": 0.3})
    client = client_for(server, clock)
    token = sign(rsa_keys[0])
    start = threading.Barrier(32)
    results: list[str] = []

    def lookup() -> None:
        start.wait()
        results.append(verify(client, token)["sub"])

    threads = [threading.Thread(target=lookup) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == ["alice"] * 32
    assert server.count() == 1


def test_32_threads_after_a_rotation_share_one_refetch(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    verify(client, sign(rsa_keys[0]))
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0], rsa_keys[1]])), "delay": 0.3})
    clock.advance(31)
    new, old = sign(rsa_keys[1]), sign(rsa_keys[0])
    errors: list[BaseException] = []

    def lookup(token: str) -> None:
        try:
            verify(client, token)
        except BaseException as exc:  # collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=lookup, args=(new if n % 2 else old,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert server.count() == 2


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Reply(status=500), "status"),
        (Reply(body=b"<html>maintenance</html>"), "not_json"),
        (None, "network"),  # the server is gone
    ],
    ids=["500", "garbage", "down"],
)
def test_outage_after_a_warm_fetch_held_keys_still_verify(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, fault: Reply | None, reason: str
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock, max_stale=3600)
    token = sign(rsa_keys[0])
    verify(client, token)
    if fault is None:
        server.close()
    else:
        server.routes["/jwks"] = fault
    clock.advance(301)  # past freshness: the refresh fails, the held key answers
    verify(client, token)
    assert client.status.last_error == reason
    assert client.status.stale
    for _ in range(10):
        clock.advance(10)
        verify(client, token)
    # An unknown kid gets the outage: whether the issuer has published that
    # key since cannot be known while it is down (a 503, not a 401).
    with pytest.raises(JWKSFetchError) as unknown:
        verify(client, sign(rsa_keys[1]))
    assert unknown.value.reason == reason
    clock.advance(3600)  # past max_stale: now the outage shows
    with pytest.raises(JWKSFetchError) as caught:
        verify(client, token)
    assert caught.value.reason == reason


def test_nothing_held_and_issuer_down_is_a_fetch_error_never_not_found(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    url = server.url()
    server.close()
    client = JWKSClient(url, clock=clock, timeout=2.0)
    for _ in range(3):
        with pytest.raises(JWKSFetchError) as caught:
            verify(client, sign(rsa_keys[0]))
        assert caught.value.reason == "network"
        with pytest.raises(JWKSFetchError):
            client.get_signing_key("whatever")
        with pytest.raises(JWKSFetchError):
            client.get_jwk_set()
    assert client.status.fetches == 1  # the cooldown repeats the failure without network
    clock.advance(30)
    with pytest.raises(JWKSFetchError):
        client.get_signing_key("whatever")
    assert client.status.fetches == 2


@pytest.mark.parametrize(
    "fault",
    [Reply(stall=True), Reply(body=b'{"keys": []}' * 20, trickle=0.05)],
    ids=["stall", "trickle"],
)
def test_stalled_or_trickling_server_fails_within_the_timeout(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, fault: Reply
) -> None:
    server.routes["/jwks"] = fault
    client = client_for(server, clock, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(JWKSFetchError) as caught:
        verify(client, sign(rsa_keys[0]))
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 0.5 + 1.0


def _too_many() -> Reply:
    key = minijwt.JWK.generate("ES256").public().to_dict()
    return jwks_reply({"keys": [key] * 5})


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        (Reply(body=b"x" * 5000), "too_large"),
        (Reply(body=b"<!doctype html><html><body>Login</body></html>"), "not_json"),
        (Reply(body=b'{"keys": [], "keys": []}'), "not_json"),  # duplicate member
        (Reply(body=b"[1, 2]"), "not_json"),
        (json_reply({"issuer": "https://x", "jwks_uri": "https://x/jwks"}), "not_jwks"),
        (json_reply({"keys": {"kty": "RSA"}}), "not_jwks"),
        (json_reply({"keys": []}), "no_usable_key"),
        (json_reply({"keys": [{"kty": "oct", "k": "AAAA"}]}), "no_usable_key"),
        (Reply(status=301, headers={"Location": "https://elsewhere.example/jwks"}), "redirect"),
        (Reply(status=404), "status"),
        (Reply(status=500, body=b"stack trace"), "status"),
        (_too_many(), "too_many_keys"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_bad_answers_fail_with_their_reason(
    server: JWKSServer, rsa_keys: Keys, reply: Reply, reason: str, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/jwks"] = reply
    client = client_for(server, FrozenClock(), max_bytes=4096, max_keys=4)
    with caplog.at_level(logging.WARNING, logger="minijwt"), pytest.raises(JWKSFetchError) as caught:
        verify(client, sign(rsa_keys[0]))
    assert caught.value.reason == reason
    assert caught.value.code == "jwks_fetch_failed"
    # Logged once, without the body.
    assert len([r for r in caplog.records if "failed" in r.getMessage()]) == 1
    for secret in ("Login", "stack trace", "xxxxx"):
        assert secret not in caplog.text
        assert secret not in str(caught.value)


def test_ambiguous_set_is_refused_like_jwkset_refuses_it(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    first, second = rsa_keys[0].public().to_dict(), rsa_keys[1].public().to_dict()
    second["kid"] = first["kid"]
    server.routes["/jwks"] = jwks_reply({"keys": [first, second]})
    with pytest.raises(JWKSFetchError) as caught:
        client_for(server, clock).get_jwk_set()
    assert caught.value.reason == "not_jwks"


def test_short_max_age_is_honoured(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]], cache_control="max-age=1")
    client = client_for(server, clock, min_refresh_interval=0, refresh_ahead=0)
    token = sign(rsa_keys[0])
    verify(client, token)
    clock.advance(0.9)
    verify(client, token)
    assert server.count() == 1
    clock.advance(0.2)  # 1.1 s: the server said 1 s
    verify(client, token)
    assert server.count() == 2


def test_max_age_below_the_cooldown_is_raised_to_it(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]], cache_control="max-age=1")
    client = client_for(server, clock, min_refresh_interval=30)
    token = sign(rsa_keys[0])
    verify(client, token)
    clock.advance(29)
    verify(client, token)
    assert server.count() == 1


def test_headers_are_sent(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock, headers={"X-Api-Key": "abc123", "User-Agent": "my-service/1.0"})
    client.get_jwk_set()
    sent = server.requests[0].headers
    assert sent["x-api-key"] == "abc123"
    assert sent["user-agent"] == "my-service/1.0"


def test_http_to_a_host_that_is_not_loopback_is_refused_before_connecting() -> None:
    calls: list[str] = []

    def recording(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        calls.append(url)
        raise AssertionError("never called")

    # 192.0.2.0/24 is TEST-NET-1 (RFC 5737); nothing is ever sent there.
    for url in ("http://192.0.2.10/jwks", "http://issuer.example/jwks", "ftp://issuer.example/jwks"):
        with pytest.raises(InvalidOptionError, match=r"https?"):
            JWKSClient(url, fetch=recording)
    assert calls == []


def test_allow_http_lets_plain_http_through() -> None:
    calls: list[str] = []
    key = minijwt.JWK.generate("ES256", kid="e1")

    def recording(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        calls.append(url)
        return 200, {}, minijwt.JWKSet([key.public()]).to_json().encode()

    client = JWKSClient("http://192.0.2.10/jwks", allow_http=True, fetch=recording)
    assert client.get_signing_key("e1").kid == "e1"
    assert calls == ["http://192.0.2.10/jwks"]


def _documented_arguments(docstring: str | None) -> list[str]:
    """The names in a Google-style docstring's ``Args:`` section."""
    assert docstring is not None
    section = docstring.split("Args:", 1)[1].split("Raises:", 1)[0]
    return re.findall(r"^ {12}(\*{0,2}\w+):", section, re.MULTILINE)


@pytest.mark.parametrize("client_class", [JWKSClient, AsyncJWKSClient])
def test_both_clients_take_the_same_options_with_the_same_defaults_each_documented(client_class: Any) -> None:
    """One constructor and one from_issuer for both: the same options, defaults, and a docstring naming each."""

    def options(function: Any) -> list[tuple[str, Any, Any]]:
        return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]

    assert options(client_class) == options(JWKSClient)
    assert options(client_class.from_issuer) == options(JWKSClient.from_issuer)
    names = [name for name, _, _ in options(client_class)]
    assert _documented_arguments(client_class.__init__.__doc__) == names
    assert _documented_arguments(client_class.from_issuer.__doc__) == ["issuer", "**options"]
    # The defaults are the named ones, each written once.
    named = {
        "cache_ttl": rules.DEFAULT_CACHE_TTL,
        "min_refresh_interval": rules.DEFAULT_MIN_REFRESH_INTERVAL,
        "max_stale": rules.DEFAULT_MAX_STALE,
        "refresh_ahead": rules.DEFAULT_REFRESH_AHEAD,
        "timeout": _http.DEFAULT_TIMEOUT,
        "max_bytes": _http.DEFAULT_MAX_BYTES,
        "max_keys": _jwks_parse.DEFAULT_MAX_KEYS,
    }
    assert named.items() <= {name: default for name, _, default in options(client_class)}.items()
    assert inspect.signature(parse_jwks).parameters["max_keys"].default == _jwks_parse.DEFAULT_MAX_KEYS


@pytest.mark.parametrize(
    "options",
    [
        {"cache_ttl": 0},
        {"cache_ttl": -1},
        {"cache_ttl": float("nan")},
        {"cache_ttl": "300"},
        {"cache_ttl": True},
        {"min_refresh_interval": 600},  # longer than cache_ttl
        {"min_refresh_interval": -1},
        {"timeout": 0},
        {"timeout": float("inf")},
        {"max_bytes": 0},
        {"max_bytes": 1.5},
        {"max_stale": -1},
        {"refresh_ahead": -1},
        {"max_keys": 0},
        {"headers": {"Bad Name": "x"}},
        {"headers": {"X-Ok": "a\r\nInjected: yes"}},
        {"headers": ["X-Api-Key"]},
        {"allow_http": "yes"},
        {"fetch": "not callable"},
        {"initial": "not a set"},
        {"clock": 5},
    ],
)
def test_options_are_validated_in_the_constructor(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidOptionError):
        JWKSClient("https://issuer.example/jwks", **options)


def test_async_fetch_is_refused_by_the_sync_client() -> None:
    async def fetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        raise AssertionError

    with pytest.raises(InvalidOptionError):
        JWKSClient("https://issuer.example/jwks", fetch=fetch)  # type: ignore[arg-type]


def test_token_without_kid(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    es = minijwt.JWK.generate("ES256", kid="es")
    server.routes["/jwks"] = jwks_reply([rsa_keys[0], es])
    client = client_for(server, clock)
    # One key can verify ES256: it is chosen.
    assert client.get_signing_key_from_jwt(sign(es, "ES256", kid=None)).kid == "es"
    verify(client, sign(es, "ES256", kid=None))
    # Two RSA keys could verify RS256: the token must name its key.
    server.routes["/jwks"] = jwks_reply([rsa_keys[0], rsa_keys[1]])
    other = client_for(server, clock)
    with pytest.raises(KeyNotFoundError, match="2 keys"):
        other.get_signing_key_from_jwt(sign(rsa_keys[0], kid=None))


def test_get_signing_key_from_jwt_reads_kid_and_alg(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    jwk = client.get_signing_key_from_jwt(sign(rsa_keys[0]))
    assert jwk.kid == "k1"
    assert not jwk.is_private
    with pytest.raises(minijwt.DecodeError):
        client.get_signing_key_from_jwt("not.a.token")
    with pytest.raises(KeyNotFoundError):
        client.get_signing_key_from_jwt(sign(minijwt.JWK.generate("ES256", kid="k1"), "ES256"))


def test_get_jwk_set_refresh_fetches_now(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    assert len(client.get_jwk_set()) == 1
    server.routes["/jwks"] = jwks_reply(list(rsa_keys))
    assert len(client.get_jwk_set()) == 1  # cached
    assert len(client.get_jwk_set(refresh=True)) == 3  # whatever the cooldown
    server.routes["/jwks"] = Reply(status=500)
    with pytest.raises(JWKSFetchError):
        client.get_jwk_set(refresh=True)
    assert len(client.get_jwk_set()) == 3  # the held set still answers
    assert server.count() == 3


def test_a_forced_refresh_joins_the_fetch_in_progress(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    """``refresh=True`` fetches now; a fetch already under way is that fetch, shared, not a second request."""
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply([rsa_keys[0]])), "delay": 0.5})
    client = client_for(server, clock)
    lookup = threading.Thread(target=client.get_jwk_set)
    lookup.start()
    wait_until(lambda: server.count() == 1)  # the lookup's fetch is under way, answered after the delay
    assert [jwk.kid for jwk in client.get_jwk_set(refresh=True)] == ["k1"]
    lookup.join(10)
    assert server.count() == 1
    assert client.status.fetches == 1


def test_failure_is_logged_once_per_refresh(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    server.routes["/jwks"] = Reply(status=500)
    client = client_for(server, clock)
    token = sign(rsa_keys[0])
    with caplog.at_level(logging.WARNING, logger="minijwt"):
        for _ in range(20):
            with pytest.raises(JWKSFetchError):
                verify(client, token)
    assert len(caplog.records) == 1
    assert token not in caplog.text
    assert "(status)" in caplog.text


def test_status_and_repr(server: JWKSServer, clock: FrozenClock, rsa_keys: Keys) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    assert client.status == minijwt.jwks_client.JWKSStatus(False, False, None, None, 0, False)
    client.get_jwk_set()
    clock.advance(12)
    status = client.status
    assert (status.fresh, status.stale, status.age, status.last_error, status.fetches) == (True, False, 12, None, 1)
    assert client.url == server.url()
    assert client.issuer is None
    assert repr(client) == f"JWKSClient(url={server.url()!r})"


@pytest.mark.parametrize("client_class", [JWKSClient, AsyncJWKSClient])
def test_a_client_for_an_issuer_shows_the_issuer(client_class: Any) -> None:
    """Before discovery there is no JWK Set URL to show: the issuer names the client."""
    client = client_class.from_issuer("https://login.example/tenant1")
    assert repr(client) == f"{client_class.__name__}(issuer='https://login.example/tenant1')"


def test_a_kid_reused_for_a_new_key_is_followed_after_refresh(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    old, replacement = rsa_keys[0], minijwt.JWK.generate("RS256", kid="k1")
    server.routes["/jwks"] = jwks_reply([old])
    client = client_for(server, clock)
    for _ in range(3):  # the choice is remembered for this set
        verify(client, sign(old))
    server.routes["/jwks"] = jwks_reply([replacement])
    clock.advance(300)
    verify(client, sign(replacement))  # the remembered choice belonged to the old set
    with pytest.raises(minijwt.InvalidSignatureError):
        verify(client, sign(old))


@pytest.mark.parametrize("kid", [["k1"], 7, {"k": 1}])
def test_a_kid_that_is_not_a_string_is_not_found(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, kid: object
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    client.get_jwk_set()
    for _ in range(2):
        with pytest.raises(KeyNotFoundError):
            client.resolve_key({"alg": "RS256", "kid": kid}, minijwt.ALGORITHMS["RS256"])
    assert server.count() == 1


def test_held_keys_are_not_delayed_by_a_fetch_for_another_kid(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    verify(client, sign(rsa_keys[0]))
    gate = threading.Event()
    server.routes["/jwks"] = Reply(**{**vars(jwks_reply(list(rsa_keys[:2]))), "gate": gate})
    clock.advance(31)
    waiting = threading.Thread(target=verify, args=(client, sign(rsa_keys[1])))
    waiting.start()
    wait_until(lambda: server.count() == 2)  # the fetch for k2 is held by the server
    for _ in range(20):
        verify(client, sign(rsa_keys[0]))  # answered while that fetch is in progress
        assert client.status.refreshing
    gate.set()
    waiting.join(10)
    assert not waiting.is_alive()
    assert server.count() == 2


def test_waiting_for_a_hung_fetch_is_bounded(rsa_keys: Keys) -> None:
    release = threading.Event()
    body = minijwt.JWKSet([rsa_keys[0].public()]).to_json().encode()

    def hangs(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        release.wait(10)  # a fetch= function that ignores its timeout
        return 200, {}, body

    client = JWKSClient("https://issuer.example/jwks", fetch=hangs, timeout=0.2)
    first = threading.Thread(target=client.get_jwk_set)
    first.start()
    wait_until(lambda: client.status.refreshing)
    started = time.monotonic()
    with pytest.raises(JWKSFetchError) as caught:
        client.get_signing_key("k1")  # joins the hung fetch, and gives up
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 0.2 + 1.0 + 2.0
    release.set()
    first.join(10)
    assert client.get_signing_key("k1").kid == "k1"


class _TokenLeak(RuntimeError):
    """A foreign error whose message must not reach a log or a caller."""


@pytest.mark.parametrize("client_class", [JWKSClient, AsyncJWKSClient])
def test_a_fetch_function_that_raises_is_a_network_failure_never_its_message(
    client_class: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Any exception a ``fetch=`` function raises ends the fetch as reason "network", naming only its class."""
    caplog.set_level(logging.WARNING, logger="minijwt")

    def broken(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        raise _TokenLeak("Authorization: Bearer secret-value")

    client = client_class("https://issuer.example/jwks", fetch=broken)

    def lookup() -> object:
        found = client.get_signing_key("k1")
        return asyncio.run(found) if inspect.iscoroutine(found) else found

    with pytest.raises(JWKSFetchError) as caught:
        lookup()
    assert caught.value.reason == "network"
    assert caught.value.message == "the fetch function raised _TokenLeak"
    assert client.status.last_error == "network"
    assert "secret-value" not in caplog.text


def test_what_ends_a_fetch_is_told_by_its_class_alone() -> None:
    """A fetch's own failure as it is; a cancellation or another error is "network"; a timeout is "timeout"."""
    own = JWKSFetchError("the server answered with status 500", reason="status")
    assert as_outcome(own) is own
    for exc, reason, message in (
        (asyncio.CancelledError(), "network", "the fetch was cancelled"),
        (TimeoutError("socket"), "timeout", "the key server did not answer in time"),
        (ValueError("secret-value"), "network", "the fetch function raised ValueError"),
        (OSError("secret-value"), "network", "the fetch function raised OSError"),
    ):
        outcome = as_outcome(exc)
        assert type(outcome) is JWKSFetchError
        assert (outcome.reason, outcome.message) == (reason, message)


def test_export_gives_the_unix_time_of_the_fetch_to_the_millisecond(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``fetched_at`` is now, less the held set's age on the client's clock, rounded to the millisecond."""
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_for(server, clock)
    verify(client, sign(rsa_keys[0]))
    clock.advance(120)
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.123456)
    assert client.export()["fetched_at"] == 1_699_999_880.123


def test_a_key_ignored_for_what_it_publishes_is_a_warning_a_key_skipped_is_info(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, caplog: pytest.LogCaptureFixture
) -> None:
    """Private members published by an issuer are a warning; a key type the library cannot use is only info."""
    leaked = minijwt.JWK.generate("ES256", kid="leaked").to_dict(private=True)
    document = {"keys": [leaked, {"kty": "XYZ", "kid": "unknown-kty", "x": "AAAA"}, rsa_keys[0].public().to_dict()]}
    server.routes["/jwks"] = jwks_reply(document)
    client = client_for(server, clock)
    with caplog.at_level(logging.INFO, logger="minijwt"):
        verify(client, sign(rsa_keys[0]))
    levels = {
        kid: record.levelno
        for record in caplog.records
        for kid in ("leaked", "unknown-kty")
        if kid in record.getMessage()
    }
    assert levels == {"leaked": logging.WARNING, "unknown-kty": logging.INFO}
    # Each note is logged as "<where the set came from>: <note>".
    notes = [record.getMessage() for record in caplog.records if "kid '" in record.getMessage()]
    assert len(notes) == 2
    assert all(note.startswith(f"the JWK Set from {server.url()}: key ") for note in notes), notes


@pytest.mark.parametrize("client_class", [JWKSClient, AsyncJWKSClient])
def test_the_refresh_ahead_window_begins_at_its_first_instant(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys, client_class: Any
) -> None:
    """At ``fresh_until - refresh_ahead`` exactly, an async lookup answers from the held set and begins the refresh."""
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])
    client = client_class(server.url(), clock=clock, timeout=2.0, cache_ttl=300, refresh_ahead=30)
    token = sign(rsa_keys[0])

    async def main() -> None:
        await averify(client, token)
        clock.advance(269.5)
        await averify(client, token)  # before the window: no fetch
        assert server.count() == 1
        clock.advance(0.5)
        await averify(client, token)
        for _ in range(500):
            if server.count() == 2 and not client.status.refreshing:
                break
            await asyncio.sleep(0.01)
        assert server.count() == 2

    asyncio.run(main())


def test_a_multi_issuer_lookup_begins_the_refresh_at_the_windows_first_instant(rsa_keys: Keys) -> None:
    """The multi-issuer verifier's fast path answers only before ``fresh_until - refresh_ahead``, as every lookup."""
    fetched: list[str] = []
    body = minijwt.JWKSet([rsa_keys[0].public()]).to_json().encode()

    def fetch(url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        fetched.append(url)
        return 200, {}, body

    clock = FrozenClock(1_800_000_000.0)
    issuer = "https://login.example"
    config = minijwt.IssuerConfig(jwks_uri=f"{issuer}/jwks", cache_ttl=300, refresh_ahead=30)
    verifier = minijwt.MultiIssuerVerifier({issuer: config}, algorithms="RS256", fetch=fetch, clock=clock)
    token = minijwt.encode({"sub": "alice", "iss": issuer, "exp": 1_800_001_000}, rsa_keys[0], "RS256")
    verifier.decode(token)
    clock.advance(269.5)
    verifier.decode(token)  # before the window: no fetch
    assert len(fetched) == 1
    clock.advance(0.5)
    verifier.decode(token)  # answered; the refresh runs in the background
    wait_until(lambda: len(fetched) == 2)


class _AsyncFetcher:
    """A fetch object whose ``__call__`` is a coroutine function."""

    async def __call__(self, url: str, *, headers: Mapping[str, str], timeout: float, max_bytes: int) -> Any:
        raise AssertionError("never called")


def test_an_object_whose_call_is_a_coroutine_function_is_an_async_fetch() -> None:
    """``is_async`` reads the object's ``__call__`` too: the thread client refuses such a fetch at construction."""
    assert is_async(_AsyncFetcher())
    assert not is_async(lambda url, **options: None)
    with pytest.raises(InvalidOptionError, match="plain function"):
        JWKSClient("https://issuer.example/jwks", fetch=_AsyncFetcher())  # type: ignore[arg-type]
    AsyncJWKSClient("https://issuer.example/jwks", fetch=_AsyncFetcher())


# --- the options' bounds and what they reach (found unpinned by mutation of _jwks_core) ---------


def test_count_options_accept_one_and_their_maximum() -> None:
    url = "https://issuer.example/jwks"
    JWKSClient(url, max_keys=1, max_bytes=1)
    JWKSClient(url, max_keys=100_000, max_bytes=1 << 30)
    bad: list[dict[str, Any]] = [{"max_keys": 100_001}, {"max_bytes": (1 << 30) + 1}, {"max_keys": 0}]
    for options in bad:
        with pytest.raises(InvalidOptionError):
            JWKSClient(url, **options)


def test_duration_options_accept_zero_where_zero_means_never_and_timeout_ends_at_an_hour() -> None:
    url = "https://issuer.example/jwks"
    JWKSClient(url, max_stale=0, refresh_ahead=0, min_refresh_interval=0, timeout=3600)
    # cache_ttl=0 alone also breaks the rule min_refresh_interval <= cache_ttl: the other two are 0 here.
    zero_ttl: dict[str, Any] = {"cache_ttl": 0, "min_refresh_interval": 0, "refresh_ahead": 0}
    for options in (zero_ttl, {"timeout": 0}, {"timeout": 3600.5}):
        with pytest.raises(InvalidOptionError):
            JWKSClient(url, **options)


def test_a_header_value_may_hold_any_character_but_a_line_break_or_nul() -> None:
    url = "https://issuer.example/jwks"
    JWKSClient(url, headers={"X-Api-Key": "XX-\t-x"})
    for value in ("a\rb", "a\nb", "a\0b"):
        with pytest.raises(InvalidOptionError):
            JWKSClient(url, headers={"X-Api-Key": value})


def test_cache_ttl_is_how_long_a_fetched_set_answers_without_a_fetch(
    server: JWKSServer, clock: FrozenClock, rsa_keys: Keys
) -> None:
    server.routes["/jwks"] = jwks_reply([rsa_keys[0]])  # no Cache-Control: the client's cache_ttl decides
    client = client_for(server, clock, cache_ttl=100, refresh_ahead=0)
    verify(client, sign(rsa_keys[0]))
    clock.advance(99)
    verify(client, sign(rsa_keys[0]))
    assert server.count() == 1
    clock.advance(2)
    verify(client, sign(rsa_keys[0]))
    assert server.count() == 2


def test_an_initial_set_keeps_what_it_skipped_and_may_be_as_old_as_the_epoch(rsa_keys: Keys) -> None:
    published = {"keys": [rsa_keys[0].public().to_dict(), {"kty": "XX", "kid": "future"}]}
    initial = minijwt.JWKSet.from_dict(published)
    assert len(initial.skipped) == 1
    client = JWKSClient("https://issuer.example/jwks", initial=initial, fetch=lambda url, **_: (503, {}, b""))
    assert [skipped.kid for skipped in client.get_jwk_set().skipped] == ["future"]
    old = JWKSClient("https://issuer.example/jwks", initial={**published, "fetched_at": 0})
    assert old.export()["keys"] == [rsa_keys[0].public().to_dict()]
