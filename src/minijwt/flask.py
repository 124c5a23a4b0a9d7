"""Bearer-token protection for Flask views (install ``minijwt[flask]``).

:class:`JWTAuth` decorates the views that need a token:
``@jwt_auth.required()`` or ``@jwt_auth.required(scopes=["orders:read"])``.
The claims of a valid token go to ``flask.g.jwt_claims``; a refusal gets the
answers of :class:`minijwt.wsgi.JWTAuthMiddleware`.

Example:
    >>> import flask, minijwt
    >>> from minijwt.flask import JWTAuth
    >>> secret = b"a-secret-of-at-least-32-bytes!!!"
    >>> jwt_auth = JWTAuth(minijwt.JWTVerifier(secret, algorithms=["HS256"]))
    >>> app = flask.Flask("orders")
    >>> @app.get("/orders")
    ... @jwt_auth.required(scopes=["orders:read"])
    ... def orders():
    ...     return {"user": flask.g.jwt_claims["sub"]}
    >>> client = app.test_client()
    >>> token = minijwt.encode({"sub": "alice", "scope": "orders:read"}, secret)
    >>> client.get("/orders", headers={"Authorization": f"Bearer {token}"}).json
    {'user': 'alice'}
    >>> client.get("/orders").status_code
    401
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar, cast, overload

try:
    import flask
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess by the tests
    raise ImportError("minijwt.flask needs Flask, which is not installed: pip install 'minijwt[flask]'") from _missing

from ._bearer import Answer, BearerViews, DPoPClaims, RevocationHook, check_requirements, run_sync, wsgi_url
from .jwt import TokenVerifier

__all__ = ["JWTAuth"]

F = TypeVar("F", bound=Callable[..., Any])


class JWTAuth(BearerViews[RevocationHook]):
    """Bearer-token checks for Flask views, with one verifier.

    Make one at start-up and decorate views with :meth:`required`. The token
    is verified with ``verifier.decode``, so its key must answer synchronously
    (a :class:`~minijwt.JWKSClient`, not an ``AsyncJWKSClient``). A view
    without the decorator is not checked (nothing to exempt):
    ``flask.g.get("jwt_claims")`` is ``None`` there.

    Flask answers ``OPTIONS`` itself for a view that does not list it among
    its methods, without running the view: CORS preflights to such views
    need no token. A decorated view that lists ``OPTIONS`` is checked on a
    preflight too, unless ``cors_preflight=True``.
    """

    _sync_only = True

    def _prepare(self, verifier: TokenVerifier) -> None:
        self._verify = verifier.decode

    def _url_parts(self, request: flask.Request) -> tuple[str, str, str]:
        return wsgi_url(request.environ)

    @overload
    def required(self, view: F, /) -> F: ...

    @overload
    def required(self, /, *, scopes: Collection[str] = (), optional: bool = False) -> Callable[[F], F]: ...

    def required(
        self, view: Callable[..., Any] | None = None, /, *, scopes: Collection[str] = (), optional: bool = False
    ) -> Any:
        """Decorate a view so that it runs only with a valid token (``@jwt_auth.required()``).

        Args:
            view: The view, when used bare (``@jwt_auth.required``).
            scopes: Scopes the token must grant (``scope`` or ``scp`` claim); else 403.
            optional: Let requests without a token through, with
                ``g.jwt_claims`` set to ``None``; a bad token is still refused.

        Raises:
            InvalidOptionError: A scope is malformed, or ``optional`` is given
                with ``scopes``.
        """
        required = check_requirements(scopes, optional, "scopes")

        def decorate(function: F) -> F:
            @functools.wraps(function)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                refusal = self._check(required, optional)
                if refusal is not None:
                    return flask.Response(refusal.body, refusal.status, list(refusal.headers))
                return flask.current_app.ensure_sync(function)(*args, **kwargs)

            return wrapper  # type: ignore[return-value]

        return decorate if view is None else decorate(view)

    def _check(self, required: tuple[str, ...], optional: bool) -> Answer | None:
        request = flask.request
        outcome = run_sync(
            self._guard,
            self._verify,
            request.method,
            request.path,
            request.headers.getlist("Authorization"),
            request,
            _headers_of,
            required,
            optional,
        )
        if type(outcome) is Answer:
            return outcome
        if type(outcome) is DPoPClaims:
            outcome, flask.g.dpop = outcome
        elif self._guard.dpop is not None:
            flask.g.dpop = None
        flask.g.jwt_claims = outcome
        return None


def _headers_of(request: flask.Request) -> Mapping[str, str]:
    """What ``get_token`` is given: Flask's ``request.headers``."""
    return cast("Mapping[str, str]", request.headers)
