"""get_token, is_revoked and the rarer paths of each adapter, driven in process."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import flask
import httpx
import pytest
from fastapi import Depends, FastAPI
from werkzeug.test import Client

import minijwt
from minijwt._bearer import call_is_revoked_sync
from minijwt.asgi import JWTAuthMiddleware as ASGIMiddleware
from minijwt.fastapi import JWTBearer
from minijwt.flask import JWTAuth
from minijwt.wsgi import JWTAuthMiddleware as WSGIMiddleware

SECRET = b"a-secret-of-at-least-32-bytes!!!"
VERIFIER = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])
TOKEN = minijwt.encode({"sub": "cookie-user"}, SECRET)


def from_cookie(headers: Mapping[str, str]) -> str | None:
    for part in (headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "access_token":
            return value
    return None


def test_wsgi_get_token_and_head() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["minijwt.claims"]["sub"].encode()]

    protected = WSGIMiddleware(app, verifier=VERIFIER, get_token=from_cookie)
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


def test_fastapi_get_token_and_async_revocation() -> None:
    async def is_revoked(claims: dict[str, Any]) -> bool:
        await asyncio.sleep(0)
        return bool(claims["sub"] == "revoked")

    auth = JWTBearer(VERIFIER, get_token=from_cookie, is_revoked=is_revoked)
    app = FastAPI()

    @app.get("/")
    async def index(claims: dict[str, Any] = Depends(auth)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"]}

    async def get(cookie: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api.test") as client:
            return await client.get("/", headers={"Cookie": cookie})

    assert asyncio.run(get(f"access_token={TOKEN}")).json() == {"sub": "cookie-user"}
    revoked = minijwt.encode({"sub": "revoked"}, SECRET)
    answer = asyncio.run(get(f"access_token={revoked}"))
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == 'Bearer error="invalid_token", error_description="token revoked"'


def test_a_plain_is_revoked_returning_an_awaitable_is_a_configuration_error() -> None:
    async def revoked() -> bool:
        return True  # never awaited: refused first

    with pytest.raises(minijwt.InvalidOptionError):
        call_is_revoked_sync(lambda claims: revoked(), {})  # a coroutine, closed unawaited
    assert call_is_revoked_sync(lambda claims: "yes", {}) is True


def test_a_websocket_client_gone_before_connect_gets_nothing() -> None:
    sent: list[Any] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        """Never reached."""

    async def receive() -> dict[str, Any]:
        return {"type": "websocket.disconnect", "code": 1006}

    async def send(message: Any) -> None:
        sent.append(message)

    middleware = ASGIMiddleware(app, verifier=VERIFIER)
    asyncio.run(middleware({"type": "websocket", "path": "/", "headers": []}, receive, send))
    assert sent == []
