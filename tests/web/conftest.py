"""Fixtures of the web tests: a loopback JWK Set server, keys made once, tokens, verifiers."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from support import b64u_encode
from support.jwks_server import FakeClock, JWKSServer, jwks_reply
from support.servers import request

import minijwt
from minijwt.jwks_client import JWKSClient

ISSUER = "https://login.example"
AUDIENCE = "https://api.example"

MakeToken = Callable[..., str]


@pytest.fixture(scope="session")
def keys() -> tuple[minijwt.JWK, minijwt.JWK]:
    """Two RS256 signing keys: k1 is published from the start, k2 later."""
    return minijwt.JWK.generate("RS256", kid="k1"), minijwt.JWK.generate("RS256", kid="k2")


@pytest.fixture
def jwks(keys: tuple[minijwt.JWK, minijwt.JWK]) -> Iterator[JWKSServer]:
    """The issuer's key server, publishing k1."""
    served = JWKSServer()
    served.routes["/jwks"] = jwks_reply([keys[0]])
    yield served
    served.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(jwks: JWKSServer, clock: FakeClock) -> JWKSClient:
    return JWKSClient(jwks.url(), clock=clock, timeout=5)


@pytest.fixture
def verifier(client: JWKSClient) -> minijwt.JWTVerifier:
    return minijwt.JWTVerifier(client, algorithms=["RS256"], issuer=ISSUER, audience=AUDIENCE)


def claims(**changes: Any) -> dict[str, Any]:
    """A valid claim set, with changes (a None value removes the claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "alice",
        "iat": now,
        "exp": now + 600,
        "scope": "orders:read",
    }
    base.update(changes)
    return {name: value for name, value in base.items() if value is not None}


@pytest.fixture
def token(keys: tuple[minijwt.JWK, minijwt.JWK]) -> MakeToken:
    """``token(key=k1, **claim_changes)``: a signed RS256 token."""

    def make(key: minijwt.JWK | None = None, **changes: Any) -> str:
        signer = key if key is not None else keys[0]
        return minijwt.encode(claims(**changes), signer, "RS256", headers={"kid": signer.kid})

    return make


def unsigned_token() -> str:
    """``alg: none``."""
    header = b64u_encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{b64u_encode(json.dumps(claims()).encode())}."


def hs256_with_public_key(key: minijwt.JWK) -> str:
    """The key-confusion attack: HS256 keyed with the RSA public key's PEM."""
    header = b64u_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64u_encode(json.dumps(claims()).encode())
    secret = key.public().to_pem()
    signature = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64u_encode(signature)}"


def tampered(token: str) -> str:
    """The same token with another payload (the signature no longer matches)."""
    header, _, signature = token.split(".")
    return f"{header}.{b64u_encode(json.dumps(claims(sub='mallory')).encode())}.{signature}"


def bad_tokens(make: MakeToken, keys: tuple[minijwt.JWK, minijwt.JWK]) -> dict[str, str]:
    """Tokens every protected route must refuse with 401 invalid_token."""
    now = int(time.time())
    return {
        "expired": make(exp=now - 60, iat=now - 700),
        "tampered": tampered(make()),
        "wrong audience": make(aud="https://other.example"),
        "wrong issuer": make(iss="https://evil.example"),
        "alg none": unsigned_token(),
        "hs256 with the public key": hs256_with_public_key(keys[0]),
        "not a jwt": "abc.def",
    }


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
