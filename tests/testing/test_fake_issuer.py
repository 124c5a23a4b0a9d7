"""FakeIssuer: real keys, real tokens, real documents, injected faults; nothing bypasses verification."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from support.servers import request

import minijwt
from minijwt.fastapi import JWTBearer
from minijwt.jwks_client import AsyncJWKSClient, JWKSClient
from minijwt.testing import BAD_TOKEN_KINDS, DPoPClient, FakeIssuer, FrozenClock, afetch_from, fetch_from


def _segment(token: str, index: int) -> dict[str, Any]:
    part = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded


def _app(verifier: minijwt.JWTVerifier) -> FastAPI:
    app = FastAPI()
    auth = JWTBearer(verifier)

    @app.get("/me")
    def me(claims: dict[str, Any] = Depends(auth)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"]}

    return app


async def _get(app: FastAPI, token: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token is not None else {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
        return await client.get("/me", headers=headers)


# --- keys ------------------------------------------------------------------------------------


def test_two_issuers_never_share_a_key_and_sign_only_with_their_own() -> None:
    a, b = FakeIssuer(), FakeIssuer()
    assert a.jwks()["keys"][0]["x"] != b.jwks()["keys"][0]["x"]
    assert a.kid != b.kid
    assert a.kid.startswith("test-")
    assert len(a.kid) == len("test-") + 8
    with pytest.raises(minijwt.KeyNotFoundError):
        a.verifier().decode(b.token())
    with pytest.raises(minijwt.InvalidSignatureError):  # the same kid, another key
        a.verifier().decode(FakeIssuer(kid=a.kid).token())


@pytest.mark.parametrize("alg", ["ES256", "EdDSA", "ES384"])
def test_a_seed_makes_every_key_and_kid_the_same_on_every_run(alg: str) -> None:
    first, again = FakeIssuer(alg=alg, seed=7), FakeIssuer(alg=alg, seed=7)
    assert first.jwks() == again.jwks()
    assert first.rotate() == again.rotate()
    assert first.jwks() == again.jwks()
    assert first.jwks() != FakeIssuer(alg=alg, seed=8).jwks()
    assert again.verifier().decode(first.token())["sub"] == "user"  # same keys, so each verifies the other's


def test_a_seeded_rsa_key_is_the_same_on_every_run() -> None:
    # RSA primes are searched in pure Python from the seed's stream (about a second a key): one pair here.
    first, again = FakeIssuer(alg="PS256", seed=b"rsa"), FakeIssuer(alg="PS256", seed=b"rsa")
    [key] = first.jwks()["keys"]
    assert key == again.jwks()["keys"][0]
    modulus = int.from_bytes(base64.urlsafe_b64decode(key["n"] + "=="), "big")
    assert modulus.bit_length() == 2048
    assert key["e"] == "AQAB"
    assert again.verifier().decode(first.token())["sub"] == "user"


def test_a_seeded_key_is_pinned_across_runs() -> None:
    # Keys derived from the seed alone: these values hold on every machine and every run.
    fake = FakeIssuer(seed="pinned")
    assert fake.kid == "test-" + fake.kid[5:]
    assert FakeIssuer(seed="pinned").kid == fake.kid
    assert FakeIssuer(seed=b"pinned").kid != fake.kid  # a str and bytes seed are different seeds


def test_kid_names_the_first_key_and_rotation_adds_test_kids() -> None:
    fake = FakeIssuer(kid="first")
    assert fake.kid == "first"
    second = fake.rotate()
    assert second.startswith("test-")
    assert fake.kid == second
    assert [key["kid"] for key in fake.jwks()["keys"]] == ["first", second]


def test_published_keys_are_public_and_the_discovery_document_names_them() -> None:
    fake = FakeIssuer(alg="RS256")
    [key] = fake.jwks()["keys"]
    assert set(key) == {"kty", "kid", "alg", "use", "n", "e"}
    assert fake.discovery() == {
        "issuer": "https://issuer.test",
        "jwks_uri": "https://issuer.test/.well-known/jwks.json",
        "id_token_signing_alg_values_supported": ["RS256"],
    }
    assert (fake.issuer, fake.audience, fake.alg) == ("https://issuer.test", "api", "RS256")
    assert repr(fake) == "FakeIssuer('https://issuer.test', 'RS256')"


@pytest.mark.parametrize(
    "arguments",
    [
        {"alg": "HS256"},
        {"alg": "none"},
        {"alg": "XX"},
        {"issuer": "issuer.test"},
        {"issuer": "ftp://issuer.test"},
        {"issuer": "https://issuer.test/?q"},
        {"audience": ""},
        {"kid": ""},
        {"seed": 1.5},
        {"clock": 5},
    ],
)
def test_arguments_are_checked_when_built(arguments: dict[str, Any]) -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        FakeIssuer(**arguments)


# --- tokens ----------------------------------------------------------------------------------


def test_a_token_has_its_registered_claims_filled_in() -> None:
    clock = FrozenClock()
    fake = FakeIssuer(clock=clock)
    token = fake.token()
    claims = _segment(token, 1)
    assert {name: claims[name] for name in ("iss", "sub", "aud", "iat", "exp")} == {
        "iss": "https://issuer.test",
        "sub": "user",
        "aud": "api",
        "iat": 1_700_000_000,
        "exp": 1_700_000_300,
    }
    assert len(claims["jti"]) == 32
    assert claims["jti"] != _segment(fake.token(), 1)["jti"]
    assert _segment(token, 0) == {"alg": "ES256", "kid": fake.kid, "typ": "JWT"}


def test_a_tokens_claims_follow_its_arguments() -> None:
    fake = FakeIssuer(clock=FrozenClock())
    claims = _segment(fake.token("alice", aud=["a", "b"], expires_in=None, scope=["r", "w"], role="admin"), 1)
    assert (claims["sub"], claims["aud"], claims["scope"], claims["role"]) == ("alice", ["a", "b"], "r w", "admin")
    assert "exp" not in claims
    assert "aud" not in _segment(fake.token(aud=None), 1)
    assert _segment(fake.token(scope="r"), 1)["scope"] == "r"
    overridden = _segment(fake.token(iss="https://other.test", iat=5, exp=6, jti="j"), 1)
    assert (overridden["iss"], overridden["iat"], overridden["exp"], overridden["jti"]) == (
        "https://other.test",
        5,
        6,
        "j",
    )
    assert _segment(fake.token(headers={"kid": "named", "x": 1}), 0) == {
        "alg": "ES256",
        "kid": "named",
        "typ": "JWT",
        "x": 1,
    }


def test_an_rfc_9068_access_token() -> None:
    fake = FakeIssuer()
    token = fake.token(typ="at+jwt", client_id="app")
    assert _segment(token, 0)["typ"] == "at+jwt"
    verifier = minijwt.JWTVerifier.access_token(
        fake.verifier()._key, issuer=fake.issuer, audience="api", algorithms=["ES256"]
    )
    assert verifier.decode(token)["client_id"] == "app"
    with pytest.raises(minijwt.InvalidOptionError, match="client_id"):
        fake.token(typ="at+jwt")


def test_a_dpop_key_binds_the_token_to_it() -> None:
    client = DPoPClient()
    assert _segment(FakeIssuer().token(dpop_key=client), 1)["cnf"] == {"jkt": client.jkt}


def test_the_verifier_is_configured_for_the_issuer_and_takes_overrides() -> None:
    fake = FakeIssuer()
    verifier = fake.verifier()
    assert verifier.decode(fake.token())["sub"] == "user"
    with pytest.raises(minijwt.InvalidAudienceError):
        fake.verifier(audience="another").decode(fake.token())
    assert fake.verifier(require=[]).decode(fake.token(expires_in=None))["sub"] == "user"


# --- bad tokens: every kind, refused by the verifier and by a middleware on it ----------------


@pytest.mark.parametrize("kind", sorted(BAD_TOKEN_KINDS))
@pytest.mark.parametrize("alg", ["ES256", "RS256", "EdDSA"])
def test_every_bad_token_kind_is_refused_as_listed_by_the_verifier_and_the_middleware(kind: str, alg: str) -> None:
    fake = FakeIssuer(alg=alg)
    error, status = BAD_TOKEN_KINDS[kind]
    verifier = fake.verifier()
    assert verifier.decode(fake.token())["sub"] == "user"  # the same verifier accepts a good token
    bad = fake.bad_token(kind)
    with pytest.raises(minijwt.InvalidTokenError) as caught:
        verifier.decode(bad)
    assert type(caught.value) is error
    app = _app(fake.verifier())
    response = asyncio.run(_get(app, bad))
    assert response.status_code == status
    assert response.json()["detail"]["error"] == "invalid_token"
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert asyncio.run(_get(app, fake.token())).json() == {"sub": "user"}


def test_bad_token_kinds_keep_the_claims_given() -> None:
    fake = FakeIssuer()
    for kind in ("expired", "wrong_audience", "unknown_kid", "alg_none", "tampered"):
        assert _segment(fake.bad_token(kind, sub="mallory"), 1)["sub"] == "mallory"
    with pytest.raises(minijwt.InvalidOptionError, match="expired"):
        fake.bad_token("forged")


def test_a_tampered_token_differs_from_a_signed_one_by_one_payload_byte() -> None:
    fake = FakeIssuer(clock=FrozenClock())
    bad = fake.bad_token("tampered", jti="0123")
    payload = base64.urlsafe_b64decode(bad.split(".")[1] + "==")
    assert b'"jti":"1123"' in payload


# --- the transport seam -------------------------------------------------------------------------


def test_fetch_serves_a_jwks_client_with_no_socket_and_counts_every_request() -> None:
    fake = FakeIssuer()
    client = JWKSClient.from_issuer(fake.issuer, fetch=fake.fetch)
    assert client.get_signing_key(fake.kid).kid == fake.kid
    assert dict(fake.fetches) == {fake.discovery_url: 1, fake.jwks_uri: 1}
    assert fake.fetches["https://issuer.test/never"] == 0
    fake.fail()
    with pytest.raises(minijwt.JWKSFetchError):  # a forced refresh says that it failed ...
        client.get_jwk_set(refresh=True)
    assert fake.fetches[fake.jwks_uri] == 2  # ... and the failure is counted
    assert client.get_signing_key(fake.kid).kid == fake.kid  # the keys held serve on


def test_afetch_serves_the_async_client() -> None:
    fake = FakeIssuer()

    async def main() -> str | None:
        client = AsyncJWKSClient.from_issuer(fake.issuer, fetch=fake.afetch)
        return (await client.get_signing_key(fake.kid)).kid

    assert asyncio.run(main()) == fake.kid
    assert sum(fake.fetches.values()) == 2


def test_fetch_from_routes_one_fetch_to_several_issuers_by_url() -> None:
    a, b = FakeIssuer("https://login.test/tenant-a"), FakeIssuer("https://login.test/tenant-b")
    root = FakeIssuer("https://login.test")
    fetch = fetch_from(a, b, root)
    configs = {fake.issuer: minijwt.IssuerConfig(audience="api") for fake in (a, b, root)}
    verifier = minijwt.MultiIssuerVerifier(configs, algorithms=["ES256"], fetch=fetch)
    for fake in (a, b, root):
        assert verifier.decode(fake.token())["iss"] == fake.issuer
        assert dict(fake.fetches) == {fake.discovery_url: 1, fake.jwks_uri: 1}
    assert fetch("https://elsewhere.test/x", headers={}, timeout=1, max_bytes=100)[0] == 404
    with pytest.raises(minijwt.InvalidTokenError):  # b's key under a's name
        verifier.decode(b.token(iss=a.issuer))

    async def main() -> dict[str, Any]:
        multi = minijwt.MultiIssuerVerifier(configs, algorithms=["ES256"], fetch=afetch_from(a, b, root))
        return await multi.adecode(b.token())

    assert asyncio.run(main())["iss"] == b.issuer
    with pytest.raises(minijwt.InvalidOptionError):
        fetch_from("https://a.test")  # type: ignore[arg-type]


# --- real HTTP ---------------------------------------------------------------------------------


def test_the_asgi_and_wsgi_apps_answer_as_serve_jwks_does() -> None:
    fake = FakeIssuer()

    async def get(path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        transport = httpx.ASGITransport(app=fake.asgi_app)
        async with httpx.AsyncClient(transport=transport, base_url="https://issuer.test") as client:
            return await client.get(path, headers=headers or {})

    answer = asyncio.run(get("/.well-known/jwks.json"))
    assert answer.status_code == 200
    assert answer.json() == fake.jwks()
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "public, max-age=300"
    etag = answer.headers["etag"]
    again = asyncio.run(get("/.well-known/jwks.json", {"if-none-match": etag}))
    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert asyncio.run(get("/.well-known/openid-configuration")).json() == fake.discovery()
    assert asyncio.run(get("/elsewhere")).status_code == 404
    assert fake.fetches[fake.jwks_uri] == 2

    started: list[Any] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/.well-known/jwks.json", "HTTP_HOST": "issuer.test"}
    environ["wsgi.url_scheme"] = "https"
    body = b"".join(fake.wsgi_app(environ, lambda status, headers: started.append((status, dict(headers)))))
    assert started[0][0] == "200 OK"
    assert json.loads(body) == fake.jwks()
    assert started[0][1]["ETag"] == etag
    assert fake.fetches[fake.jwks_uri] == 3


def test_serving_answers_over_real_http_on_a_loopback_port() -> None:
    with FakeIssuer.serving(alg="RS256") as fake:
        assert fake.issuer.startswith("http://127.0.0.1:")
        assert fake.issuer != "http://127.0.0.1:0"
        client = JWKSClient.from_issuer(fake.issuer)
        verifier = minijwt.JWTVerifier(client, algorithms=["RS256"], issuer=fake.issuer, audience="api")
        assert verifier.decode(fake.token())["iss"] == fake.issuer
        assert dict(fake.fetches) == {fake.discovery_url: 1, fake.jwks_uri: 1}
        port = int(fake.issuer.rsplit(":", 1)[1])
        assert request(port, "/.well-known/openid-configuration").json()["jwks_uri"] == fake.jwks_uri
        fake.fail(status=500)
        assert request(port, "/.well-known/jwks.json").status == 500
    with pytest.raises(ConnectionRefusedError):  # stopped with the block
        request(port, "/.well-known/jwks.json")


# --- rotation and faults --------------------------------------------------------------------------


def test_rotation_publishes_the_new_key_beside_the_old_and_retire_withdraws_one() -> None:
    clock = FrozenClock()
    fake = FakeIssuer(clock=clock)
    verifier = fake.verifier()
    old_token = fake.token()
    assert verifier.decode(old_token)
    old = fake.kid
    new = fake.rotate()
    new_token = fake.token()
    assert _segment(new_token, 0)["kid"] == new != old
    with pytest.raises(minijwt.KeyNotFoundError):  # the set was fetched a moment ago: the cooldown holds
        verifier.decode(new_token)
    clock.advance(31)  # past the default 30 s cooldown: an unknown kid fetches again
    assert verifier.decode(new_token)
    assert verifier.decode(old_token)
    fake.retire(old)
    assert [key["kid"] for key in fake.jwks()["keys"]] == [new]
    clock.advance(301)  # the cache's lifetime
    with pytest.raises(minijwt.KeyNotFoundError):
        fake.verifier().decode(fake.token(headers={"kid": old}))
    with pytest.raises(minijwt.InvalidOptionError):
        fake.retire(old)


def test_an_injection_lasts_for_times_requests_across_endpoints_or_until_healed() -> None:
    fake = FakeIssuer()

    def status(url: str) -> int:
        return fake.fetch(url, headers={}, timeout=5, max_bytes=10_000)[0]

    fake.fail(status=500, times=2)
    assert [status(fake.discovery_url), status(fake.jwks_uri), status(fake.jwks_uri)] == [500, 500, 200]
    fake.fail(times=None)
    assert {status(fake.jwks_uri) for _ in range(5)} == {503}
    fake.serve_malformed(times=1)  # replaces the failure in force
    assert fake.fetch(fake.jwks_uri, headers={}, timeout=5, max_bytes=10_000)[2] == b"{this is not JSON"
    assert status(fake.jwks_uri) == 200
    fake.redirect_to("https://elsewhere.test/keys", times=None)
    assert fake.fetch(fake.jwks_uri, headers={}, timeout=5, max_bytes=10_000)[:2] == (
        302,
        {"Location": "https://elsewhere.test/keys"},
    )
    fake.heal()
    assert status(fake.jwks_uri) == 200
    assert fake.fetches[fake.jwks_uri] == 11
    assert fake.fetches[fake.discovery_url] == 1
    for bad in ({"times": 0}, {"times": -1}, {"times": 1.5}, {"status": 200}, {"status": "503"}):
        with pytest.raises(minijwt.InvalidOptionError):
            fake.fail(**bad)
    for seconds in (-1, float("nan"), "1"):
        with pytest.raises(minijwt.InvalidOptionError):
            fake.delay(seconds)  # type: ignore[arg-type]


def test_with_keys_held_a_provider_down_serves_the_stale_keys(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.CRITICAL, logger="minijwt")
    clock = FrozenClock()
    fake = FakeIssuer(clock=clock)
    verifier = fake.verifier()
    assert verifier.decode(fake.token())
    fake.fail(times=None)
    clock.advance(3600)  # long past the cache's lifetime: the keys are stale, the provider down
    assert verifier.decode(fake.token())["sub"] == "user"
    assert fake.fetches[fake.jwks_uri] >= 2


@pytest.mark.parametrize(
    ("inject", "reason"),
    [
        (lambda fake: fake.fail(times=None), "status"),
        (lambda fake: fake.serve_malformed(times=None), "not_json"),
        (lambda fake: fake.redirect_to("https://elsewhere.test/", times=None), "redirect"),
        (lambda fake: fake.delay(1, times=None), "timeout"),
    ],
)
def test_with_no_keys_held_a_fault_is_a_fetch_error_and_a_503(inject: Any, reason: str) -> None:
    fake = FakeIssuer()
    inject(fake)
    client = JWKSClient(fake.jwks_uri, fetch=fake.fetch, timeout=0.2)
    start = time.monotonic()
    with pytest.raises(minijwt.JWKSFetchError) as caught:
        client.get_signing_key(fake.kid)
    assert caught.value.reason == reason
    assert time.monotonic() - start < 10
    verifier = minijwt.JWTVerifier(
        JWKSClient(fake.jwks_uri, fetch=fake.fetch, timeout=0.2), algorithms=["ES256"], audience="api"
    )
    assert asyncio.run(_get(_app(verifier), fake.token())).status_code == 503


def test_the_apps_answer_head_refuse_other_methods_and_keep_their_faults() -> None:
    fake = FakeIssuer()

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=fake.asgi_app)
        async with httpx.AsyncClient(transport=transport, base_url="https://issuer.test") as client:
            answers = [await client.head("/.well-known/jwks.json"), await client.post("/.well-known/jwks.json")]
            fake.delay(0.01)
            answers.append(await client.get("/.well-known/jwks.json"))
            fake.redirect_to("https://elsewhere.test/")
            answers.append(await client.get("/.well-known/jwks.json"))
        return answers

    head, post, delayed, moved = asyncio.run(main())
    assert (head.status_code, head.content) == (200, b"")
    assert (post.status_code, post.headers["allow"]) == (405, "GET, HEAD")
    assert delayed.json() == fake.jwks()
    assert (moved.status_code, moved.headers["location"]) == (302, "https://elsewhere.test/")
    # Mounted below a root path, whether or not the server repeats it in path.
    mounted = FakeIssuer("https://issuer.test/tenant")
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    for path in ("/.well-known/jwks.json", "/tenant/.well-known/jwks.json"):
        scope: dict[str, Any] = {"type": "http", "method": "GET", "path": path, "root_path": "/tenant", "headers": []}
        asyncio.run(mounted.asgi_app(scope, None, send))  # type: ignore[arg-type]
        assert sent[-2]["status"] == 200, path


def test_the_asgi_app_takes_part_in_the_lifespan_protocol() -> None:
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[Any] = []

    async def receive() -> Any:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(FakeIssuer().asgi_app({"type": "lifespan"}, receive, send))
    assert [message["type"] for message in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_a_delay_through_afetch_and_the_wsgi_app() -> None:
    fake = FakeIssuer()
    fake.delay(0.01, times=2)
    assert asyncio.run(fake.afetch(fake.jwks_uri, headers={}, timeout=1, max_bytes=10_000))[0] == 200
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/.well-known/jwks.json", "HTTP_HOST": "issuer.test"}
    started: list[str] = []
    fake.wsgi_app(environ, lambda status, headers: started.append(status))
    assert started == ["200 OK"]
    fake.delay(5)
    with pytest.raises(TimeoutError):
        asyncio.run(fake.afetch(fake.jwks_uri, headers={}, timeout=0.05, max_bytes=10_000))
    assert asyncio.run(fake.afetch("https://elsewhere.test/x", headers={}, timeout=1, max_bytes=10))[0] == 404
    head = {**environ, "REQUEST_METHOD": "HEAD"}
    assert b"".join(fake.wsgi_app(head, lambda status, headers: started.append(status))) == b""


def test_the_wsgi_app_names_an_injected_status_and_a_tampered_token_needs_a_jti_to_change() -> None:
    fake = FakeIssuer()
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/.well-known/jwks.json", "HTTP_HOST": "issuer.test"}
    started: list[str] = []
    for status in (418, 499):
        fake.fail(status=status)
        fake.wsgi_app(environ, lambda line, headers: started.append(line))
    assert started == ["418 I'm a Teapot", "499 Error"]
    with pytest.raises(minijwt.InvalidOptionError, match="jti"):
        fake.bad_token("tampered", jti=5)
