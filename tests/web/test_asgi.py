"""The ASGI middleware: in a Starlette application under uvicorn, over real HTTP on loopback, and driven in process."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import http.client
import logging
import threading
import time
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import pytest
import websockets.exceptions
import websockets.sync.client
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.authentication import requires
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from support import broken_signature
from support.jwks_server import JWKSServer, Reply, jwks_reply
from support.servers import TIMEOUT, request, uvicorn_server

import minijwt
from minijwt._bearer import Guard
from minijwt.asgi import JWTAuthMiddleware, ProtectedResource
from minijwt.jwks_client import AsyncJWKSClient, JWKSClient
from minijwt.testing import FakeIssuer, FrozenClock

from .conftest import AUDIENCE, ISSUER, MakeToken, bad_tokens, check_docs_prefix, from_cookie

Serve = Callable[..., contextlib.AbstractContextManager[int]]


def starlette_app(verifier: minijwt.JWTVerifier, **options: Any) -> Starlette:
    async def public(request: Request) -> Response:
        return JSONResponse({"public": True})

    async def me(request: Request) -> Response:
        return JSONResponse(
            {
                "claims": request.state.jwt_claims,
                "user": request.user.username if request.user.is_authenticated else None,
                "scopes": request.auth.scopes,
            }
        )

    @requires("orders:write")
    async def write(request: Request) -> Response:
        return JSONResponse({"written": True})

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(websocket.state.jwt_claims["sub"])
        await websocket.close()

    app = Starlette(
        routes=[
            Route("/public", public),
            Route("/me", me, methods=["GET", "OPTIONS"]),
            Route("/orders", write, methods=["POST"]),
            WebSocketRoute("/ws", socket),
        ]
    )
    options.setdefault("exempt", ["/public"])
    app.add_middleware(JWTAuthMiddleware, verifier=verifier, **options)
    return app


@pytest.fixture
def serve(verifier: minijwt.JWTVerifier) -> Serve:
    """``with serve(**middleware_options) as port``: the Starlette app under uvicorn."""

    @contextlib.contextmanager
    def run(verifier_: minijwt.JWTVerifier | None = None, **options: Any) -> Iterator[int]:
        with uvicorn_server(starlette_app(verifier_ or verifier, **options)) as port:
            yield port

    return run


def test_public_route_protected_route_and_claims(serve: Serve, token: MakeToken) -> None:
    with serve(realm="orders") as port:
        assert request(port, "/public").json() == {"public": True}
        missing = request(port, "/me")
        assert missing.status == 401
        assert missing.challenge == 'Bearer realm="orders"'
        assert missing.json()["error"] == "missing_token"
        assert missing.headers["content-type"] == "application/json"
        ok = request(port, "/me", token=token())
        assert ok.status == 200
        body = ok.json()
        assert body["claims"]["sub"] == "alice"
        assert body["user"] == "alice"
        assert body["scopes"] == ["orders:read"]
        # Another scheme is no bearer token at all.
        assert request(port, "/me", headers=[("Authorization", "Basic YWxpY2U6cHc=")]).status == 401


def test_bad_tokens_are_401_invalid_token(
    serve: Serve, token: MakeToken, issuer: FakeIssuer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="minijwt")
    bad = bad_tokens(issuer)
    with serve() as port:
        for name, value in bad.items():
            answer = request(port, "/me", token=value)
            assert answer.status == 401, name
            assert answer.challenge.startswith('Bearer error="invalid_token", error_description="'), name
            assert answer.json()["error"] == "invalid_token", name
            assert value not in answer.challenge
            assert value not in answer.body.decode()
    assert "token_expired" in caplog.text
    assert all(value not in caplog.text for value in bad.values())
    assert all(record.levelno == logging.INFO for record in caplog.records if "refused" in record.getMessage())


@pytest.mark.parametrize(
    "headers",
    [
        [("Authorization", "Bearer")],
        [("Authorization", "Bearer a.b.c d.e.f")],
        [("Authorization", "Bearer a.b$c")],
        [("Authorization", "Bearer a.b.c"), ("Authorization", "Bearer a.b.c")],
    ],
    ids=["empty", "two tokens", "outside grammar", "two headers"],
)
def test_malformed_headers_are_400(serve: Serve, headers: list[tuple[str, str]]) -> None:
    with serve() as port:
        answer = request(port, "/me", headers=headers)
    assert answer.status == 400
    assert answer.challenge.startswith('Bearer error="invalid_request", error_description="')
    assert answer.json()["error"] == "invalid_request"


def test_scopes_middleware_and_starlette_requires(serve: Serve, token: MakeToken) -> None:
    with serve(required_scopes=["orders:read"]) as port:
        refused = request(port, "/me", token=token(scope="profile"))
        assert refused.status == 403
        assert refused.challenge.startswith('Bearer error="insufficient_scope", ')
        assert refused.challenge.endswith('scope="orders:read"')
        assert request(port, "/me", token=token(scope=None, scp=["orders:read"])).status == 200
        # Starlette's @requires reads scope["auth"], which the middleware set.
        assert request(port, "/orders", token=token(), method="POST").status == 403
        assert request(port, "/orders", token=token(scope="orders:read orders:write"), method="POST").status == 200


def test_keys_unavailable_is_503_and_held_keys_survive_an_outage(
    serve: Serve, jwks: JWKSServer, token: MakeToken, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    jwks.routes["/jwks"] = Reply(status=500)
    with serve() as port:
        answer = request(port, "/me", token=token())
        assert answer.status == 503
        assert answer.headers["retry-after"].isdigit()
        assert "www-authenticate" not in answer.headers
        assert answer.json()["error"] == "temporarily_unavailable"
    assert any(record.levelno == logging.WARNING for record in caplog.records)


def test_held_keys_answer_after_the_issuer_goes_down(
    serve: Serve, jwks: JWKSServer, token: MakeToken, clock: FrozenClock
) -> None:
    with serve() as port:
        assert request(port, "/me", token=token()).status == 200
        jwks.routes["/jwks"] = Reply(status=503)
        clock.advance(3600)  # past the cache lifetime: a refresh fails, the held keys are used
        assert request(port, "/me", token=token()).status == 200
        assert request(port, "/me", token=token()).status == 200


def test_a_new_kid_is_accepted_without_restart(
    serve: Serve, jwks: JWKSServer, token: MakeToken, issuer: FakeIssuer, clock: FrozenClock
) -> None:
    with serve() as port:
        assert request(port, "/me", token=token()).status == 200
        issuer.rotate()  # a new key signs from now on: published beside the old one
        jwks.routes["/jwks"] = jwks_reply(issuer.jwks())
        clock.advance(31)  # past the refetch cooldown
        assert request(port, "/me", token=token()).status == 200
        assert jwks.count() == 2


def test_revoked_tokens(serve: Serve, token: MakeToken) -> None:
    async def is_revoked(claims: dict[str, Any]) -> bool:
        return claims.get("jti") == "stolen"

    with serve(is_revoked=is_revoked) as port:
        assert request(port, "/me", token=token(jti="fine")).status == 200
        refused = request(port, "/me", token=token(jti="stolen"))
    assert refused.status == 401
    assert refused.challenge == 'Bearer error="invalid_token", error_description="token revoked"'


def test_resource_metadata_challenge_and_document(serve: Serve, token: MakeToken) -> None:
    resource = ProtectedResource(
        resource="https://api.example/orders", authorization_servers=[ISSUER], scopes_supported=["orders:read"]
    )
    with serve(resource_metadata=resource) as port:
        challenge = request(port, "/me").challenge
        assert challenge == 'Bearer resource_metadata="https://api.example/.well-known/oauth-protected-resource/orders"'
        assert request(port, "/me", token="x.y.z").challenge.endswith(f'resource_metadata="{resource.metadata_url}"')
        document = request(port, "/.well-known/oauth-protected-resource/orders")
    assert document.status == 200
    assert document.json() == {
        "resource": "https://api.example/orders",
        "authorization_servers": [ISSUER],
        "scopes_supported": ["orders:read"],
        "bearer_methods_supported": ["header"],
    }


def test_cors_preflight_and_optional(serve: Serve, token: MakeToken) -> None:
    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
    with serve(optional=True) as port:
        assert request(port, "/me", method="OPTIONS", headers=preflight).status != 401
        anonymous = request(port, "/me")
        assert anonymous.status == 200
        assert anonymous.json() == {"claims": None, "user": None, "scopes": []}
        assert request(port, "/me", token=token(aud="https://other.example")).status == 401


def test_an_exempt_path_and_a_preflight_reach_the_application_with_claims_none(serve: Serve, token: MakeToken) -> None:
    """A handler that serves several paths reads ``jwt_claims`` on each: ``None`` where no token was checked."""
    anonymous: dict[str, Any] = {"claims": None, "user": None, "scopes": []}
    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
    with serve(exempt=["/me"]) as port:
        assert request(port, "/me").json() == anonymous
        assert request(port, "/me", token=token()).json() == anonymous  # exempt: the token is not read
    # Changed on purpose: a preflight passes only when cors_preflight=True is chosen.
    with serve(cors_preflight=True) as port:
        answer = request(port, "/me", method="OPTIONS", headers=preflight)
        assert (answer.status, answer.json()) == (200, anonymous)
        assert request(port, "/me", token=token()).json()["claims"]["sub"] == "alice"


def _cache_app(done: list[Any], middleware: list[Middleware]) -> Starlette:
    """``OPTIONS /cache`` does work (as a handler that accepts OPTIONS may); ``done`` records its claims."""

    async def purge(request: Request) -> Response:
        done.append(request.state.jwt_claims)
        return JSONResponse({"purged": True})

    async def read(request: Request) -> Response:
        return JSONResponse({"sub": request.state.jwt_claims["sub"]})

    return Starlette(
        routes=[Route("/cache", purge, methods=["OPTIONS"]), Route("/cache", read, methods=["GET"])],
        middleware=middleware,
    )


def test_a_preflight_reaches_the_application_only_with_cors_preflight(
    verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """Any client may send a preflight's headers: without the choice, it needs a token like any request."""
    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
    done: list[Any] = []
    with uvicorn_server(_cache_app(done, [Middleware(JWTAuthMiddleware, verifier=verifier)])) as port:
        refused = request(port, "/cache", method="OPTIONS", headers=preflight)
        assert refused.status == 401
        assert refused.json()["error"] == "missing_token"
        assert done == []
        assert request(port, "/cache", method="OPTIONS", headers=preflight, token=token()).status == 200
        assert [claims["sub"] for claims in done] == ["alice"]
    done.clear()
    chosen = [Middleware(JWTAuthMiddleware, verifier=verifier, cors_preflight=True)]
    with uvicorn_server(_cache_app(done, chosen)) as port:
        assert request(port, "/cache", method="OPTIONS", headers=preflight).status == 200
        assert done == [None]
        assert request(port, "/cache", method="OPTIONS").status == 401  # no Access-Control-Request-Method
        assert request(port, "/cache", headers=preflight).status == 401  # not OPTIONS
    assert done == [None]


def test_cors_middleware_outside_answers_preflights_before_the_token_check(
    verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """The order the how-to recommends: CORS first answers every preflight itself, the application never sees one."""
    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
    done: list[Any] = []
    middleware = [
        Middleware(CORSMiddleware, allow_origins=["https://app.example"], allow_headers=["authorization"]),
        Middleware(JWTAuthMiddleware, verifier=verifier),
    ]
    with uvicorn_server(_cache_app(done, middleware)) as port:
        answered = request(port, "/cache", method="OPTIONS", headers=preflight)
        assert answered.status == 200
        assert answered.headers["access-control-allow-origin"] == "https://app.example"
        assert done == []
        origin = [("Origin", "https://app.example")]
        refused = request(port, "/cache", headers=origin)
        assert refused.status == 401
        assert refused.headers["access-control-allow-origin"] == "https://app.example"  # the browser can read why
        assert request(port, "/cache", headers=origin, token=token()).json() == {"sub": "alice"}


def test_a_plain_asgi_application_gets_a_state_with_claims_none_on_an_exempt_path(
    verifier: minijwt.JWTVerifier,
) -> None:
    seen: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["state"]["jwt_claims"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with uvicorn_server(JWTAuthMiddleware(app, verifier=verifier, exempt=["/health"])) as port:
        assert request(port, "/health").status == 204
    assert seen == [None]


def test_an_exempt_prefix_holds_on_a_segment_boundary_under_uvicorn(verifier: minijwt.JWTVerifier) -> None:
    """uvicorn decodes the path once and normalizes nothing: beside ``/docs``, or out of it, needs a token."""
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with uvicorn_server(JWTAuthMiddleware(app, verifier=verifier, exempt=["/docs*"])) as port:
        check_docs_prefix(port, reached)


def test_websockets_are_checked_on_the_handshake(serve: Serve, token: MakeToken) -> None:
    with serve() as port:
        url = f"ws://127.0.0.1:{port}/ws"
        with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
            websockets.sync.client.connect(url, open_timeout=TIMEOUT)
        assert refused.value.response.status_code == 401
        assert refused.value.response.headers["WWW-Authenticate"] == "Bearer"
        headers = {"Authorization": f"Bearer {token()}"}
        with websockets.sync.client.connect(url, additional_headers=headers, open_timeout=TIMEOUT) as ws:
            assert ws.recv(timeout=TIMEOUT) == "alice"


def test_a_websocket_without_the_response_extension_is_closed_with_1008(verifier: minijwt.JWTVerifier) -> None:
    reached: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["type"])

    middleware = JWTAuthMiddleware(app, verifier=verifier)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.connect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(middleware({"type": "websocket", "path": "/ws", "headers": []}, receive, send))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": "missing_token"}]
    asyncio.run(middleware({"type": "lifespan"}, receive, send))
    assert reached == ["lifespan"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_event_loop_stays_responsive_while_keys_are_fetched(
    kind: str, jwks: JWKSServer, token: MakeToken, issuer: FakeIssuer
) -> None:
    gate = threading.Event()
    reply = jwks_reply(issuer.jwks())
    reply.gate = gate
    jwks.routes["/jwks"] = reply
    source: JWKSClient | AsyncJWKSClient = (
        JWKSClient(jwks.url(), timeout=TIMEOUT) if kind == "sync" else AsyncJWKSClient(jwks.url(), timeout=TIMEOUT)
    )
    verifier = minijwt.JWTVerifier(source, algorithms=["RS256"], issuer=ISSUER, audience=AUDIENCE)
    with uvicorn_server(starlette_app(verifier)) as port, concurrent.futures.ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(request, port, "/me", token=token())
        deadline = time.monotonic() + TIMEOUT
        while jwks.count() == 0:  # the fetch has started and now stalls
            assert time.monotonic() < deadline
            time.sleep(0.005)
        start = time.monotonic()
        assert request(port, "/public").status == 200
        assert time.monotonic() - start < 2.0  # far above a loopback answer, far below the stall
        assert not waiting.done()
        gate.set()
        assert waiting.result(TIMEOUT).status == 200


def test_two_thousand_mixed_requests_at_concurrency_32(
    serve: Serve, jwks: JWKSServer, token: MakeToken, issuer: FakeIssuer
) -> None:
    good = token()
    cases: list[tuple[str | None, str, int]] = [
        (good, "/me", 200),
        (None, "/me", 401),
        (None, "/public", 200),
        (token(aud="https://other.example"), "/me", 401),
        (broken_signature(good), "/me", 401),
        (issuer.bad_token("unknown_kid"), "/me", 401),  # a kid the issuer does not publish
    ]
    with serve() as port:

        def worker(offset: int) -> list[tuple[int, int]]:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
            results = []
            try:
                for n in range(offset, 2000, 32):
                    value, path, expected = cases[n % len(cases)]
                    results.append((request(port, path, token=value, connection=connection).status, expected))
            finally:
                connection.close()
            return results

        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            outcomes = [pair for part in pool.map(worker, range(32)) for pair in part]
    assert len(outcomes) == 2000
    assert all(status == expected for status, expected in outcomes)
    assert jwks.count() <= 2


# --- in process: the middleware around a recording application ------------------------------

SECRET = b"a-secret-of-at-least-32-bytes!!!"
VERIFIER = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.reached: list[dict[str, Any]] = []

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        self.reached.append(scope)

    async def send(self, message: Any) -> None:
        self.sent.append(message)


def test_preflight_passes_but_a_bare_options_does_not() -> None:
    recorder = _Recorder()
    # Changed on purpose: preflights used to pass by default; the pass-through
    # is now chosen with cors_preflight=True.
    middleware = JWTAuthMiddleware(recorder.app, verifier=VERIFIER, cors_preflight=True)

    def call(method: str, headers: list[tuple[bytes, bytes]]) -> None:
        scope = {"type": "http", "method": method, "path": "/x", "headers": headers}
        asyncio.run(middleware(scope, None, recorder.send))  # type: ignore[arg-type]

    call("OPTIONS", [(b"origin", b"https://a.example"), (b"access-control-request-method", b"POST")])
    assert len(recorder.reached) == 1
    call("OPTIONS", [(b"origin", b"https://a.example")])
    call("GET", [(b"access-control-request-method", b"POST")])
    assert len(recorder.reached) == 1
    assert [message["status"] for message in recorder.sent if "status" in message] == [401, 401]


def test_the_middleware_asks_a_preflight_for_a_token_unless_cors_preflight_is_chosen() -> None:
    """Anyone may send ``OPTIONS`` with ``Access-Control-Request-Method``; by default it is checked like any request."""
    preflight = [(b"origin", b"https://a.example"), (b"access-control-request-method", b"DELETE")]
    assert Guard(VERIFIER).cors_preflight is False
    assert Guard(VERIFIER, cors_preflight=True).cors_preflight is True
    recorder = _Recorder()
    middleware = JWTAuthMiddleware(recorder.app, verifier=VERIFIER)

    def call(headers: list[tuple[bytes, bytes]]) -> None:
        scope = {"type": "http", "method": "OPTIONS", "path": "/cache", "headers": headers}
        asyncio.run(middleware(scope, None, recorder.send))  # type: ignore[arg-type]

    call(preflight)
    assert recorder.reached == []
    assert [message["status"] for message in recorder.sent if "status" in message] == [401]
    token = minijwt.encode({"sub": "alice"}, SECRET)
    call([*preflight, (b"authorization", f"Bearer {token}".encode())])
    assert [scope["state"]["jwt_claims"] for scope in recorder.reached] == [{"sub": "alice"}]


@pytest.mark.parametrize("around", [" ", "\t", " \t "])
def test_the_middleware_reads_a_token_with_white_space_after_it(around: str) -> None:
    token = minijwt.encode({"sub": "alice"}, SECRET)
    recorder = _Recorder()
    middleware = JWTAuthMiddleware(recorder.app, verifier=VERIFIER)
    headers = [(b"authorization", f"Bearer {token}{around}".encode())]
    asyncio.run(middleware({"type": "http", "method": "GET", "path": "/", "headers": headers}, None, recorder.send))  # type: ignore[arg-type]
    assert recorder.reached[0]["state"]["jwt_claims"] == {"sub": "alice"}


def test_get_token_reads_a_cookie_only_without_an_authorization_header() -> None:
    recorder = _Recorder()
    token = minijwt.encode({"sub": "cookie"}, SECRET)

    middleware = JWTAuthMiddleware(recorder.app, verifier=VERIFIER, get_token=from_cookie)
    for headers in ([(b"cookie", b"theme=dark; access_token=" + token.encode())],):
        asyncio.run(middleware({"type": "http", "method": "GET", "path": "/", "headers": headers}, None, recorder.send))  # type: ignore[arg-type]
    assert recorder.reached[0]["state"]["jwt_claims"] == {"sub": "cookie"}
    headers = [(b"cookie", b"access_token=" + token.encode()), (b"authorization", b"Basic eDp5")]
    asyncio.run(middleware({"type": "http", "method": "GET", "path": "/", "headers": headers}, None, recorder.send))  # type: ignore[arg-type]
    assert len(recorder.reached) == 2  # Basic is not a bearer token: the cookie is read
    bad = [(b"cookie", b"access_token=a b")]
    asyncio.run(middleware({"type": "http", "method": "GET", "path": "/", "headers": bad}, None, recorder.send))  # type: ignore[arg-type]
    assert recorder.sent[0]["status"] == 400


def test_refusals_are_logged_without_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="minijwt")
    recorder = _Recorder()
    middleware = JWTAuthMiddleware(recorder.app, verifier=VERIFIER)
    expired = minijwt.encode({"sub": "a", "exp": 1}, SECRET)
    for value in (b"Bearer " + expired.encode(), b"Bearer a b", b""):
        headers = [(b"authorization", value)] if value else []
        scope = {"type": "http", "method": "GET", "path": "/orders\r\nfake", "headers": headers}
        asyncio.run(middleware(scope, None, recorder.send))  # type: ignore[arg-type]
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 3
    assert all(record.levelno == logging.INFO for record in caplog.records)
    assert "token_expired" in messages[0]
    assert "invalid_request" in messages[1]
    assert "missing_token" in messages[2]
    assert all(expired not in message and "\n" not in message for message in messages)
    assert all("GET" in message and "/orders" in message for message in messages)


def _status(middleware: JWTAuthMiddleware, headers: list[tuple[bytes, bytes]]) -> int:
    sent: list[Any] = []

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    asyncio.run(middleware(scope, None, send))  # type: ignore[arg-type]
    return 200 if not sent else int(sent[0]["status"])


_PASSING = JWTAuthMiddleware(_Recorder().app, verifier=VERIFIER)


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("Bearer {token}", 200),
        ("bearer {token}", 200),
        ("Bearer   {token}", 200),
        ("Bearer {token}x", 401),
        ("Bearer {token}$", 400),
        ("Bearer {token} {token}", 400),
        ("Bearer {token}é", 400),
        ("Bearer a.b.c", 401),
        ("Basic {token}", 401),
    ],
)
def test_the_fast_path_and_the_grammar_agree(value: str, status: int) -> None:
    token = minijwt.encode({"sub": "a"}, SECRET)
    header = value.format(token=token).encode("utf-8")
    assert _status(_PASSING, [(b"authorization", header)]) == status


@given(st.binary(max_size=60) | st.text(max_size=60).map(lambda text: ("Bearer " + text).encode("utf-8")))
def test_any_authorization_header_is_answered_400_or_401(value: bytes) -> None:
    assert _status(_PASSING, [(b"authorization", value)]) in {400, 401}


def test_a_websocket_client_gone_before_connect_gets_nothing() -> None:
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        """Never reached."""

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.disconnect", "code": 1006}

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = JWTAuthMiddleware(app, verifier=VERIFIER)
    asyncio.run(middleware({"type": "websocket", "path": "/", "headers": []}, receive, send))
    assert sent == []
