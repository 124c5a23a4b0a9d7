"""The hooks (get_token, is_revoked) and the drivers of the request flow, in the core, driven in process.

Each adapter hands its request to :func:`run_sync` or :func:`run_async`,
which drive :class:`Guard`'s steps; what a hook is asked, when, and what
its answer or its failure leads to is decided here once, so it is tested here
once, with both drivers. The adapters' own cases are in their test files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import pytest

import minijwt
from minijwt._bearer import (
    Answer,
    CheckRevoked,
    Guard,
    Outcome,
    async_verify,
    call_is_revoked_sync,
    run_async,
    run_sync,
)

from .conftest import from_cookie

SECRET = b"a-secret-of-at-least-32-bytes!!!"
VERIFIER = minijwt.JWTVerifier(SECRET, algorithms=["HS256"])
TOKEN = minijwt.encode({"sub": "cookie-user"}, SECRET)
REVOKED = minijwt.encode({"sub": "revoked"}, SECRET)

Driver = Callable[..., Outcome]


def _sync(guard: Guard, authorization: list[str], headers: Mapping[str, str], **options: Any) -> Outcome:
    return run_sync(guard, guard.verifier.decode, "GET", "/orders", authorization, headers, dict, **options)


def _async(guard: Guard, authorization: list[str], headers: Mapping[str, str], **options: Any) -> Outcome:
    driven = run_async(guard, guard.verifier.adecode, "GET", "/orders", authorization, headers, dict, **options)
    return asyncio.run(driven)


DRIVERS = pytest.mark.parametrize("drive", [_sync, _async], ids=["run_sync", "run_async"])


def _status(outcome: Outcome) -> int:
    return outcome.status if isinstance(outcome, Answer) else 200


@DRIVERS
def test_get_token_is_asked_only_without_an_authorization_bearer_token(drive: Driver) -> None:
    asked: list[Mapping[str, str]] = []

    def get_token(headers: Mapping[str, str]) -> str | None:
        asked.append(headers)
        return from_cookie(headers)

    guard = Guard(VERIFIER, get_token=get_token)
    cookie = {"cookie": f"theme=dark; access_token={TOKEN}"}
    assert drive(guard, [], cookie) == {"sub": "cookie-user"}
    assert asked == [cookie]
    # Basic is not a bearer token: the hook is asked.
    assert drive(guard, ["Basic eDp5"], cookie) == {"sub": "cookie-user"}
    assert len(asked) == 2
    # A bearer token in the header: the hook is not asked, even when it would find another.
    other = minijwt.encode({"sub": "header-user"}, SECRET)
    assert drive(guard, [f"Bearer {other}"], cookie) == {"sub": "header-user"}
    assert len(asked) == 2
    # A malformed header is refused before the hook is asked.
    assert _status(drive(guard, ["Bearer a b"], cookie)) == 400
    assert len(asked) == 2


@DRIVERS
def test_a_hook_token_outside_the_grammar_is_400_and_a_missing_one_401(drive: Driver) -> None:
    guard = Guard(VERIFIER, get_token=from_cookie)
    assert _status(drive(guard, [], {"cookie": "access_token=a b"})) == 400
    assert _status(drive(guard, [], {"cookie": "access_token=a$b"})) == 400
    assert _status(drive(guard, [], {"cookie": "theme=dark"})) == 401
    expired = minijwt.encode({"sub": "a", "exp": 1}, SECRET)
    assert _status(drive(guard, [], {"cookie": f"access_token={expired}"})) == 401


@DRIVERS
def test_a_hook_that_returns_bytes_is_a_configuration_error(drive: Driver) -> None:
    def get_token(headers: Mapping[str, str]) -> Any:
        return TOKEN.encode()  # not text: a mistake of the application's

    guard = Guard(VERIFIER, get_token=get_token)
    with pytest.raises(minijwt.InvalidOptionError, match="get_token"):
        drive(guard, [], {})


@DRIVERS
def test_no_request_reads_its_headers_unless_a_decision_needs_them(drive: Driver) -> None:
    """Building the header mapping costs; only a chosen preflight and ``get_token`` ask for it."""
    read: list[object] = []

    def headers_of(request: object) -> Mapping[str, str]:
        read.append(request)
        return {}

    for guard in (Guard(VERIFIER), Guard(VERIFIER, cors_preflight=True), Guard(VERIFIER, exempt=["/orders"])):
        for authorization in ([f"Bearer {TOKEN}"], ["Bearer a b"], ["Bearer a.b.c"], []):
            run_sync(guard, VERIFIER.decode, "GET", "/orders", authorization, "request", headers_of)
    assert read == []
    preflight = Guard(VERIFIER, cors_preflight=True)
    assert _status(run_sync(preflight, VERIFIER.decode, "OPTIONS", "/orders", [], "preflight", headers_of)) == 401
    hook = Guard(VERIFIER, get_token=lambda headers: None)
    assert _status(run_sync(hook, VERIFIER.decode, "GET", "/orders", [], "hook", headers_of)) == 401
    assert read == ["preflight", "hook"]


def test_the_flow_asks_about_revocation_last_with_the_claims_and_the_hook() -> None:
    def is_revoked(claims: dict[str, Any]) -> bool:
        return bool(claims["sub"] == "revoked")

    guard = Guard(VERIFIER, is_revoked=is_revoked, required_scopes=["orders:read"])
    token = minijwt.encode({"sub": "alice", "scope": "orders:read"}, SECRET)
    assert guard.settles is True
    assert Guard(VERIFIER).settles is False  # the claims are the outcome: no settle step
    assert guard.begin("GET", "/orders", [f"Bearer {token}"], {}, dict) == token
    step = guard.settle({"sub": "alice", "scope": "orders:read"}, "GET", "/orders")
    assert step == CheckRevoked(is_revoked)
    claims = {"sub": "alice", "scope": "orders:read"}
    answer = guard.revocation(claims, True, "GET", "/orders")
    assert isinstance(answer, Answer)
    assert (answer.status, answer.description) == (401, "token revoked")
    assert guard.revocation(claims, False, "GET", "/orders") == {"sub": "alice", "scope": "orders:read"}


@DRIVERS
def test_a_token_without_a_required_scope_never_reaches_the_revocation_hook(drive: Driver) -> None:
    asked: list[dict[str, Any]] = []

    def is_revoked(claims: dict[str, Any]) -> bool:
        asked.append(claims)
        return False

    guard = Guard(VERIFIER, is_revoked=is_revoked, required_scopes=["orders:write"])
    token = minijwt.encode({"sub": "alice", "scope": "orders:read"}, SECRET)
    assert _status(drive(guard, [f"Bearer {token}"], {})) == 403
    assert asked == []
    expired = minijwt.encode({"sub": "alice", "scope": "orders:write", "exp": 1}, SECRET)
    assert _status(drive(guard, [f"Bearer {expired}"], {})) == 401
    assert asked == []
    writer = minijwt.encode({"sub": "alice", "scope": "orders:write"}, SECRET)
    assert drive(guard, [f"Bearer {writer}"], {}) == {"sub": "alice", "scope": "orders:write"}
    assert asked == [{"sub": "alice", "scope": "orders:write"}]


@DRIVERS
def test_a_truthy_answer_from_is_revoked_refuses_the_token(drive: Driver) -> None:
    answers: list[tuple[object, int]] = [
        (True, 401),
        ("yes", 401),
        (1, 401),
        (False, 200),
        (None, 200),
        ("", 200),
        (0, 200),
    ]
    for answer, status in answers:

        def is_revoked(claims: dict[str, Any], answer: object = answer) -> object:
            return answer

        guard = Guard(VERIFIER, is_revoked=is_revoked)
        assert _status(drive(guard, [f"Bearer {TOKEN}"], {})) == status, answer


def test_run_async_awaits_a_coroutine_is_revoked_and_run_sync_refuses_one() -> None:
    async def is_revoked(claims: dict[str, Any]) -> bool:
        await asyncio.sleep(0)
        return bool(claims["sub"] == "revoked")

    guard = Guard(VERIFIER, is_revoked=is_revoked)
    assert _async(guard, [f"Bearer {TOKEN}"], {}) == {"sub": "cookie-user"}
    answer = _async(guard, [f"Bearer {REVOKED}"], {})
    assert isinstance(answer, Answer)
    assert (
        dict(answer.auth_headers)["www-authenticate"]
        == 'Bearer error="invalid_token", error_description="token revoked"'
    )
    # The sync driver cannot await: the coroutine is closed, never left unawaited.
    with pytest.raises(minijwt.InvalidOptionError, match="awaitable"):
        _sync(guard, [f"Bearer {TOKEN}"], {})


class _Boom(Exception):
    """Not a refusal: the server's own failure."""


def _raising(error: BaseException) -> Callable[[str], dict[str, Any]]:
    def verify(token: str) -> dict[str, Any]:
        raise error

    return verify


def _araising(error: BaseException) -> Callable[[str], Awaitable[dict[str, Any]]]:
    async def verify(token: str) -> dict[str, Any]:
        raise error

    return verify


def test_an_error_that_is_not_a_refusal_propagates_from_both_drivers() -> None:
    """Only the token's and the keys' failures (401, 503) are answered; anything else is the server's 500."""
    guard = Guard(VERIFIER)
    with pytest.raises(_Boom):
        run_sync(guard, _raising(_Boom()), "GET", "/", [f"Bearer {TOKEN}"], {}, dict)
    with pytest.raises(_Boom):
        asyncio.run(run_async(guard, _araising(_Boom()), "GET", "/", [f"Bearer {TOKEN}"], {}, dict))
    down = minijwt.JWKSFetchError("refreshing the key set failed (network)", reason="network")
    outcome = run_sync(guard, _raising(down), "GET", "/", [f"Bearer {TOKEN}"], {}, dict)
    assert _status(outcome) == 503
    outcome = asyncio.run(run_async(guard, _araising(down), "GET", "/", [f"Bearer {TOKEN}"], {}, dict))
    assert _status(outcome) == 503


def test_a_stop_iteration_out_of_a_verifier_or_a_hook_never_lets_a_request_through() -> None:
    """A stray StopIteration out of a verifier or a hook fails closed: it is never read as an outcome."""
    guard = Guard(VERIFIER)
    with pytest.raises(StopIteration):
        run_sync(guard, _raising(StopIteration()), "GET", "/", [f"Bearer {TOKEN}"], {}, dict)
    with pytest.raises(RuntimeError):  # a coroutine turns it into a RuntimeError (PEP 479)
        asyncio.run(run_async(guard, _araising(StopIteration()), "GET", "/", [f"Bearer {TOKEN}"], {}, dict))

    def stops(claims: dict[str, Any]) -> bool:
        raise StopIteration

    hooked = Guard(VERIFIER, is_revoked=stops)
    with pytest.raises(StopIteration):
        _sync(hooked, [f"Bearer {TOKEN}"], {})
    with pytest.raises(RuntimeError):
        _async(hooked, [f"Bearer {TOKEN}"], {})

    def hook_stops(headers: Mapping[str, str]) -> str | None:
        raise StopIteration

    with pytest.raises(StopIteration):
        _sync(Guard(VERIFIER, get_token=hook_stops), [], {})
    with pytest.raises(RuntimeError):
        _async(Guard(VERIFIER, get_token=hook_stops), [], {})


def test_a_plain_is_revoked_returning_an_awaitable_is_a_configuration_error() -> None:
    async def revoked() -> bool:
        return True  # never awaited: refused first

    with pytest.raises(minijwt.InvalidOptionError):
        call_is_revoked_sync(lambda claims: revoked(), {})  # a coroutine, closed unawaited
    assert call_is_revoked_sync(lambda claims: "yes", {}) is True


class _WaitingKeys:
    """A key source whose lookup may wait, as the JWKS clients'."""

    def __init__(self) -> None:
        self.key = minijwt.JWK.from_key(SECRET).key
        self.waited = 0

    async def aresolve_key(self, header: Mapping[str, Any], alg: Any) -> Any:
        await asyncio.sleep(0)
        self.waited += 1
        return self.key


def test_the_async_driver_verifies_without_awaiting_unless_the_keys_may_wait() -> None:
    assert VERIFIER.may_wait is False
    assert async_verify(VERIFIER) == VERIFIER.decode
    keys = _WaitingKeys()
    waiting = minijwt.JWTVerifier(keys, algorithms=["HS256"])
    assert waiting.may_wait is True
    assert async_verify(waiting) == waiting.adecode
    # Either way, the same decisions: the claims, and a refusal answered.
    for verifier in (VERIFIER, waiting):
        guard = Guard(verifier)
        verify = async_verify(verifier)
        outcome = asyncio.run(run_async(guard, verify, "GET", "/", [f"Bearer {TOKEN}"], {}, dict))
        assert outcome == {"sub": "cookie-user"}
        expired = minijwt.encode({"sub": "a", "exp": 1}, SECRET)
        refused = asyncio.run(run_async(guard, verify, "GET", "/", [f"Bearer {expired}"], {}, dict))
        assert isinstance(refused, Answer)
        assert (refused.status, refused.error) == (401, "invalid_token")
    assert keys.waited == 2
