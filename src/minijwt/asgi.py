"""Bearer-token protection for any ASGI 3 application (Starlette, FastAPI, Quart, Litestar ...).

:class:`JWTAuthMiddleware` checks the ``Authorization: Bearer`` token of
every HTTP request and WebSocket handshake before the application sees it,
and answers a refusal itself (RFC 6750 §3). It is plain ASGI: nothing but
the standard library and minijwt runs at each request, and Starlette is not
needed (when it is installed, ``request.user`` and ``request.auth`` are set
too, so that Starlette's ``@requires("scope")`` works).

Example:
    >>> import asyncio, minijwt
    >>> from minijwt.asgi import JWTAuthMiddleware
    >>> secret = b"a-secret-of-at-least-32-bytes!!!"
    >>> verifier = minijwt.JWTVerifier(secret, algorithms=["HS256"])
    >>> async def app(scope, receive, send):
    ...     body = scope["state"]["jwt_claims"]["sub"].encode()
    ...     await send({"type": "http.response.start", "status": 200, "headers": []})
    ...     await send({"type": "http.response.body", "body": body})
    >>> protected = JWTAuthMiddleware(app, verifier=verifier)
    >>> def call(headers):
    ...     sent = []
    ...     scope = {"type": "http", "method": "GET", "path": "/", "headers": headers}
    ...     async def send(message):
    ...         sent.append(message)
    ...     asyncio.run(protected(scope, None, send))
    ...     return sent[0]["status"], sent[1]["body"]
    >>> token = minijwt.encode({"sub": "alice"}, secret)
    >>> call([(b"authorization", b"Bearer " + token.encode())])
    (200, b'alice')
    >>> call([])
    (401, b'{"error":"missing_token","error_description":"this resource needs a bearer token"}')
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from ._bearer import (
    Answer,
    AsyncRevocationHook,
    BearerMiddleware,
    DPoPClaims,
    ProtectedResource,
    asgi_url,
    async_verify,
    granted_scopes,
    run_async,
)
from .jwt import TokenVerifier

__all__ = ["JWTAuthMiddleware", "ProtectedResource"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# RFC 6455 §7.4.1: 1008, "policy violation": the generic refusal.
_POLICY_VIOLATION = 1008


def _starlette_types() -> tuple[Callable[[dict[str, Any]], Any], Callable[[dict[str, Any]], Any], Any, Any] | None:
    """Starlette's credentials and user for a token's claims, when Starlette is installed.

    Both read the claims only when asked: a request whose handler never looks
    at ``request.auth`` or ``request.user`` pays for two small objects.
    """
    try:
        from starlette.authentication import AuthCredentials, SimpleUser, UnauthenticatedUser
    except ImportError:
        return None

    class TokenCredentials(AuthCredentials):
        """``AuthCredentials`` whose scopes are the token's ``scope``/``scp`` (sorted)."""

        def __init__(self, claims: dict[str, Any]) -> None:
            self._claims = claims

        @property
        def scopes(self) -> list[str]:  # type: ignore[override]
            return sorted(granted_scopes(self._claims))

    class TokenUser(SimpleUser):
        """An authenticated user named by the token's ``sub``; the claims are at ``claims``."""

        def __init__(self, claims: dict[str, Any]) -> None:
            self.claims = claims

        @property
        def username(self) -> str:  # type: ignore[override]
            sub = self.claims.get("sub")
            return sub if type(sub) is str else ""

    return TokenCredentials, TokenUser, AuthCredentials(), UnauthenticatedUser()


class JWTAuthMiddleware(BearerMiddleware[ASGIApp, AsyncRevocationHook]):
    """ASGI middleware that lets through only requests with a valid bearer token.

    For each HTTP request and WebSocket handshake (``lifespan`` passes
    through):

    - a path in ``exempt``, with ``cors_preflight=True`` a CORS preflight
      (``OPTIONS`` with ``Access-Control-Request-Method``), and with
      ``optional=True`` a request without a token reach the application
      without one (it sees ``jwt_claims`` set to ``None``); with a
      :class:`ProtectedResource`, its metadata URL is answered here;
    - the token is read from the ``Authorization`` header only (then from
      ``get_token``) and verified with ``await verifier.adecode(token)``: keys
      held by a JWKS client answer on the event loop, a fetch runs off it (a
      key that never waits, :attr:`~minijwt.JWTVerifier.may_wait` false, is
      verified with ``verifier.decode(token)``, the same checks);
    - the claims go to ``scope["state"]["jwt_claims"]`` (``request.state.jwt_claims``
      in Starlette and FastAPI), and, when Starlette is installed,
      ``scope["auth"]`` is ``AuthCredentials(scopes)`` and ``scope["user"]`` a
      ``SimpleUser`` named by ``sub``;
    - a refusal is answered here, with the status, challenge and JSON body
      the reference page's table lists (a refused WebSocket gets them through
      the ``websocket.http.response`` extension where the server offers it,
      else a close with code 1008), and logged on the ``minijwt`` logger
      (INFO; a 503 at WARNING) with its code, the method and the path, never
      the token.

    Put a CORS middleware *outside* this one and it answers every preflight
    itself, before any token is asked for (see ``cors_preflight``).

    Example:
        With Starlette (the first middleware of the list runs first)::

            app = Starlette(
                routes=routes,
                middleware=[
                    Middleware(CORSMiddleware, allow_origins=["https://app.example"], allow_headers=["authorization"]),
                    Middleware(JWTAuthMiddleware, verifier=verifier, exempt=["/health"]),
                ],
            )
    """

    __slots__ = ("_starlette", "_verify")

    def _prepare(self, verifier: TokenVerifier) -> None:
        self._verify = async_verify(verifier)
        self._starlette = _starlette_types()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then call the application or answer a refusal."""
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)  # lifespan, and anything else
            return
        # A loop, not a comprehension: this runs on every request, and in
        # Python 3.11 a comprehension is a function call of its own.
        authorization = []
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization.append(value)
        claims = await run_async(
            self._guard, self._verify, scope.get("method", "GET"), scope["path"], authorization, scope, _header_map
        )
        if type(claims) is Answer:
            await self._answer(scope, receive, send, claims)
            return
        dpop = None
        if type(claims) is DPoPClaims:
            claims, dpop = claims
        # The key is set on every request that reaches the application (None
        # without a token), so that a handler serving several paths can read it.
        state = scope.get("state")
        if state is None:
            scope["state"] = state = {"jwt_claims": claims}
        else:
            state["jwt_claims"] = claims
        if self._guard.dpop is not None:
            state["dpop"] = dpop
        starlette = self._starlette
        if starlette is not None:
            credentials, user, no_credentials, anonymous = starlette
            if claims is None:
                scope["auth"], scope["user"] = no_credentials, anonymous
            else:
                scope["auth"], scope["user"] = credentials(claims), user(claims)  # type: ignore[arg-type]  # a DPoPClaims was unpacked above
        await self._app(scope, receive, send)

    def _url_parts(self, request: Scope) -> tuple[str, str, str]:
        return asgi_url(request)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, answer: Answer) -> None:
        headers = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers]
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": answer.status, "headers": headers})
            body = b"" if scope.get("method") == "HEAD" else answer.body
            await send({"type": "http.response.body", "body": body})
            return
        # A WebSocket handshake: take the connect event, then refuse.
        message = await receive()
        if message.get("type") != "websocket.connect":
            return  # the client is gone
        extensions = scope.get("extensions") or {}
        if "websocket.http.response" in extensions:
            await send({"type": "websocket.http.response.start", "status": answer.status, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": answer.body})
        else:
            reason = (answer.error or "unauthorized")[:120]
            await send({"type": "websocket.close", "code": _POLICY_VIOLATION, "reason": reason})


def _header_map(scope: Scope) -> dict[str, str]:
    """The request's headers for ``get_token``: lowercase names, repeated ones joined with ", "."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers
