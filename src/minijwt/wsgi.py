"""Bearer-token protection for any WSGI application (PEP 3333: Flask, Django, Falcon, Pyramid ...).

:class:`JWTAuthMiddleware` is the WSGI twin of :class:`minijwt.asgi.JWTAuthMiddleware`:
the same options, the same answers; the claims go to
``environ["minijwt.claims"]``.

Example:
    >>> import minijwt
    >>> from minijwt.wsgi import JWTAuthMiddleware
    >>> secret = b"a-secret-of-at-least-32-bytes!!!"
    >>> def app(environ, start_response):
    ...     start_response("200 OK", [("Content-Type", "text/plain")])
    ...     return [environ["minijwt.claims"]["sub"].encode()]
    >>> protected = JWTAuthMiddleware(app, verifier=minijwt.JWTVerifier(secret, algorithms=["HS256"]))
    >>> def call(authorization=None):
    ...     environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/orders"}
    ...     if authorization is not None:
    ...         environ["HTTP_AUTHORIZATION"] = authorization
    ...     status = []
    ...     body = protected(environ, lambda line, headers: status.append(line))
    ...     return status[0], b"".join(body)
    >>> call("Bearer " + minijwt.encode({"sub": "alice"}, secret))
    ('200 OK', b'alice')
    >>> call("Bearer not a token")[0]
    '400 Bad Request'
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Protocol

from ._bearer import (
    Answer,
    ExemptRule,
    Guard,
    MalformedRequest,
    ProtectedResource,
    TokenHook,
    call_is_revoked_sync,
    check_hook_token,
    token_from_header,
)
from .errors import InvalidTokenError, JWKSFetchError
from .jwt import JWTVerifier

__all__ = ["JWTAuthMiddleware", "ProtectedResource"]

#: The environ key of the verified claims.
CLAIMS_KEY = "minijwt.claims"


class _StartResponse(Protocol):
    """The WSGI ``start_response`` callable (PEP 3333)."""

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None, /) -> Any: ...


_WSGIApp = Callable[[dict[str, Any], _StartResponse], Iterable[bytes]]


class JWTAuthMiddleware:
    """WSGI middleware that lets through only requests with a valid bearer token.

    The rules and answers are those of :class:`minijwt.asgi.JWTAuthMiddleware`;
    the token is verified with ``verifier.decode``, so its key must answer
    synchronously (a :class:`~minijwt.JWKSClient`, not an
    ``AsyncJWKSClient``). The claims go to ``environ["minijwt.claims"]``,
    which every request that reaches the application has: ``None`` on an
    exempt path, for a CORS preflight let through by ``cors_preflight=True``,
    and for a request let through by ``optional=True``.

    Several ``Authorization`` headers reach a WSGI application joined into
    one (PEP 3333), which the grammar refuses: the same 400 as in ASGI.

    Example:
        With Flask::

            app.wsgi_app = JWTAuthMiddleware(app.wsgi_app, verifier=verifier, exempt=["/health"])
    """

    __slots__ = (
        "_app",
        "_cors_preflight",
        "_get_token",
        "_guard",
        "_metadata_path",
        "_optional",
        "_required",
        "_verify",
    )

    def __init__(
        self,
        app: _WSGIApp,
        *,
        verifier: JWTVerifier,
        exempt: Collection[str] | ExemptRule = (),
        optional: bool = False,
        realm: str | None = None,
        required_scopes: Collection[str] = (),
        is_revoked: Callable[[dict[str, Any]], bool] | None = None,
        resource_metadata: str | ProtectedResource | None = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        cors_preflight: bool = False,
    ) -> None:
        """Check the configuration (see :class:`minijwt.asgi.JWTAuthMiddleware` for each option).

        ``is_revoked`` must be a plain function here. ``error_detail=False``
        sends the client the error code only (and, for a 403, the ``scope``
        needed), without ``error_description``. ``cors_preflight=True`` lets
        a CORS preflight (``OPTIONS`` with ``Access-Control-Request-Method``)
        reach the application without a token; off by default, since any
        client can send those headers and an ``OPTIONS`` handler that does
        work would run unauthenticated. A CORS middleware placed outside this
        one answers preflights itself.

        Raises:
            InvalidOptionError: An option is invalid, ``is_revoked`` is a
                coroutine function, or the verifier can only ``adecode``.
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
            sync_only=True,
        )
        self._verify = verifier.decode
        self._required = guard.required_scopes
        self._optional = guard.optional
        self._get_token = guard.get_token
        self._metadata_path = guard.metadata_path
        self._cors_preflight = guard.cors_preflight

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        """Check the request, then call the application or answer a refusal."""
        guard = self._guard
        raw_path: str = environ.get("PATH_INFO", "")
        # PEP 3333 carries the path's bytes as latin-1 text; compare the UTF-8 text.
        path = raw_path if raw_path.isascii() else raw_path.encode("latin-1").decode("utf-8", "replace")
        method: str = environ.get("REQUEST_METHOD", "GET")
        if guard.exempted(method, path):
            # The key is set on every request that reaches the application,
            # so that a handler serving several paths can read it on each.
            environ[CLAIMS_KEY] = None
            return self._app(environ, start_response)
        if self._cors_preflight and method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in environ:
            environ[CLAIMS_KEY] = None
            return self._app(environ, start_response)  # chosen: a CORS preflight carries no credentials
        if path == self._metadata_path and guard.metadata is not None and method in {"GET", "HEAD"}:
            return _respond(start_response, guard.metadata, method)
        authorization = environ.get("HTTP_AUTHORIZATION")
        token: str | None = None
        # "Bearer <token>" is verified without the grammar check (a JWT that
        # verifies is a b64token); on failure the grammar decides 400 or 401.
        unchecked: str | None = None
        try:
            if authorization is not None:
                # White space around the value is not part of it (RFC 9110
                # §5.5): such a value takes the full reading.
                if authorization[:7] == "Bearer " and authorization[7:8] != " " and authorization[-1:] not in " \t":
                    token, unchecked = authorization[7:], authorization
                else:
                    token = token_from_header(authorization)
            if token is None and self._get_token is not None:
                token = check_hook_token(self._get_token(_header_map(environ)))
        except MalformedRequest as exc:
            return _respond(start_response, guard.refuse(exc, method, path), method)
        if token is None:
            if self._optional:
                environ[CLAIMS_KEY] = None
                return self._app(environ, start_response)
            return _respond(start_response, guard.refuse_missing(method, path), method)
        try:
            claims = self._verify(token)
        except (InvalidTokenError, JWKSFetchError) as exc:
            problem: Exception = exc
            if unchecked is not None:
                try:
                    token_from_header(unchecked)
                except MalformedRequest as malformed:
                    problem = malformed
            return _respond(start_response, guard.refuse(problem, method, path, token), method)
        required = self._required
        if required:
            missing = guard.missing_scopes(claims, required)
            if missing:
                return _respond(start_response, guard.refuse_scope(missing, required, method, path), method)
        if guard.is_revoked is not None and call_is_revoked_sync(guard.is_revoked, claims):
            return _respond(start_response, guard.refuse_revoked(method, path), method)
        environ[CLAIMS_KEY] = claims
        return self._app(environ, start_response)


def _respond(start_response: _StartResponse, answer: Answer, method: str) -> list[bytes]:
    start_response(answer.status_line, list(answer.headers))
    return [] if method == "HEAD" else [answer.body]


def _header_map(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers for ``get_token``: lowercase names (``HTTP_X_Y`` becomes ``x-y``)."""
    headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if name in environ:
            headers[name.replace("_", "-").lower()] = environ[name]
    return headers
