"""Bearer-token protection, without a web framework: one request flow, and what it answers.

Every decision of the web adapters (:mod:`minijwt.asgi`, :mod:`minijwt.wsgi`,
:mod:`minijwt.fastapi`, :mod:`minijwt.flask`) is made here, in the sans-IO
steps of :class:`Guard` (h11 is the model), driven by :func:`run_sync` or
:func:`run_async`, which alone call the verifier and the hook. An adapter only
translates its framework's request into a method, a path and its headers, and
an :class:`Answer` into its framework's response. The order, the token's place
(RFC 6750 §2.1: the ``Authorization`` header only, never a query or a form
body), the answers (RFC 6750 §3, RFC 9728 §5.1) and what is logged are
described in the documentation's internals page; every option is checked when
the :class:`Guard` is built, that is, when the application starts.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import urllib.parse
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar, cast, final

from ._http import check_url
from .dpop import DPoPResult, DPoPVerifier
from .errors import (
    InvalidDPoPProofError,
    InvalidOptionError,
    InvalidTokenError,
    JWKSFetchError,
    MiniJWTError,
    UseDPoPNonceError,
)
from .jwt import TokenVerifier

__all__ = [
    "REFUSALS",
    "RETRY_AFTER_SECONDS",
    "Answer",
    "AsyncRevocationHook",
    "BearerMiddleware",
    "BearerViews",
    "Bound",
    "CheckRevoked",
    "DPoPClaims",
    "ExemptRule",
    "Guard",
    "MalformedRequestError",
    "Outcome",
    "ProtectedResource",
    "RevocationHook",
    "TokenHook",
    "UrlParts",
    "asgi_url",
    "async_verify",
    "call_is_revoked_sync",
    "check_hook_token",
    "check_requirements",
    "check_scopes",
    "granted_scopes",
    "header_text",
    "run_async",
    "run_sync",
    "token_from_header",
    "token_from_headers",
    "wsgi_url",
]

_log = logging.getLogger("minijwt")

#: ``(method, path) -> bool``: whether a request passes without a token.
ExemptRule = Callable[[str, str], bool]
#: ``(headers) -> token or None``: where else to find a token (a cookie ...).
TokenHook = Callable[[Mapping[str, str]], "str | None"]
#: ``(claims) -> bool``: whether a verified token is revoked (a plain function).
RevocationHook = Callable[[dict[str, Any]], bool]
#: ``(claims) -> bool``, a plain or a coroutine function, for the adapters that can await.
AsyncRevocationHook = Callable[[dict[str, Any]], bool | Awaitable[bool]]

# RFC 6750 §2.1: "Bearer" 1*SP b64token, b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
# The whole header value, in one match: the common case costs one regex call.
# RFC 9110 §5.5: white space (OWS) around a field value is not part of it.
_BEARER_BYTES = re.compile(rb"[ \t]*[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/-]+=*)[ \t]*")
_BEARER_TEXT = re.compile(r"[ \t]*[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/-]+=*)[ \t]*")
_B64TOKEN = re.compile(r"[A-Za-z0-9._~+/-]+=*")
# RFC 9449 §7.1: "DPoP" 1*SP token68, the same grammar as a b64token.
_DPOP_BYTES = re.compile(rb"[ \t]*[Dd][Pp][Oo][Pp] +([A-Za-z0-9._~+/-]+=*)[ \t]*")
_DPOP_TEXT = re.compile(r"[ \t]*[Dd][Pp][Oo][Pp] +([A-Za-z0-9._~+/-]+=*)[ \t]*")
# RFC 6750 §3: error_description and scope values use %x20-21 / %x23-5B / %x5D-7E
# (printable ASCII without '"' and '\'), so a quoted value never needs escaping.
_UNSAFE = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")
# RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_DESCRIPTION_LIMIT = 200
# How long a client should wait after a 503 before trying again: the JWKS
# clients' default cooldown between two fetches.
RETRY_AFTER_SECONDS = 30
_WELL_KNOWN = "/.well-known/oauth-protected-resource"


class MalformedRequestError(Exception):
    """The request's credentials are malformed: answered 400 ``invalid_request``."""

    code = "invalid_request"

    def __init__(self, message: str) -> None:
        """Create the error; ``message`` never holds the header's value."""
        super().__init__(message)
        self.message = message


# --- reading the token ---------------------------------------------------------------------


def token_from_header(value: str | bytes) -> str | None:
    """The bearer token of one ``Authorization`` header value.

    Returns:
        The token, or ``None`` when the header uses another scheme (``Basic``
        ...), which is not a bearer token at all.

    Raises:
        MalformedRequestError: ``Bearer`` with no token, several tokens, or
            characters outside the ``b64token`` grammar.
    """
    match = _BEARER_BYTES.fullmatch(value) if type(value) is bytes else _BEARER_TEXT.fullmatch(value)  # type: ignore[arg-type]
    if match is not None:
        token = match.group(1)
        return token.decode("ascii") if type(token) is bytes else token  # type: ignore[return-value]
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    scheme, _, rest = text.strip(" \t").replace("\t", " ").partition(" ")
    if scheme.lower() != "bearer":
        return None  # another scheme, or an empty header: no bearer token
    # The Bearer scheme, but not the grammar the match above accepts.
    raise MalformedRequestError(_malformed_because(rest))


def _malformed_because(rest: str) -> str:
    """Why what follows "Bearer" is not one b64token after spaces: only the message's words."""
    rest = rest.strip(" ")
    if not rest:
        return "the Authorization header names the Bearer scheme but holds no token"
    if " " in rest or "," in rest:
        return "the Authorization header must hold exactly one bearer token"
    if _B64TOKEN.fullmatch(rest) is None:
        return "the bearer token has characters outside the b64token grammar (RFC 6750 section 2.1)"
    # "Bearer<TAB>token": one token, but not separated by a space.
    return "the Bearer scheme and the token must be separated by spaces"


def _dpop_token(value: str | bytes) -> str | None:
    """The token of an ``Authorization: DPoP <token>`` value (RFC 9449 §7.1), or ``None`` for another one."""
    match = _DPOP_BYTES.fullmatch(value) if type(value) is bytes else _DPOP_TEXT.fullmatch(value)  # type: ignore[arg-type]
    if match is None:
        return None
    token = match.group(1)
    return token.decode("ascii") if type(token) is bytes else token  # type: ignore[return-value]


def token_from_headers(values: Sequence[str] | Sequence[bytes]) -> str | None:
    """The bearer token of a request's ``Authorization`` header values (any number of them).

    Raises:
        MalformedRequestError: Several ``Authorization`` headers, or a malformed one.
    """
    if not values:
        return None
    if len(values) > 1:
        raise MalformedRequestError("the request has several Authorization headers")
    return token_from_header(values[0])


def check_hook_token(token: object) -> str | None:
    """Check what a ``get_token`` hook returned: ``None`` or one ``b64token``.

    Raises:
        MalformedRequestError: The token found is empty or outside the grammar.
        InvalidOptionError: The hook returned something other than text or ``None``.
    """
    if token is None:
        return None
    if type(token) is not str:
        raise InvalidOptionError(f"get_token must return a string or None, not {type(token).__name__}")
    if _B64TOKEN.fullmatch(token) is None:
        raise MalformedRequestError(
            "the token found by get_token is empty or has characters outside the b64token grammar"
        )
    return token


# --- scopes ---------------------------------------------------------------------------------


def granted_scopes(claims: Mapping[str, Any]) -> frozenset[str]:
    """The scopes a token grants: ``scope`` (space-separated, RFC 9068 §2.2.3, RFC 8693 §4.2) and ``scp``.

    ``scope`` is a string; ``scp`` may be a list of names or one
    space-separated string. Anything else in these claims grants nothing.

    Example:
        >>> sorted(granted_scopes({"scope": "orders:read orders:write", "scp": ["admin"]}))
        ['admin', 'orders:read', 'orders:write']
    """
    names: set[str] = set()
    scope = claims.get("scope")
    if type(scope) is str:
        names.update(scope.split(" "))
    scp = claims.get("scp")
    if type(scp) is str:
        names.update(scp.split(" "))
    elif type(scp) is list:
        names.update(item for item in scp if type(item) is str)
    names.discard("")
    return frozenset(names)


def check_scopes(scopes: object, what: str = "required_scopes") -> tuple[str, ...]:
    """Validate a list of scope names (RFC 6749 §3.3 scope-tokens).

    Raises:
        InvalidOptionError: Not a collection of scope-tokens (a single string
            is refused: write ``["orders:read"]``).
    """
    if isinstance(scopes, (str, bytes)) or not isinstance(scopes, Iterable):
        raise InvalidOptionError(f"{what} must be a list of scope names, not {type(scopes).__name__}")
    names = tuple(scopes)
    for name in names:
        if type(name) is not str or _SCOPE_TOKEN.fullmatch(name) is None:
            raise InvalidOptionError(f"{what}: {name!r} is not a scope name (printable ASCII, no space, quote or \\)")
    return tuple(dict.fromkeys(names))


def check_requirements(scopes: object, optional: object, what: str = "required_scopes") -> tuple[str, ...]:
    """Validate what a request needs: its scopes, and whether it may come without a token (not both).

    The guard's options and a Flask view's (``scopes=``, ``optional=``) are
    checked here alike.

    Example:
        >>> check_requirements(["orders:read", "orders:read"], False)
        ('orders:read',)

    Raises:
        InvalidOptionError: ``optional`` is not a bool, a scope is malformed,
            or ``optional=True`` comes with scopes.
    """
    if type(optional) is not bool:
        raise InvalidOptionError("optional must be True or False")
    required = check_scopes(scopes, what)
    if optional and required:
        raise InvalidOptionError("optional=True lets requests without a token through: it cannot require scopes")
    return required


# --- what to answer --------------------------------------------------------------------------


def header_text(message: str, token: str | None = None) -> str:
    """A message made safe for a quoted header parameter and a client's eyes.

    The token (should it appear) is cut out, every character outside
    RFC 6750's set (printable ASCII without ``"`` and ``\\``) is replaced, and
    the text is shortened.

    Example:
        >>> header_text('bad "kid"\\r\\nSet-Cookie: x=1')
        "bad 'kid'??Set-Cookie: x=1"
    """
    if token and token in message:
        message = message.replace(token, "[token]")
    message = message.replace('"', "'")
    text = _UNSAFE.sub("?", message)
    if len(text) > _DESCRIPTION_LIMIT:
        text = text[: _DESCRIPTION_LIMIT - 3] + "..."
    return text


@final  # the adapters test type(outcome) is Answer, cheaper than isinstance per request
@dataclass(frozen=True, slots=True)
class Answer:
    """A response decided without the application: a refusal, or the resource metadata.

    Attributes:
        status: The HTTP status.
        reason: Its reason phrase.
        headers: The response headers, ``Content-Type`` and ``Content-Length`` included.
        body: The JSON body.
        error: The OAuth error code of the body (``invalid_token`` ...), for
            frameworks that build their own responses.
        description: The body's ``error_description`` (empty when the
            guard sends none, ``error_detail=False``).
    """

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    error: str = ""
    description: str = ""
    auth_headers: tuple[tuple[str, str], ...] = field(default=())

    @property
    def status_line(self) -> str:
        """``"401 Unauthorized"``, for WSGI's ``start_response``."""
        return f"{self.status} {self.reason}"


_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    503: "Service Unavailable",
}


def _answer(
    status: int, body: Mapping[str, Any], auth_headers: tuple[tuple[str, str], ...], *, cache: str = "no-store"
) -> Answer:
    content = json.dumps(body, separators=(",", ":")).encode()
    headers = (
        *auth_headers,
        ("content-type", "application/json"),
        ("content-length", str(len(content))),
        ("cache-control", cache),
    )
    return Answer(
        status,
        _REASONS[status],
        headers,
        content,
        str(body.get("error", "")),
        str(body.get("error_description", "")),
        auth_headers,
    )


# --- the request flow: its steps, its outcome, its two drivers ------------------------------


class CheckRevoked(NamedTuple):
    """What :meth:`Guard.settle` asks: this ``is_revoked`` hook's answer on the claims, for :meth:`Guard.revocation`.

    The driver holds the claims it gave :meth:`Guard.settle`; the step is
    built once, with the guard, so that no request allocates one.
    """

    is_revoked: Callable[[dict[str, Any]], object]


class Bound(NamedTuple):
    """What :meth:`Guard.begin` hands back for ``Authorization: DPoP <token>``: a token that needs its proof."""

    token: str


class DPoPClaims(NamedTuple):
    """The outcome of a request with a DPoP-bound token: its claims, and the proof that held (RFC 9449)."""

    claims: dict[str, Any]
    dpop: DPoPResult


#: ``(request) -> (scheme, host, path)``: the URL the request reached, as the
#: server saw it (the path whole, as sent); an adapter's, for DPoP's ``htu``.
UrlParts = Callable[[Any], tuple[str, str, str]]

#: What the steps decide: an :class:`Answer` to send instead of the
#: application's, or the claims to hand the application (``None``: the
#: request passes without a token: exempt, a chosen preflight, optional;
#: :class:`DPoPClaims` for a DPoP-bound token).
Outcome = Answer | dict[str, Any] | DPoPClaims | None
#: What a verifier raises that the steps answer (401, 503): any other error
#: is not the client's and propagates.
REFUSALS = (InvalidTokenError, JWKSFetchError)
_METADATA_METHODS = frozenset({"GET", "HEAD"})
# The application's type (a middleware's), and the request's (a step's).
AppT = TypeVar("AppT")
RequestT = TypeVar("RequestT")


def run_sync(  # noqa: PLR0917 - positional: every request passes them
    guard: Guard,
    verify: Callable[[str], dict[str, Any]],
    method: str,
    path: str,
    authorization: Sequence[str] | Sequence[bytes],
    request: RequestT,
    headers_of: Callable[[RequestT], Mapping[str, str]],
    required: tuple[str, ...] | None = None,
    optional: bool | None = None,
) -> Outcome:
    """Drive the steps of one request where nothing can be awaited (WSGI, Flask).

    ``verify`` is ``verifier.decode``; the other arguments are
    :meth:`Guard.begin`'s and :meth:`Guard.settle`'s. The driver only calls
    the verifier and the hook and hands their answers to the guard.

    Raises:
        InvalidOptionError: An ``is_revoked`` hook returned an awaitable.
    """
    # The common request costs no call to begin: nothing to decide before the
    # token (guard.direct), and one text value "Bearer <token>" as clients
    # send it, which begin would take as it is. begin reads any other.
    value = authorization[0] if guard.direct and len(authorization) == 1 else None
    if type(value) is str and value[:7] == "Bearer " and value[7:8] != " " and value[-1:] not in " \t":
        token = value[7:]
    else:
        begun = guard.begin(method, path, authorization, request, headers_of, optional)
        if not isinstance(begun, str):
            if type(begun) is Bound:
                return _run_bound_sync(guard, verify, begun.token, method, path, request, headers_of, required)
            return cast("Answer | None", begun)
        token = begun
    try:
        claims = verify(token)
    except REFUSALS as refusal:
        return guard.refuse_token(refusal, token, authorization, method, path)
    # RFC 9449 §7.2: a DPoP-bound token (cnf.jkt) sent as a bearer token is
    # refused whatever the configuration; with dpop_required, any bearer token.
    if "cnf" in claims or guard.dpop_required:
        downgraded = guard.refuse_bearer(claims, method, path)
        if downgraded is not None:
            return downgraded
    if required is None and not guard.settles:
        return claims
    step = guard.settle(claims, method, path, required)
    if isinstance(step, CheckRevoked):
        return guard.revocation(claims, call_is_revoked_sync(step.is_revoked, claims), method, path)
    return step


def _run_bound_sync(  # noqa: PLR0917 - the driver's own arguments, passed on
    guard: Guard,
    verify: Callable[[str], dict[str, Any]],
    token: str,
    method: str,
    path: str,
    request: RequestT,
    headers_of: Callable[[RequestT], Mapping[str, str]],
    required: tuple[str, ...] | None,
) -> Outcome:
    """:func:`run_sync` for ``Authorization: DPoP``: the token, then its proof, then scopes and revocation."""
    try:
        claims = verify(token)
        proof = guard.proof_check(claims, token, method, request, headers_of)
        result = guard.dpop.verify(proof.proofs, method=method, url=proof.url, access_token=token, cnf_jkt=proof.jkt)  # type: ignore[union-attr]
    except REFUSALS as refusal:
        return guard.refuse(refusal, method, path, token, scheme="DPoP")
    step = guard.settle(claims, method, path, required)
    if isinstance(step, CheckRevoked):
        step = guard.revocation(claims, call_is_revoked_sync(step.is_revoked, claims), method, path)
    return DPoPClaims(claims, result) if step is claims else step


async def run_async(  # noqa: PLR0917 - positional: every request passes them
    guard: Guard,
    verify: Callable[[str], dict[str, Any] | Awaitable[dict[str, Any]]],
    method: str,
    path: str,
    authorization: Sequence[str] | Sequence[bytes],
    request: RequestT,
    headers_of: Callable[[RequestT], Mapping[str, str]],
    required: tuple[str, ...] | None = None,
    optional: bool | None = None,
) -> Outcome:
    """Drive the steps of one request on an event loop (ASGI, FastAPI): a hook may be a coroutine.

    ``verify`` is :func:`async_verify`'s choice: ``verifier.decode`` when its
    keys never wait, which returns the claims, else ``verifier.adecode``,
    whose awaitable is awaited.
    """
    token = guard.begin(method, path, authorization, request, headers_of, optional)
    if not isinstance(token, str):
        if type(token) is Bound:
            return await _run_bound_async(guard, verify, token.token, method, path, request, headers_of, required)
        return cast("Answer | None", token)
    try:
        claims = verify(token)
        if type(claims) is not dict:
            claims = await cast("Awaitable[dict[str, Any]]", claims)
    except REFUSALS as refusal:
        return guard.refuse_token(refusal, token, authorization, method, path)
    if "cnf" in claims or guard.dpop_required:  # RFC 9449 §7.2, as in run_sync
        downgraded = guard.refuse_bearer(claims, method, path)
        if downgraded is not None:
            return downgraded
    if required is None and not guard.settles:
        return claims
    step = guard.settle(claims, method, path, required)
    if isinstance(step, CheckRevoked):
        revoked = step.is_revoked(claims)
        if inspect.isawaitable(revoked):
            revoked = await revoked
        return guard.revocation(claims, revoked, method, path)
    return step


async def _run_bound_async(  # noqa: PLR0917 - the driver's own arguments, passed on
    guard: Guard,
    verify: Callable[[str], dict[str, Any] | Awaitable[dict[str, Any]]],
    token: str,
    method: str,
    path: str,
    request: RequestT,
    headers_of: Callable[[RequestT], Mapping[str, str]],
    required: tuple[str, ...] | None,
) -> Outcome:
    """:func:`run_async` for ``Authorization: DPoP``: :func:`_run_bound_sync`'s steps, awaiting what may wait."""
    try:
        verified = verify(token)
        claims = verified if type(verified) is dict else await cast("Awaitable[dict[str, Any]]", verified)
        checked = guard.proof_check(claims, token, method, request, headers_of)
        dpop = cast("DPoPVerifier", guard.dpop)
        result = await dpop.averify(
            checked.proofs, method=method, url=checked.url, access_token=token, cnf_jkt=checked.jkt
        )
    except REFUSALS as refusal:
        return guard.refuse(refusal, method, path, token, scheme="DPoP")
    step = guard.settle(claims, method, path, required)
    if isinstance(step, CheckRevoked):
        revoked = step.is_revoked(claims)
        step = guard.revocation(claims, await revoked if inspect.isawaitable(revoked) else revoked, method, path)
    return DPoPClaims(claims, result) if step is claims else step


# RFC 3986 §3.3: what a path may hold unescaped (pchar and "/").
_PATH_SAFE = "/:@!$&'()*+,;=~"


def asgi_url(scope: Mapping[str, Any]) -> tuple[str, str, str]:
    """The scheme, host and path an ASGI request reached, the path as sent (its raw bytes) and ``root_path`` once."""
    host = ""
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host and scope.get("server"):
        server_host, port = scope["server"][0], scope["server"][1]
        host = f"{server_host}:{port}" if port is not None else str(server_host)
    raw = scope.get("raw_path")
    path = raw.decode("latin-1") if raw else urllib.parse.quote(scope.get("path", ""), safe=_PATH_SAFE)
    root = scope.get("root_path") or ""
    # Recent servers put root_path in path already; older ones leave it out.
    if root and not path.startswith(root):
        path = root + path
    return str(scope.get("scheme") or "http"), host, path or "/"


def wsgi_url(environ: Mapping[str, Any]) -> tuple[str, str, str]:
    """The scheme, host and path a WSGI request reached (PEP 3333 §URL Reconstruction), the path as sent."""
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME', '')}:{environ.get('SERVER_PORT', '')}".rstrip(":")
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI")
    if raw:
        path = raw.split("?", 1)[0]
        if "://" in path:  # an absolute request target (RFC 9112 §3.2.2)
            path = "/" + path.split("://", 1)[1].partition("/")[2]
    else:
        # PEP 3333 carries the decoded bytes as latin-1 text: escaped again as sent.
        decoded = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
        path = urllib.parse.quote(decoded, safe=_PATH_SAFE)
    return str(environ.get("wsgi.url_scheme", "http")), str(host), path or "/"


def async_verify(verifier: TokenVerifier) -> Callable[[str], dict[str, Any] | Awaitable[dict[str, Any]]]:
    """The verify function :func:`run_async` is given, chosen once: ``decode`` unless the keys may wait.

    A key that never waits (a secret, a :class:`~minijwt.JWK` or
    :class:`~minijwt.JWKSet`, a key source without ``aresolve_key``) is
    verified without a coroutine of its own.
    """
    return verifier.adecode if verifier.may_wait else verifier.decode


# --- protected resource metadata (RFC 9728) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProtectedResource:
    """This API's OAuth 2.0 protected resource metadata (RFC 9728).

    Given as ``resource_metadata=`` to a middleware, it is served as JSON at
    the well-known URL RFC 9728 §3.1 derives from the resource identifier, and
    every challenge points there (``resource_metadata="…"``, RFC 9728 §5.1),
    so that a client can find which authorization server issues tokens for
    this API.

    Attributes:
        resource: The resource identifier: an ``https`` URL without query or
            fragment (plain ``http`` only for a loopback host), usually the
            audience the tokens carry.
        authorization_servers: The issuer identifiers of the authorization
            servers whose tokens this resource accepts.
        scopes_supported: The scopes this resource understands (optional).
        dpop_signing_alg_values_supported: The algorithms this resource
            accepts for DPoP proofs (RFC 9449 §5.1), when it accepts DPoP.
        dpop_bound_access_tokens_required: Whether it accepts DPoP-bound
            tokens only (RFC 9728 §2); left out when ``None``.

    Example:
        >>> from minijwt.asgi import ProtectedResource
        >>> resource = ProtectedResource(
        ...     resource="https://api.example.com/orders",
        ...     authorization_servers=["https://login.example.com"],
        ... )
        >>> resource.metadata_url
        'https://api.example.com/.well-known/oauth-protected-resource/orders'
        >>> resource.metadata_path
        '/.well-known/oauth-protected-resource/orders'
    """

    resource: str
    authorization_servers: Collection[str] = ()
    scopes_supported: Collection[str] = ()
    dpop_signing_alg_values_supported: Collection[str] | None = None
    dpop_bound_access_tokens_required: bool | None = None

    def __post_init__(self) -> None:
        """Check the identifiers; store the lists as tuples.

        Raises:
            InvalidOptionError: The resource is not an ``https`` URL (or
                loopback ``http``) without query and fragment, or a list is
                malformed.
        """
        _check_resource_url(self.resource, "resource")
        if isinstance(self.authorization_servers, str) or not isinstance(self.authorization_servers, Iterable):
            raise InvalidOptionError("authorization_servers must be a list of issuer URLs")
        servers = tuple(self.authorization_servers)
        for server in servers:
            _check_resource_url(server, "authorization_servers")
        object.__setattr__(self, "authorization_servers", servers)
        object.__setattr__(self, "scopes_supported", check_scopes(self.scopes_supported, "scopes_supported"))
        algs = self.dpop_signing_alg_values_supported
        if algs is not None:
            # The names a DPoPVerifier takes: asymmetric, known, not none.
            object.__setattr__(
                self, "dpop_signing_alg_values_supported", tuple(sorted(DPoPVerifier(algorithms=algs).algorithms))
            )
        if self.dpop_bound_access_tokens_required not in (None, True, False) or (
            self.dpop_bound_access_tokens_required is not None
            and type(self.dpop_bound_access_tokens_required) is not bool
        ):
            raise InvalidOptionError("dpop_bound_access_tokens_required must be True, False or None")

    @property
    def metadata_url(self) -> str:
        """Where the metadata is served, ``/.well-known/oauth-protected-resource`` inserted before the path."""
        parts = urllib.parse.urlsplit(self.resource)
        return urllib.parse.urlunsplit((parts.scheme, parts.netloc, self.metadata_path, "", ""))

    @property
    def metadata_path(self) -> str:
        """The path part of :attr:`metadata_url` (a trailing ``/`` of the resource's path is dropped)."""
        return _WELL_KNOWN + urllib.parse.urlsplit(self.resource).path.rstrip("/")

    def to_dict(self) -> dict[str, Any]:
        """The metadata document (RFC 9728 §2): ``bearer_methods_supported`` is ``["header"]``."""
        document: dict[str, Any] = {"resource": self.resource}
        if self.authorization_servers:
            document["authorization_servers"] = list(self.authorization_servers)
        if self.scopes_supported:
            document["scopes_supported"] = list(self.scopes_supported)
        document["bearer_methods_supported"] = ["header"]
        if self.dpop_signing_alg_values_supported is not None:
            document["dpop_signing_alg_values_supported"] = list(self.dpop_signing_alg_values_supported)
        if self.dpop_bound_access_tokens_required is not None:
            document["dpop_bound_access_tokens_required"] = self.dpop_bound_access_tokens_required
        return document


def _check_resource_url(url: object, what: str) -> str:
    if not isinstance(url, str):
        raise InvalidOptionError(f"{what} must be a URL string")
    try:
        check_url(url, allow_http=False)
    except JWKSFetchError as exc:
        raise InvalidOptionError(f"{what}: {exc.message.replace('fetch keys', 'use a URL')}") from None
    parts = urllib.parse.urlsplit(url)
    if parts.query or parts.fragment or '"' in url or "\\" in url:
        raise InvalidOptionError(f"{what}: the URL must have no query, fragment, quote or backslash")
    return url


# --- the guard ---------------------------------------------------------------------------------


def _exempt_rules(exempt: object) -> tuple[frozenset[str], tuple[str, ...], ExemptRule | None]:
    if callable(exempt):
        return frozenset(), (), exempt
    if isinstance(exempt, (str, bytes)) or not isinstance(exempt, Iterable):
        raise InvalidOptionError('exempt must be a list of paths ("/health", "/docs*") or a function (method, path)')
    exact: set[str] = set()
    prefixes: list[str] = []
    for item in exempt:
        if type(item) is not str or not item.startswith("/"):
            raise InvalidOptionError(f"exempt: {item!r} is not a path starting with '/'")
        if "*" in item[:-1]:
            raise InvalidOptionError(f"exempt: {item!r}: '*' may only end a path, to exempt every path it starts")
        if item.endswith("*"):
            # "/docs*" is the path "/docs" and what lies below it, "/docs/...":
            # a path segment ends at "/" (RFC 3986 §3.3), so "/docsadmin" and
            # "/docs.json" are other resources beside it.
            root = item[:-1]
            exact.add(root)
            prefixes.append(root if root.endswith("/") else root + "/")
        else:
            exact.add(item)
    return frozenset(exact), tuple(prefixes), None


def _may_leave_prefix(path: str) -> bool:
    # "/docs/../admin" starts with "/docs/" but is "/admin" to whatever
    # removes dot segments (RFC 3986 §5.2.4): a proxy, a router, a file
    # server. Some take "\" for "/" (WHATWG URL for http URLs, Windows file
    # APIs), so it separates segments here too; "//" may be read as a new
    # authority. A "%" left in a path the server has decoded was encoded
    # twice: decoded again downstream, "%2e%2e" is "..". Such a path is never
    # exempt by prefix; listed exactly, it still is.
    if "%" in path:
        return True
    if "\\" in path:
        path = path.replace("\\", "/")
    padded = path + "/"
    return "/../" in padded or "/./" in padded or "//" in path


class Guard:
    """The checked configuration of a protected application, and every decision on a request.

    Built once, when the application starts; each request then costs a few
    lookups, in :meth:`begin` and :meth:`settle`. The adapters build one from
    their options and drive its steps; they decide nothing themselves.
    """

    __slots__ = (
        "_algs",
        "_check_revoked",
        "_exact",
        "_exempt_fn",
        "_exempting",
        "_prefixes",
        "_schemes",
        "_screening",
        "cors_preflight",
        "direct",
        "dpop",
        "dpop_required",
        "error_detail",
        "get_token",
        "is_revoked",
        "metadata",
        "metadata_path",
        "missing",
        "optional",
        "public_url",
        "realm",
        "required_scopes",
        "resource_metadata",
        "settles",
        "trust_forwarded",
        "url_of",
        "verifier",
    )

    def __init__(
        self,
        verifier: object,
        *,
        exempt: Collection[str] | ExemptRule = (),
        optional: bool = False,
        realm: str | None = None,
        required_scopes: Collection[str] = (),
        is_revoked: Callable[[dict[str, Any]], object] | None = None,
        resource_metadata: str | ProtectedResource | None = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        cors_preflight: bool = False,
        dpop: DPoPVerifier | None = None,
        dpop_required: bool = False,
        public_url: str | None = None,
        trust_forwarded: bool = False,
        url_of: UrlParts | None = None,
        sync_only: bool = False,
        serve_metadata: bool = True,
    ) -> None:
        """Check every option: the adapters' (written once, on :class:`BearerMiddleware`), and two more.

        ``sync_only``: the adapter cannot await (WSGI, Flask), so async hooks
        and verifiers that can only ``adecode`` are refused. ``serve_metadata``:
        the adapter sees every request (a middleware), so :meth:`begin` answers
        a :class:`ProtectedResource`'s metadata at its well-known path.
        ``url_of``: how the adapter reads the URL a request reached, for DPoP.

        Raises:
            InvalidOptionError: An option is invalid.
        """
        if not isinstance(verifier, TokenVerifier):
            raise InvalidOptionError(
                f"verifier must be a minijwt.JWTVerifier or MultiIssuerVerifier, not {type(verifier).__name__}"
            )
        if sync_only:
            _check_sync_verifier(verifier)
        self.verifier = verifier
        self._exact, self._prefixes, self._exempt_fn = _exempt_rules(exempt)
        self._exempting = bool(self._exact or self._prefixes or self._exempt_fn is not None)
        self.required_scopes = check_requirements(required_scopes, optional)
        self.optional = optional
        if realm is not None and (type(realm) is not str or _UNSAFE.search(realm) or not realm):
            raise InvalidOptionError('realm must be printable ASCII text without " or \\')
        self.realm = realm
        if is_revoked is not None and not callable(is_revoked):
            raise InvalidOptionError("is_revoked must be a function of the claims")
        if sync_only and is_revoked is not None and _is_coroutine_function(is_revoked):
            raise InvalidOptionError("is_revoked is a coroutine function; a WSGI application needs a plain function")
        self.is_revoked = is_revoked
        self._check_revoked = None if is_revoked is None else CheckRevoked(is_revoked)
        if get_token is not None and not callable(get_token):
            raise InvalidOptionError("get_token must be a function of the request's headers")
        self.get_token = get_token
        self.metadata: Answer | None = None
        self.metadata_path: str | None = None
        if isinstance(resource_metadata, ProtectedResource):
            if serve_metadata:
                self.metadata = _answer(200, resource_metadata.to_dict(), (), cache="public, max-age=3600")
                self.metadata_path = resource_metadata.metadata_path
            resource_metadata = resource_metadata.metadata_url
        elif resource_metadata is not None:
            _check_resource_url(resource_metadata, "resource_metadata")
        self.resource_metadata = resource_metadata
        if type(error_detail) is not bool:
            raise InvalidOptionError("error_detail must be True or False")
        self.error_detail = error_detail
        if type(cors_preflight) is not bool:
            raise InvalidOptionError("cors_preflight must be True or False")
        self.cors_preflight = cors_preflight
        # Whether a request may be decided before its token is read: most
        # guards have none of the three reasons, and their requests skip the
        # three checks at once.
        self._screening = self._exempting or cors_preflight or self.metadata is not None
        self.direct = not self._screening
        self._dpop_options(dpop, dpop_required, public_url, trust_forwarded, url_of)
        #: Whether :meth:`settle` has anything to decide for a request that
        #: brings no scopes of its own (the guard's scopes, a hook): when
        #: false, the drivers take the claims as the outcome without the call.
        self.settles = bool(self.required_scopes) or is_revoked is not None
        self.missing = _answer(
            401,
            self._body(
                "missing_token",
                "this resource needs a DPoP-bound access token"
                if dpop_required
                else "this resource needs a bearer token",
            ),
            (("www-authenticate", self.challenge(scheme=self._schemes[0])),),
        )

    def _dpop_options(
        self,
        dpop: object,
        dpop_required: object,
        public_url: object,
        trust_forwarded: object,
        url_of: UrlParts | None,
    ) -> None:
        """Check the DPoP options (RFC 9449): which schemes are accepted, and how the request's URL is read."""
        if dpop is not None and not isinstance(dpop, DPoPVerifier):
            raise InvalidOptionError(f"dpop must be a minijwt.dpop.DPoPVerifier, not {type(dpop).__name__}")
        if type(dpop_required) is not bool or type(trust_forwarded) is not bool:
            raise InvalidOptionError("dpop_required and trust_forwarded must be True or False")
        if dpop_required and dpop is None:
            raise InvalidOptionError("dpop_required=True needs dpop=DPoPVerifier(...) to check the proofs")
        if public_url is not None:
            parts = urllib.parse.urlsplit(public_url) if isinstance(public_url, str) else None
            if (
                parts is None
                or parts.scheme not in {"http", "https"}
                or not parts.netloc
                or parts.query
                or parts.fragment
            ):
                raise InvalidOptionError("public_url must be an absolute http(s) URL without query or fragment")
            if trust_forwarded:
                raise InvalidOptionError("public_url and trust_forwarded exclude each other: public_url is the answer")
        self.dpop: DPoPVerifier | None = dpop
        self.dpop_required = dpop_required
        self.public_url: str | None = public_url.rstrip("/") if isinstance(public_url, str) else None
        self.trust_forwarded = trust_forwarded
        self.url_of = url_of
        self._algs = " ".join(sorted(dpop.algorithms)) if dpop is not None else ""
        # The schemes accepted, the first named by a challenge without a token.
        self._schemes = ("DPoP",) if dpop_required else ("Bearer", "DPoP") if dpop is not None else ("Bearer",)

    # --- decisions -------------------------------------------------------------------------

    def exempted(self, method: str, path: str) -> bool:
        """Whether this request passes without a token, by the ``exempt`` rules of :class:`BearerMiddleware`.

        ``path`` is the decoded path, as the server hands it to the application.

        Example:
            >>> import minijwt
            >>> verifier = minijwt.JWTVerifier(b"a-secret-of-at-least-32-bytes!!!", algorithms=["HS256"])
            >>> guard = Guard(verifier, exempt=["/health", "/docs*"])
            >>> [guard.exempted("GET", path) for path in ("/docs", "/docs/a.js", "/health")]
            [True, True, True]
            >>> [guard.exempted("GET", path) for path in ("/docsadmin", "/docs/../admin", r"/docs/x\\..\\..\\admin")]
            [False, False, False]
        """
        if path in self._exact:
            return True
        if self._prefixes and path.startswith(self._prefixes) and not _may_leave_prefix(path):
            return True
        rule = self._exempt_fn
        return rule is not None and bool(rule(method, path))

    def missing_scopes(self, claims: Mapping[str, Any], required: tuple[str, ...]) -> tuple[str, ...]:
        """The required scopes the token does not grant (empty when all are granted)."""
        granted = granted_scopes(claims)
        return tuple(name for name in required if name not in granted)

    def begin(  # noqa: PLR0917 - positional: every request passes them
        self,
        method: str,
        path: str,
        authorization: Sequence[str] | Sequence[bytes],
        request: RequestT,
        headers_of: Callable[[RequestT], Mapping[str, str]],
        optional: bool | None = None,
    ) -> str | Bound | Answer | None:
        """The first step of a request: everything decided before a token is verified.

        Returns:
            The token to verify (``str``; a :class:`Bound` token for
            ``Authorization: DPoP``, with ``dpop=``); or the :data:`Outcome` already
            decided: ``None`` to pass without claims (exempt, a chosen
            preflight, ``optional``), an :class:`Answer` (the metadata, a
            missing or malformed token).

        Args:
            method: The request's method.
            path: Its decoded path, as the application routes it.
            authorization: The values of its ``Authorization`` headers (a WSGI
                server joins several into one, which the grammar refuses too).
            request: The framework's request, for ``headers_of``.
            headers_of: ``headers_of(request)``, its headers, lowercase names:
                asked only for a decision that needs them (a chosen CORS
                preflight, ``get_token``), so that no request pays for them
                otherwise.
            optional: Let this request through without a token; by default
                the guard's ``optional``.

        Example:
            >>> import minijwt
            >>> secret = b"a-secret-of-at-least-32-bytes!!!"
            >>> verifier = minijwt.JWTVerifier(secret, algorithms=["HS256"])
            >>> guard = Guard(verifier, exempt=["/health"])
            >>> token = minijwt.encode({"sub": "alice"}, secret)
            >>> guard.begin("GET", "/orders", ["Bearer " + token], {}, dict) == token
            True
            >>> guard.begin("GET", "/health", [], {}, dict) is None
            True
            >>> guard.begin("GET", "/orders", ["Bearer"], {}, dict).status_line
            '400 Bad Request'
            >>> guard.settle(verifier.decode(token), "GET", "/orders")
            {'sub': 'alice'}
            >>> run_sync(guard, verifier.decode, "GET", "/orders", ["Bearer " + token], {}, dict)
            {'sub': 'alice'}
        """
        if self._screening:
            if self._exempting and self.exempted(method, path):
                return None
            # The Fetch standard's CORS-preflight request carries no credentials,
            # but any client can send its headers: letting one through is the
            # application's choice (its OPTIONS handlers must then do no work).
            if self.cors_preflight and method == "OPTIONS" and "access-control-request-method" in headers_of(request):
                return None
            if path == self.metadata_path and self.metadata is not None and method in _METADATA_METHODS:
                return self.metadata
        token: str | None = None
        # "Bearer <token>", as clients send it, is verified without the grammar
        # check: a JWT that verifies is a b64token. On failure, refuse_token
        # reads the value with the grammar, which decides between a malformed
        # request (400) and a bad token (401).
        try:
            if len(authorization) == 1:
                value = authorization[0]
                # White space around the value is not part of it (RFC 9110
                # §5.5): such a value takes the full reading, as do bytes
                # outside ASCII (a b64token is ASCII).
                if isinstance(value, bytes):
                    if value[:7] == b"Bearer " and value[7:8] != b" " and value[-1:] not in b" \t" and value.isascii():
                        return value[7:].decode("ascii")
                    token = token_from_header(value)
                elif value[:7] == "Bearer " and value[7:8] != " " and value[-1:] not in " \t":
                    return value[7:]  # non-ASCII text fails to verify, then the grammar
                else:
                    token = token_from_header(value)
                if token is None and self.dpop is not None:
                    bound = _dpop_token(value)
                    if bound is not None:
                        return Bound(bound)
            elif authorization:
                token = token_from_headers(authorization)  # several: malformed
            if token is None and self.get_token is not None:
                token = check_hook_token(self.get_token(headers_of(request)))
        except MalformedRequestError as exc:
            return self.refuse(exc, method, path)
        if token is None:
            return None if (self.optional if optional is None else optional) else self.refuse_missing(method, path)
        return token

    def settle(
        self, claims: dict[str, Any], method: str, path: str, required: tuple[str, ...] | None = None
    ) -> Outcome | CheckRevoked:
        """The step after a token verified: its scopes, then whether to ask about revocation.

        ``required`` is the scopes this request needs (a view's, a route's);
        by default the guard's ``required_scopes``.

        Returns:
            A 403 :class:`Answer` for a missing scope; with an ``is_revoked``
            hook, a :class:`CheckRevoked` step, whose answer goes to
            :meth:`revocation`; else the claims.
        """
        if required is None:
            required = self.required_scopes
        if required:
            missing = self.missing_scopes(claims, required)
            if missing:
                return self.refuse_scope(missing, required, method, path)
        return claims if self._check_revoked is None else self._check_revoked

    def revocation(self, claims: dict[str, Any], revoked: object, method: str, path: str) -> Outcome:
        """The last step: the claims, or the 401 when the ``is_revoked`` hook answered true."""
        return self.refuse_revoked(method, path) if revoked else claims

    def refuse_token(
        self,
        problem: Exception,
        token: str,
        authorization: Sequence[str] | Sequence[bytes],
        method: str,
        path: str,
    ) -> Answer:
        """The answer to a token the verifier refused (one of :data:`REFUSALS`), logged.

        A token :meth:`begin` took from ``Bearer <token>`` without the grammar
        is read by it now, so that a value outside it is a 400, as the grammar
        would have answered before verifying.
        """
        if len(authorization) == 1:
            # The value was read by the grammar already, or is read now; a
            # second reading of a grammatical one changes nothing.
            try:
                token_from_header(authorization[0])
            except MalformedRequestError as malformed:
                problem = malformed
        return self.refuse(problem, method, path, token)

    # --- DPoP (RFC 9449) --------------------------------------------------------------------

    def refuse_bearer(self, claims: Mapping[str, Any], method: str, path: str) -> Answer | None:
        """The answer to a verified token sent as ``Bearer`` that may not be: bound by ``cnf.jkt``, or DPoP required.

        RFC 9449 §7.2: a DPoP-bound token sent as a bearer token would
        defeat the binding, so it is refused whatever the configuration
        (``invalid_token``); with ``dpop_required``, any bearer token gets the
        ``DPoP`` challenge alone, without an error code (RFC 9449 §7.1).
        """
        cnf = claims.get("cnf")
        if isinstance(cnf, Mapping) and "jkt" in cnf:
            return self.refuse(
                _Downgraded("a DPoP-bound token must come with the DPoP scheme and a proof"), method, path
            )
        if not self.dpop_required:
            return None
        _log.info("bearer token refused (dpop_required): %s %s", _loggable(method), _loggable(path))
        description = "this resource accepts DPoP-bound tokens only (Authorization: DPoP, with a DPoP proof)"
        return _answer(
            401, self._body("invalid_token", description), (("www-authenticate", self.challenge(scheme="DPoP")),)
        )

    def proof_check(
        self,
        claims: Mapping[str, Any],
        token: str,
        method: str,
        request: RequestT,
        headers_of: Callable[[RequestT], Mapping[str, str]],
    ) -> _ProofCheck:
        """What a ``DPoP``-scheme token's proof is checked against: the request's proofs, its URL, the token's key.

        Raises:
            InvalidTokenError: The token has no ``cnf.jkt``: it is not bound to a key.
        """
        cnf = claims.get("cnf")
        jkt = cnf.get("jkt") if isinstance(cnf, Mapping) else None
        if type(jkt) is not str:
            raise InvalidTokenError("a token sent with the DPoP scheme must be bound to a key (cnf.jkt)")
        del method, token  # the driver passes them to the proof check itself
        headers = headers_of(request)
        getlist = getattr(headers, "getlist", None)  # Starlette's and Werkzeug's: every repeated value
        if callable(getlist):
            proofs: list[str] = list(getlist("dpop"))
        else:
            value = headers.get("dpop")
            proofs = [] if value is None else [value]
        return _ProofCheck(proofs, self.request_url(request, headers), jkt)

    def request_url(self, request: object, headers: Mapping[str, str]) -> str:
        """The URL the client used, for ``htu``: the adapter's reading, then ``public_url`` or forwarded headers.

        ``public_url`` replaces the scheme and host and goes before the path
        (a proxy that strips a prefix); with ``trust_forwarded``, the
        leftmost ``Forwarded`` element's ``proto`` and ``host`` (RFC 7239),
        else the leftmost ``X-Forwarded-Proto`` and ``X-Forwarded-Host``, each
        only where present. These headers are never read otherwise.
        """
        if self.url_of is None:  # pragma: no cover - every adapter that takes dpop= gives one
            raise InvalidOptionError("this adapter cannot read the request's URL for DPoP")
        scheme, host, path = self.url_of(request)
        if self.public_url is not None:
            return self.public_url + path
        if self.trust_forwarded:
            scheme, host = _forwarded(headers, scheme, host)
        return f"{scheme}://{host}{path}"

    # --- answers ---------------------------------------------------------------------------

    def _body(self, error: str, description: str, **more: str) -> dict[str, str]:
        # RFC 6750 §3: error_description is optional, and it is the part that
        # tells a client (or a prober) why a token failed: error_detail=False
        # leaves it out. The scope of a 403 stays, since the client needs it
        # to ask for a token that would pass.
        if self.error_detail:
            return {"error": error, "error_description": description, **more}
        return {"error": error, **more}

    def challenge(
        self,
        error: str | None = None,
        description: str | None = None,
        scope: str | None = None,
        scheme: str = "Bearer",
    ) -> str:
        """The ``WWW-Authenticate`` value (RFC 6750 §3, RFC 9449 §7.1, RFC 9728 §5.1); every value is already safe.

        The failing ``scheme`` with the error, then each other accepted
        scheme's bare challenge, in one field (RFC 9110 §11.6.1).
        """
        if scheme not in self._schemes:
            scheme = self._schemes[0]
        first = self._one_challenge(scheme, error, description, scope)
        others = [self._one_challenge(other) for other in self._schemes if other != scheme]
        return ", ".join([first, *others])

    def _one_challenge(
        self, scheme: str, error: str | None = None, description: str | None = None, scope: str | None = None
    ) -> str:
        params = []
        if self.realm is not None:
            params.append(f'realm="{self.realm}"')
        if error is not None:
            params.append(f'error="{error}"')
        if description is not None:
            params.append(f'error_description="{description}"')
        if scope is not None:
            params.append(f'scope="{scope}"')
        if scheme == "DPoP":
            params.append(f'algs="{self._algs}"')
        if self.resource_metadata is not None:
            params.append(f'resource_metadata="{self.resource_metadata}"')
        return f"{scheme} " + ", ".join(params) if params else scheme

    def refuse(
        self, problem: Exception, method: str, path: str, token: str | None = None, scheme: str = "Bearer"
    ) -> Answer:
        """The answer to a request that failed, logged.

        ``problem`` is a :class:`MalformedRequestError` (400), an
        :class:`~minijwt.InvalidTokenError` (401), or a
        :class:`~minijwt.JWKSFetchError` (503). Anything else is not a
        refusal and is not given here.
        """
        if isinstance(problem, JWKSFetchError):
            _log.warning(
                "bearer token not checked, keys unavailable (%s, %s): %s %s",
                problem.code,
                problem.reason,
                _loggable(method),
                _loggable(path),
            )
            return _answer(
                503,
                self._body("temporarily_unavailable", "the token signing keys are unavailable"),
                (("retry-after", str(RETRY_AFTER_SECONDS)),),
            )
        if isinstance(problem, MalformedRequestError):
            error, code = "invalid_request", problem.code
            status, message = 400, problem.message
        elif isinstance(problem, InvalidTokenError):
            # RFC 9449 §7.1: a proof's own error codes; any other is the token's.
            error = problem.code if isinstance(problem, InvalidDPoPProofError) else "invalid_token"
            code, status, message = problem.code, 401, problem.message
        else:  # pragma: no cover - the adapters only pass the three kinds above
            raise problem
        description = header_text(message, token)
        _log.info("bearer token refused (%s): %s %s: %s", code, _loggable(method), _loggable(path), description)
        challenge = self.challenge(error, description if self.error_detail else None, scheme=scheme)
        headers: tuple[tuple[str, str], ...] = (("www-authenticate", challenge),)
        if isinstance(problem, UseDPoPNonceError):
            headers = (*headers, ("dpop-nonce", problem.nonce))  # RFC 9449 §8.1
        return _answer(status, self._body(error, description), headers)

    def refuse_missing(self, method: str, path: str) -> Answer:
        """The 401 to a request without a token, logged."""
        _log.info("bearer token refused (missing_token): %s %s", _loggable(method), _loggable(path))
        return self.missing

    def refuse_revoked(self, method: str, path: str) -> Answer:
        """The 401 to a revoked token, logged."""
        return self.refuse(_Revoked("token revoked"), method, path)

    def refuse_scope(self, missing: tuple[str, ...], required: tuple[str, ...], method: str, path: str) -> Answer:
        """The 403 to a token without a required scope, logged."""
        _log.info(
            "bearer token refused (insufficient_scope: %s): %s %s",
            " ".join(missing),
            _loggable(method),
            _loggable(path),
        )
        description = header_text(f"the token lacks the scope {' '.join(missing)}")
        scope = header_text(" ".join(required))
        challenge = self.challenge("insufficient_scope", description if self.error_detail else None, scope)
        return _answer(
            403, self._body("insufficient_scope", description, scope=scope), (("www-authenticate", challenge),)
        )


class _Revoked(InvalidTokenError):
    code = "token_revoked"


class _Downgraded(InvalidTokenError):
    code = "dpop_token_as_bearer"


class _ProofCheck(NamedTuple):
    """What a DPoP proof is checked against (:meth:`Guard.proof_check`)."""

    proofs: list[str]
    url: str
    jkt: str


def _forwarded(headers: Mapping[str, str], scheme: str, host: str) -> tuple[str, str]:
    """The scheme and host the edge proxy saw: the leftmost ``Forwarded`` element, else ``X-Forwarded-*``."""
    forwarded = headers.get("forwarded")
    if forwarded:
        # RFC 7239 §4: elements separated by ",", pairs by ";", values maybe quoted.
        for pair in forwarded.split(",", 1)[0].split(";"):
            name, _, value = pair.strip().partition("=")
            value = value.strip().strip('"')
            if name.lower() == "proto" and value:
                scheme = value.lower()
            elif name.lower() == "host" and value:
                host = value
        return scheme, host
    proto = headers.get("x-forwarded-proto")
    if proto:
        scheme = proto.split(",", 1)[0].strip().lower() or scheme
    forwarded_host = headers.get("x-forwarded-host")
    if forwarded_host:
        host = forwarded_host.split(",", 1)[0].strip() or host
    return scheme, host


def _loggable(text: str) -> str:
    # A path comes from the client: no line breaks or control characters into the log.
    return text if text.isprintable() and len(text) <= 512 else repr(text[:512])


def _is_coroutine_function(function: object) -> bool:
    return inspect.iscoroutinefunction(function) or inspect.iscoroutinefunction(type(function).__call__)


def _check_sync_verifier(verifier: TokenVerifier) -> None:
    # A verifier on an async-only key source refuses decode() before it reads
    # the token; any other answers an empty token with a token error.
    try:
        verifier.decode("")
    except InvalidTokenError:
        return
    except MiniJWTError as exc:
        raise InvalidOptionError(
            f"this verifier can only adecode ({exc.message}); a WSGI application needs a JWKSClient, not an "
            "AsyncJWKSClient"
        ) from None


def call_is_revoked_sync(is_revoked: Callable[[dict[str, Any]], object], claims: dict[str, Any]) -> bool:
    """Ask a synchronous ``is_revoked``.

    Raises:
        InvalidOptionError: It returned an awaitable (a coroutine function in disguise).
    """
    result = is_revoked(claims)
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if callable(close):
            close()
        raise InvalidOptionError("is_revoked returned an awaitable; a WSGI application needs a plain function")
    return bool(result)


# --- the middleware's options, declared once ---------------------------------------------------

HookT = TypeVar("HookT")


class BearerMiddleware(Generic[AppT, HookT]):
    """The ASGI and WSGI middleware's options and checks, declared once.

    A middleware subclasses it with its application type and its
    ``is_revoked`` type, ``BearerMiddleware[ASGIApp, AsyncRevocationHook]``,
    so that type checkers and editors read the one signature below with the
    adapter's own types. It then only translates: a request into the
    arguments of :func:`run_sync` or :func:`run_async`, which drive
    :class:`Guard`'s steps, and the :data:`Outcome` into a response.
    """

    __slots__ = ("_app", "_guard")

    #: The adapter cannot await: ``is_revoked`` must be a plain function and
    #: the verifier's keys must answer synchronously.
    _sync_only: ClassVar[bool] = False

    def __init__(
        self,
        app: AppT,
        *,
        verifier: TokenVerifier,
        exempt: Collection[str] | ExemptRule = (),
        optional: bool = False,
        realm: str | None = None,
        required_scopes: Collection[str] = (),
        is_revoked: HookT | None = None,
        resource_metadata: str | ProtectedResource | None = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        cors_preflight: bool = False,
        dpop: DPoPVerifier | None = None,
        dpop_required: bool = False,
        public_url: str | None = None,
        trust_forwarded: bool = False,
    ) -> None:
        """Check the configuration: a mistake fails here, when the application starts.

        Each option's first sentence is its meaning in every adapter: the
        FastAPI and Flask adapters, which take some of these options too,
        start their entries with it (``tests/web/test_bearer.py`` holds them
        to it) and add only what differs there.

        Args:
            app: The application to protect.
            verifier: The :class:`~minijwt.JWTVerifier` that checks each token
                (or a :class:`~minijwt.MultiIssuerVerifier`, or any :class:`~minijwt.TokenVerifier`).
                For access tokens, see :meth:`~minijwt.JWTVerifier.access_token`.
            exempt: Paths that need no token. Exact (``"/health"``), prefixes
                (``"/docs*"``: ``/docs`` itself and what lies below it on a
                ``/`` boundary, ``/docs/...``; not ``/docsadmin`` or
                ``/docs.json``), or a function ``(method, path) -> bool``.
                A path below a prefix still needs a token when it holds a
                ``.`` or ``..`` segment (a backslash counts as a separator
                when looking for them), ``//``, or a ``%`` left after
                decoding: whatever resolves it downstream may land outside
                the prefix.
            optional: Let requests without a token through, without claims.
                A bad token is still refused.
            realm: The challenges' ``realm``.
            required_scopes: Scopes every token must grant (``scope`` or
                ``scp`` claim), else 403.
            is_revoked: ``(claims) -> bool``: true refuses the token (401, "token revoked").
                The ASGI middleware also takes a coroutine function; the
                WSGI one cannot await it and refuses it here.
            resource_metadata: The URL of this API's RFC 9728 metadata, for
                the challenges. A :class:`~minijwt.asgi.ProtectedResource`
                gives that URL, and is served at it as well.
            get_token: ``(headers) -> str | None``, asked without an
                ``Authorization`` header. It may read a token from elsewhere
                (a cookie ...); ``headers`` maps lowercase names to values.
            error_detail: Tell the client why its token was refused. With
                ``False``, a refusal carries its error code only (a 403 the
                ``scope`` needed too), without ``error_description`` in the
                body and the challenge; the log still has the reason.
            cors_preflight: Let a CORS preflight through without a token.
                A preflight is ``OPTIONS`` with
                ``Access-Control-Request-Method``; it reaches the
                application without claims. Off by default: any client can
                send those headers, so an ``OPTIONS`` handler that does work
                would run unauthenticated. A CORS middleware placed outside
                this one answers preflights itself, and needs no such choice.
            dpop: A :class:`~minijwt.dpop.DPoPVerifier`: accept DPoP-bound tokens (RFC 9449).
                ``Authorization: DPoP <token>`` is then verified with the
                request's ``DPoP`` proof, whose key must be the token's
                ``cnf.jkt``. A token bound by ``cnf.jkt`` and sent as
                ``Bearer`` is refused with or without this option (RFC 9449
                §7.2).
            dpop_required: Accept DPoP-bound tokens only: a bearer token gets the ``DPoP`` challenge.
                Needs ``dpop``.
            public_url: The URL clients use to reach this application, for DPoP's ``htu``.
                Its scheme and host replace the request's, and its path goes
                before the request's (a proxy that strips a prefix).
            trust_forwarded: Read the request's public scheme and host from forwarding headers, for DPoP's ``htu``.
                The leftmost ``Forwarded`` element, else ``X-Forwarded-Proto``
                and ``X-Forwarded-Host``; only behind a proxy that sets them.

        Raises:
            InvalidOptionError: An option is invalid: ``verifier`` is not a
                ``JWTVerifier``, ``exempt`` or a scope is malformed,
                ``optional`` with ``required_scopes`` ...; for WSGI, a
                coroutine function as ``is_revoked``, or a verifier that can
                only ``adecode``.
        """
        self._app = app
        self._guard = Guard(
            verifier,
            exempt=exempt,
            optional=optional,
            realm=realm,
            required_scopes=required_scopes,
            is_revoked=cast("Callable[[dict[str, Any]], object] | None", is_revoked),
            resource_metadata=resource_metadata,
            get_token=get_token,
            error_detail=error_detail,
            cors_preflight=cors_preflight,
            dpop=dpop,
            dpop_required=dpop_required,
            public_url=public_url,
            trust_forwarded=trust_forwarded,
            url_of=self._url_parts,
            sync_only=self._sync_only,
        )
        self._prepare(verifier)

    def _prepare(self, verifier: TokenVerifier) -> None:
        """What the adapter holds besides the options (its verify function ...), set at construction."""

    def _url_parts(self, request: Any) -> tuple[str, str, str]:
        """The scheme, host and path a request reached (DPoP's ``htu``): each adapter reads its own requests."""
        raise NotImplementedError


class BearerViews(Generic[HookT]):
    """The options and checks of an adapter that protects chosen views (Flask's decorator), declared once.

    An adapter subclasses it with its ``is_revoked`` type,
    ``BearerViews[RevocationHook]``. A view sees only its own requests, so
    nothing here is exempt and no metadata is served; the adapter's
    decorator drives :class:`Guard`'s steps with the view's scopes.
    """

    __slots__ = ("_guard",)

    #: The adapter cannot await: ``is_revoked`` must be a plain function and
    #: the verifier's keys must answer synchronously.
    _sync_only: ClassVar[bool] = False

    def __init__(
        self,
        verifier: TokenVerifier,
        *,
        realm: str | None = None,
        is_revoked: HookT | None = None,
        resource_metadata: str | ProtectedResource | None = None,
        get_token: TokenHook | None = None,
        error_detail: bool = True,
        cors_preflight: bool = False,
        dpop: DPoPVerifier | None = None,
        dpop_required: bool = False,
        public_url: str | None = None,
        trust_forwarded: bool = False,
    ) -> None:
        """Check the configuration: a mistake fails here, when the application starts.

        Args:
            verifier: The :class:`~minijwt.JWTVerifier` that checks each token
                (or a :class:`~minijwt.MultiIssuerVerifier`, or any :class:`~minijwt.TokenVerifier`).
                In Flask, its keys must answer synchronously.
            realm: The challenges' ``realm``.
            is_revoked: ``(claims) -> bool``: true refuses the token (401, "token revoked").
                In Flask a plain function, since a view cannot await it.
            resource_metadata: The URL of this API's RFC 9728 metadata, for
                the challenges. With a :class:`~minijwt.asgi.ProtectedResource`
                (its URL), the application serves the document, or
                :class:`minijwt.wsgi.JWTAuthMiddleware` does.
            get_token: ``(headers) -> str | None``, asked without an
                ``Authorization`` header. The framework's request headers
                are given (Flask's ``request.headers``).
            error_detail: Tell the client why its token was refused. Else a
                refusal carries its error code only (a 403 its ``scope``).
            cors_preflight: Let a CORS preflight through without a token.
                Only a decorated view that lists ``OPTIONS`` sees one,
                without claims; off by default, since any client can send the
                headers of one (``OPTIONS`` with
                ``Access-Control-Request-Method``).
            dpop: A :class:`~minijwt.dpop.DPoPVerifier`: accept DPoP-bound tokens (RFC 9449).
                ``Authorization: DPoP <token>`` is then verified with the
                request's ``DPoP`` proof, whose key must be the token's
                ``cnf.jkt``. A token bound by ``cnf.jkt`` and sent as
                ``Bearer`` is refused with or without this option (RFC 9449
                §7.2).
            dpop_required: Accept DPoP-bound tokens only: a bearer token gets the ``DPoP`` challenge.
                Needs ``dpop``.
            public_url: The URL clients use to reach this application, for DPoP's ``htu``.
                Its scheme and host replace the request's, and its path goes
                before the request's (a proxy that strips a prefix).
            trust_forwarded: Read the request's public scheme and host from forwarding headers, for DPoP's ``htu``.
                The leftmost ``Forwarded`` element, else ``X-Forwarded-Proto``
                and ``X-Forwarded-Host``; only behind a proxy that sets them.

        Raises:
            InvalidOptionError: An option is invalid; in Flask, a coroutine
                function as ``is_revoked``, or a verifier that can only
                ``adecode``.
        """
        self._guard = Guard(
            verifier,
            realm=realm,
            is_revoked=cast("Callable[[dict[str, Any]], object] | None", is_revoked),
            resource_metadata=resource_metadata,
            get_token=get_token,
            error_detail=error_detail,
            cors_preflight=cors_preflight,
            dpop=dpop,
            dpop_required=dpop_required,
            public_url=public_url,
            trust_forwarded=trust_forwarded,
            url_of=self._url_parts,
            sync_only=self._sync_only,
            serve_metadata=False,
        )
        self._prepare(verifier)

    def _prepare(self, verifier: TokenVerifier) -> None:
        """What the adapter holds besides the options (its verify function ...), set at construction."""

    def _url_parts(self, request: Any) -> tuple[str, str, str]:
        """The scheme, host and path a request reached (DPoP's ``htu``): each adapter reads its own requests."""
        raise NotImplementedError
