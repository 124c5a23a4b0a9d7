"""The framework-free core: the RFC 6750 grammar, safe challenges, scopes, exempt paths, options, the request flow."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
import typing
from collections.abc import Callable
from typing import Any

import flask
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minijwt
from minijwt._bearer import (
    RETRY_AFTER_SECONDS,
    Answer,
    AsyncRevocationHook,
    BearerMiddleware,
    DPoPClaims,
    Guard,
    MalformedRequestError,
    Outcome,
    ProtectedResource,
    RevocationHook,
    _loggable,
    asgi_url,
    call_is_revoked_sync,
    check_hook_token,
    check_requirements,
    granted_scopes,
    header_text,
    run_async,
    run_sync,
    token_from_header,
    token_from_headers,
    wsgi_url,
)
from minijwt._dpop import access_token_hash
from minijwt.asgi import JWTAuthMiddleware as ASGIMiddleware
from minijwt.dpop import DPoPVerifier, HMACNonceSource
from minijwt.fastapi import JWTBearer
from minijwt.flask import JWTAuth
from minijwt.wsgi import JWTAuthMiddleware as WSGIMiddleware

SECRET = b"a-secret-of-at-least-32-bytes!!!"
VERIFIER = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])
# RFC 6750 §3: a quoted parameter value of a challenge.
SAFE_VALUE = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
B64TOKEN = st.from_regex(r"\A[A-Za-z0-9._~+/-]+=*\Z")


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
@pytest.mark.parametrize("token", ["abc", "a.b.c", "x-y_z~1+2/3", "YWJj==", "eyJ.eyJ.sig"])
def test_one_b64token_in_any_case_of_the_scheme(scheme: str, token: str) -> None:
    assert token_from_header(f"{scheme} {token}") == token
    assert token_from_header(f"{scheme}   {token}".encode()) == token
    assert token_from_headers([f"{scheme} {token}"]) == token


@pytest.mark.parametrize("value", ["Bearer abc ", " Bearer abc", "\tBearer abc\t", "  bearer   abc \t "])
def test_white_space_around_the_header_value_is_not_part_of_it(value: str) -> None:
    # RFC 9110 §5.5: a server may pass the field value with its OWS.
    assert token_from_header(value) == "abc"
    assert token_from_header(value.encode()) == "abc"


@pytest.mark.parametrize(
    "value",
    ["", "Basic YWxpY2U6cHc=", "Digest username=x", "Bearerx abc", "Token abc", "XBearer abc", "\x0bBearer abc"],
)
def test_another_scheme_is_no_token(value: str) -> None:
    assert token_from_header(value) is None
    assert token_from_header(value.encode()) is None
    assert token_from_headers([]) is None


@pytest.mark.parametrize(
    "value",
    [
        "Bearer",
        "Bearer ",
        "bearer    ",
        "Bearer a b",
        "Bearer a,b",
        "Bearer a, Bearer b",
        "Bearer a=b",
        "Bearer =abc",
        "Bearer a$b",
        'Bearer "abc"',
        "Bearer abc\x00",
        "Bearer é",
        "Bearer\tabc",
    ],
)
def test_malformed_bearer_values(value: str) -> None:
    with pytest.raises(MalformedRequestError):
        token_from_header(value)
    with pytest.raises(MalformedRequestError):
        token_from_header(value.encode("utf-8"))


def test_several_authorization_headers_are_malformed() -> None:
    with pytest.raises(MalformedRequestError, match="several"):
        token_from_headers(["Bearer a", "Bearer a"])
    with pytest.raises(MalformedRequestError, match="several"):
        token_from_headers(["Basic x", "Bearer a"])


@given(B64TOKEN)
def test_every_b64token_is_read(token: str) -> None:
    assert token_from_header("Bearer " + token) == token
    assert token_from_header(b"Bearer " + token.encode()) == token


@given(st.text(max_size=40))
def test_any_header_value_is_a_token_no_token_or_malformed(value: str) -> None:
    problem: MalformedRequestError | None = None
    token: str | None = None
    try:
        token = token_from_header(value)
    except MalformedRequestError as exc:
        problem = exc
    if problem is not None:
        assert SAFE_VALUE.fullmatch(header_text(problem.message))
    elif token is not None:
        assert re.fullmatch(r"[A-Za-z0-9._~+/-]+=*", token)
        assert value.lower().startswith("bearer ")


def test_hook_tokens_follow_the_grammar() -> None:
    assert check_hook_token(None) is None
    assert check_hook_token("a.b.c") == "a.b.c"
    with pytest.raises(MalformedRequestError):
        check_hook_token("")
    with pytest.raises(MalformedRequestError):
        check_hook_token("a b")
    with pytest.raises(minijwt.InvalidOptionError):
        check_hook_token(b"a.b.c")


@pytest.mark.parametrize(
    "message",
    [
        'the "kid" is unknown',
        "line\r\nSet-Cookie: session=stolen",
        "back\\slash",
        "tab\there",
        "non-ascii: é ü 日本",
        "\x00\x7f\x1b[31m",
        "x" * 1000,
    ],
)
def test_hostile_messages_cannot_break_the_header(message: str) -> None:
    text = header_text(message)
    assert SAFE_VALUE.fullmatch(text)
    assert len(text) <= 200
    guard = Guard(VERIFIER, realm="api")
    answer = guard.refuse(minijwt.InvalidTokenError(message), "GET", "/")
    (challenge,) = [value for name, value in answer.headers if name == "www-authenticate"]
    assert re.fullmatch(r'Bearer realm="api", error="invalid_token", error_description="[^"\\]*"', challenge)
    assert "\r" not in answer.body.decode()
    assert "\n" not in answer.body.decode()


@given(st.text())
def test_any_message_is_made_safe(message: str) -> None:
    assert SAFE_VALUE.fullmatch(header_text(message))


def test_the_token_is_cut_out_of_a_message() -> None:
    token = minijwt.encode({"sub": "a"}, SECRET)
    assert token not in header_text(f"bad token {token}!", token)


def test_scopes_from_scope_and_scp() -> None:
    assert granted_scopes({"scope": "a b  c"}) == {"a", "b", "c"}
    assert granted_scopes({"scp": ["a", "b", 3, None]}) == {"a", "b"}
    assert granted_scopes({"scp": "a b"}) == {"a", "b"}
    assert granted_scopes({"scope": "a", "scp": ["b"]}) == {"a", "b"}
    assert granted_scopes({"scope": ["not", "a", "string"], "scp": {"x": 1}}) == set()
    assert granted_scopes({}) == set()
    guard = Guard(VERIFIER, required_scopes=["a", "b"])
    assert guard.missing_scopes({"scope": "a"}, guard.required_scopes) == ("b",)
    assert guard.missing_scopes({"scp": ["b", "a"]}, guard.required_scopes) == ()


@pytest.mark.parametrize("separator", ["\t", "\n", "\r\n", "\x0b", "\x0c", "\xa0"])
def test_scope_names_are_separated_by_spaces_only(separator: str) -> None:
    """RFC 6749 §3.3: scope-tokens are delimited by SP; other white space does not split a name."""
    for claim in ("scope", "scp"):
        assert granted_scopes({claim: f"a b{separator}c"}) == {"a", f"b{separator}c"}
        assert granted_scopes({claim: "a b"}) == {"a", "b"}
    guard = Guard(VERIFIER, required_scopes=["b", "c"])
    assert guard.missing_scopes({"scope": f"b{separator}c"}, guard.required_scopes) == ("b", "c")


def test_exempt_paths_prefixes_and_functions() -> None:
    guard = Guard(VERIFIER, exempt=["/health", "/docs*"])
    assert guard.exempted("GET", "/health")
    assert not guard.exempted("GET", "/health/x")
    assert not guard.exempted("GET", "/Health")
    assert guard.exempted("GET", "/docs")
    assert guard.exempted("GET", "/docs/index.html")
    for sneaky in ("/docs/../admin", "/docs/./x", "/docs/..", "/docs//admin"):
        assert not guard.exempted("GET", sneaky), sneaky
    by_function = Guard(VERIFIER, exempt=lambda method, path: method == "GET" and path.startswith("/pub"))
    assert by_function.exempted("GET", "/pub/a")
    assert not by_function.exempted("POST", "/pub/a")


@pytest.mark.parametrize(
    "options",
    [
        {"exempt": "/health"},
        {"exempt": ["health"]},
        {"exempt": ["/a*b"]},
        {"exempt": [b"/health"]},
        {"exempt": 3},
        {"optional": "yes"},
        {"realm": 'a"b'},
        {"realm": "line\nbreak"},
        {"realm": ""},
        {"required_scopes": "orders:read"},
        {"required_scopes": ["has space"]},
        {"required_scopes": ['quote"']},
        {"required_scopes": [3]},
        {"optional": True, "required_scopes": ["a"]},
        {"is_revoked": True},
        {"get_token": "cookie"},
        {"resource_metadata": "http://api.example/meta"},
        {"resource_metadata": 'https://api.example/"x'},
        {"resource_metadata": "https://api.example/m?x=1"},
        {"resource_metadata": "not a url"},
        {"error_detail": "no"},
        {"error_detail": 0},
        {"error_detail": None},
        {"cors_preflight": "yes"},
        {"cors_preflight": 1},
        {"cors_preflight": None},
    ],
)
def test_configuration_mistakes_fail_at_construction(options: dict[str, Any]) -> None:
    """The one place that checks the options refuses each mistake, whichever adapter it was given to."""
    with pytest.raises(minijwt.InvalidOptionError):
        Guard(VERIFIER, **options)
    for adapter in ADAPTERS.values():
        if set(options) <= set(_options(adapter)):
            with pytest.raises(minijwt.InvalidOptionError):
                _build(adapter, **options)


def test_a_request_needs_scopes_or_may_come_without_a_token_not_both() -> None:
    """The guard's ``required_scopes``/``optional`` and a Flask view's ``scopes``/``optional`` are checked alike."""
    assert check_requirements(["a", "b", "a"], False) == ("a", "b")
    assert check_requirements((), True) == ()
    for scopes, optional in ((["a"], True), (["a"], "yes"), ((), 1), ("a", False), ([3], False)):
        with pytest.raises(minijwt.InvalidOptionError):
            check_requirements(scopes, optional)
    with pytest.raises(minijwt.InvalidOptionError, match=r"^scopes must be a list"):
        check_requirements("orders:read", False, "scopes")
    with pytest.raises(minijwt.InvalidOptionError, match=r"^required_scopes must be a list"):
        check_requirements("orders:read", False)


def test_the_verifier_must_be_a_jwt_verifier() -> None:
    for wrong in (SECRET, None, "verifier", minijwt.JWK.generate("ES256")):
        with pytest.raises(minijwt.InvalidOptionError, match="JWTVerifier"):
            Guard(wrong)


def test_protected_resource_validation_and_document() -> None:
    resource = ProtectedResource(resource="https://api.example/", authorization_servers=("https://login.example",))
    assert resource.metadata_url == "https://api.example/.well-known/oauth-protected-resource"
    assert resource.to_dict() == {
        "resource": "https://api.example/",
        "authorization_servers": ["https://login.example"],
        "bearer_methods_supported": ["header"],
    }
    assert ProtectedResource(resource="http://127.0.0.1:8000/api").metadata_path == (
        "/.well-known/oauth-protected-resource/api"
    )
    for bad in ("http://api.example", "https://api.example/#frag", "https://api.example/?q=1", "api.example"):
        with pytest.raises(minijwt.InvalidOptionError):
            ProtectedResource(resource=bad)
    with pytest.raises(minijwt.InvalidOptionError):
        ProtectedResource(resource="https://api.example", authorization_servers="https://login.example")
    with pytest.raises(minijwt.InvalidOptionError):
        ProtectedResource(resource="https://api.example", scopes_supported=["a b"])


@pytest.mark.parametrize("servers", ["https://login.example", b"https://login.example", None, 3, object()])
def test_authorization_servers_must_be_a_list_of_urls(servers: Any) -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        ProtectedResource(resource="https://api.example", authorization_servers=servers)
    listed = ProtectedResource(resource="https://api.example", authorization_servers=["https://login.example"])
    assert listed.authorization_servers == ("https://login.example",)


def test_is_revoked_is_asked_about_the_tokens_claims() -> None:
    asked: list[object] = []

    def is_revoked(claims: dict[str, Any]) -> bool:
        asked.append(claims)
        return claims.get("jti") == "revoked"

    assert call_is_revoked_sync(is_revoked, {"jti": "revoked"}) is True
    assert call_is_revoked_sync(is_revoked, {"jti": "fine"}) is False
    assert asked == [{"jti": "revoked"}, {"jti": "fine"}]


class _BareAwaitable:
    """An awaitable with no ``close`` method (not a coroutine)."""

    def __await__(self) -> Any:
        yield None


def test_any_awaitable_from_a_plain_is_revoked_is_a_configuration_error() -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        call_is_revoked_sync(lambda claims: _BareAwaitable(), {})

    async def revoked() -> bool:
        return True

    coroutine = revoked()
    with pytest.raises(minijwt.InvalidOptionError):
        call_is_revoked_sync(lambda claims: coroutine, {})
    assert inspect.getcoroutinestate(coroutine) == inspect.CORO_CLOSED  # no "never awaited" warning later


def test_the_metadata_document_lists_the_supported_scopes_once_each() -> None:
    """RFC 9728 §2: scopes_supported, when given, is a JSON array of the scope names."""
    resource = ProtectedResource(resource="https://api.example", scopes_supported=["orders:read", "admin", "admin"])
    assert resource.to_dict() == {
        "resource": "https://api.example",
        "scopes_supported": ["orders:read", "admin"],
        "bearer_methods_supported": ["header"],
    }
    assert "scopes_supported" not in ProtectedResource(resource="https://api.example").to_dict()


@pytest.mark.parametrize("url", ['https://api.example/a"b', "https://api.example/a\\b", "https://api.example\\@evil/"])
def test_a_url_quoted_in_a_challenge_has_no_quote_or_backslash(url: str) -> None:
    """RFC 6750 §3: the quoted values of a challenge never need escaping, so such a URL is refused at start."""
    with pytest.raises(minijwt.InvalidOptionError):
        ProtectedResource(resource=url)
    with pytest.raises(minijwt.InvalidOptionError):
        ProtectedResource(resource="https://api.example", authorization_servers=[url])
    with pytest.raises(minijwt.InvalidOptionError):
        Guard(VERIFIER, resource_metadata=url)
    assert Guard(VERIFIER, resource_metadata="https://api.example/ab").resource_metadata == "https://api.example/ab"


def _headers(answer: Any) -> dict[str, str]:
    assert len({name for name, _ in answer.headers}) == len(answer.headers)
    return dict(answer.headers)


def test_keys_unavailable_is_503_temporarily_unavailable_with_retry_after(caplog: pytest.LogCaptureFixture) -> None:
    """RFC 6750 §3 has no code for an outage: 503 with Retry-After, and no challenge (the token was not judged)."""
    caplog.set_level(logging.INFO, logger="minijwt")
    problem = minijwt.JWKSFetchError("the server answered with status 500", reason="status")
    answer = Guard(VERIFIER, realm="api").refuse(problem, "GET", "/orders\nx", token="abc")
    assert (answer.status, answer.reason, answer.status_line) == (503, "Service Unavailable", "503 Service Unavailable")
    assert json.loads(answer.body) == {
        "error": "temporarily_unavailable",
        "error_description": "the token signing keys are unavailable",
    }
    assert (answer.error, answer.description) == ("temporarily_unavailable", "the token signing keys are unavailable")
    headers = _headers(answer)
    assert headers["retry-after"] == str(RETRY_AFTER_SECONDS) == "30"
    assert "www-authenticate" not in headers
    assert answer.auth_headers == (("retry-after", "30"),)
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    logged = record.getMessage()
    assert "(jwks_fetch_failed, status)" in logged
    assert "GET" in logged
    assert "/orders" in logged
    assert "\n" not in logged


@pytest.mark.parametrize(
    ("problem", "status", "error", "code"),
    [
        (
            MalformedRequestError("the request has several Authorization headers"),
            400,
            "invalid_request",
            "invalid_request",
        ),
        (minijwt.ExpiredSignatureError("the token expired", claim="exp"), 401, "invalid_token", "token_expired"),
        (minijwt.InvalidSignatureError("signature verification failed"), 401, "invalid_token", "invalid_signature"),
    ],
)
def test_a_refusal_answers_its_oauth_error_in_the_body_and_the_challenge(
    problem: Exception, status: int, error: str, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    """RFC 6750 §3.1: 400 invalid_request for a malformed request, 401 invalid_token for a bad token."""
    caplog.set_level(logging.INFO, logger="minijwt")
    answer = Guard(VERIFIER).refuse(problem, "POST", "/orders")
    description = str(problem)
    assert (answer.status, answer.error, answer.description) == (status, error, description)
    assert json.loads(answer.body) == {"error": error, "error_description": description}
    challenge = f'Bearer error="{error}", error_description="{description}"'
    assert _headers(answer)["www-authenticate"] == challenge
    assert answer.auth_headers == (("www-authenticate", challenge),)
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert code in record.getMessage()
    assert "POST /orders" in record.getMessage()
    assert description in record.getMessage()


def test_a_refusal_never_echoes_the_token() -> None:
    token = minijwt.encode({"sub": "a"}, SECRET)
    answer = Guard(VERIFIER).refuse(minijwt.DecodeError(f"token {token} is odd"), "GET", "/", token)
    assert token not in answer.description
    assert token not in answer.body.decode()
    assert token not in _headers(answer)["www-authenticate"]
    assert answer.description == "token [token] is odd"


def test_a_description_keeps_safe_text_and_replaces_the_rest() -> None:
    """As documented: '"' becomes "'", any other character outside RFC 6750's set becomes '?'."""
    assert header_text('bad "kid"\r\nSet-Cookie: x=1') == "bad 'kid'??Set-Cookie: x=1"
    assert header_text("back\\slash é \x7f") == "back?slash ? ?"
    assert header_text("token abc.def here", "abc.def") == "token [token] here"


@pytest.mark.parametrize(("length", "kept"), [(199, 199), (200, 200), (201, 197), (1000, 197)])
def test_a_description_is_cut_at_200_characters(length: int, kept: int) -> None:
    message = "".join(chr(ord("a") + i % 26) for i in range(length))
    text = header_text(message)
    assert text == (message if kept == length else message[:kept] + "...")
    assert len(text) <= 200


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        ("/orders", "/orders"),
        ("/" + "p" * 511, "/" + "p" * 511),  # 512 printable characters: as they are
        ("/" + "p" * 512, repr("/" + "p" * 511)),  # 513: quoted and cut at 512
        ("/a\nb", repr("/a\nb")),
        ("/\x1b[31m" + "p" * 600, repr(("/\x1b[31m" + "p" * 600)[:512])),
    ],
)
def test_a_logged_method_or_path_is_printable_and_at_most_512_characters(text: str, logged: str) -> None:
    """A path comes from the client: no line breaks or control characters reach the log, nor an endless line."""
    assert _loggable(text) == logged


def test_a_missing_scope_is_403_insufficient_scope_naming_the_required_ones(caplog: pytest.LogCaptureFixture) -> None:
    """RFC 6750 §3.1: 403 insufficient_scope, and the scope the resource needs, in the body and the challenge."""
    caplog.set_level(logging.INFO, logger="minijwt")
    guard = Guard(VERIFIER, required_scopes=["orders:read", "admin", "orders:read"])
    assert guard.required_scopes == ("orders:read", "admin")
    missing = guard.missing_scopes({"scope": "orders:read"}, guard.required_scopes)
    answer = guard.refuse_scope(missing, guard.required_scopes, "GET", "/orders")
    assert (answer.status, answer.status_line, answer.error) == (403, "403 Forbidden", "insufficient_scope")
    assert answer.description == "the token lacks the scope admin"
    assert json.loads(answer.body) == {
        "error": "insufficient_scope",
        "error_description": "the token lacks the scope admin",
        "scope": "orders:read admin",
    }
    challenge = (
        'Bearer error="insufficient_scope", error_description="the token lacks the scope admin", '
        'scope="orders:read admin"'
    )
    assert _headers(answer)["www-authenticate"] == challenge
    [record] = caplog.records
    assert record.levelno == logging.INFO
    assert "insufficient_scope: admin" in record.getMessage()
    assert "GET /orders" in record.getMessage()


def test_every_answer_is_json_that_no_cache_keeps() -> None:
    guard = Guard(VERIFIER)
    for answer in (
        guard.refuse_missing("GET", "/"),
        guard.refuse(MalformedRequestError("bad"), "GET", "/"),
        guard.refuse_scope(("a",), ("a",), "GET", "/"),
    ):
        headers = _headers(answer)
        assert headers["content-type"] == "application/json"
        assert headers["content-length"] == str(len(answer.body))
        assert headers["cache-control"] == "no-store"


def test_a_request_without_a_token_gets_a_bare_challenge(caplog: pytest.LogCaptureFixture) -> None:
    """RFC 6750 §3.1: no error code in the challenge when the request had no token at all."""
    caplog.set_level(logging.INFO, logger="minijwt")
    answer = Guard(VERIFIER).refuse_missing("GET", "/orders")
    assert (answer.status, answer.error) == (401, "missing_token")
    assert json.loads(answer.body) == {
        "error": "missing_token",
        "error_description": "this resource needs a bearer token",
    }
    assert _headers(answer)["www-authenticate"] == "Bearer"
    assert answer.auth_headers == (("www-authenticate", "Bearer"),)
    [record] = caplog.records
    assert "missing_token" in record.getMessage()
    assert "GET /orders" in record.getMessage()


def test_a_revoked_token_is_401_invalid_token_logged_as_revoked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="minijwt")
    answer = Guard(VERIFIER).refuse_revoked("GET", "/orders")
    assert (answer.status, answer.error, answer.description) == (401, "invalid_token", "token revoked")
    assert "token_revoked" in caplog.records[0].getMessage()


def test_a_challenge_lists_realm_error_description_scope_and_resource_metadata_in_order() -> None:
    """RFC 6750 §3 and RFC 9728 §5.1: each parameter only when it has a value."""
    guard = Guard(VERIFIER, realm="orders", resource_metadata="https://api.example/meta")
    assert guard.challenge() == 'Bearer realm="orders", resource_metadata="https://api.example/meta"'
    assert guard.challenge("invalid_token", "expired", "a b") == (
        'Bearer realm="orders", error="invalid_token", error_description="expired", scope="a b", '
        'resource_metadata="https://api.example/meta"'
    )
    assert Guard(VERIFIER).challenge() == "Bearer"
    assert Guard(VERIFIER).challenge(scope="a") == 'Bearer scope="a"'
    missing = guard.refuse_missing("GET", "/")
    assert _headers(missing)["www-authenticate"] == guard.challenge()


def test_protected_resource_metadata_is_served_at_its_well_known_path_and_named_in_challenges() -> None:
    resource = ProtectedResource(
        resource="https://api.example/orders", authorization_servers=["https://login.example"], scopes_supported=["a"]
    )
    guard = Guard(VERIFIER, resource_metadata=resource)
    assert guard.metadata_path == "/.well-known/oauth-protected-resource/orders"
    assert guard.resource_metadata == "https://api.example/.well-known/oauth-protected-resource/orders"
    assert guard.metadata is not None
    assert (guard.metadata.status, guard.metadata.reason, guard.metadata.error) == (200, "OK", "")
    assert json.loads(guard.metadata.body) == resource.to_dict()
    headers = _headers(guard.metadata)
    assert headers["cache-control"] == "public, max-age=3600"
    assert headers["content-type"] == "application/json"
    assert "www-authenticate" not in headers
    assert guard.challenge().endswith(f'resource_metadata="{guard.resource_metadata}"')
    plain = Guard(VERIFIER)
    assert (plain.metadata, plain.metadata_path, plain.resource_metadata) == (None, None, None)


def test_several_missing_scopes_are_named_space_separated(caplog: pytest.LogCaptureFixture) -> None:
    """As scope values are (RFC 6749 §3.3): in the description and in the log."""
    caplog.set_level(logging.INFO, logger="minijwt")
    guard = Guard(VERIFIER, required_scopes=["a", "b", "c"])
    answer = guard.refuse_scope(("a", "c"), guard.required_scopes, "GET", "/")
    assert answer.description == "the token lacks the scope a c"
    assert json.loads(answer.body)["scope"] == "a b c"
    assert "insufficient_scope: a c" in caplog.records[0].getMessage()


def test_an_answer_body_is_compact_json() -> None:
    answer = Guard(VERIFIER).refuse_missing("GET", "/")
    assert answer.body == b'{"error":"missing_token","error_description":"this resource needs a bearer token"}'


def test_an_answer_without_an_error_has_an_empty_error_and_description() -> None:
    guard = Guard(VERIFIER, resource_metadata=ProtectedResource(resource="https://api.example"))
    assert guard.metadata is not None
    assert (guard.metadata.error, guard.metadata.description) == ("", "")


def test_a_prefix_rule_exempts_only_on_a_segment_boundary() -> None:
    guard = Guard(VERIFIER, exempt=["/docs*"])
    # Changed on purpose: "/docs*" used to exempt "/docs2" too, and so any
    # path that starts with the same letters ("/docsadmin"). A prefix now
    # ends on a "/" boundary.
    assert not guard.exempted("GET", "/docs2")
    for path in ("/doc", "/docx", "/do"):
        assert not guard.exempted("GET", path), path


def test_a_prefix_exempts_the_path_and_what_lies_below_it_on_a_slash_boundary() -> None:
    """``"/docs*"`` covers ``/docs`` and ``/docs/...``, not every path spelled with the same first letters."""
    guard = Guard(VERIFIER, exempt=["/docs*", "/static/*", "/v1/public*"])
    for path in ("/docs", "/docs/", "/docs/index.html", "/docs/a/b.js", "/static/", "/static/app.js", "/v1/public/x"):
        assert guard.exempted("GET", path), path
    assert guard.exempted("GET", "/v1/public")
    for path in ("/docsadmin", "/docs.json", "/docs2", "/docs-internal/x", "/docs\\admin", "/v1/publicity", "/v1"):
        assert not guard.exempted("GET", path), path
    # "/static/*" names the path "/static/": "/static" is above it, and "/staticx" beside it.
    for path in ("/static", "/staticx"):
        assert not guard.exempted("GET", path), path


def test_a_backslash_separates_dot_segments_inside_a_prefix() -> None:
    """Whatever takes ``\\`` for ``/`` (a WHATWG URL parser, a Windows file API) resolves these out of ``/docs``."""
    guard = Guard(VERIFIER, exempt=["/docs*"])
    for path in (
        "/docs/x\\..\\..\\admin",
        "/docs/x/..\\..\\admin",
        "/docs/x\\..",
        "/docs/x\\.\\y",
        "/docs/\\admin",
        "/docs\\..\\admin",
    ):
        assert not guard.exempted("GET", path), path
    assert guard.exempted("GET", "/docs/a\\b")  # a backslash that leads nowhere else


def test_an_encoded_dot_or_separator_left_after_decoding_never_enters_a_prefix() -> None:
    """A ``%`` in a path the server has decoded was encoded twice: decoded again, ``%2e%2e`` is ``..``."""
    guard = Guard(VERIFIER, exempt=["/docs*"])
    for path in (
        "/docs/%2e%2e/admin",
        "/docs/%2E%2E/admin",
        "/docs/.%2e/admin",
        "/docs/..%2fadmin",
        "/docs/x%5c..%5c..%5cadmin",
        "/docs/%252e%252e/admin",
        "/docs/100%.html",
    ):
        assert not guard.exempted("GET", path), path
    # Listed exactly, such a path is exempt: the rule guards prefixes only.
    assert Guard(VERIFIER, exempt=["/docs/100%.html"]).exempted("GET", "/docs/100%.html")


def test_the_guard_keeps_its_verifier_and_options() -> None:
    guard = Guard(VERIFIER, optional=True)
    assert guard.verifier is VERIFIER
    assert guard.optional is True
    assert Guard(VERIFIER).optional is False


class _AsyncCallable:
    async def __call__(self, claims: dict[str, Any]) -> bool:
        return False


async def _async_is_revoked(claims: dict[str, Any]) -> bool:
    return False


@pytest.mark.parametrize("is_revoked", [_async_is_revoked, _AsyncCallable()], ids=["function", "callable-object"])
def test_a_sync_only_guard_refuses_an_async_is_revoked(is_revoked: Any) -> None:
    """WSGI cannot await: a coroutine function, or an object whose __call__ is one, fails at start."""
    with pytest.raises(minijwt.InvalidOptionError, match="coroutine"):
        Guard(VERIFIER, is_revoked=is_revoked, sync_only=True)
    assert Guard(VERIFIER, is_revoked=is_revoked).is_revoked is is_revoked
    assert Guard(VERIFIER, is_revoked=lambda claims: False, sync_only=True).is_revoked is not None


def test_without_error_detail_every_answer_carries_its_code_only(caplog: pytest.LogCaptureFixture) -> None:
    """RFC 6750 §3: error_description is optional; error_detail=False leaves it out of every body and challenge.

    The 403 keeps ``scope``, which a client needs to ask for a token that
    would pass; the log keeps the description, for the server's operators.
    """
    caplog.set_level(logging.INFO, logger="minijwt")
    guard = Guard(VERIFIER, realm="api", required_scopes=["orders:read", "admin"], error_detail=False)
    assert guard.error_detail is False
    expired = minijwt.ExpiredSignatureError("the token expired", claim="exp")
    outage = minijwt.JWKSFetchError("refreshing the key set failed (network)", reason="network")
    cases = [
        (guard.refuse_missing("GET", "/"), 401, {"error": "missing_token"}, 'Bearer realm="api"'),
        (
            guard.refuse(MalformedRequestError("the request has several Authorization headers"), "GET", "/"),
            400,
            {"error": "invalid_request"},
            'Bearer realm="api", error="invalid_request"',
        ),
        (
            guard.refuse(expired, "GET", "/"),
            401,
            {"error": "invalid_token"},
            'Bearer realm="api", error="invalid_token"',
        ),
        (
            guard.refuse_revoked("GET", "/"),
            401,
            {"error": "invalid_token"},
            'Bearer realm="api", error="invalid_token"',
        ),
        (
            guard.refuse_scope(("admin",), guard.required_scopes, "GET", "/"),
            403,
            {"error": "insufficient_scope", "scope": "orders:read admin"},
            'Bearer realm="api", error="insufficient_scope", scope="orders:read admin"',
        ),
        (guard.refuse(outage, "GET", "/"), 503, {"error": "temporarily_unavailable"}, None),
    ]
    for answer, status, body, challenge in cases:
        assert answer.status == status
        assert json.loads(answer.body) == body
        assert answer.description == ""
        assert answer.error == body["error"]
        assert _headers(answer).get("www-authenticate") == challenge
        assert b"error_description" not in answer.body
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "the token expired" in logged
    assert "the request has several Authorization headers" in logged
    assert "network" in logged


def test_with_error_detail_the_answers_are_as_before() -> None:
    """The default stays: error_detail=True is what a guard without the option answers."""
    problem = minijwt.InvalidSignatureError("signature verification failed")
    for guard in (Guard(VERIFIER), Guard(VERIFIER, error_detail=True)):
        assert guard.error_detail is True
        answer = guard.refuse(problem, "GET", "/")
        assert json.loads(answer.body) == {"error": "invalid_token", "error_description": str(problem)}
        assert guard.refuse_missing("GET", "/").body == (
            b'{"error":"missing_token","error_description":"this resource needs a bearer token"}'
        )


# --- the adapters' options: declared once, alike everywhere ------------------------------------

ADAPTERS: dict[str, type] = {"asgi": ASGIMiddleware, "wsgi": WSGIMiddleware, "fastapi": JWTBearer, "flask": JWTAuth}
#: The options every adapter takes.
SHARED = (
    "verifier",
    "realm",
    "is_revoked",
    "resource_metadata",
    "get_token",
    "error_detail",
    "dpop",
    "dpop_required",
    "public_url",
    "trust_forwarded",
)


async def _never_asgi(scope: Any, receive: Any, send: Any) -> None:
    """Never reached."""


def _never_wsgi(environ: Any, start_response: Any) -> list[bytes]:
    return []  # never reached


def _build(adapter: type, **options: Any) -> object:
    if adapter is ASGIMiddleware:
        return ASGIMiddleware(_never_asgi, verifier=VERIFIER, **options)
    if adapter is WSGIMiddleware:
        return WSGIMiddleware(_never_wsgi, verifier=VERIFIER, **options)
    return adapter(VERIFIER, **options)


def _options(adapter: type) -> dict[str, inspect.Parameter]:
    """The adapter's constructor options as its users' tools read them (the application is not one)."""
    return {name: parameter for name, parameter in inspect.signature(adapter).parameters.items() if name != "app"}


def _documented(adapter: type) -> dict[str, str]:
    """The ``Args:`` entries of the adapter's ``__init__`` docstring, by name, each on one line."""
    doc = inspect.getdoc(adapter.__init__) or ""  # type: ignore[misc]
    args = doc.split("Args:\n", 1)[1].split("\n\n", 1)[0]
    entries: dict[str, str] = {}
    for line in args.splitlines():
        match = re.fullmatch(r"    (\w+): (.*)", line)
        if match:
            name, text = match.groups()
            entries[name] = text
        else:
            entries[name] += " " + line.strip()
    return entries


def _meaning(text: str) -> str:
    """The first sentence of an entry: what the option is, in every adapter."""
    return re.split(r"(?<=[.])\s", text, maxsplit=1)[0]


def _hook_type(adapter: type) -> object:
    """The ``is_revoked`` type a type checker reads for this adapter."""
    if adapter is JWTBearer:
        return typing.get_type_hints(JWTBearer.__init__)["is_revoked"]
    (base,) = [base for base in adapter.__orig_bases__ if typing.get_origin(base) is not None]  # type: ignore[attr-defined]
    return typing.get_args(base)[-1] | None


def test_every_adapter_takes_the_shared_options_with_the_same_defaults_types_and_meaning() -> None:
    """Declared once (a middleware's on BearerMiddleware, Flask's on BearerViews), checked once (Guard).

    Every option two adapters take has the same default, type and first
    sentence of documentation in both; that sentence is the middleware's,
    the fullest statement of the option. ``is_revoked`` is a coroutine
    function or a plain one, as the adapter can await or not.
    """
    canonical = _documented(BearerMiddleware)
    hints = typing.get_type_hints(BearerMiddleware.__init__)
    seen: dict[str, list[str]] = {}
    for name, adapter in ADAPTERS.items():
        options = _options(adapter)
        documented = _documented(adapter)
        assert set(SHARED) <= set(options), name
        assert set(options) == set(documented) - {"app"}, name
        adapter_hints = typing.get_type_hints(_init_of(adapter))
        for option, parameter in options.items():
            seen.setdefault(option, []).append(name)
            if option not in canonical:
                continue  # the adapter's own (auto_error, scheme_name ...)
            assert parameter.default == inspect.signature(BearerMiddleware).parameters[option].default, (name, option)
            assert _meaning(documented[option]) == _meaning(canonical[option]), (name, option)
            if option == "is_revoked":
                expected = AsyncRevocationHook | None if name in {"asgi", "fastapi"} else RevocationHook | None
                assert _hook_type(adapter) == expected, name
            elif option in adapter_hints and not isinstance(adapter_hints[option], typing.TypeVar):
                assert adapter_hints[option] == hints[option], (name, option)
    assert {option for option, names in seen.items() if len(names) == len(ADAPTERS)} == set(SHARED)
    assert seen["cors_preflight"] == ["asgi", "wsgi", "flask"]


def _init_of(adapter: type) -> Callable[..., None]:
    init: Callable[..., None] = adapter.__init__  # type: ignore[misc]
    return init


# The adapters built from these options, driven in process: (method, path, headers) -> (status, headers, body).
Call = Callable[[str, str, dict[str, str]], tuple[int, dict[str, str], bytes]]


async def _claims_asgi(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": json.dumps(scope["state"]["jwt_claims"]).encode()})


def _claims_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [json.dumps(environ["minijwt.claims"]).encode()]


def _protected(kind: str, **options: Any) -> Call:
    """An application behind the adapter ``kind``, answering ``/orders`` with the claims it was handed."""
    if kind == "asgi":
        asgi = ASGIMiddleware(_claims_asgi, verifier=VERIFIER, **options)

        def call_asgi(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            sent: list[dict[str, Any]] = []

            async def send(message: dict[str, Any]) -> None:
                sent.append(message)

            raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
            asyncio.run(asgi({"type": "http", "method": method, "path": path, "headers": raw}, None, send))  # type: ignore[arg-type]
            start, body = sent
            answered = {name.decode("latin-1"): value.decode("latin-1") for name, value in start["headers"]}
            return start["status"], answered, body["body"]

        return call_asgi
    if kind == "wsgi":
        wsgi = WSGIMiddleware(_claims_wsgi, verifier=VERIFIER, **options)

        def call_wsgi(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
            environ = {"REQUEST_METHOD": method, "PATH_INFO": path}
            environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
            started: list[tuple[str, list[tuple[str, str]]]] = []
            body = b"".join(wsgi(environ, lambda status, headers, *_: started.append((status, headers))))
            [(status, answered)] = started
            return int(status.split()[0]), {name.lower(): value for name, value in answered}, body

        return call_wsgi
    auth = JWTAuth(VERIFIER, **options)
    app = flask.Flask("views")

    @app.route("/orders", methods=["GET", "OPTIONS"])
    @auth.required
    def orders() -> Any:
        return flask.jsonify(flask.g.jwt_claims)

    client = app.test_client()

    def call_flask(method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        response = client.open(path, method=method, headers=headers)
        return response.status_code, {name.lower(): value for name, value in response.headers}, response.data

    return call_flask


@pytest.mark.parametrize("kind", ["asgi", "wsgi", "flask"])
def test_an_adapter_built_with_only_its_verifier_answers_as_its_documented_defaults_say(kind: str) -> None:
    """The defaults: a token is needed, a refusal says why, a CORS preflight is checked like any request."""
    call = _protected(kind)
    status, _, body = call("GET", "/orders", {"authorization": f"Bearer {TOKEN}"})
    assert (status, json.loads(body)) == (200, {"sub": "alice", "scope": "orders:read"})
    status, headers, body = call("GET", "/orders", {})
    assert (status, headers["www-authenticate"]) == (401, "Bearer")
    assert json.loads(body) == {"error": "missing_token", "error_description": "this resource needs a bearer token"}
    expired = minijwt.encode({"sub": "a", "exp": 1}, SECRET)
    status, headers, body = call("GET", "/orders", {"authorization": f"Bearer {expired}"})
    assert status == 401
    assert json.loads(body)["error_description"]
    assert "error_description=" in headers["www-authenticate"]
    preflight = {"access-control-request-method": "GET", "origin": "https://app.example"}
    assert call("OPTIONS", "/orders", preflight)[0] == 401


@pytest.mark.parametrize("kind", ["asgi", "wsgi", "flask"])
def test_an_adapter_hands_its_options_to_the_one_request_flow(kind: str) -> None:
    """What an option does is the guard's; given to any adapter, it does that there."""
    call = _protected(kind, realm="api", error_detail=False, cors_preflight=True)
    status, headers, body = call("GET", "/orders", {"authorization": "Bearer a.b.c"})
    assert (status, json.loads(body)) == (401, {"error": "invalid_token"})
    assert headers["www-authenticate"] == 'Bearer realm="api", error="invalid_token"'
    preflight = {"access-control-request-method": "GET", "origin": "https://app.example"}
    if kind == "flask":  # a view sees no claims, only whether it runs
        assert call("OPTIONS", "/orders", preflight)[0] == 200
    else:
        assert call("OPTIONS", "/orders", preflight)[:3:2] == (200, b"null")
    if kind != "flask":  # the middleware's own options
        middleware = _protected(kind, optional=True, exempt=["/health"])
        assert middleware("GET", "/orders", {})[:3:2] == (200, b"null")
        assert middleware("GET", "/health", {"authorization": "Bearer a b"})[:3:2] == (200, b"null")
        writer = _protected(kind, required_scopes=["orders:write"])
        assert writer("GET", "/orders", {"authorization": f"Bearer {TOKEN}"})[0] == 403


@pytest.mark.parametrize(("kind", "awaits"), [("asgi", True), ("wsgi", False), ("flask", False)])
def test_an_adapter_that_cannot_await_refuses_a_coroutine_is_revoked_when_built(kind: str, awaits: bool) -> None:
    """WSGI and Flask call ``is_revoked`` where nothing can be awaited: a coroutine function fails at start."""
    if awaits:
        call = _protected(kind, is_revoked=_async_is_revoked)
        assert call("GET", "/orders", {"authorization": f"Bearer {TOKEN}"})[0] == 200
    else:
        with pytest.raises(minijwt.InvalidOptionError, match="coroutine"):
            _protected(kind, is_revoked=_async_is_revoked)


def test_a_view_decorator_serves_no_metadata_and_names_it_in_its_challenges() -> None:
    """A decorated view sees only its own requests: at the metadata path too, a view is a view, and needs a token."""
    resource = ProtectedResource(resource="https://api.example/orders")
    auth = JWTAuth(VERIFIER, resource_metadata=resource)
    app = flask.Flask("views")

    @app.get(resource.metadata_path)
    @auth.required
    def metadata() -> Any:
        return {"served_by": "the application"}

    client = app.test_client()
    response = client.get(resource.metadata_path)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == f'Bearer resource_metadata="{resource.metadata_url}"'
    response = client.get(resource.metadata_path, headers={"authorization": f"Bearer {TOKEN}"})
    assert (response.status_code, response.json) == (200, {"served_by": "the application"})


# --- the request flow: every decision, in order, once -----------------------------------------

TOKEN = minijwt.encode({"sub": "alice", "scope": "orders:read"}, SECRET)


def _run(guard: Guard, method: str, path: str, *authorization: str | bytes, **options: Any) -> Outcome:
    """Drive the flow with both drivers; they must decide alike."""
    headers = {"access-control-request-method": "DELETE"} if method == "OPTIONS" else {}
    sync = run_sync(guard, VERIFIER.decode, method, path, authorization, headers, dict, **options)  # type: ignore[arg-type]
    driven = run_async(guard, VERIFIER.adecode, method, path, authorization, headers, dict, **options)  # type: ignore[arg-type]
    asynchronous = asyncio.run(driven)
    assert _summary(sync) == _summary(asynchronous)
    return sync


def _summary(outcome: Outcome) -> object:
    return (outcome.status, outcome.body) if isinstance(outcome, Answer) else outcome


def _status(outcome: Outcome) -> int:
    return outcome.status if isinstance(outcome, Answer) else 200


def test_a_preflight_needs_a_token_unless_cors_preflight_is_chosen() -> None:
    """Anyone may send ``OPTIONS`` with ``Access-Control-Request-Method``; by default it is checked like any request."""
    assert Guard(VERIFIER).cors_preflight is False
    assert Guard(VERIFIER, cors_preflight=True).cors_preflight is True
    assert _status(_run(Guard(VERIFIER), "OPTIONS", "/cache")) == 401
    assert _run(Guard(VERIFIER), "OPTIONS", "/cache", f"Bearer {TOKEN}") == {"sub": "alice", "scope": "orders:read"}
    chosen = Guard(VERIFIER, cors_preflight=True)
    assert _run(chosen, "OPTIONS", "/cache") is None
    # Not a preflight: a bare OPTIONS, or the header on another method.
    bare = run_sync(chosen, VERIFIER.decode, "OPTIONS", "/cache", (), {"origin": "https://a.example"}, dict)
    assert _status(bare) == 401
    other = run_sync(chosen, VERIFIER.decode, "GET", "/cache", (), {"access-control-request-method": "POST"}, dict)
    assert _status(other) == 401


def test_the_flow_decides_in_order_exempt_preflight_metadata_then_the_token() -> None:
    resource = ProtectedResource(resource="https://api.example/orders")
    guard = Guard(VERIFIER, exempt=["/health", resource.metadata_path], resource_metadata=resource, cors_preflight=True)
    # An exempt path passes before anything else, even with a malformed header.
    assert _run(guard, "GET", "/health", "Bearer a b") is None
    assert _run(guard, "OPTIONS", "/orders", "Bearer a b") is None
    # Listed as exempt too, the metadata path passes through to the application.
    assert _run(guard, "GET", resource.metadata_path) is None
    served = Guard(VERIFIER, resource_metadata=resource)
    assert _run(served, "GET", resource.metadata_path, "Bearer a b") is served.metadata
    assert _run(served, "HEAD", resource.metadata_path) is served.metadata
    assert _status(_run(served, "POST", resource.metadata_path)) == 401
    # An adapter that sees only its own routes serves no metadata; the challenges still name it.
    unserved = Guard(VERIFIER, resource_metadata=resource, serve_metadata=False)
    assert (unserved.metadata, unserved.metadata_path) == (None, None)
    assert unserved.resource_metadata == resource.metadata_url
    assert _status(_run(unserved, "GET", resource.metadata_path)) == 401


def test_an_exempt_function_decides_by_the_requests_method_and_path() -> None:
    asked: list[tuple[str, str]] = []

    def public_reads(method: str, path: str) -> bool:
        asked.append((method, path))
        return method == "GET" and path.startswith("/pub/")

    guard = Guard(VERIFIER, exempt=public_reads)
    assert _run(guard, "GET", "/pub/a") is None
    assert _status(_run(guard, "POST", "/pub/a")) == 401
    assert _status(_run(guard, "GET", "/orders")) == 401
    assert asked == [("GET", "/pub/a")] * 2 + [("POST", "/pub/a")] * 2 + [("GET", "/orders")] * 2  # once per driver


def test_without_a_token_the_flow_refuses_or_passes_as_optional_says() -> None:
    guard = Guard(VERIFIER)
    missing = _run(guard, "GET", "/orders")
    assert missing is guard.missing
    assert _run(guard, "GET", "/orders", optional=True) is None
    assert _run(Guard(VERIFIER, optional=True), "GET", "/orders") is None
    assert _status(_run(Guard(VERIFIER, optional=True), "GET", "/orders", optional=False)) == 401
    # optional lets no bad token through.
    assert _status(_run(guard, "GET", "/orders", "Bearer a.b.c", optional=True)) == 401
    assert _status(_run(guard, "GET", "/orders", "Bearer a b", optional=True)) == 400


def test_the_scopes_a_request_needs_are_the_guards_unless_given() -> None:
    guard = Guard(VERIFIER, required_scopes=["orders:write"])
    assert _status(_run(guard, "GET", "/orders", f"Bearer {TOKEN}")) == 403
    assert _run(guard, "GET", "/orders", f"Bearer {TOKEN}", required=("orders:read",)) == {
        "sub": "alice",
        "scope": "orders:read",
    }
    assert _run(guard, "GET", "/orders", f"Bearer {TOKEN}", required=()) is not None
    answer = _run(Guard(VERIFIER), "GET", "/orders", f"Bearer {TOKEN}", required=("admin", "orders:read"))
    assert isinstance(answer, Answer)
    assert json.loads(answer.body)["scope"] == "admin orders:read"


def test_several_authorization_headers_are_400_even_when_each_is_valid() -> None:
    guard = Guard(VERIFIER)
    answer = _run(guard, "GET", "/", f"Bearer {TOKEN}", f"Bearer {TOKEN}")
    assert isinstance(answer, Answer)
    assert (answer.status, answer.error) == (400, "invalid_request")
    assert "several Authorization headers" in answer.description
    assert _status(_run(guard, "GET", "/", b"Basic eDp5", b"Bearer x")) == 400


@pytest.mark.parametrize(
    ("value", "status"),
    [
        ("Bearer {token}", 200),
        ("bearer {token}", 200),
        ("Bearer   {token}", 200),
        ("Bearer {token} ", 200),
        ("\tBearer {token}", 200),
        ("Bearer {token}x", 401),
        ("Bearer {token}$", 400),
        ("Bearer {token} {token}", 400),
        ("Bearer {token}é", 400),
        ("Bearer \t{token}", 400),
        ("Bearer a.b.c", 401),
        ("Basic {token}", 401),
        ("Bearer", 400),
        ("", 401),
    ],
)
def test_the_fast_path_and_the_grammar_agree_for_bytes_and_text(value: str, status: int) -> None:
    """``Bearer <token>`` skips the grammar; a refusal then rereads it, so both readings answer alike."""
    header = value.format(token=minijwt.encode({"sub": "a"}, SECRET))
    guard = Guard(VERIFIER)
    assert _status(_run(guard, "GET", "/", header.encode("utf-8"))) == status
    assert _status(_run(guard, "GET", "/", header)) == status
    # Latin-1 text, as a WSGI server hands a header's bytes.
    assert _status(_run(guard, "GET", "/", header.encode("utf-8").decode("latin-1"))) == status


@given(st.binary(max_size=60) | st.text(max_size=60).map(lambda text: ("Bearer " + text).encode("utf-8")))
def test_any_authorization_value_is_answered_400_or_401_alike_as_bytes_and_text(value: bytes) -> None:
    guard = Guard(VERIFIER)
    as_bytes = run_sync(guard, VERIFIER.decode, "GET", "/", [value], {}, dict)
    as_text = run_sync(guard, VERIFIER.decode, "GET", "/", [value.decode("latin-1")], {}, dict)
    assert isinstance(as_bytes, Answer)
    assert isinstance(as_text, Answer)
    assert as_bytes.status in {400, 401}
    assert (as_bytes.status, as_bytes.body) == (as_text.status, as_text.body)


def test_a_refused_token_is_answered_with_what_the_verifier_raised() -> None:
    guard = Guard(VERIFIER, realm="api")
    expired = minijwt.encode({"sub": "a", "exp": 1}, SECRET)
    authorization = [f"Bearer {expired}"]
    assert guard.begin("GET", "/orders", authorization, {}, dict) == expired
    problem = minijwt.ExpiredSignatureError("the token expired", claim="exp")
    answer = guard.refuse_token(problem, expired, authorization, "GET", "/orders")
    assert _summary(answer) == _summary(guard.refuse(problem, "GET", "/orders", expired))


def test_a_refused_token_is_cut_out_of_the_answer_and_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Whatever a verifier's message quotes, both drivers answer without the token; the log names method and path."""
    caplog.set_level(logging.INFO, logger="minijwt")

    def verify(token: str) -> dict[str, Any]:
        raise minijwt.DecodeError(f"the token {token} is odd")

    async def averify(token: str) -> dict[str, Any]:
        return verify(token)

    guard = Guard(VERIFIER)
    for authorization in ([f"Bearer {TOKEN}"], [f"bearer  {TOKEN}"]):  # the fast path, and the grammar's reading
        sync = run_sync(guard, verify, "POST", "/orders", authorization, {}, dict)
        asynchronous = asyncio.run(run_async(guard, averify, "POST", "/orders", authorization, {}, dict))
        for answer in (sync, asynchronous):
            assert isinstance(answer, Answer)
            assert (answer.status, answer.description) == (401, "the token [token] is odd")
            assert TOKEN not in answer.body.decode()
            assert TOKEN not in _headers(answer)["www-authenticate"]
    assert len(caplog.records) == 4
    for record in caplog.records:
        assert TOKEN not in record.getMessage()
        assert "POST /orders: the token [token] is odd" in record.getMessage()


# --- DPoP (RFC 9449) through the one flow ---------------------------------------------------------

CLIENT = minijwt.JWK.generate("ES256")
JKT = CLIENT.thumbprint()
# The URL a request reached, as an adapter reads it (url_of), and the one its proofs name.
REACHED = ("https", "api.example", "/orders")
URL = "https://api.example/orders"


def _bound(jkt: object = JKT, **claims: Any) -> str:
    """A token bound to the client's key by ``cnf.jkt`` (no ``cnf`` with ``jkt=None``)."""
    body: dict[str, Any] = {"sub": "alice", "scope": "orders:read", **claims}
    if jkt is not None:
        body["cnf"] = {"jkt": jkt}
    return minijwt.encode(body, SECRET)


def _proof(token: str | None, url: str = URL, *, key: minijwt.JWK = CLIENT, method: str = "GET", **claims: Any) -> str:
    body: dict[str, Any] = {"jti": f"j-{time.monotonic_ns()}", "htm": method, "htu": url, "iat": int(time.time())}
    if token is not None:
        body["ath"] = access_token_hash(token)
    body.update(claims)
    return minijwt.encode(body, key, "ES256", headers={"typ": "dpop+jwt", "jwk": key.public().to_dict()})


class _Request:
    """A framework's request: the URL it reached and its headers (``getlist`` like Starlette's and Werkzeug's)."""

    def __init__(
        self, headers: dict[str, str] | None = None, url: tuple[str, str, str] = REACHED, *, proofs: Any = ()
    ) -> None:
        self.url = url
        self.headers: Any = dict(headers or {})
        if isinstance(proofs, list):  # every DPoP value, through getlist
            self.headers = _MultiHeaders(self.headers, proofs)
        elif proofs:
            self.headers["dpop"] = proofs[0]


class _MultiHeaders(dict[str, str]):
    def __init__(self, headers: dict[str, str], proofs: list[str]) -> None:
        super().__init__(headers)
        self.proofs = proofs

    def getlist(self, name: str) -> list[str]:
        return list(self.proofs) if name == "dpop" else []


def _dpop_guard(**options: Any) -> Guard:
    options.setdefault("dpop", DPoPVerifier(algorithms=["ES256"], replay="disabled"))
    return Guard(VERIFIER, url_of=lambda request: request.url, **options)


def _drive(guard: Guard, authorization: list[Any], request: _Request, **options: Any) -> Outcome:
    """Drive the flow with both drivers (the async one awaiting the async twins); they must decide alike."""
    headers_of = lambda request: request.headers  # noqa: E731
    sync = run_sync(guard, VERIFIER.decode, "GET", "/orders", authorization, request, headers_of, **options)
    driven = run_async(guard, VERIFIER.adecode, "GET", "/orders", authorization, request, headers_of, **options)
    asynchronous = asyncio.run(driven)
    assert _dpop_summary(sync) == _dpop_summary(asynchronous)
    return sync


def _dpop_summary(outcome: Outcome) -> object:
    if isinstance(outcome, Answer):
        # A nonce is fresh at each answer: only where it is sent counts.
        headers = tuple((name, "a nonce" if name == "dpop-nonce" else value) for name, value in outcome.headers)
        return (outcome.status, headers, outcome.body)
    if isinstance(outcome, DPoPClaims):
        return ("dpop", outcome.claims, outcome.dpop.jkt)
    return outcome


def test_a_dpop_bound_token_with_its_proof_passes_with_the_proof_it_was_checked_by() -> None:
    """RFC 9449 §7.1: ``Authorization: DPoP <token>`` and one proof of the key ``cnf.jkt`` names."""
    guard = _dpop_guard()
    token = _bound()
    for value in (f"DPoP {token}", f"dpop  {token}\t", f"DPoP {token}".encode(), f" DpOp {token}".encode()):
        outcome = _drive(guard, [value], _Request(proofs=(_proof(token),)))
        assert isinstance(outcome, DPoPClaims), value
        assert outcome.claims == {"sub": "alice", "scope": "orders:read", "cnf": {"jkt": JKT}}
        assert outcome.dpop.jkt == JKT
    # The proof of a request read with getlist (every DPoP value).
    outcome = _drive(guard, [f"DPoP {token}"], _Request(proofs=[_proof(token)]))
    assert isinstance(outcome, DPoPClaims)
    # A bearer token still passes, without a proof.
    assert _drive(guard, [f"Bearer {TOKEN}"], _Request()) == {"sub": "alice", "scope": "orders:read"}


def test_the_dpop_scheme_is_no_token_unless_the_guard_takes_dpop() -> None:
    """Without ``dpop=``, ``Authorization: DPoP`` is another scheme: no bearer token, so a missing one."""
    guard = Guard(VERIFIER)
    token = _bound()
    for value in (f"DPoP {token}", f"DPoP {token}".encode()):
        assert _drive(guard, [value], _Request(proofs=(_proof(token),))) is guard.missing
        assert _drive(Guard(VERIFIER, optional=True), [value], _Request(proofs=(_proof(token),))) is None
    # With dpop=, a DPoP value outside the token68 grammar is no DPoP token either.
    dpop = _dpop_guard()
    assert _drive(dpop, ["DPoP a b"], _Request()) is dpop.missing
    assert _headers(dpop.missing)["www-authenticate"] == 'Bearer, DPoP algs="ES256"'


def test_a_dpop_scheme_token_must_be_bound_to_a_key() -> None:
    """A token without a string ``cnf.jkt`` sent with the DPoP scheme is 401 invalid_token, answered for DPoP."""
    guard = _dpop_guard()
    for token in (_bound(jkt=None), _bound(jkt=7), minijwt.encode({"sub": "a", "cnf": "x"}, SECRET)):
        answer = _drive(guard, [f"DPoP {token}"], _Request(proofs=(_proof(token),)))
        assert isinstance(answer, Answer)
        assert (answer.status, answer.error) == (401, "invalid_token")
        assert _headers(answer)["www-authenticate"] == (
            'DPoP error="invalid_token", error_description="a token sent with the DPoP scheme must be bound to a key'
            ' (cnf.jkt)", algs="ES256", Bearer'
        )


def test_a_missing_repeated_or_wrong_proof_is_invalid_dpop_proof() -> None:
    """RFC 9449 §7.1: the proof's own errors, in the DPoP challenge; neither the token nor a proof is echoed."""
    guard = _dpop_guard(realm="api")
    token = _bound()
    cases: list[Any] = [
        (),
        [],
        [_proof(token), _proof(token)],
        (_proof(token, method="POST"),),
        (_proof(token, URL + "/other"),),
        (_proof("another.token"),),
        ("not.a.proof",),
    ]
    for proofs in cases:
        answer = _drive(guard, [f"DPoP {token}"], _Request(proofs=proofs))
        assert isinstance(answer, Answer)
        assert (answer.status, answer.error) == (401, "invalid_dpop_proof"), proofs
        challenge = _headers(answer)["www-authenticate"]
        assert challenge.startswith('DPoP realm="api", error="invalid_dpop_proof", error_description="')
        assert challenge.endswith('", algs="ES256", Bearer realm="api"')
        for secret in (token, *proofs):
            assert secret not in answer.body.decode()
            assert secret not in challenge


def test_a_proof_of_another_key_than_the_tokens_is_invalid_token() -> None:
    """The proof holds but the token is bound to another key: the token's fault (invalid_token), for DPoP."""
    token = _bound()
    proof = _proof(token, key=minijwt.JWK.generate("ES256"))
    answer = _drive(_dpop_guard(), [f"DPoP {token}"], _Request(proofs=(proof,)))
    assert isinstance(answer, Answer)
    assert (answer.status, answer.error) == (401, "invalid_token")
    assert _headers(answer)["www-authenticate"].startswith('DPoP error="invalid_token", error_description="')


def test_a_required_nonce_is_asked_for_in_a_dpop_nonce_header_then_accepted() -> None:
    """RFC 9449 §8.1: 401 use_dpop_nonce with a DPoP-Nonce header; a proof carrying it passes."""
    source = HMACNonceSource(b"n" * 32)
    guard = _dpop_guard(dpop=DPoPVerifier(algorithms=["ES256"], nonce=source, replay="disabled"))
    token = _bound()
    first = _drive(guard, [f"DPoP {token}"], _Request(proofs=(_proof(token),)))
    assert isinstance(first, Answer)
    assert (first.status, first.error) == (401, "use_dpop_nonce")
    headers = _headers(first)
    assert headers["www-authenticate"].startswith('DPoP error="use_dpop_nonce"')
    assert source.check(headers["dpop-nonce"])
    assert [name for name, _ in first.headers][:2] == ["www-authenticate", "dpop-nonce"]
    second = _drive(guard, [f"DPoP {token}"], _Request(proofs=(_proof(token, nonce=headers["dpop-nonce"]),)))
    assert isinstance(second, DPoPClaims)


def test_a_replayed_proof_is_refused_by_either_driver() -> None:
    """The guard's DPoPVerifier records each proof's jti: the same proof twice is refused the second time."""
    guard = _dpop_guard(dpop=DPoPVerifier(algorithms=["ES256"]))
    token = _bound()
    headers_of = lambda request: request.headers  # noqa: E731
    for driver in ("sync", "async"):
        request = _Request(proofs=(_proof(token),))
        outcomes = []
        for _ in range(2):
            if driver == "sync":
                outcomes.append(
                    run_sync(guard, VERIFIER.decode, "GET", "/orders", [f"DPoP {token}"], request, headers_of)
                )
            else:
                driven = run_async(guard, VERIFIER.adecode, "GET", "/orders", [f"DPoP {token}"], request, headers_of)
                outcomes.append(asyncio.run(driven))
        first, second = outcomes
        assert isinstance(first, DPoPClaims), driver
        assert isinstance(second, Answer)
        assert second.error == "invalid_dpop_proof"


@pytest.mark.parametrize("with_dpop", [False, True])
def test_a_bound_token_sent_as_bearer_is_refused_whatever_the_configuration(
    with_dpop: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """RFC 9449 §7.2: a token bound by ``cnf.jkt`` sent as ``Bearer`` would defeat the binding: 401 invalid_token."""
    caplog.set_level(logging.INFO, logger="minijwt")
    guard = _dpop_guard() if with_dpop else Guard(VERIFIER)
    answer = _drive(guard, [f"Bearer {_bound()}"], _Request())
    assert isinstance(answer, Answer)
    assert (answer.status, answer.error) == (401, "invalid_token")
    description = "a DPoP-bound token must come with the DPoP scheme and a proof"
    challenge = f'Bearer error="invalid_token", error_description="{description}"'
    assert _headers(answer)["www-authenticate"] == challenge + (', DPoP algs="ES256"' if with_dpop else "")
    assert all("(dpop_token_as_bearer): GET /orders" in record.getMessage() for record in caplog.records)
    assert len(caplog.records) == 2  # once per driver
    # A cnf without jkt (another confirmation method), or not an object, binds nothing here.
    for cnf in ({"x5t#S256": "abc"}, "jkt", ["jkt"]):
        claims = {"sub": "alice", "cnf": cnf}
        assert _drive(guard, [f"Bearer {minijwt.encode(claims, SECRET)}"], _Request()) == claims


def test_dpop_required_answers_a_bearer_token_and_no_token_with_the_dpop_challenge_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``dpop_required``: DPoP-bound tokens only; a bearer token gets the DPoP challenge, without an error code."""
    caplog.set_level(logging.INFO, logger="minijwt")
    guard = _dpop_guard(dpop=DPoPVerifier(algorithms=["EdDSA", "ES256"], replay="disabled"), dpop_required=True)
    answer = _drive(guard, [f"Bearer {TOKEN}"], _Request())
    assert isinstance(answer, Answer)
    assert answer.status == 401
    assert _headers(answer)["www-authenticate"] == 'DPoP algs="ES256 EdDSA"'
    assert json.loads(answer.body) == {
        "error": "invalid_token",
        "error_description": "this resource accepts DPoP-bound tokens only (Authorization: DPoP, with a DPoP proof)",
    }
    assert [record.getMessage() for record in caplog.records] == [
        "bearer token refused (dpop_required): GET /orders"
    ] * 2
    missing = _drive(guard, [], _Request())
    assert missing is guard.missing
    assert _headers(missing)["www-authenticate"] == 'DPoP algs="ES256 EdDSA"'
    assert json.loads(missing.body) == {
        "error": "missing_token",
        "error_description": "this resource needs a DPoP-bound access token",
    }
    # The downgrade refusal wins for a bound token; a DPoP-bound token with its proof passes.
    downgraded = _drive(guard, [f"Bearer {_bound()}"], _Request())
    assert isinstance(downgraded, Answer)
    assert _headers(downgraded)["www-authenticate"].startswith('DPoP error="invalid_token"')
    token = _bound()
    assert isinstance(_drive(guard, [f"DPoP {token}"], _Request(proofs=(_proof(token),))), DPoPClaims)
    # Without dpop_required, the missing token's challenge names Bearer first.
    assert json.loads(_dpop_guard().missing.body)["error_description"] == "this resource needs a bearer token"


def test_a_dpop_bound_token_is_checked_for_scopes_and_revocation_after_its_proof() -> None:
    """The proof first, then the scopes (403) and ``is_revoked`` (401), as for a bearer token."""
    token = _bound()
    writer = _dpop_guard(required_scopes=["orders:write"])
    answer = _drive(writer, [f"DPoP {token}"], _Request(proofs=(_proof(token),)))
    assert isinstance(answer, Answer)
    assert (answer.status, answer.error) == (403, "insufficient_scope")
    passed = _drive(writer, [f"DPoP {token}"], _Request(proofs=(_proof(token),)), required=("orders:read",))
    assert isinstance(passed, DPoPClaims)
    asked: list[dict[str, Any]] = []

    def is_revoked(claims: dict[str, Any]) -> bool:
        asked.append(claims)
        return bool(claims["sub"] == "mallory")

    guard = _dpop_guard(is_revoked=is_revoked)
    assert isinstance(_drive(guard, [f"DPoP {token}"], _Request(proofs=(_proof(token),))), DPoPClaims)
    revoked = _bound(sub="mallory")
    answer = _drive(guard, [f"DPoP {revoked}"], _Request(proofs=(_proof(revoked),)))
    assert isinstance(answer, Answer)
    assert (answer.status, answer.error) == (401, "invalid_token")
    assert answer.description == "token revoked"
    assert [claims["sub"] for claims in asked] == ["alice", "alice", "mallory", "mallory"]

    async def ais_revoked(claims: dict[str, Any]) -> bool:
        return bool(claims["sub"] == "mallory")

    async_guard = _dpop_guard(is_revoked=ais_revoked)
    headers_of = lambda request: request.headers  # noqa: E731
    for sub, revoked_too in (("alice", False), ("mallory", True)):
        bound = _bound(sub=sub)
        driven = run_async(
            async_guard,
            VERIFIER.adecode,
            "GET",
            "/orders",
            [f"DPoP {bound}"],
            _Request(proofs=(_proof(bound),)),
            headers_of,
        )
        outcome = asyncio.run(driven)
        assert isinstance(outcome, Answer) is revoked_too


def test_the_proof_is_checked_against_the_url_the_client_used() -> None:
    """``htu``: the adapter's reading of the request, ``public_url`` before its path, or trusted forwarding headers."""
    token = _bound()
    inner = ("http", "10.0.0.5:8000", "/orders")

    def passes(guard: Guard, htu: str, headers: dict[str, str] | None = None) -> bool:
        request = _Request(headers, inner, proofs=(_proof(token, htu),))
        return isinstance(_drive(guard, [f"DPoP {token}"], request), DPoPClaims)

    plain = _dpop_guard()
    assert plain.request_url(_Request(url=inner), {}) == "http://10.0.0.5:8000/orders"
    assert passes(plain, "http://10.0.0.5:8000/orders")
    assert not passes(plain, URL)
    # Forwarding headers are never read unless trusted.
    forwarded = {
        "x-forwarded-proto": "https",
        "x-forwarded-host": "api.example",
        "forwarded": "proto=https;host=api.example",
    }
    assert not passes(plain, URL, forwarded)
    public = _dpop_guard(public_url="https://api.example/svc/")
    assert public.public_url == "https://api.example/svc"
    assert public.request_url(_Request(url=inner), forwarded) == "https://api.example/svc/orders"
    assert passes(public, "https://api.example/svc/orders")
    assert not passes(public, "http://10.0.0.5:8000/orders")
    trusting = _dpop_guard(trust_forwarded=True)
    assert passes(trusting, URL, {"x-forwarded-proto": "https", "x-forwarded-host": "api.example"})
    assert not passes(trusting, "http://10.0.0.5:8000/orders", {"x-forwarded-proto": "https"})


@pytest.mark.parametrize(
    ("headers", "url"),
    [
        ({}, "http://inner:8000/orders"),
        # RFC 7239: the leftmost element; pairs by ";", values maybe quoted, the scheme in lower case.
        (
            {"forwarded": 'for=192.0.2.1;proto=HTTPS;host="api.example", proto=http;host=inner'},
            "https://api.example/orders",
        ),
        ({"forwarded": "Proto=https; Host=api.example"}, "https://api.example/orders"),
        ({"forwarded": "proto=https"}, "https://inner:8000/orders"),
        ({"forwarded": 'host="api.example"'}, "http://api.example/orders"),
        ({"forwarded": 'proto="";host=', "x-forwarded-proto": "https"}, "http://inner:8000/orders"),
        # Forwarded, when present, is read alone; else the leftmost X-Forwarded-* values, each where present.
        ({"forwarded": "for=192.0.2.1", "x-forwarded-host": "api.example"}, "http://inner:8000/orders"),
        ({"x-forwarded-proto": "HTTPS, http", "x-forwarded-host": "api.example, inner"}, "https://api.example/orders"),
        ({"x-forwarded-proto": "https"}, "https://inner:8000/orders"),
        ({"x-forwarded-host": " api.example "}, "http://api.example/orders"),
        ({"x-forwarded-proto": " , https", "x-forwarded-host": ", api.example"}, "http://inner:8000/orders"),
        ({"forwarded": "", "x-forwarded-proto": "https"}, "https://inner:8000/orders"),
    ],
)
def test_trust_forwarded_reads_the_edge_proxys_scheme_and_host(headers: dict[str, str], url: str) -> None:
    guard = _dpop_guard(trust_forwarded=True)
    assert guard.request_url(_Request(url=("http", "inner:8000", "/orders")), headers) == url


@pytest.mark.parametrize(
    ("scope", "reached"),
    [
        (
            {"scheme": "https", "path": "/orders", "headers": [(b"x-host", b"x"), (b"host", b"api.example")]},
            ("https", "api.example", "/orders"),
        ),
        # No Host header: the server's address; the path as sent, its raw bytes.
        ({"server": ("10.0.0.5", 8000), "path": "/a b", "raw_path": b"/a%20b"}, ("http", "10.0.0.5:8000", "/a%20b")),
        # raw_path, not path re-escaped: an escaped "/" stays escaped; its bytes are latin-1.
        ({"headers": [(b"host", b"h")], "path": "/a/b", "raw_path": b"/a%2Fb"}, ("http", "h", "/a%2Fb")),
        ({"headers": [(b"host", b"h\xe9")], "path": "/", "raw_path": b"/\xe9"}, ("http", "h\xe9", "/\xe9")),
        ({"server": ("/run/app.sock", None), "path": "/a b/é"}, ("http", "/run/app.sock", "/a%20b/%C3%A9")),
        ({"headers": [(b"host", b"h")], "path": "/x:@!$&'()*+,;=~"}, ("http", "h", "/x:@!$&'()*+,;=~")),
        # root_path once: an older server leaves it out of path, a recent one puts it in.
        ({"headers": [(b"host", b"h")], "path": "/orders", "root_path": "/svc"}, ("http", "h", "/svc/orders")),
        ({"headers": [(b"host", b"h")], "path": "/svc/orders", "root_path": "/svc"}, ("http", "h", "/svc/orders")),
        ({"headers": [(b"host", b"")], "server": ("s", 1), "path": ""}, ("http", "s:1", "/")),
        ({"scheme": None}, ("http", "", "/")),
    ],
)
def test_an_asgi_request_reached_its_scheme_host_and_raw_path(
    scope: dict[str, Any], reached: tuple[str, str, str]
) -> None:
    assert asgi_url(scope) == reached


@pytest.mark.parametrize(
    ("environ", "reached"),
    [
        (
            {
                "wsgi.url_scheme": "https",
                "HTTP_HOST": "api.example",
                "SERVER_NAME": "s",
                "SERVER_PORT": "1",
                "PATH_INFO": "/o",
            },
            ("https", "api.example", "/o"),
        ),
        # PEP 3333 URL reconstruction: no Host header, the server's name and port.
        ({"SERVER_NAME": "s", "SERVER_PORT": "8080", "PATH_INFO": "/o"}, ("http", "s:8080", "/o")),
        ({"SERVER_NAME": "s", "PATH_INFO": "/o"}, ("http", "s", "/o")),
        # The path as sent: REQUEST_URI (or RAW_URI) without its query; an absolute target's path.
        ({"HTTP_HOST": "h", "REQUEST_URI": "/a%20b?x=1", "PATH_INFO": "/a b"}, ("http", "h", "/a%20b")),
        ({"HTTP_HOST": "h", "RAW_URI": "/r?x", "PATH_INFO": "/p"}, ("http", "h", "/r")),
        ({"HTTP_HOST": "h", "REQUEST_URI": "http://other/p/q?x"}, ("http", "h", "/p/q")),
        ({"HTTP_HOST": "h", "REQUEST_URI": "http://other"}, ("http", "h", "/")),
        # The query starts at the first "?"; the authority ends at the first "://" and the next "/".
        ({"HTTP_HOST": "h", "REQUEST_URI": "/r?x=1?y=2"}, ("http", "h", "/r")),
        ({"HTTP_HOST": "h", "REQUEST_URI": "http://other/p://q?x"}, ("http", "h", "/p://q")),
        # Else SCRIPT_NAME and PATH_INFO, latin-1 text of the decoded bytes, escaped again.
        (
            {"HTTP_HOST": "h", "SCRIPT_NAME": "/svc", "PATH_INFO": "/a b/\xc3\xa9;x"},
            ("http", "h", "/svc/a%20b/%C3%A9;x"),
        ),
        ({"HTTP_HOST": "h"}, ("http", "h", "/")),
        # Without a Host header or a port, the server's name alone; without either, no host.
        ({"SERVER_NAME": "MAILBOX"}, ("http", "MAILBOX", "/")),
        ({}, ("http", "", "/")),
    ],
)
def test_a_wsgi_request_reached_its_scheme_host_and_path_as_sent(
    environ: dict[str, Any], reached: tuple[str, str, str]
) -> None:
    assert wsgi_url(environ) == reached


def test_protected_resource_metadata_names_the_dpop_members_when_set() -> None:
    """RFC 9728 §2: ``dpop_signing_alg_values_supported`` (sorted, checked as DPoPVerifier does) and the bool."""
    resource = ProtectedResource(
        resource="https://api.example/orders",
        dpop_signing_alg_values_supported=["ES256", "EdDSA", "ES256"],
        dpop_bound_access_tokens_required=False,
    )
    assert resource.to_dict() == {
        "resource": "https://api.example/orders",
        "bearer_methods_supported": ["header"],
        "dpop_signing_alg_values_supported": ["ES256", "EdDSA"],
        "dpop_bound_access_tokens_required": False,
    }
    required = ProtectedResource(resource="https://api.example/orders", dpop_bound_access_tokens_required=True)
    assert required.to_dict()["dpop_bound_access_tokens_required"] is True
    plain = ProtectedResource(resource="https://api.example/orders").to_dict()
    assert set(plain) == {"resource", "bearer_methods_supported"}
    for bad in (
        {"dpop_signing_alg_values_supported": ["HS256"]},
        {"dpop_signing_alg_values_supported": ["none"]},
        {"dpop_bound_access_tokens_required": "yes"},
        {"dpop_bound_access_tokens_required": 1},
        {"dpop_bound_access_tokens_required": 0},
    ):
        with pytest.raises(minijwt.InvalidOptionError):
            ProtectedResource(resource="https://api.example/orders", **bad)


DPOP = DPoPVerifier(algorithms=["ES256"])


@pytest.mark.parametrize(
    "options",
    [
        {"dpop": "yes"},
        {"dpop": VERIFIER},
        {"dpop_required": True},
        {"dpop": DPOP, "dpop_required": 1},
        {"dpop": DPOP, "dpop_required": None},
        {"trust_forwarded": "yes"},
        {"trust_forwarded": 1},
        {"public_url": "/svc"},
        {"public_url": "ftp://api.example"},
        {"public_url": "https://"},
        {"public_url": "https://api.example/?x=1"},
        {"public_url": "https://api.example/#top"},
        {"public_url": b"https://api.example"},
        {"public_url": "https://api.example", "trust_forwarded": True},
    ],
)
def test_dpop_configuration_mistakes_fail_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        Guard(VERIFIER, **options)


def test_the_challenge_names_the_failing_scheme_first_then_each_other_accepted_one() -> None:
    """RFC 9110 §11.6.1: one field; a scheme the guard does not accept is answered with its first."""
    both = _dpop_guard(realm="api")
    assert (
        both.challenge("invalid_token", scheme="DPoP")
        == 'DPoP realm="api", error="invalid_token", algs="ES256", Bearer realm="api"'
    )
    assert (
        both.challenge("invalid_token") == 'Bearer realm="api", error="invalid_token", DPoP realm="api", algs="ES256"'
    )
    assert Guard(VERIFIER).challenge(scheme="DPoP") == "Bearer"
    only = _dpop_guard(dpop_required=True)
    assert only.challenge("invalid_token", scheme="Bearer") == 'DPoP error="invalid_token", algs="ES256"'
