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

import inspect
from collections.abc import Awaitable, Callable, Collection, MutableMapping
from typing import Any

from ._bearer import (
    Answer,
    ExemptRule,
    Guard,
    MalformedRequest,
    ProtectedResource,
    TokenHook,
    check_hook_token,
    granted_scopes,
    token_from_header,
)
from .errors import InvalidTokenError, JWKSFetchError
from .jwt import JWTVerifier

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


class JWTAuthMiddleware:
    """ASGI middleware that lets through only requests with a valid bearer token.

    For each HTTP request and WebSocket handshake (``lifespan`` passes
    through):

    - a path in ``exempt``, with ``cors_preflight=True`` a CORS preflight
      (``OPTIONS`` with ``Access-Control-Request-Method``), and, with a
      :class:`ProtectedResource`, its metadata URL pass without a token
      (the application sees ``jwt_claims`` set to ``None``);
    - the token is read from the ``Authorization`` header only (then from
      ``get_token``) and verified with ``await verifier.adecode(token)``: keys
      held by a JWKS client answer on the event loop, a fetch runs off it;
    - the claims go to ``scope["state"]["jwt_claims"]`` (``request.state.jwt_claims``
      in Starlette and FastAPI), and, when Starlette is installed,
      ``scope["auth"]`` is ``AuthCredentials(scopes)`` and ``scope["user"]`` a
      ``SimpleUser`` named by ``sub``;
    - a refusal is answered here: 401 (no token, or ``invalid_token``), 400
      (``invalid_request``), 403 (``insufficient_scope``), 503 with
      ``Retry-After`` (keys unavailable), each with a JSON body
      ``{"error": ..., "error_description": ...}`` (a 403 adds ``scope``;
      ``error_detail=False`` leaves out ``error_description``) and, except
      the 503, a ``WWW-Authenticate: Bearer`` challenge. A refused WebSocket gets that
      response through the ``websocket.http.response`` extension where the
      server offers it, else a close with code 1008.

    Every refusal is logged on the ``minijwt`` logger (INFO; a 503 at
    WARNING) with its code, the method and the path, never the token.

    A browser sends its CORS preflight without credentials, so a preflight
    never holds a token. Put a CORS middleware *outside* this one and it
    answers every preflight itself, before any token is asked for; or choose
    ``cors_preflight=True`` to let preflights reach the application, whose
    ``OPTIONS`` handlers must then do no work.

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

    __slots__ = (
        "_app",
        "_cors_preflight",
        "_exempting",
        "_get_token",
        "_guard",
        "_metadata_path",
        "_optional",
        "_required",
        "_starlette",
        "_verify",
    )

    def __init__(
        self,
        app: ASGIApp,
        *,
        verifier: JWTVerifier,
        exempt: Collection[str] | ExemptRule = (),
        optional: bool = False,
        realm: str | None = None,
        required_scopes: Collection[str] = (),
        is_revoked: Callable[[dict[str, Any]], bool | Awaitable[bool]] | None = None,
        resource_metadata: str | ProtectedResource | None = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        cors_preflight: bool = False,
    ) -> None:
        """Check the configuration: a mistake fails here, when the application starts.

        Args:
            app: The ASGI application to protect.
            verifier: The :class:`~minijwt.JWTVerifier` (for access tokens, see
                :meth:`~minijwt.JWTVerifier.access_token`).
            exempt: Paths that need no token: exact (``"/health"``), prefixes
                (``"/docs*"``: ``/docs`` itself and what lies below it on a
                ``/`` boundary, ``/docs/...``; not ``/docsadmin`` or
                ``/docs.json``), or a function ``(method, path) -> bool``.
                A path below a prefix still needs a token when it holds a
                ``.`` or ``..`` segment (a backslash counts as a separator
                when looking for them), ``//``, or a ``%`` left after
                decoding: whatever resolves it downstream may land outside
                the prefix.
            optional: Let requests without a token through, with
                ``jwt_claims`` set to ``None``; a bad token is still refused.
            realm: The challenges' ``realm``.
            required_scopes: Scopes every token must grant (``scope`` or ``scp``
                claim); else 403.
            is_revoked: ``(claims) -> bool``, a plain or a coroutine function:
                true refuses the token (401, "token revoked").
            resource_metadata: The URL of this API's RFC 9728 metadata, added to
                every challenge; or a :class:`ProtectedResource`, which is
                served at its well-known URL as well.
            get_token: ``(headers) -> str | None``, asked when the request has
                no ``Authorization`` header, to read a token from elsewhere
                (a cookie ...). ``headers`` maps lowercase names to values.
            error_detail: Tell the client why its token was refused
                (``error_description``, in the body and the challenge). With
                ``False``, a refusal carries its error code only, and a 403
                the ``scope`` needed; the log still has the reason.
            cors_preflight: Let a CORS preflight (``OPTIONS`` with
                ``Access-Control-Request-Method``) reach the application
                without a token, with ``jwt_claims`` set to ``None``. Off by
                default: any client can send those headers, so an ``OPTIONS``
                handler that does work would run unauthenticated. A CORS
                middleware placed outside this one answers preflights
                itself, and needs no such choice.

        Raises:
            InvalidOptionError: An option is invalid: ``verifier`` is not a
                ``JWTVerifier``, ``exempt`` or a scope is malformed,
                ``optional`` with ``required_scopes`` ...
        """
        self._app = app
        self._guard = guard = Guard(
            verifier,
            exempt=exempt,
            optional=optional,
            realm=realm,
            required_scopes=required_scopes,
            is_revoked=is_revoked,
            resource_metadata=resource_metadata,
            get_token=get_token,
            error_detail=error_detail,
            cors_preflight=cors_preflight,
        )
        self._verify = verifier.adecode
        self._required = guard.required_scopes
        self._optional = guard.optional
        self._get_token = guard.get_token
        self._metadata_path = guard.metadata_path
        self._starlette = _starlette_types()
        self._exempting = guard.exempts_anything
        self._cors_preflight = guard.cors_preflight

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then call the application or answer a refusal."""
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self._app(scope, receive, send)  # lifespan, and anything else
            return
        guard = self._guard
        path: str = scope["path"]
        method: str = scope.get("method", "GET")
        if self._exempting and guard.exempted(method, path):
            # The key is set on every request that reaches the application,
            # so that a handler serving several paths can read it on each.
            self._set(scope, None)
            await self._app(scope, receive, send)
            return
        values = [value for name, value in scope["headers"] if name == b"authorization"]
        if (
            self._cors_preflight
            and method == "OPTIONS"
            and any(name == b"access-control-request-method" for name, _ in scope["headers"])
        ):
            self._set(scope, None)
            await self._app(scope, receive, send)  # chosen: a CORS preflight carries no credentials
            return
        if path == self._metadata_path and guard.metadata is not None and method in {"GET", "HEAD"}:
            await self._answer(scope, receive, send, guard.metadata)
            return
        token: str | None = None
        # "Bearer <token>", as clients send it, is verified without the grammar
        # check: a JWT that verifies is a b64token. On failure the grammar
        # decides between a malformed request (400) and a bad token (401).
        unchecked: bytes | None = None
        try:
            if len(values) == 1:
                value = values[0]
                # White space around the value is not part of it (RFC 9110
                # §5.5): such a value takes the full reading.
                if value[:7] == b"Bearer " and value[7:8] != b" " and value[-1:] not in b" \t" and value.isascii():
                    token, unchecked = value[7:].decode("ascii"), value
                else:
                    token = token_from_header(value)
            elif values:
                raise MalformedRequest("the request has several Authorization headers")
            if token is None and self._get_token is not None:
                token = check_hook_token(self._get_token(_header_map(scope)))
        except MalformedRequest as exc:
            await self._answer(scope, receive, send, guard.refuse(exc, method, path))
            return
        if token is None:
            if self._optional:
                self._set(scope, None)
                await self._app(scope, receive, send)
            else:
                await self._answer(scope, receive, send, guard.refuse_missing(method, path))
            return
        try:
            claims = await self._verify(token)
        except (InvalidTokenError, JWKSFetchError) as exc:
            problem: Exception = exc
            if unchecked is not None:
                try:
                    token_from_header(unchecked)
                except MalformedRequest as malformed:
                    problem = malformed
            await self._answer(scope, receive, send, guard.refuse(problem, method, path, token))
            return
        required = self._required
        if required:
            missing = guard.missing_scopes(claims, required)
            if missing:
                await self._answer(scope, receive, send, guard.refuse_scope(missing, required, method, path))
                return
        is_revoked = guard.is_revoked
        if is_revoked is not None:
            revoked = is_revoked(claims)
            if inspect.isawaitable(revoked):
                revoked = await revoked
            if revoked:
                await self._answer(scope, receive, send, guard.refuse_revoked(method, path))
                return
        self._set(scope, claims)
        await self._app(scope, receive, send)

    def _set(self, scope: Scope, claims: dict[str, Any] | None) -> None:
        state = scope.get("state")
        if state is None:
            scope["state"] = {"jwt_claims": claims}
        else:
            state["jwt_claims"] = claims
        starlette = self._starlette
        if starlette is not None:
            credentials, user, no_credentials, anonymous = starlette
            if claims is None:
                scope["auth"], scope["user"] = no_credentials, anonymous
            else:
                scope["auth"], scope["user"] = credentials(claims), user(claims)

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
