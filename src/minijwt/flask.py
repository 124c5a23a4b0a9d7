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

from ._bearer import (
    Answer,
    Guard,
    MalformedRequest,
    ProtectedResource,
    TokenHook,
    call_is_revoked_sync,
    check_hook_token,
    check_scopes,
    token_from_headers,
)
from .errors import InvalidOptionError, InvalidTokenError, JWKSFetchError
from .jwt import JWTVerifier

__all__ = ["JWTAuth"]

F = TypeVar("F", bound=Callable[..., Any])


class JWTAuth:
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

    def __init__(
        self,
        verifier: JWTVerifier,
        *,
        realm: str | None = None,
        is_revoked: Callable[[dict[str, Any]], bool] | None = None,
        resource_metadata: str | ProtectedResource | None = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        cors_preflight: bool = False,
    ) -> None:
        """Check the configuration: a mistake fails here, when the application starts.

        Args:
            verifier: The :class:`~minijwt.JWTVerifier`.
            realm: The challenges' ``realm``.
            is_revoked: ``(claims) -> bool`` (a plain function): true refuses
                the token (401, "token revoked").
            resource_metadata: The URL of this API's RFC 9728 metadata for the
                challenges, or a :class:`~minijwt.asgi.ProtectedResource`
                (serve its ``to_dict()`` at its ``metadata_path`` yourself, or
                use :class:`minijwt.wsgi.JWTAuthMiddleware`).
            get_token: ``(headers) -> str | None``, asked when the request has
                no ``Authorization`` header.
            error_detail: Tell the client why its token was refused
                (``error_description``). With ``False``, a refusal carries its
                error code only, and a 403 the ``scope`` needed.
            cors_preflight: Let a CORS preflight (``OPTIONS`` with
                ``Access-Control-Request-Method``) into a decorated view that
                lists ``OPTIONS``, without a token, with ``g.jwt_claims`` set
                to ``None``. Off by default: any client can send those
                headers, so a view that does work on ``OPTIONS`` would run
                unauthenticated.

        Raises:
            InvalidOptionError: An option is invalid, or the verifier can only ``adecode``.
        """
        self._guard = Guard(
            verifier,
            realm=realm,
            is_revoked=is_revoked,
            resource_metadata=resource_metadata,
            get_token=get_token,
            error_detail=error_detail,
            cors_preflight=cors_preflight,
            sync_only=True,
        )
        self._verify = verifier.decode

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
        required = check_scopes(scopes, "scopes")
        if type(optional) is not bool or (optional and required):
            raise InvalidOptionError(
                "optional must be True or False"
                if type(optional) is not bool
                else "optional=True lets requests without a token through: it cannot require scopes"
            )

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
        guard = self._guard
        request = flask.request
        method, path = request.method, request.path
        if guard.cors_preflight and method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            flask.g.jwt_claims = None  # chosen: a CORS preflight carries no credentials
            return None
        token: str | None = None
        try:
            token = token_from_headers(request.headers.getlist("Authorization"))
            if token is None and guard.get_token is not None:
                token = check_hook_token(guard.get_token(cast("Mapping[str, str]", request.headers)))
        except MalformedRequest as exc:
            return guard.refuse(exc, method, path)
        if token is None:
            if optional:
                flask.g.jwt_claims = None
                return None
            return guard.refuse_missing(method, path)
        try:
            claims = self._verify(token)
        except (InvalidTokenError, JWKSFetchError) as exc:
            return guard.refuse(exc, method, path, token)
        if required:
            missing = guard.missing_scopes(claims, required)
            if missing:
                return guard.refuse_scope(missing, required, method, path)
        if guard.is_revoked is not None and call_is_revoked_sync(guard.is_revoked, claims):
            return guard.refuse_revoked(method, path)
        flask.g.jwt_claims = claims
        return None
