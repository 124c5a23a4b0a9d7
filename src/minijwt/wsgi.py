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

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from ._bearer import Answer, BearerMiddleware, DPoPClaims, ProtectedResource, RevocationHook, run_sync, wsgi_url
from .jwt import TokenVerifier

__all__ = ["JWTAuthMiddleware", "ProtectedResource"]

#: The environ key of the verified claims.
CLAIMS_KEY = "minijwt.claims"
#: The environ key of the verified DPoP proof (a :class:`~minijwt.dpop.DPoPResult`), with ``dpop=``.
DPOP_KEY = "minijwt.dpop"


class _StartResponse(Protocol):
    """The WSGI ``start_response`` callable (PEP 3333)."""

    def __call__(self, status: str, headers: list[tuple[str, str]], exc_info: Any = None, /) -> Any: ...


_WSGIApp = Callable[[dict[str, Any], _StartResponse], Iterable[bytes]]


class JWTAuthMiddleware(BearerMiddleware[_WSGIApp, RevocationHook]):
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

    __slots__ = ("_verify",)
    _sync_only = True

    def _prepare(self, verifier: TokenVerifier) -> None:
        self._verify = verifier.decode

    def _url_parts(self, request: dict[str, Any]) -> tuple[str, str, str]:
        return wsgi_url(request)

    def __call__(self, environ: dict[str, Any], start_response: _StartResponse) -> Iterable[bytes]:
        """Check the request, then call the application or answer a refusal."""
        raw_path: str = environ.get("PATH_INFO", "")
        # PEP 3333 carries the path's bytes as latin-1 text; compare the UTF-8 text.
        path = raw_path if raw_path.isascii() else raw_path.encode("latin-1").decode("utf-8", "replace")
        method: str = environ.get("REQUEST_METHOD", "GET")
        authorization = environ.get("HTTP_AUTHORIZATION")
        outcome = run_sync(
            self._guard,
            self._verify,
            method,
            path,
            () if authorization is None else (authorization,),
            environ,
            _header_map,
        )
        if type(outcome) is Answer:
            start_response(outcome.status_line, list(outcome.headers))
            return [] if method == "HEAD" else [outcome.body]
        if self._guard.dpop is not None:
            dpop = None
            if type(outcome) is DPoPClaims:
                outcome, dpop = outcome
            environ[DPOP_KEY] = dpop
        # The key is set on every request that reaches the application (None
        # without a token), so that a handler serving several paths can read it.
        environ[CLAIMS_KEY] = outcome
        return self._app(environ, start_response)


def _header_map(environ: Mapping[str, Any]) -> dict[str, str]:
    """The request's headers for ``get_token``: lowercase names (``HTTP_X_Y`` becomes ``x-y``)."""
    headers = {name[5:].replace("_", "-").lower(): value for name, value in environ.items() if name.startswith("HTTP_")}
    for name in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if name in environ:
            headers[name.replace("_", "-").lower()] = environ[name]
    return headers
