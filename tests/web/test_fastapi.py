"""JWTBearer: in a FastAPI application under uvicorn, over real HTTP on loopback, and in process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request, Security
from fastapi.middleware.cors import CORSMiddleware
from support.jwks_server import JWKSServer, Reply
from support.servers import request, uvicorn_server

import minijwt
from minijwt.fastapi import JWTBearer
from minijwt.testing import FakeIssuer

from .conftest import MakeToken, bad_tokens, from_cookie


def fastapi_app(auth: JWTBearer, optional: JWTBearer | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/public")
    async def public() -> dict[str, bool]:
        return {"public": True}

    @app.get("/me")
    async def me(request: Request, claims: dict[str, Any] = Depends(auth)) -> dict[str, Any]:  # noqa: B008
        return {"sub": claims["sub"], "state": request.state.jwt_claims["sub"]}

    @app.get("/orders")
    async def orders(claims: dict[str, Any] = Security(auth, scopes=["orders:read"])) -> dict[str, Any]:  # noqa: B008
        return {"orders": [], "sub": claims["sub"]}

    @app.post("/orders")
    def create(claims: dict[str, Any] = Security(auth, scopes=["orders:write"])) -> dict[str, Any]:  # noqa: B008
        return {"created": True}

    if optional is not None:

        @app.get("/maybe")
        async def maybe(claims: dict[str, Any] | None = Depends(optional)) -> dict[str, Any]:  # noqa: B008
            return {"sub": None if claims is None else claims["sub"]}

    return app


def test_fastapi_answers_like_the_middleware(
    verifier: minijwt.JWTVerifier, token: MakeToken, issuer: FakeIssuer
) -> None:
    auth = JWTBearer(verifier, realm="orders")
    optional = JWTBearer(verifier, auto_error=False)
    with uvicorn_server(fastapi_app(auth, optional)) as port:
        assert request(port, "/public").status == 200
        missing = request(port, "/me")
        assert missing.status == 401
        assert missing.challenge == 'Bearer realm="orders"'
        assert missing.json()["detail"]["error"] == "missing_token"
        assert request(port, "/me", token=token()).json() == {"sub": "alice", "state": "alice"}
        for name, value in bad_tokens(issuer).items():
            answer = request(port, "/me", token=value)
            assert answer.status == 401, name
            assert answer.challenge.startswith('Bearer realm="orders", error="invalid_token"'), name
        malformed = request(port, "/me", headers=[("Authorization", "Bearer a b")])
        assert malformed.status == 400
        assert 'error="invalid_request"' in malformed.challenge
        assert request(port, "/orders", token=token()).status == 200
        refused = request(port, "/orders", token=token(), method="POST")
        assert refused.status == 403
        assert refused.challenge.endswith('scope="orders:write"')
        assert request(port, "/orders", token=token(scope="orders:write"), method="POST").status == 200
        assert request(port, "/maybe").json() == {"sub": None}
        assert request(port, "/maybe", token=token()).json() == {"sub": "alice"}
        assert request(port, "/maybe", token="a.b.c").status == 401


def test_fastapi_keys_unavailable_is_503(verifier: minijwt.JWTVerifier, jwks: JWKSServer, token: MakeToken) -> None:
    jwks.routes["/jwks"] = Reply(status=404)
    with uvicorn_server(fastapi_app(JWTBearer(verifier))) as port:
        answer = request(port, "/me", token=token())
    assert answer.status == 503
    assert answer.headers["retry-after"].isdigit()


def test_fastapi_revocation(verifier: minijwt.JWTVerifier, token: MakeToken) -> None:
    auth = JWTBearer(verifier, is_revoked=lambda claims: claims["sub"] == "mallory")
    with uvicorn_server(fastapi_app(auth)) as port:
        assert request(port, "/me", token=token()).status == 200
        assert request(port, "/me", token=token(sub="mallory")).json()["detail"]["error_description"] == "token revoked"


def test_fastapi_preflights_are_answered_by_cors_middleware_before_any_dependency(
    verifier: minijwt.JWTVerifier, token: MakeToken
) -> None:
    """JWTBearer lets no preflight through: CORSMiddleware answers them before routing; else they are checked."""
    auth = JWTBearer(verifier)
    done: list[str] = []

    def app(cors: bool) -> FastAPI:
        application = fastapi_app(auth)

        @application.options("/cache")
        async def purge(claims: dict[str, Any] = Depends(auth)) -> dict[str, bool]:  # noqa: B008
            done.append(claims["sub"])
            return {"purged": True}

        if cors:
            application.add_middleware(
                CORSMiddleware,
                allow_origins=["https://app.example"],
                allow_methods=["GET", "DELETE"],
                allow_headers=["authorization"],
            )
        return application

    preflight = [("Origin", "https://app.example"), ("Access-Control-Request-Method", "DELETE")]
    with uvicorn_server(app(cors=True)) as port:
        for path in ("/me", "/cache"):
            answered = request(port, path, method="OPTIONS", headers=preflight)
            assert answered.status == 200, path
            assert answered.headers["access-control-allow-origin"] == "https://app.example", path
        assert request(port, "/me", headers=preflight[:1]).status == 401
    with uvicorn_server(app(cors=False)) as port:
        refused = request(port, "/cache", method="OPTIONS", headers=preflight)
        assert refused.status == 401
        assert refused.json()["detail"]["error"] == "missing_token"
        assert request(port, "/cache", method="OPTIONS", headers=preflight, token=token()).status == 200
    assert done == ["alice"]


def test_openapi_shows_a_bearer_jwt_scheme(verifier: minijwt.JWTVerifier) -> None:
    schema = fastapi_app(JWTBearer(verifier, description="An access token")).openapi()
    assert schema["components"]["securitySchemes"] == {
        "JWTBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": "An access token"}
    }
    assert schema["paths"]["/me"]["get"]["security"] == [{"JWTBearer": []}]


def _fastapi_lists_scopes_of_http_schemes() -> bool:
    # Older FastAPI releases (the declared floor among them) write a route's
    # scopes into the OpenAPI security requirement only for OAuth2 and OpenID
    # Connect schemes, their own HTTPBearer included: asked of FastAPI itself.
    from fastapi.security import HTTPBearer

    app = FastAPI()

    @app.get("/probe")
    def probe(credentials: Any = Security(HTTPBearer(), scopes=["probe"])) -> None:  # noqa: B008
        return None

    return bool(app.openapi()["paths"]["/probe"]["get"]["security"] == [{"HTTPBearer": ["probe"]}])


@pytest.mark.skipif(
    not _fastapi_lists_scopes_of_http_schemes(),
    reason="this FastAPI release lists OpenAPI scopes only for OAuth2 and OpenID Connect schemes, even for its own",
)
def test_openapi_lists_the_scopes_a_route_requires(verifier: minijwt.JWTVerifier) -> None:
    schema = fastapi_app(JWTBearer(verifier)).openapi()
    assert schema["paths"]["/orders"]["get"]["security"] == [{"JWTBearer": ["orders:read"]}]
    assert schema["paths"]["/orders"]["post"]["security"] == [{"JWTBearer": ["orders:write"]}]


def test_bad_configuration_fails_at_start(verifier: minijwt.JWTVerifier) -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        JWTBearer("not a verifier")  # type: ignore[arg-type]
    with pytest.raises(minijwt.InvalidOptionError):
        JWTBearer(verifier, auto_error="no")  # type: ignore[arg-type]
    with pytest.raises(minijwt.InvalidOptionError):
        JWTBearer(verifier, realm='a"b')


@pytest.mark.parametrize(("module", "extra"), [("minijwt.fastapi", "fastapi"), ("minijwt.flask", "flask")])
def test_without_the_framework_the_import_error_names_the_extra(module: str, extra: str) -> None:
    code = (
        "import sys\n"
        f"sys.modules[{extra!r}] = None\n"
        "try:\n"
        f"    import {module}\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
        "import minijwt\n"
        "loaded = [n for n, m in sys.modules.items() if m is not None and n.split('.')[0] in {'fastapi', 'flask'}]\n"
        "print(sorted(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)  # noqa: S603
    assert f"minijwt[{extra}]" in result.stdout
    assert result.stdout.strip().endswith("[]")


def test_import_minijwt_loads_no_web_framework() -> None:
    web = ("minijwt.asgi", "minijwt.wsgi", "minijwt.fastapi", "minijwt.flask", "minijwt._bearer", "starlette", "flask")
    code = f"import sys, minijwt; print(sorted(n for n in sys.modules if n.startswith({web!r})))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)  # noqa: S603
    assert result.stdout.strip() == "[]"


# --- in process ----------------------------------------------------------------------------

SECRET = b"a-secret-of-at-least-32-bytes!!!"
VERIFIER = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])
TOKEN = minijwt.encode({"sub": "cookie-user"}, SECRET)


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
