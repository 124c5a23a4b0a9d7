"""MultiIssuerVerifier against real issuers on loopback: discovery, JWK Sets, faults, and the SSRF guard."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support.jwks_server import JWKSServer, Reply, json_reply, jwks_reply
from support.servers import ConnectionCounter

import minijwt
from minijwt import IssuerConfig, MultiIssuerVerifier
from minijwt.testing import FrozenClock

TID = "9188040d-6c67-4c5b-b112-36a304b66dad"
OTHER_TID = "3c5f1b2e-0d4a-4c8e-9f6b-7a2d1e0c9b8a"
NOW = 1_800_000_000


def publish(
    server: JWKSServer, path: str, keys: list[minijwt.JWK] | dict[str, Any], *, issuer: str | None = None
) -> str:
    """Serve an issuer at ``server``'s ``path``: its discovery document and its JWK Set; return the issuer."""
    issuer = issuer or f"{server.origin}{path}"
    server.routes[f"{path}/.well-known/openid-configuration"] = json_reply(
        {"issuer": issuer, "jwks_uri": server.url(f"{path}/jwks")}
    )
    server.routes[f"{path}/jwks"] = jwks_reply(keys)
    return issuer


def token(key: minijwt.JWK, iss: str | None, **claims: Any) -> str:
    body: dict[str, Any] = {"sub": "alice", "exp": NOW + 600, **claims}
    if iss is not None:
        body["iss"] = iss
    return minijwt.encode(body, key, key.alg or "ES256", headers={"kid": key.kid})


def es256(kid: str, **extra: Any) -> minijwt.JWK:
    jwk = minijwt.JWK.generate("ES256", kid=kid)
    if not extra:
        return jwk
    return minijwt.JWK.from_dict({**jwk.to_dict(private=True), **extra})


@pytest.fixture
def other_server() -> Iterator[JWKSServer]:
    served = JWKSServer()
    yield served
    served.close()


# --- 1. the verifier, its options and its entry points -------------------------------------------


def test_import_minijwt_does_not_load_the_multi_issuer_module() -> None:
    import subprocess

    code = "import sys, minijwt; print('minijwt.multi_issuer' in sys.modules, 'minijwt.jwks_client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.split() == ["False", "False"]
    assert minijwt.MultiIssuerVerifier is MultiIssuerVerifier


def test_a_listed_issuer_verifies_with_its_jwks_found_by_discovery(server: JWKSServer) -> None:
    key = es256("a1")
    issuer = publish(server, "/a", [key])
    verifier = MultiIssuerVerifier({issuer: IssuerConfig()}, algorithms=["ES256"])
    assert verifier.decode(token(key, issuer), now=NOW)["sub"] == "alice"
    assert verifier.decode_complete(token(key, issuer), now=NOW).header["kid"] == "a1"
    assert asyncio.run(verifier.adecode(token(key, issuer), now=NOW))["iss"] == issuer
    assert server.count("/a/.well-known/openid-configuration") == 1
    assert server.count("/a/jwks") == 1
    status = verifier.status()
    assert list(status) == [issuer]
    assert status[issuer].fetches == 1


def test_jwks_uri_and_keys_need_no_discovery(server: JWKSServer) -> None:
    a, b = es256("a1"), es256("b1")
    server.routes["/a-keys"] = jwks_reply([a])
    verifier = MultiIssuerVerifier(
        {
            "https://a.example": IssuerConfig(jwks_uri=server.url("/a-keys")),
            "https://b.example": IssuerConfig(minijwt.JWKSet([b.public()])),
        },
        algorithms="ES256",
    )
    assert verifier.decode(token(a, "https://a.example"), now=NOW)["iss"] == "https://a.example"
    assert verifier.decode(token(b, "https://b.example"), now=NOW)["iss"] == "https://b.example"
    assert [request.path for request in server.requests] == ["/a-keys"]
    assert list(verifier.status()) == ["https://a.example"]


def test_clock_is_read_when_no_now_is_given() -> None:
    key = b"secret-of-issuer-a-32-bytes-long"
    clock = FrozenClock(NOW)
    verifier = MultiIssuerVerifier({"https://a.example": IssuerConfig(key)}, algorithms="HS256", clock=clock)
    issued = minijwt.encode({"iss": "https://a.example", "exp": NOW + 10}, key)
    assert verifier.decode(issued)["exp"] == NOW + 10
    clock.advance(11)
    with pytest.raises(minijwt.ExpiredSignatureError):
        verifier.decode(issued)


def test_options_are_checked_when_the_verifier_is_built() -> None:
    config = {"https://a.example": IssuerConfig(b"secret-of-issuer-a-32-bytes-long")}
    with pytest.raises(minijwt.InvalidOptionError, match="unknown option"):
        MultiIssuerVerifier(config, algorithms="HS256", levee=3)
    with pytest.raises(minijwt.InvalidOptionError, match="unknown option"):
        IssuerConfig(b"k", cache_tll=3)
    with pytest.raises(minijwt.InvalidOptionError, match="not both"):
        IssuerConfig(b"k", jwks_uri="https://a.example/jwks")
    for bad in ({"max_issuers": 0}, {"max_issuers": "9"}, {"allow_private_networks": 1}, {"leeway": -1}):
        with pytest.raises(minijwt.InvalidOptionError):
            MultiIssuerVerifier(config, algorithms="HS256", **bad)
    with pytest.raises(minijwt.InvalidOptionError):
        MultiIssuerVerifier({}, algorithms="HS256")
    with pytest.raises(minijwt.InvalidOptionError):
        MultiIssuerVerifier({"https://a.example": "key"}, algorithms="HS256")  # type: ignore[dict-item]
    with pytest.raises(minijwt.InvalidOptionError):  # an issuer's own option, checked when it is prepared
        MultiIssuerVerifier(
            {"https://a.example": IssuerConfig(b"secret-of-issuer-a-32-bytes-long", leeway="x")}, algorithms="HS256"
        )
    with pytest.raises(minijwt.InvalidKeyError):  # a listed issuer's key fits none of its algorithms
        MultiIssuerVerifier(
            {"https://a.example": IssuerConfig(b"secret-of-issuer-a-32-bytes-long")}, algorithms="ES256"
        )
    with pytest.raises(minijwt.InvalidOptionError, match="tenants"):
        MultiIssuerVerifier({"https://a.example": IssuerConfig(b"k" * 32, tenants=[TID])}, algorithms="HS256")


# --- 2. per-issuer options replace the verifier's --------------------------------------------


def test_an_issuers_audience_and_algorithms_replace_the_verifiers() -> None:
    secret = b"secret-of-issuer-a-32-bytes-long"
    es = es256("b1")
    verifier = MultiIssuerVerifier(
        {
            "https://a.example": IssuerConfig(secret, audience="api-a", leeway=30),
            "https://b.example": IssuerConfig(minijwt.JWKSet([es.public()]), algorithms=["ES256"]),
        },
        algorithms=["HS256"],
        audience="api",
    )
    # A's audience replaces the verifier's ...
    assert verifier.decode(
        minijwt.encode({"iss": "https://a.example", "aud": "api-a", "exp": NOW - 20}, secret), now=NOW
    )
    with pytest.raises(minijwt.InvalidAudienceError):
        verifier.decode(minijwt.encode({"iss": "https://a.example", "aud": "api"}, secret), now=NOW)
    # ... B inherits it, and allows an algorithm the verifier's list lacks, and only that one.
    assert verifier.decode(token(es, "https://b.example", aud="api"), now=NOW)
    with pytest.raises(minijwt.InvalidAlgorithmError):
        verifier.decode(minijwt.encode({"iss": "https://b.example", "aud": "api"}, secret), now=NOW)
    with pytest.raises(minijwt.InvalidAlgorithmError):
        verifier.decode(token(es, "https://a.example", aud="api-a"), now=NOW)


# --- 3. route before any I/O -------------------------------------------------------------------


def test_unlisted_issuers_cost_no_fetch_however_many(server: JWKSServer) -> None:
    key = es256("a1")
    issuer = publish(server, "/a", [key])
    verifier = MultiIssuerVerifier({issuer: IssuerConfig()}, algorithms="ES256")
    for n in range(1000):
        with pytest.raises(minijwt.InvalidIssuerError):
            verifier.decode(token(key, f"https://unlisted-{n}.example"), now=NOW)
    with pytest.raises(minijwt.MissingRequiredClaimError):
        verifier.decode(token(key, None), now=NOW)
    assert server.requests == []


def test_a_function_issuer_that_answers_none_costs_no_fetch(server: JWKSServer) -> None:
    key = es256("a1")
    asked: list[str] = []

    def issuers(iss: str) -> IssuerConfig | None:
        asked.append(iss)
        return None

    verifier = MultiIssuerVerifier(issuers, algorithms="ES256", allow_private_networks=True)
    for n in range(1000):
        with pytest.raises(minijwt.InvalidIssuerError):
            verifier.decode(token(key, f"{server.origin}/t{n}"), now=NOW)
    assert len(asked) == 1000
    assert server.requests == []


def test_the_payload_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import minijwt._json as json_module

    secret = b"secret-of-issuer-a-32-bytes-long"
    verifier = MultiIssuerVerifier({"https://a.example": IssuerConfig(secret)}, algorithms="HS256")
    calls: list[str] = []
    original = json_module.loads_object

    def counting(data: bytes, what: str) -> dict[str, Any]:
        calls.append(what)
        return original(data, what)

    for module in ("minijwt.multi_issuer", "minijwt.jwt"):
        monkeypatch.setattr(f"{module}.loads_object", counting)
    verifier.decode(minijwt.encode({"iss": "https://a.example"}, secret))
    assert calls.count("payload") == 1


# --- 4. isolation --------------------------------------------------------------------------------


def test_the_same_kid_at_two_issuers_never_crosses(server: JWKSServer, other_server: JWKSServer) -> None:
    a, b = es256("shared"), es256("shared")
    issuer_a = publish(server, "/a", [a])
    issuer_b = publish(other_server, "/b", [b])
    verifier = MultiIssuerVerifier({issuer_a: IssuerConfig(), issuer_b: IssuerConfig()}, algorithms="ES256")
    assert verifier.decode(token(a, issuer_a), now=NOW)
    assert verifier.decode(token(b, issuer_b), now=NOW)
    with pytest.raises(minijwt.InvalidSignatureError):
        verifier.decode(token(a, issuer_b), now=NOW)  # B's name, A's key under B's kid
    with pytest.raises(minijwt.InvalidSignatureError):
        verifier.decode(token(b, issuer_a), now=NOW)


def test_issuers_differing_only_by_path_are_two_issuers(server: JWKSServer) -> None:
    a, b = es256("k"), es256("k")
    issuer_a = publish(server, "/oauth2/a", [a])
    issuer_b = publish(server, "/oauth2/b", [b])
    verifier = MultiIssuerVerifier({issuer_a: IssuerConfig(), issuer_b: IssuerConfig()}, algorithms="ES256")
    assert verifier.decode(token(b, issuer_b), now=NOW)
    with pytest.raises(minijwt.InvalidSignatureError):
        verifier.decode(token(a, issuer_b), now=NOW)
    assert server.count("/oauth2/a/jwks") == 0  # B's token fetched B's keys only
    assert verifier.decode(token(a, issuer_a), now=NOW)


def test_two_issuers_on_one_jwks_uri_share_its_fetch_and_each_accepts_its_own_name(server: JWKSServer) -> None:
    key = es256("k1")
    server.routes["/shared"] = jwks_reply([key])
    verifier = MultiIssuerVerifier(
        {
            "https://old.example": IssuerConfig(jwks_uri=server.url("/shared"), audience="api"),
            "https://new.example": IssuerConfig(jwks_uri=server.url("/shared"), audience="api"),
        },
        algorithms="ES256",
    )
    for iss in ("https://old.example", "https://new.example") * 3:
        assert verifier.decode(token(key, iss, aud="api"), now=NOW)["iss"] == iss
    assert server.count("/shared") == 1
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(token(key, "https://other.example", aud="api"), now=NOW)


def test_a_jwk_issuer_member_must_name_the_tokens_issuer(server: JWKSServer) -> None:
    template = f"{server.origin}/{{tenantid}}/v2.0"
    tenant_issuer = f"{server.origin}/{TID}/v2.0"
    # Entra's way: every key names the issuer with a literal {tenantid}.
    entra = es256("e1", issuer=template)
    pinned = es256("p1", issuer=f"{server.origin}/{OTHER_TID}/v2.0")
    server.routes["/keys"] = jwks_reply({"keys": [entra.public().to_dict(), pinned.public().to_dict()]})
    verifier = MultiIssuerVerifier({tenant_issuer: IssuerConfig(jwks_uri=server.url("/keys"))}, algorithms="ES256")
    assert verifier.decode(token(entra, tenant_issuer, tid=TID), now=NOW)
    with pytest.raises(minijwt.KeyNotFoundError):
        verifier.decode(token(pinned, tenant_issuer, tid=TID), now=NOW)  # the key is another tenant's
    with pytest.raises(minijwt.KeyNotFoundError):
        verifier.decode(token(entra, tenant_issuer, tid=OTHER_TID), now=NOW)  # its tid fills the member otherwise


# --- 5. tenant templates ----------------------------------------------------------------------------


def entra(server: JWKSServer, key: minijwt.JWK, tenants: Any) -> MultiIssuerVerifier:
    server.routes["/common/keys"] = jwks_reply([key])
    return MultiIssuerVerifier(
        {f"{server.origin}/{{tenantid}}/v2.0": IssuerConfig(jwks_uri=server.url("/common/keys"), tenants=tenants)},
        algorithms="ES256",
        allow_private_networks=True,
    )


def test_a_template_accepts_its_listed_tenants_and_shares_one_jwks(server: JWKSServer) -> None:
    key = es256("k1")
    verifier = entra(server, key, [TID, OTHER_TID])
    for tid in (TID, OTHER_TID, TID):
        assert verifier.decode(token(key, f"{server.origin}/{tid}/v2.0", tid=tid), now=NOW)["tid"] == tid
    assert server.count("/common/keys") == 1
    assert set(verifier.status()) == {f"{server.origin}/{TID}/v2.0", f"{server.origin}/{OTHER_TID}/v2.0"}


@pytest.mark.parametrize(
    ("path", "tid"),
    [
        ("common", "common"),
        ("organizations", "organizations"),
        ("consumers", "consumers"),
        ("11111111-1111-1111-1111-111111111111", "11111111-1111-1111-1111-111111111111"),  # not listed
        (TID, OTHER_TID),  # tid does not match iss
        (TID, None),
        (TID.upper(), TID.upper()),
    ],
)
def test_a_template_refuses_every_other_tenant(server: JWKSServer, path: str, tid: str | None) -> None:
    key = es256("k1")
    verifier = entra(server, key, [TID, TID.upper()])
    claims = {} if tid is None else {"tid": tid}
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(token(key, f"{server.origin}/{path}/v2.0", **claims), now=NOW)
    assert server.requests == []


def test_a_held_tenant_still_needs_its_tid_on_every_token(server: JWKSServer) -> None:
    key = es256("k1")
    verifier = entra(server, key, lambda tid: True)
    issuer = f"{server.origin}/{TID}/v2.0"
    assert verifier.decode(token(key, issuer, tid=TID), now=NOW)
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(token(key, issuer, tid=OTHER_TID), now=NOW)
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(token(key, issuer), now=NOW)


def test_a_template_without_tenants_is_a_configuration_mistake() -> None:
    with pytest.raises(minijwt.InvalidOptionError, match="lambda tid: True"):
        MultiIssuerVerifier(
            {"https://login.example/{tenantid}/v2.0": IssuerConfig(jwks_uri="https://login.example/keys")},
            algorithms="RS256",
        )
    with pytest.raises(minijwt.InvalidOptionError, match="global"):
        MultiIssuerVerifier(
            {"https://10.1.2.3/{tenantid}/v2.0": IssuerConfig(jwks_uri="https://login.example/keys", tenants=[TID])},
            algorithms="RS256",
        )


# --- 6. bounded and shared -----------------------------------------------------------------------------


def test_a_cold_start_under_threads_costs_one_discovery_and_one_fetch(server: JWKSServer) -> None:
    key = es256("a1")
    issuer = publish(server, "/a", [key])
    server.routes["/a/jwks"] = Reply(**{**jwks_reply([key]).__dict__, "delay": 0.2})
    verifier = MultiIssuerVerifier({issuer: IssuerConfig()}, algorithms="ES256")
    tokens = [token(key, issuer, jti=str(n)) for n in range(1000)]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda t: verifier.decode(t, now=NOW), tokens))
    assert len(results) == 1000
    assert server.count("/a/.well-known/openid-configuration") == 1
    assert server.count("/a/jwks") == 1


def test_a_cold_start_of_a_function_issuer_under_tasks_costs_one_discovery_and_one_fetch(server: JWKSServer) -> None:
    key = es256("a1")
    issuer = publish(server, "/a", [key])
    server.routes["/a/jwks"] = Reply(**{**jwks_reply([key]).__dict__, "delay": 0.2})
    built: list[str] = []

    async def issuers(iss: str) -> IssuerConfig | None:
        built.append(iss)
        await asyncio.sleep(0)
        return IssuerConfig() if iss == issuer else None

    verifier = MultiIssuerVerifier(issuers, algorithms="ES256", allow_private_networks=True)

    async def main() -> list[dict[str, Any]]:
        return await asyncio.gather(*(verifier.adecode(token(key, issuer), now=NOW) for _ in range(200)))

    assert len(asyncio.run(main())) == 200
    assert server.count("/a/.well-known/openid-configuration") == 1
    assert server.count("/a/jwks") == 1
    with pytest.raises(minijwt.InvalidKeyError, match="adecode"):
        verifier.decode(token(key, issuer), now=NOW)  # a coroutine function serves adecode only


def test_issuers_from_a_function_are_held_at_most_max_issuers(server: JWKSServer) -> None:
    key = es256("a1")
    issuers_seen = [publish(server, f"/t{n}", [key]) for n in range(5)]
    verifier = MultiIssuerVerifier(
        lambda iss: IssuerConfig(), algorithms="ES256", allow_private_networks=True, max_issuers=2
    )
    for issuer in issuers_seen:
        verifier.decode(token(key, issuer), now=NOW)
    assert list(verifier.status()) == issuers_seen[-2:]
    verifier.decode(token(key, issuers_seen[0]), now=NOW)  # evicted: built, and fetched, again
    assert server.count("/t0/jwks") == 2
    assert list(verifier.status()) == [issuers_seen[4], issuers_seen[0]]


def test_a_failed_discovery_is_remembered_for_the_cooldown(server: JWKSServer) -> None:
    key = es256("a1")
    issuer = f"{server.origin}/down"
    clock = FrozenClock(NOW)
    verifier = MultiIssuerVerifier({issuer: IssuerConfig()}, algorithms="ES256", clock=clock)
    for _ in range(5):
        with pytest.raises(minijwt.JWKSFetchError):
            verifier.decode(token(key, issuer))
    assert server.count("/down/.well-known/openid-configuration") == 1
    clock.advance(31)
    with pytest.raises(minijwt.JWKSFetchError):
        verifier.decode(token(key, issuer))
    assert server.count("/down/.well-known/openid-configuration") == 2


# --- 7. the SSRF guard -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_function_issuer_on_a_private_address_is_refused_without_a_connection(host: str, caplog: Any) -> None:
    counter = ConnectionCounter()
    try:
        key = es256("a1")
        verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256")
        issuer = f"https://{host}:{counter.port}"
        with caplog.at_level(logging.WARNING, logger="minijwt"):
            for _ in range(3):
                with pytest.raises(minijwt.InvalidIssuerError, match="may not be contacted"):
                    verifier.decode(token(key, issuer), now=NOW)
        assert counter.accepted == 0
        assert sum("forbidden_address" in record.getMessage() for record in caplog.records) == 1
    finally:
        counter.close()


def test_a_template_tenant_on_a_private_address_is_refused_without_a_connection() -> None:
    counter = ConnectionCounter()
    try:
        key = es256("a1")
        template = f"https://localhost:{counter.port}/{{tenantid}}/v2.0"  # a name: checked when resolved
        verifier = MultiIssuerVerifier({template: IssuerConfig(tenants=lambda tid: True)}, algorithms="ES256")
        with pytest.raises(minijwt.InvalidIssuerError):
            verifier.decode(token(key, template.replace("{tenantid}", TID), tid=TID), now=NOW)
        assert counter.accepted == 0
    finally:
        counter.close()


@pytest.mark.parametrize(
    "issuer",
    ["http://login.example", "https://user@login.example", "https://login.example?x=1", "https://login.example#f"],
)
def test_a_function_issuer_that_is_not_a_plain_https_url_is_refused(issuer: str) -> None:
    key = es256("a1")
    verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256")
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(token(key, issuer), now=NOW)


def test_with_a_fetch_function_the_url_rules_hold_but_not_the_address_rule() -> None:
    key = es256("a1")
    fetched: list[str] = []
    jwks = minijwt.JWKSet([key.public()]).to_json().encode()

    def fetch(url: str, *, headers: Any, timeout: float, max_bytes: int) -> tuple[int, dict[str, str], bytes]:
        fetched.append(url)
        if url.endswith("/openid-configuration"):
            return 200, {}, b'{"issuer": "https://127.0.0.1:9", "jwks_uri": "https://127.0.0.1:9/jwks"}'
        return 200, {}, jwks

    verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256", fetch=fetch)
    assert verifier.decode(token(key, "https://127.0.0.1:9"), now=NOW)["sub"] == "alice"
    assert fetched == ["https://127.0.0.1:9/.well-known/openid-configuration", "https://127.0.0.1:9/jwks"]

    def insecure(url: str, *, headers: Any, timeout: float, max_bytes: int) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, b'{"issuer": "https://login.example", "jwks_uri": "https://u@login.example/jwks"}'

    verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256", fetch=insecure)
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(token(key, "https://login.example"), now=NOW)


def test_allow_private_networks_lets_a_function_issuer_be_fetched_from_loopback(server: JWKSServer) -> None:
    key = es256("a1")
    issuer = publish(server, "/a", [key])
    verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256", allow_private_networks=True)
    assert verifier.decode(token(key, issuer), now=NOW)["iss"] == issuer


def test_listed_issuers_follow_the_jwks_client_rules(server: JWKSServer) -> None:
    # The operator's own configuration: loopback http is allowed, as for JWKSClient.
    key = es256("a1")
    issuer = publish(server, "/a", [key])
    assert MultiIssuerVerifier({issuer: IssuerConfig()}, algorithms="ES256").decode(token(key, issuer), now=NOW)


# --- 8. errors as the middleware needs them ---------------------------------------------------------------


def test_the_asgi_middleware_answers_401_for_an_unknown_issuer_and_503_for_unreachable_keys(server: JWKSServer) -> None:
    from minijwt.asgi import JWTAuthMiddleware

    key = es256("a1")
    issuer = f"{server.origin}/down"
    verifier = MultiIssuerVerifier({issuer: IssuerConfig()}, algorithms="ES256")

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    protected = JWTAuthMiddleware(app, verifier=verifier)

    def status_of(bearer: str) -> tuple[int, dict[bytes, bytes]]:
        sent: list[Any] = []

        async def send(message: Any) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "GET",
            "path": "/",
            "headers": [(b"authorization", f"Bearer {bearer}".encode())],
        }
        asyncio.run(protected(scope, None, send))  # type: ignore[arg-type]
        return sent[0]["status"], dict(sent[0]["headers"])

    status, headers = status_of(token(key, "https://unknown.example"))
    assert status == 401
    assert b'error="invalid_token"' in headers[b"www-authenticate"]
    status, headers = status_of(token(key, issuer))
    assert status == 503
    assert headers[b"retry-after"] == b"30"
    assert verifier.status()[issuer].last_error is not None


def test_every_adapter_takes_a_multi_issuer_verifier() -> None:
    import flask

    from minijwt.asgi import JWTAuthMiddleware as ASGIMiddleware
    from minijwt.fastapi import JWTBearer
    from minijwt.flask import JWTAuth
    from minijwt.wsgi import JWTAuthMiddleware as WSGIMiddleware

    secret = b"secret-of-issuer-a-32-bytes-long"
    verifier = MultiIssuerVerifier({"https://a.example": IssuerConfig(secret)}, algorithms="HS256")
    assert isinstance(verifier, minijwt.TokenVerifier)
    ASGIMiddleware(lambda *a: None, verifier=verifier)  # type: ignore[arg-type]
    JWTBearer(verifier)
    auth = JWTAuth(verifier)
    wsgi = WSGIMiddleware(lambda environ, start: [environ["minijwt.claims"]["iss"].encode()], verifier=verifier)
    good = minijwt.encode({"iss": "https://a.example"}, secret)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "HTTP_AUTHORIZATION": f"Bearer {good}"}
    assert b"".join(wsgi(environ, lambda *a: None)) == b"https://a.example"
    app = flask.Flask("t")
    app.add_url_rule("/", view_func=auth.required(lambda: "ok"))
    assert app.test_client().get("/", headers={"Authorization": f"Bearer {good}"}).status_code == 200

    # A verifier that can only adecode is refused by the WSGI middleware when it is built.
    async def fetch(url: str, **options: Any) -> Any:
        raise AssertionError("never fetched")

    with pytest.raises(minijwt.InvalidOptionError, match="adecode"):
        WSGIMiddleware(
            lambda environ, start: [], verifier=MultiIssuerVerifier(lambda iss: None, algorithms="ES256", fetch=fetch)
        )


# --- 9. access tokens -----------------------------------------------------------------------------------------


def test_the_access_token_preset_applies_rfc_9068_to_every_issuer() -> None:
    secret = b"secret-of-issuer-a-32-bytes-long"
    verifier = MultiIssuerVerifier.access_token(
        {"https://a.example": IssuerConfig(secret), "https://b.example": IssuerConfig(secret, require=["scope"])},
        audience="https://api.example",
        algorithms="HS256",
    )
    claims = {"aud": "https://api.example", "sub": "s", "client_id": "c", "jti": "j", "iat": NOW, "exp": NOW + 60}
    at = {"typ": "at+jwt"}
    assert verifier.decode(minijwt.encode({**claims, "iss": "https://a.example"}, secret, headers=at), now=NOW)
    with pytest.raises(minijwt.InvalidTokenTypeError):  # an ID token, say
        verifier.decode(minijwt.encode({**claims, "iss": "https://a.example"}, secret), now=NOW)
    with pytest.raises(minijwt.MissingRequiredClaimError):  # B's require adds to the profile's
        verifier.decode(minijwt.encode({**claims, "iss": "https://b.example"}, secret, headers=at), now=NOW)
    without_client = {k: v for k, v in claims.items() if k != "client_id"}
    with pytest.raises(minijwt.MissingRequiredClaimError):
        verifier.decode(minijwt.encode({**without_client, "iss": "https://a.example"}, secret, headers=at), now=NOW)
    with pytest.raises(minijwt.InvalidOptionError):
        MultiIssuerVerifier.access_token(
            {"https://a.example": IssuerConfig(secret, typ="JWT")}, audience="x", algorithms="HS256"
        )
    with pytest.raises(minijwt.InvalidOptionError):
        MultiIssuerVerifier.access_token({"https://a.example": IssuerConfig(secret)}, audience=None, algorithms="HS256")  # type: ignore[arg-type]
