"""Bearer-token protection as a FastAPI security dependency (install ``minijwt[fastapi]``).

:class:`JWTBearer` verifies the request's ``Authorization: Bearer`` token and
returns its claims: use it with ``Depends(auth)``, or with
``Security(auth, scopes=[...])`` to require scopes. The OpenAPI schema shows
it as an HTTP bearer (JWT) scheme, so Swagger UI's "Authorize" button works.
The status codes and headers are those of :class:`minijwt.asgi.JWTAuthMiddleware`.

Example:
    >>> import asyncio, httpx, minijwt
    >>> from fastapi import FastAPI, Security
    >>> from minijwt.fastapi import JWTBearer
    >>> secret = b"a-secret-of-at-least-32-bytes!!!"
    >>> auth = JWTBearer(minijwt.JWTVerifier(secret, algorithms=["HS256"]))
    >>> app = FastAPI()
    >>> @app.get("/orders")
    ... async def orders(claims: dict = Security(auth, scopes=["orders:read"])):
    ...     return {"user": claims["sub"]}
    >>> async def get(path, headers):
    ...     transport = httpx.ASGITransport(app=app)
    ...     async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
    ...         return await client.get(path, headers=headers)
    >>> token = minijwt.encode({"sub": "alice", "scope": "orders:read"}, secret)
    >>> asyncio.run(get("/orders", {"Authorization": f"Bearer {token}"})).json()
    {'user': 'alice'}
    >>> asyncio.run(get("/orders", {})).headers["www-authenticate"]
    'Bearer'
"""

import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any

try:
    from fastapi import HTTPException
    from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
    from fastapi.security import SecurityScopes
    from fastapi.security.base import SecurityBase
    from starlette.requests import HTTPConnection
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "minijwt.fastapi needs FastAPI, which is not installed: pip install 'minijwt[fastapi]'"
    ) from _missing

from ._bearer import (
    Answer,
    Guard,
    MalformedRequest,
    ProtectedResource,
    TokenHook,
    check_hook_token,
    token_from_headers,
)
from .errors import InvalidOptionError, InvalidTokenError, JWKSFetchError
from .jwt import JWTVerifier

__all__ = ["JWTBearer"]


class JWTBearer(SecurityBase):
    """A FastAPI security dependency that verifies the bearer token and returns its claims.

    Call it through ``Depends(auth)`` or ``Security(auth, scopes=[...])``; the
    scopes of every ``Security`` on the way to the route are required (from the
    ``scope`` or ``scp`` claim). The claims are also put at
    ``request.state.jwt_claims``. A refusal is an ``HTTPException`` with the
    middleware's status and headers (``WWW-Authenticate``, ``Retry-After``)
    and as ``detail`` the middleware's JSON body: ``{"error": ...,
    "error_description": ...}``, and ``scope`` for a 403.

    The token is verified with ``await verifier.adecode(token)``: keys held by
    a JWKS client answer on the event loop, a fetch runs off it.
    """

    # Declared here so that type checkers see the same types as FastAPI's base class.
    model: HTTPBearerModel
    scheme_name: str

    def __init__(
        self,
        verifier: JWTVerifier,
        *,
        auto_error: bool = True,
        realm: str | None = None,
        is_revoked: Callable[[dict[str, Any]], bool | Awaitable[bool]] | None = None,
        # Quoted: evaluated, it would render as minijwt._bearer.ProtectedResource.
        resource_metadata: "str | ProtectedResource | None" = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
    ) -> None:
        """Check the configuration: a mistake fails here, when the application starts.

        Args:
            verifier: The :class:`~minijwt.JWTVerifier`.
            auto_error: When false, a request without a token gets ``None``
                instead of a 401; a bad token is still refused.
            realm: The challenges' ``realm``.
            is_revoked: ``(claims) -> bool``, plain or coroutine function: true
                refuses the token (401, "token revoked").
            resource_metadata: The URL of this API's RFC 9728 metadata for the
                challenges, or a :class:`~minijwt.asgi.ProtectedResource`
                (serve its ``to_dict()`` at its ``metadata_path`` yourself, or
                use the middleware).
            get_token: ``(headers) -> str | None``, asked when the request has
                no ``Authorization`` header.
            error_detail: Tell the client why its token was refused
                (``error_description``). With ``False``, ``detail`` carries the
                error code only, and for a 403 the ``scope`` needed.
            scheme_name: The security scheme's name in the OpenAPI schema.
            description: The security scheme's description in the OpenAPI schema.

        Raises:
            InvalidOptionError: An option is invalid.
        """
        if type(auto_error) is not bool:
            raise InvalidOptionError("auto_error must be True or False")
        self._guard = Guard(
            verifier,
            optional=not auto_error,
            realm=realm,
            is_revoked=is_revoked,
            resource_metadata=resource_metadata,
            get_token=get_token,
            error_detail=error_detail,
        )
        self._verify = verifier.adecode
        self.auto_error = auto_error
        self.model = HTTPBearerModel(bearerFormat="JWT", description=description)
        self.scheme_name = scheme_name or type(self).__name__

    async def __call__(self, request: HTTPConnection, security_scopes: SecurityScopes) -> dict[str, Any] | None:
        """Verify the request's token; return its claims (``None`` without a token when ``auto_error`` is false).

        Raises:
            fastapi.HTTPException: 400, 401, 403 or 503, as the middleware answers.
        """
        guard = self._guard
        method = request.scope.get("method", "GET")
        path = request.scope["path"]
        token: str | None = None
        try:
            token = token_from_headers(request.headers.getlist("authorization"))
            if token is None and guard.get_token is not None:
                token = check_hook_token(guard.get_token(request.headers))
        except MalformedRequest as exc:
            raise _http_error(guard.refuse(exc, method, path)) from None
        if token is None:
            if guard.optional:
                request.state.jwt_claims = None
                return None
            raise _http_error(guard.refuse_missing(method, path))
        try:
            claims = await self._verify(token)
        except (InvalidTokenError, JWKSFetchError) as exc:
            raise _http_error(guard.refuse(exc, method, path, token)) from None
        required = tuple(security_scopes.scopes)
        if required:
            missing = guard.missing_scopes(claims, required)
            if missing:
                raise _http_error(guard.refuse_scope(missing, required, method, path))
        if guard.is_revoked is not None:
            revoked = guard.is_revoked(claims)
            if inspect.isawaitable(revoked):
                revoked = await revoked
            if revoked:
                raise _http_error(guard.refuse_revoked(method, path))
        request.state.jwt_claims = claims
        return claims


def _http_error(answer: Answer) -> HTTPException:
    # The middleware's own body, so that every integration sends the same
    # members (a 403's scope included) under the same error_detail rule.
    detail = json.loads(answer.body)
    return HTTPException(answer.status, detail=detail, headers=dict(answer.auth_headers))
