"""Fixtures of the web tests: a fake issuer and its tokens, a loopback JWK Set server with faults, verifiers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from support.jwks_server import JWKSServer, jwks_reply
from support.servers import request

import minijwt
from minijwt.jwks_client import JWKSClient
from minijwt.testing import BAD_TOKEN_KINDS, FakeIssuer, FrozenClock

ISSUER = "https://login.example"
AUDIENCE = "https://api.example"

MakeToken = Callable[..., str]


@pytest.fixture
def issuer() -> FakeIssuer:
    """The identity provider: RS256, its first key k1, its tokens (``minijwt.testing``)."""
    return FakeIssuer(ISSUER, "RS256", audience=AUDIENCE, kid="k1")


@pytest.fixture
def jwks(issuer: FakeIssuer) -> Iterator[JWKSServer]:
    """The issuer's key server, publishing its keys at /jwks (a test swaps the reply to inject a fault)."""
    served = JWKSServer()
    served.routes["/jwks"] = jwks_reply(issuer.jwks())
    yield served
    served.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def client(jwks: JWKSServer, clock: FrozenClock) -> JWKSClient:
    return JWKSClient(jwks.url(), clock=clock, timeout=5)


@pytest.fixture
def verifier(client: JWKSClient) -> minijwt.JWTVerifier:
    return minijwt.JWTVerifier(client, algorithms=["RS256"], issuer=ISSUER, audience=AUDIENCE, require=["exp"])


@pytest.fixture
def token(issuer: FakeIssuer) -> MakeToken:
    """``token(**claim_changes)``: alice's token with scope orders:read, signed with the issuer's current key."""

    def make(**changes: Any) -> str:
        return issuer.token(**{"sub": "alice", "scope": "orders:read", "expires_in": 600, **changes})

    return make


def bad_tokens(issuer: FakeIssuer) -> dict[str, str]:
    """Tokens every protected route must refuse with 401 invalid_token: each kind the fake issuer makes, and junk."""
    made = {kind: issuer.bad_token(kind) for kind, (_, status) in BAD_TOKEN_KINDS.items() if status == 401}
    return {**made, "not a jwt": "abc.def"}


def from_cookie(headers: Mapping[str, str]) -> str | None:
    """A ``get_token`` hook: the ``access_token`` cookie."""
    for part in (headers.get("cookie") or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "access_token":
            return value
    return None


# The request targets a client may send against exempt=["/docs*"], as they go
# on the wire: uvicorn and waitress decode them once and normalize nothing.
# The prefix covers "/docs" and what lies below it on a "/" boundary.
BELOW_DOCS = ["/docs", "/docs/", "/docs/index.html", "/docs/a/b.js", "/docs%2Findex.html"]
# Beside "/docs", not below it; or below it only until a dot segment (with
# "/" or "\" as the separator, RFC 3986 §5.2.4) or a second decoding takes
# the path elsewhere.
NOT_BELOW_DOCS = [
    "/docsadmin",
    "/docs.json",
    "/docs2",
    "/docs-internal/x",
    "/docs\\admin",
    "/docs/../admin",
    "/docs/..%2Fadmin",
    "/docs/%2e%2e/admin",
    "/docs/%2E%2E/admin",
    "/docs/.%2e/admin",
    "/docs\\..\\admin",
    "/docs/x\\..\\..\\admin",
    "/docs/x%5c..%5c..%5cadmin",
    "/docs/x/..\\..\\admin",
    "/docs/%252e%252e/admin",
    "/docs/..",
    "/docs/./x",
    "/docs//admin",
]


def check_docs_prefix(port: int, reached: list[str]) -> None:
    """Against a server for exempt=["/docs*"]: what lies below passes, and nothing else does without a token."""
    for path in BELOW_DOCS:
        assert request(port, path).status == 204, path
    for path in NOT_BELOW_DOCS:
        answer = request(port, path)
        assert answer.status == 401, path
        assert answer.json()["error"] == "missing_token", path
    assert len(reached) == len(BELOW_DOCS)
