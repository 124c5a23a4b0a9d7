"""The WSGI middleware and JWTAuth: in Flask applications under waitress, over real HTTP on loopback, and in process."""

from __future__ import annotations

import concurrent.futures
import http.client
import logging
from typing import Any

import flask
import pytest
from support.jwks_server import JWKSServer, Reply, jwks_reply
from support.servers import TIMEOUT, request, waitress_server
from werkzeug.test import Client

import minijwt
from minijwt.flask import JWTAuth
from minijwt.jwks_client import AsyncJWKSClient
from minijwt.testing import FakeIssuer, FrozenClock
from minijwt.wsgi import JWTAuthMiddleware, ProtectedResource

from .conftest import ISSUER, MakeToken, bad_tokens, check_docs_prefix, from_cookie


def middleware_app(verifier: minijwt.JWTVerifier, **options: Any) -> flask.Flask:
    app = flask.Flask("protected")

    @app.get("/public")
    def public() -> Any:
        return {"public": True}

    @app.get("/me")
    def me() -> Any:
        claims = flask.request.environ["minijwt.claims"]
        return {"sub": None if claims is None else claims["sub"]}

    options.setdefault("exempt", ["/public"])
    app.wsgi_app = JWTAuthMiddleware(app.wsgi_app, verifier=verifier, **options)  # type: ignore[method-assign]
    return app


def decorated_app(jwt_auth: JWTAuth) -> flask.Flask:
    app = flask.Flask("decorated")

    @app.get("/public")
    def public() -> Any:
        return {"public": True}

    @app.get("/me")
    @jwt_auth.required
    def me() -> Any:
        return {"sub": flask.g.jwt_claims["sub"]}

    @app.get("/orders")
    @jwt_auth.required(scopes=["orders:read"])
    def orders() -> Any:
        return {"orders": []}

    @app.post("/orders")
    @jwt_auth.required(scopes=["orders:write"])
    def create() -> Any:
        return {"created": True}

    @app.get("/maybe")
    @jwt_auth.required(optional=True)
    def maybe() -> Any:
        claims = flask.g.jwt_claims
        return {"sub": None if claims is None else claims["sub"]}

    return app


def test_wsgi_middleware_answers(verifier: minijwt.JWTVerifier, token: MakeToken, issuer: FakeIssuer) -> None:
    with waitress_server(middleware_app(verifier, realm="orders")) as port:
        assert request(port, "/public").json() == {"public": True}
        missing = request(port, "/me")
        assert missing.status == 401
        assert missing.challenge == 'Bearer realm="orders"'
        assert request(port, "/me", token=token()).json() == {"sub": "alice"}
        for name, value in bad_tokens(issuer).items():
            answer = request(port, "/me", token=value)
            assert answer.status == 401, name
            assert 'error="invalid_token"' in answer.challenge, name
        for headers in (
            [("Authorization", "Bearer")],
            [("Authorization", "Bearer a b")],
            [("Authorization", "Bearer a.b.c"), ("Authorization", "Bearer a.b.c")],
        ):
            assert request(port, "/me", headers=headers).status == 400, headers
        preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
        # Changed on purpose: a preflight needs a token unless cors_preflight=True
        # is chosen (test_wsgi_a_preflight_reaches_the_application_only_with_cors_preflight).
        assert request(port, "/me", method="OPTIONS", headers=preflight).status == 401


def test_wsgi_scopes_revocation_and_metadata(verifier: minijwt.JWTVerifier, token: MakeToken) -> None:
    resource = ProtectedResource(resource="https://api.example", authorization_servers=[ISSUER])
    app = middleware_app(
        verifier,
        required_scopes=["orders:read"],
        is_revoked=lambda claims: claims.get("jti") == "stolen",
        resource_metadata=resource,
    )
    with waitress_server(app) as port:
        assert request(port, "/me", token=token()).status == 200
        refused = request(port, "/me", token=token(scope="profile"))
        assert refused.status == 403
        assert refused.challenge == (
            'Bearer error="insufficient_scope", error_description="the token lacks the scope orders:read", '
            'scope="orders:read", resource_metadata="https://api.example/.well-known/oauth-protected-resource"'
        )
        assert request(port, "/me", token=token(jti="stolen")).json()["error_description"] == "token revoked"
        assert request(port, "/.well-known/oauth-protected-resource").json()["resource"] == "https://api.example"


def test_wsgi_outage_rotation_and_optional(
    *,
    verifier: minijwt.JWTVerifier,
    jwks: JWKSServer,
    token: MakeToken,
    issuer: FakeIssuer,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="minijwt")
    good = jwks.routes["/jwks"]
    jwks.routes["/jwks"] = Reply(status=500)
    with waitress_server(middleware_app(verifier, optional=True)) as port:
        down = request(port, "/me", token=token())
        assert down.status == 503
        assert down.headers["retry-after"].isdigit()
        assert request(port, "/me").json() == {"sub": None}
        jwks.routes["/jwks"] = good
        clock.advance(31)  # past the cooldown after the failure
        assert request(port, "/me", token=token()).status == 200
        jwks.routes["/jwks"] = Reply(status=500)
        clock.advance(3600)
        assert request(port, "/me", token=token()).status == 200  # held keys outlive the outage
        issuer.rotate()  # a new key signs from now on: published beside the old one
        jwks.routes["/jwks"] = jwks_reply(issuer.jwks())
        clock.advance(31)
        assert request(port, "/me", token=token()).status == 200
    warnings = [
        record for record in caplog.records if record.levelno == logging.WARNING and "unavailable" in record.msg
    ]
    assert warnings


def test_wsgi_an_exempt_path_and_a_preflight_reach_the_application_with_claims_none(
    verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """A handler that serves several paths reads ``environ["minijwt.claims"]`` on each: ``None`` where unchecked."""

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        claims = environ["minijwt.claims"]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"none" if claims is None else claims["sub"].encode()]

    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "GET")]
    # Changed on purpose: a preflight passes only when cors_preflight=True is chosen.
    with waitress_server(JWTAuthMiddleware(app, verifier=verifier, exempt=["/health"], cors_preflight=True)) as port:
        assert request(port, "/health").body == b"none"
        assert request(port, "/health", token=token()).body == b"none"  # exempt: the token is not read
        assert request(port, "/orders", method="OPTIONS", headers=preflight).body == b"none"
        assert request(port, "/orders", token=token()).body == b"alice"
        assert request(port, "/orders").status == 401


def test_wsgi_an_exempt_prefix_holds_on_a_segment_boundary_under_waitress(verifier: minijwt.JWTVerifier) -> None:
    """waitress decodes PATH_INFO once and normalizes nothing: beside ``/docs``, or out of it, needs a token."""
    reached: list[str] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        reached.append(environ["PATH_INFO"])
        start_response("204 No Content", [])
        return []

    with waitress_server(JWTAuthMiddleware(app, verifier=verifier, exempt=["/docs*"])) as port:
        check_docs_prefix(port, reached)


def test_wsgi_a_preflight_reaches_the_application_only_with_cors_preflight(
    verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """Any client may send a preflight's headers: without the choice, it needs a token like any request."""
    done: list[Any] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        done.append(environ["minijwt.claims"])  # an OPTIONS handler that does work
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"done"]

    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "DELETE")]
    with waitress_server(JWTAuthMiddleware(app, verifier=verifier)) as port:
        refused = request(port, "/cache", method="OPTIONS", headers=preflight)
        assert refused.status == 401
        assert refused.json()["error"] == "missing_token"
        assert done == []
        assert request(port, "/cache", method="OPTIONS", headers=preflight, token=token()).status == 200
        assert [claims["sub"] for claims in done] == ["alice"]
    done.clear()
    with waitress_server(JWTAuthMiddleware(app, verifier=verifier, cors_preflight=True)) as port:
        assert request(port, "/cache", method="OPTIONS", headers=preflight).body == b"done"
        assert request(port, "/cache", method="OPTIONS").status == 401  # no Access-Control-Request-Method
        assert request(port, "/cache", method="DELETE", headers=preflight).status == 401  # not OPTIONS
    assert done == [None]


def test_flask_a_preflight_reaches_a_view_that_accepts_options_only_with_cors_preflight(
    verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """Flask answers OPTIONS itself for a view that does not list it; a view that lists it runs, checked by default."""

    def cache_app(jwt_auth: JWTAuth, done: list[Any]) -> flask.Flask:
        app = flask.Flask("cache")

        @app.route("/cache", methods=["OPTIONS", "DELETE"])
        @jwt_auth.required
        def purge() -> Any:
            done.append(flask.g.jwt_claims)
            return {"purged": True}

        @app.get("/orders")
        @jwt_auth.required
        def orders() -> Any:
            done.append("orders")
            return {"orders": []}

        return app

    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "DELETE")]
    done: list[Any] = []
    with waitress_server(cache_app(JWTAuth(verifier), done)) as port:
        refused = request(port, "/cache", method="OPTIONS", headers=preflight)
        assert refused.status == 401
        assert refused.json()["error"] == "missing_token"
        assert request(port, "/cache", method="OPTIONS", headers=preflight, token=token()).status == 200
        assert request(port, "/orders", method="OPTIONS", headers=preflight).status == 200  # Flask's own answer
        assert [claims["sub"] for claims in done] == ["alice"]
    done.clear()
    with waitress_server(cache_app(JWTAuth(verifier, cors_preflight=True), done)) as port:
        assert request(port, "/cache", method="OPTIONS", headers=preflight).json() == {"purged": True}
        assert request(port, "/cache", method="OPTIONS").status == 401  # no Access-Control-Request-Method
        assert request(port, "/cache", method="DELETE", headers=preflight).status == 401  # not OPTIONS
        assert request(port, "/orders", method="OPTIONS", headers=preflight).status == 200
    assert done == [None]


def test_flask_a_view_without_the_decorator_reads_no_claims(verifier: minijwt.JWTVerifier, token: MakeToken) -> None:
    """JWTAuth checks decorated views only; elsewhere ``g.get("jwt_claims")`` is ``None``, as the docs say."""
    app = decorated_app(JWTAuth(verifier))

    @app.get("/health")
    def health() -> Any:
        return {"claims": flask.g.get("jwt_claims")}

    with waitress_server(app) as port:
        assert request(port, "/health", token=token()).json() == {"claims": None}
        assert request(port, "/me", token=token()).json() == {"sub": "alice"}


def test_flask_decorator_answers(
    verifier: minijwt.JWTVerifier, jwks: JWKSServer, token: MakeToken, issuer: FakeIssuer
) -> None:
    jwt_auth = JWTAuth(verifier, is_revoked=lambda claims: claims["sub"] == "mallory")
    with waitress_server(decorated_app(jwt_auth)) as port:
        assert request(port, "/public").status == 200
        assert request(port, "/me").challenge == "Bearer"
        assert request(port, "/me", token=token()).json() == {"sub": "alice"}
        for name, value in bad_tokens(issuer).items():
            assert request(port, "/me", token=value).status == 401, name
        assert request(port, "/me", headers=[("Authorization", "Bearer a$b")]).status == 400
        assert request(port, "/orders", token=token()).status == 200
        refused = request(port, "/orders", token=token(), method="POST")
        assert refused.status == 403
        assert refused.json() == {
            "error": "insufficient_scope",
            "error_description": "the token lacks the scope orders:write",
            "scope": "orders:write",
        }
        assert request(port, "/orders", token=token(scope="orders:write"), method="POST").json() == {"created": True}
        assert request(port, "/me", token=token(sub="mallory")).status == 401
        assert request(port, "/maybe").json() == {"sub": None}
        assert request(port, "/maybe", token="a.b.c").status == 401


def test_flask_keys_unavailable(verifier: minijwt.JWTVerifier, jwks: JWKSServer, token: MakeToken) -> None:
    jwks.routes["/jwks"] = Reply(status=502)
    with waitress_server(decorated_app(JWTAuth(verifier))) as port:
        assert request(port, "/me", token=token()).status == 503


def test_two_thousand_mixed_requests_at_concurrency_32(
    verifier: minijwt.JWTVerifier, jwks: JWKSServer, token: MakeToken, issuer: FakeIssuer
) -> None:
    good = token()
    cases: list[tuple[str | None, str, int]] = [
        (good, "/me", 200),
        (None, "/me", 401),
        (None, "/public", 200),
        (token(iss="https://evil.example"), "/me", 401),
        (issuer.bad_token("unknown_kid"), "/me", 401),
    ]
    with waitress_server(middleware_app(verifier), threads=8) as port:

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


def test_wsgi_configuration_errors_fail_at_start(jwks: JWKSServer, verifier: minijwt.JWTVerifier) -> None:
    async_only = minijwt.JWTVerifier(AsyncJWKSClient(jwks.url()), algorithms=["RS256"])
    with pytest.raises(minijwt.InvalidOptionError, match="AsyncJWKSClient"):
        JWTAuthMiddleware(flask.Flask("x").wsgi_app, verifier=async_only)
    with pytest.raises(minijwt.InvalidOptionError, match="AsyncJWKSClient"):
        JWTAuth(async_only)

    async def is_revoked(claims: dict[str, Any]) -> bool:
        return False

    with pytest.raises(minijwt.InvalidOptionError, match="coroutine"):
        JWTAuth(verifier, is_revoked=is_revoked)  # type: ignore[arg-type]
    jwt_auth = JWTAuth(verifier)
    with pytest.raises(minijwt.InvalidOptionError):
        jwt_auth.required(scopes="orders:read")
    with pytest.raises(minijwt.InvalidOptionError):
        jwt_auth.required(scopes=["orders:read"], optional=True)


# --- in process ----------------------------------------------------------------------------

SECRET = b"a-secret-of-at-least-32-bytes!!!"
VERIFIER = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])
TOKEN = minijwt.encode({"sub": "cookie-user"}, SECRET)


@pytest.mark.parametrize("around", [" ", "\t", " \t "])
def test_wsgi_reads_a_token_with_white_space_after_it(around: str) -> None:
    token = minijwt.encode({"sub": "alice"}, SECRET)
    reached: list[dict[str, Any]] = []

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        reached.append(environ)
        return []

    wsgi = JWTAuthMiddleware(wsgi_app, verifier=VERIFIER)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_AUTHORIZATION": f"Bearer {token}{around}"}
    wsgi(environ, lambda status, headers, exc_info=None: None)
    assert reached[0]["minijwt.claims"] == {"sub": "alice"}


def test_wsgi_get_token_and_head() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["minijwt.claims"]["sub"].encode()]

    protected = JWTAuthMiddleware(app, verifier=VERIFIER, get_token=from_cookie)
    client = Client(protected)
    client.set_cookie("access_token", TOKEN)
    assert client.get("/").text == "cookie-user"
    non_ascii_path = client.get("/caf%C3%A9")
    assert non_ascii_path.status_code == 200
    malformed = Client(protected)
    malformed.set_cookie("access_token", "a$b")
    assert malformed.get("/").status_code == 400
    head = Client(protected).head("/")
    assert head.status_code == 401
    assert head.data == b""


def test_flask_get_token() -> None:
    jwt_auth = JWTAuth(VERIFIER, get_token=from_cookie)
    app = flask.Flask("hooks")

    @app.get("/")
    @jwt_auth.required()
    def index() -> Any:
        return {"sub": flask.g.jwt_claims["sub"]}

    client = app.test_client()
    client.set_cookie("access_token", TOKEN)
    assert client.get("/").json == {"sub": "cookie-user"}
