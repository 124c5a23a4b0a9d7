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

import json
from typing import Any

try:
    from fastapi import HTTPException
    from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
    from fastapi.security import SecurityScopes
    from fastapi.security.base import SecurityBase
    from starlette.datastructures import Headers
    from starlette.requests import HTTPConnection
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError(
        "minijwt.fastapi needs FastAPI, which is not installed: pip install 'minijwt[fastapi]'"
    ) from _missing

from ._bearer import (
    Answer,
    AsyncRevocationHook,
    DPoPClaims,
    Guard,
    ProtectedResource,
    TokenHook,
    asgi_url,
    async_verify,
    run_async,
)
from .dpop import DPoPVerifier
from .errors import InvalidOptionError
from .jwt import TokenVerifier

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
    a JWKS client answer on the event loop, a fetch runs off it (a key that
    never waits is verified with ``verifier.decode(token)``, the same checks).
    """

    # Declared here so that type checkers see the same types as FastAPI's base class.
    model: HTTPBearerModel
    scheme_name: str

    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        auto_error: bool = True,
        realm: str | None = None,
        is_revoked: AsyncRevocationHook | None = None,
        # Quoted: evaluated, it would render as minijwt._bearer.ProtectedResource.
        resource_metadata: "str | ProtectedResource | None" = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        scheme_name: str | None = None,
        description: str | None = None,
        dpop: DPoPVerifier | None = None,
        dpop_required: bool = False,
        public_url: str | None = None,
        trust_forwarded: bool = False,
    ) -> None:
        """Check the configuration: a mistake fails here, when the application starts.

        Args:
            verifier: The :class:`~minijwt.JWTVerifier` that checks each token
                (or a :class:`~minijwt.MultiIssuerVerifier`, or any :class:`~minijwt.TokenVerifier`).
            auto_error: When false, a request without a token gets ``None``
                instead of a 401; a bad token is still refused.
            realm: The challenges' ``realm``.
            is_revoked: ``(claims) -> bool``: true refuses the token (401, "token revoked").
                A plain or a coroutine function.
            resource_metadata: The URL of this API's RFC 9728 metadata, for
                the challenges. A :class:`~minijwt.asgi.ProtectedResource`
                gives that URL; this dependency sees only its routes, so
                serve its ``to_dict()`` at its ``metadata_path`` yourself, or
                put :class:`minijwt.asgi.JWTAuthMiddleware` in front.
            get_token: ``(headers) -> str | None``, asked without an
                ``Authorization`` header. ``headers`` is the request's.
            error_detail: Tell the client why its token was refused. With
                ``False``, the ``HTTPException``'s ``detail`` carries the error
                code only, and for a 403 the ``scope`` needed.
            scheme_name: The security scheme's name in the OpenAPI schema.
            description: The security scheme's description in the OpenAPI schema.
            dpop: A :class:`~minijwt.dpop.DPoPVerifier`: accept DPoP-bound tokens (RFC 9449).
                The verified proof is at ``request.state.dpop``.
            dpop_required: Accept DPoP-bound tokens only: a bearer token gets the ``DPoP`` challenge.
            public_url: The URL clients use to reach this application, for DPoP's ``htu``.
            trust_forwarded: Read the request's public scheme and host from forwarding headers, for DPoP's ``htu``.

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
            dpop=dpop,
            dpop_required=dpop_required,
            public_url=public_url,
            trust_forwarded=trust_forwarded,
            url_of=_url_of,
            serve_metadata=False,
        )
        self._verify = async_verify(verifier)
        self.auto_error = auto_error
        self.model = HTTPBearerModel(bearerFormat="JWT", description=description)
        self.scheme_name = scheme_name or type(self).__name__

    async def __call__(self, request: HTTPConnection, security_scopes: SecurityScopes) -> dict[str, Any] | None:
        """Verify the request's token; return its claims (``None`` without a token when ``auto_error`` is false).

        Raises:
            fastapi.HTTPException: 400, 401, 403 or 503, as the middleware answers.
        """
        outcome = await run_async(
            self._guard,
            self._verify,
            request.scope.get("method", "GET"),
            request.scope["path"],
            request.headers.getlist("authorization"),
            request,
            _headers_of,
            tuple(security_scopes.scopes),
        )
        if type(outcome) is Answer:
            raise _http_error(outcome)
        if type(outcome) is DPoPClaims:
            outcome, request.state.dpop = outcome
        elif self._guard.dpop is not None:
            request.state.dpop = None
        request.state.jwt_claims = outcome
        return outcome  # type: ignore[return-value]  # a DPoPClaims was unpacked above


def _url_of(request: HTTPConnection) -> tuple[str, str, str]:
    """The URL the request reached, from its ASGI scope."""
    return asgi_url(request.scope)


def _headers_of(request: HTTPConnection) -> Headers:
    """What ``get_token`` is given: Starlette's ``request.headers``."""
    return request.headers


def _http_error(answer: Answer) -> HTTPException:
    # The middleware's own body, so that every integration sends the same
    # members (a 403's scope included) under the same error_detail rule.
    detail = json.loads(answer.body)
    return HTTPException(answer.status, detail=detail, headers=dict(answer.auth_headers))
