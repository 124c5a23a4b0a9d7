"""Every integration tells a client the same, over real HTTP on loopback: the 403's members, and ``error_detail``.

The ASGI middleware and FastAPI's dependency run under uvicorn, the WSGI
middleware and Flask's decorator under waitress; each protects ``GET /orders``
with the scope ``orders:write``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import flask
import pytest
from fastapi import FastAPI, Security
from support.jwks_server import JWKSServer
from support.servers import Response, request, uvicorn_server, waitress_server

import minijwt
from minijwt.asgi import JWTAuthMiddleware as ASGIMiddleware
from minijwt.fastapi import JWTBearer
from minijwt.flask import JWTAuth
from minijwt.jwks_client import JWKSClient
from minijwt.wsgi import JWTAuthMiddleware as WSGIMiddleware

from .conftest import AUDIENCE, ISSUER, MakeToken

KINDS = ["asgi", "wsgi", "flask", "fastapi"]
SCOPE = "orders:write"


async def _asgi_orders(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"orders":[]}'})


def _wsgi_orders(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"orders":[]}']


def _flask_app(jwt_auth: JWTAuth) -> flask.Flask:
    app = flask.Flask("orders")

    @app.get("/orders")
    @jwt_auth.required(scopes=[SCOPE])
    def orders() -> Any:
        return {"orders": []}

    return app


def _fastapi_app(auth: JWTBearer) -> FastAPI:
    app = FastAPI()

    @app.get("/orders")
    async def orders(claims: dict[str, Any] = Security(auth, scopes=[SCOPE])) -> dict[str, Any]:  # noqa: B008
        return {"orders": []}

    return app


def _protected(kind: str, verifier: minijwt.JWTVerifier, **options: Any) -> Any:
    """The integration ``kind`` around an application answering ``GET /orders``."""
    if kind == "asgi":
        return ASGIMiddleware(_asgi_orders, verifier=verifier, required_scopes=[SCOPE], **options)
    if kind == "wsgi":
        return WSGIMiddleware(_wsgi_orders, verifier=verifier, required_scopes=[SCOPE], **options)
    if kind == "flask":
        return _flask_app(JWTAuth(verifier, **options))
    return _fastapi_app(JWTBearer(verifier, **options))


@contextlib.contextmanager
def _serve(kind: str, verifier: minijwt.JWTVerifier, **options: Any) -> Iterator[int]:
    server = uvicorn_server if kind in {"asgi", "fastapi"} else waitress_server
    with server(_protected(kind, verifier, **options)) as port:
        yield port


def _body(kind: str, answer: Response) -> Any:
    """The error document: FastAPI puts it under ``detail``, the others send it as the body."""
    document = answer.json()
    return document["detail"] if kind == "fastapi" else document


@pytest.mark.parametrize("kind", KINDS)
def test_a_missing_scope_answers_the_same_members_everywhere(
    kind: str, verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """RFC 6750 §3.1: the 403 names the scope needed, in the body as in the challenge (FastAPI's too)."""
    with _serve(kind, verifier, realm="orders") as port:
        refused = request(port, "/orders", token=token(scope="orders:read"))
        allowed = request(port, "/orders", token=token(scope=f"orders:read {SCOPE}"))
    assert refused.status == 403
    assert _body(kind, refused) == {
        "error": "insufficient_scope",
        "error_description": f"the token lacks the scope {SCOPE}",
        "scope": SCOPE,
    }
    assert refused.challenge == (
        f'Bearer realm="orders", error="insufficient_scope", error_description="the token lacks the scope {SCOPE}", '
        f'scope="{SCOPE}"'
    )
    assert (allowed.status, allowed.json()) == (200, {"orders": []})


@pytest.mark.parametrize("kind", KINDS)
def test_without_error_detail_a_client_gets_the_error_code_only(
    kind: str, verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """``error_detail=False``: no ``error_description`` in a body or a challenge; a 403 keeps ``scope``."""
    with _serve(kind, verifier, realm="orders", error_detail=False) as port:
        answers = {
            "missing": request(port, "/orders"),
            "expired": request(port, "/orders", token=token(exp=1, iat=0)),
            "malformed": request(port, "/orders", headers=[("Authorization", "Bearer one two")]),
            "scope": request(port, "/orders", token=token(scope="orders:read")),
            "allowed": request(port, "/orders", token=token(scope=SCOPE)),
        }
    expected = {
        "missing": (401, {"error": "missing_token"}, 'Bearer realm="orders"'),
        "expired": (401, {"error": "invalid_token"}, 'Bearer realm="orders", error="invalid_token"'),
        "malformed": (400, {"error": "invalid_request"}, 'Bearer realm="orders", error="invalid_request"'),
        "scope": (
            403,
            {"error": "insufficient_scope", "scope": SCOPE},
            f'Bearer realm="orders", error="insufficient_scope", scope="{SCOPE}"',
        ),
    }
    for name, (status, body, challenge) in expected.items():
        answer = answers[name]
        assert (answer.status, _body(kind, answer), answer.challenge) == (status, body, challenge), name
        assert b"error_description" not in answer.body, name
    assert answers["allowed"].status == 200


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("error_detail", [True, False])
def test_keys_unavailable_tells_the_reason_to_the_log_only(
    kind: str, error_detail: bool, jwks: JWKSServer, token: MakeToken, caplog: pytest.LogCaptureFixture
) -> None:
    """A 503 never names the fetch's failure to the client; with ``error_detail=False`` it sends the code only."""
    down = JWKSClient(jwks.url("/not-published"), timeout=5)
    verifier = minijwt.JWTVerifier(down, algorithms=["RS256"], issuer=ISSUER, audience=AUDIENCE)
    with _serve(kind, verifier, error_detail=error_detail) as port:
        answer = request(port, "/orders", token=token(scope=SCOPE))
    assert answer.status == 503
    assert answer.headers["retry-after"] == "30"
    assert "www-authenticate" not in answer.headers
    body = {"error": "temporarily_unavailable"}
    if error_detail:
        body["error_description"] = "the token signing keys are unavailable"
    assert _body(kind, answer) == body
    assert "status" not in answer.body.decode()
    assert any("jwks_fetch_failed, status" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("value", ["no", 0, 1, None])
def test_error_detail_must_be_true_or_false(kind: str, value: object, verifier: minijwt.JWTVerifier) -> None:
    with pytest.raises(minijwt.InvalidOptionError, match="error_detail"):
        _protected(kind, verifier, error_detail=value)


@pytest.mark.parametrize("kind", ["asgi", "wsgi", "flask"])
@pytest.mark.parametrize("value", ["yes", 0, 1, None])
def test_cors_preflight_must_be_true_or_false(kind: str, value: object, verifier: minijwt.JWTVerifier) -> None:
    with pytest.raises(minijwt.InvalidOptionError, match="cors_preflight"):
        _protected(kind, verifier, cors_preflight=value)
