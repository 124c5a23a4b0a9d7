"""MultiIssuerVerifier against fake issuers: discovery, JWK Sets, faults, and the SSRF guard.

The issuers are FakeIssuers, reached through ``fetch=`` (no socket), and over
loopback HTTP where the real connection is the point.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from support.jwks_server import JWKSServer, jwks_reply
from support.servers import ConnectionCounter

import minijwt
from minijwt import IssuerConfig, MultiIssuerVerifier
from minijwt.testing import FakeIssuer, FrozenClock, fetch_from

TID = "9188040d-6c67-4c5b-b112-36a304b66dad"
OTHER_TID = "3c5f1b2e-0d4a-4c8e-9f6b-7a2d1e0c9b8a"
NOW = 1_800_000_000
LOGIN = "https://login.example"


def fake_at_now(issuer: str = "https://issuer.test", **options: Any) -> FakeIssuer:
    """A FakeIssuer whose tokens are issued at NOW, the time the tests decode at."""
    return FakeIssuer(issuer, clock=FrozenClock(NOW), **options)


# --- 1. the verifier, its options and its entry points -------------------------------------------


def test_import_minijwt_does_not_load_the_multi_issuer_module() -> None:
    import subprocess

    code = "import sys, minijwt; print('minijwt.multi_issuer' in sys.modules, 'minijwt.jwks_client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout  # noqa: S603
    assert out.split() == ["False", "False"]
    assert minijwt.MultiIssuerVerifier is MultiIssuerVerifier


def test_a_listed_issuer_verifies_with_its_jwks_found_by_discovery() -> None:
    fake = fake_at_now("https://a.example", kid="a1")
    verifier = MultiIssuerVerifier(
        {fake.issuer: IssuerConfig()}, algorithms=["ES256"], audience="api", fetch=fake.fetch
    )
    assert verifier.decode(fake.token("alice"), now=NOW)["sub"] == "alice"
    assert verifier.decode_complete(fake.token(), now=NOW).header["kid"] == "a1"
    assert asyncio.run(verifier.adecode(fake.token(), now=NOW))["iss"] == fake.issuer
    assert fake.fetches[fake.discovery_url] == 1
    assert fake.fetches[fake.jwks_uri] == 1
    status = verifier.status()
    assert list(status) == [fake.issuer]
    assert status[fake.issuer].fetches == 1


def test_jwks_uri_and_keys_need_no_discovery() -> None:
    a, b = fake_at_now("https://a.example"), fake_at_now("https://b.example")
    verifier = MultiIssuerVerifier(
        {
            a.issuer: IssuerConfig(jwks_uri=a.jwks_uri),
            b.issuer: IssuerConfig(minijwt.JWKSet.from_dict(b.jwks())),
        },
        algorithms="ES256",
        audience="api",
        fetch=fetch_from(a, b),
    )
    assert verifier.decode(a.token(), now=NOW)["iss"] == a.issuer
    assert verifier.decode(b.token(), now=NOW)["iss"] == b.issuer
    assert dict(a.fetches) == {a.jwks_uri: 1}
    assert not b.fetches
    assert list(verifier.status()) == [a.issuer]


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
    b = fake_at_now("https://b.example")
    verifier = MultiIssuerVerifier(
        {
            "https://a.example": IssuerConfig(secret, audience="api-a", leeway=30),
            b.issuer: IssuerConfig(minijwt.JWKSet.from_dict(b.jwks()), algorithms=["ES256"]),
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
    assert verifier.decode(b.token(aud="api"), now=NOW)
    with pytest.raises(minijwt.InvalidAlgorithmError):
        verifier.decode(minijwt.encode({"iss": b.issuer, "aud": "api"}, secret), now=NOW)
    with pytest.raises(minijwt.InvalidAlgorithmError):
        verifier.decode(b.token(iss="https://a.example", aud="api-a"), now=NOW)


# --- 3. route before any I/O -------------------------------------------------------------------


def test_unlisted_issuers_cost_no_fetch_however_many() -> None:
    fake = fake_at_now("https://a.example", kid="a1")
    verifier = MultiIssuerVerifier({fake.issuer: IssuerConfig()}, algorithms="ES256", audience="api", fetch=fake.fetch)
    for n in range(1000):
        with pytest.raises(minijwt.InvalidIssuerError):
            verifier.decode(fake.token(iss=f"https://unlisted-{n}.example"), now=NOW)
    # A FakeIssuer's token always has an iss member (iss=None writes null): a token without one is signed here.
    key = minijwt.JWK.generate("ES256", kid="a1")
    with pytest.raises(minijwt.MissingRequiredClaimError):
        verifier.decode(
            minijwt.encode({"sub": "alice", "exp": NOW + 600}, key, "ES256", headers={"kid": "a1"}), now=NOW
        )
    assert not fake.fetches


def test_a_function_issuer_that_answers_none_costs_no_fetch() -> None:
    fake = fake_at_now()
    asked: list[str] = []

    def issuers(iss: str) -> IssuerConfig | None:
        asked.append(iss)
        return None

    verifier = MultiIssuerVerifier(issuers, algorithms="ES256", audience="api", fetch=fake.fetch)
    for n in range(1000):
        with pytest.raises(minijwt.InvalidIssuerError):
            verifier.decode(fake.token(iss=f"{fake.issuer}/t{n}"), now=NOW)
    assert len(asked) == 1000
    assert not fake.fetches


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


def test_the_same_kid_at_two_issuers_never_crosses() -> None:
    a, b = fake_at_now("https://a.example", kid="shared"), fake_at_now("https://b.example", kid="shared")
    verifier = MultiIssuerVerifier(
        {a.issuer: IssuerConfig(), b.issuer: IssuerConfig()}, algorithms="ES256", audience="api", fetch=fetch_from(a, b)
    )
    assert verifier.decode(a.token(), now=NOW)
    assert verifier.decode(b.token(), now=NOW)
    with pytest.raises(minijwt.InvalidSignatureError):
        verifier.decode(a.token(iss=b.issuer), now=NOW)  # B's name, A's key under B's kid
    with pytest.raises(minijwt.InvalidSignatureError):
        verifier.decode(b.token(iss=a.issuer), now=NOW)


def test_issuers_differing_only_by_path_are_two_issuers() -> None:
    a, b = fake_at_now("https://idp.example/oauth2/a", kid="k"), fake_at_now("https://idp.example/oauth2/b", kid="k")
    verifier = MultiIssuerVerifier(
        {a.issuer: IssuerConfig(), b.issuer: IssuerConfig()}, algorithms="ES256", audience="api", fetch=fetch_from(a, b)
    )
    assert verifier.decode(b.token(), now=NOW)
    with pytest.raises(minijwt.InvalidSignatureError):
        verifier.decode(a.token(iss=b.issuer), now=NOW)
    assert not a.fetches  # B's token fetched B's documents only
    assert verifier.decode(a.token(), now=NOW)


def test_two_issuers_on_one_jwks_uri_share_its_fetch_and_each_accepts_its_own_name() -> None:
    keys = fake_at_now("https://keys.example")
    verifier = MultiIssuerVerifier(
        {
            "https://old.example": IssuerConfig(jwks_uri=keys.jwks_uri, audience="api"),
            "https://new.example": IssuerConfig(jwks_uri=keys.jwks_uri, audience="api"),
        },
        algorithms="ES256",
        fetch=keys.fetch,
    )
    for iss in ("https://old.example", "https://new.example") * 3:
        assert verifier.decode(keys.token(iss=iss, aud="api"), now=NOW)["iss"] == iss
    assert keys.fetches[keys.jwks_uri] == 1
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(keys.token(iss="https://other.example", aud="api"), now=NOW)


def test_a_jwk_issuer_member_must_name_the_tokens_issuer(server: JWKSServer) -> None:
    # A FakeIssuer's keys carry no "issuer" member: this JWK Set, and the tokens of its keys, are made by hand.
    template = f"{server.origin}/{{tenantid}}/v2.0"
    tenant_issuer = f"{server.origin}/{TID}/v2.0"

    def key(kid: str, issuer: str) -> minijwt.JWK:
        return minijwt.JWK.from_dict({**minijwt.JWK.generate("ES256", kid=kid).to_dict(private=True), "issuer": issuer})

    def token(signer: minijwt.JWK, tid: str) -> str:
        claims = {"iss": tenant_issuer, "sub": "alice", "exp": NOW + 600, "tid": tid}
        return minijwt.encode(claims, signer, "ES256", headers={"kid": signer.kid})

    # Entra's way: every key names the issuer with a literal {tenantid}.
    entra = key("e1", template)
    pinned = key("p1", f"{server.origin}/{OTHER_TID}/v2.0")
    server.routes["/keys"] = jwks_reply({"keys": [entra.public().to_dict(), pinned.public().to_dict()]})
    verifier = MultiIssuerVerifier({tenant_issuer: IssuerConfig(jwks_uri=server.url("/keys"))}, algorithms="ES256")
    assert verifier.decode(token(entra, TID), now=NOW)
    with pytest.raises(minijwt.KeyNotFoundError):
        verifier.decode(token(pinned, TID), now=NOW)  # the key is another tenant's
    with pytest.raises(minijwt.KeyNotFoundError):
        verifier.decode(token(entra, OTHER_TID), now=NOW)  # its tid fills the member otherwise


# --- 5. tenant templates ----------------------------------------------------------------------------


def entra(tenants: Any) -> tuple[FakeIssuer, MultiIssuerVerifier]:
    """Entra's shape: one template for every tenant, and one JWK Set shared by all of them."""
    keys = fake_at_now(f"{LOGIN}/common")
    verifier = MultiIssuerVerifier(
        {f"{LOGIN}/{{tenantid}}/v2.0": IssuerConfig(jwks_uri=keys.jwks_uri, tenants=tenants)},
        algorithms="ES256",
        audience="api",
        fetch=keys.fetch,
    )
    return keys, verifier


def test_a_template_accepts_its_listed_tenants_and_shares_one_jwks() -> None:
    # Over loopback HTTP: allow_private_networks lets a template's tenants be fetched from there.
    with FakeIssuer.serving(clock=FrozenClock(NOW)) as keys:
        verifier = MultiIssuerVerifier(
            {f"{keys.issuer}/{{tenantid}}/v2.0": IssuerConfig(jwks_uri=keys.jwks_uri, tenants=[TID, OTHER_TID])},
            algorithms="ES256",
            audience="api",
            allow_private_networks=True,
        )
        for tid in (TID, OTHER_TID, TID):
            assert verifier.decode(keys.token(iss=f"{keys.issuer}/{tid}/v2.0", tid=tid), now=NOW)["tid"] == tid
        assert keys.fetches[keys.jwks_uri] == 1
        assert set(verifier.status()) == {f"{keys.issuer}/{TID}/v2.0", f"{keys.issuer}/{OTHER_TID}/v2.0"}


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
def test_a_template_refuses_every_other_tenant(path: str, tid: str | None) -> None:
    keys, verifier = entra([TID, TID.upper()])
    claims: dict[str, Any] = {} if tid is None else {"tid": tid}
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(keys.token(iss=f"{LOGIN}/{path}/v2.0", **claims), now=NOW)
    assert not keys.fetches


def test_a_held_tenant_still_needs_its_tid_on_every_token() -> None:
    keys, verifier = entra(lambda tid: True)
    issuer = f"{LOGIN}/{TID}/v2.0"
    assert verifier.decode(keys.token(iss=issuer, tid=TID), now=NOW)
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(keys.token(iss=issuer, tid=OTHER_TID), now=NOW)
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(keys.token(iss=issuer), now=NOW)


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


def test_a_cold_start_under_threads_costs_one_discovery_and_one_fetch() -> None:
    fake = fake_at_now("https://a.example")
    fake.delay(0.2, times=None)  # every answer slow: the threads all meet the cold cache
    verifier = MultiIssuerVerifier({fake.issuer: IssuerConfig()}, algorithms="ES256", audience="api", fetch=fake.fetch)
    tokens = [fake.token() for _ in range(1000)]
    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda t: verifier.decode(t, now=NOW), tokens))
    assert len(results) == 1000
    assert fake.fetches[fake.discovery_url] == 1
    assert fake.fetches[fake.jwks_uri] == 1


def test_a_cold_start_of_a_function_issuer_under_tasks_costs_one_discovery_and_one_fetch() -> None:
    fake = fake_at_now("https://a.example")
    fake.delay(0.2, times=None)  # every answer slow: the tasks all meet the cold cache
    built: list[str] = []

    async def issuers(iss: str) -> IssuerConfig | None:
        built.append(iss)
        await asyncio.sleep(0)
        return IssuerConfig() if iss == fake.issuer else None

    # A plain fetch, so that only the coroutine issuers function makes the verifier adecode-only.
    verifier = MultiIssuerVerifier(issuers, algorithms="ES256", audience="api", fetch=fake.fetch)

    async def main() -> list[dict[str, Any]]:
        return await asyncio.gather(*(verifier.adecode(fake.token(), now=NOW) for _ in range(200)))

    assert len(asyncio.run(main())) == 200
    assert fake.fetches[fake.discovery_url] == 1
    assert fake.fetches[fake.jwks_uri] == 1
    with pytest.raises(minijwt.InvalidKeyError, match="adecode"):
        verifier.decode(fake.token(), now=NOW)  # a coroutine function serves adecode only


def test_issuers_from_a_function_are_held_at_most_max_issuers() -> None:
    fakes = [fake_at_now(f"https://idp.example/t{n}") for n in range(5)]
    issuers_seen = [fake.issuer for fake in fakes]
    verifier = MultiIssuerVerifier(
        lambda iss: IssuerConfig(), algorithms="ES256", audience="api", fetch=fetch_from(*fakes), max_issuers=2
    )
    for fake in fakes:
        verifier.decode(fake.token(), now=NOW)
    assert list(verifier.status()) == issuers_seen[-2:]
    verifier.decode(fakes[0].token(), now=NOW)  # evicted: built, and fetched, again
    assert fakes[0].fetches[fakes[0].jwks_uri] == 2
    assert list(verifier.status()) == [issuers_seen[4], issuers_seen[0]]


def test_a_failed_discovery_is_remembered_for_the_cooldown() -> None:
    clock = FrozenClock(NOW)
    fake = FakeIssuer("https://down.example", clock=clock)
    fake.fail(404, times=None)  # nothing published there
    verifier = MultiIssuerVerifier(
        {fake.issuer: IssuerConfig()}, algorithms="ES256", audience="api", fetch=fake.fetch, clock=clock
    )
    for _ in range(5):
        with pytest.raises(minijwt.JWKSFetchError):
            verifier.decode(fake.token())
    assert fake.fetches[fake.discovery_url] == 1
    clock.advance(31)
    with pytest.raises(minijwt.JWKSFetchError):
        verifier.decode(fake.token())
    assert fake.fetches[fake.discovery_url] == 2


# --- 7. the SSRF guard -----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_function_issuer_on_a_private_address_is_refused_without_a_connection(host: str, caplog: Any) -> None:
    counter = ConnectionCounter()
    try:
        fake = fake_at_now()
        verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256", audience="api")
        issuer = f"https://{host}:{counter.port}"
        with caplog.at_level(logging.WARNING, logger="minijwt"):
            for _ in range(3):
                with pytest.raises(minijwt.InvalidIssuerError, match="may not be contacted"):
                    verifier.decode(fake.token(iss=issuer), now=NOW)
        assert counter.accepted == 0
        assert sum("forbidden_address" in record.getMessage() for record in caplog.records) == 1
    finally:
        counter.close()


def test_a_template_tenant_on_a_private_address_is_refused_without_a_connection() -> None:
    counter = ConnectionCounter()
    try:
        fake = fake_at_now()
        template = f"https://localhost:{counter.port}/{{tenantid}}/v2.0"  # a name: checked when resolved
        verifier = MultiIssuerVerifier(
            {template: IssuerConfig(tenants=lambda tid: True)}, algorithms="ES256", audience="api"
        )
        with pytest.raises(minijwt.InvalidIssuerError):
            verifier.decode(fake.token(iss=template.replace("{tenantid}", TID), tid=TID), now=NOW)
        assert counter.accepted == 0
    finally:
        counter.close()


@pytest.mark.parametrize(
    "issuer",
    ["http://login.example", "https://user@login.example", "https://login.example?x=1", "https://login.example#f"],
)
def test_a_function_issuer_that_is_not_a_plain_https_url_is_refused(issuer: str) -> None:
    fake = fake_at_now()
    verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256", audience="api")
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(fake.token(iss=issuer), now=NOW)


def test_with_a_fetch_function_the_url_rules_hold_but_not_the_address_rule() -> None:
    fake = fake_at_now("https://127.0.0.1:9")  # a loopback address, reached through the fake's fetch only
    verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256", audience="api", fetch=fake.fetch)
    assert verifier.decode(fake.token("alice"), now=NOW)["sub"] == "alice"
    assert list(fake.fetches.items()) == [(fake.discovery_url, 1), (fake.jwks_uri, 1)]

    # A discovery document no FakeIssuer publishes: its jwks_uri carries userinfo.
    def insecure(url: str, *, headers: Any, timeout: float, max_bytes: int) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, b'{"issuer": "https://login.example", "jwks_uri": "https://u@login.example/jwks"}'

    verifier = MultiIssuerVerifier(lambda iss: IssuerConfig(), algorithms="ES256", audience="api", fetch=insecure)
    with pytest.raises(minijwt.InvalidIssuerError):
        verifier.decode(fake.token(iss="https://login.example"), now=NOW)


def test_allow_private_networks_lets_a_function_issuer_be_fetched_from_loopback() -> None:
    with FakeIssuer.serving(clock=FrozenClock(NOW)) as fake:
        verifier = MultiIssuerVerifier(
            lambda iss: IssuerConfig(), algorithms="ES256", audience="api", allow_private_networks=True
        )
        assert verifier.decode(fake.token(), now=NOW)["iss"] == fake.issuer
        assert dict(fake.fetches) == {fake.discovery_url: 1, fake.jwks_uri: 1}


def test_listed_issuers_follow_the_jwks_client_rules() -> None:
    # The operator's own configuration: loopback http is allowed, as for JWKSClient.
    with FakeIssuer.serving(clock=FrozenClock(NOW)) as fake:
        verifier = MultiIssuerVerifier({fake.issuer: IssuerConfig()}, algorithms="ES256", audience="api")
        assert verifier.decode(fake.token(), now=NOW)
        assert dict(fake.fetches) == {fake.discovery_url: 1, fake.jwks_uri: 1}


# --- 8. errors as the middleware needs them ---------------------------------------------------------------


def test_the_asgi_middleware_answers_401_for_an_unknown_issuer_and_503_for_unreachable_keys() -> None:
    from minijwt.asgi import JWTAuthMiddleware

    fake = fake_at_now("https://down.example")
    fake.fail(times=None)  # the issuer is down
    verifier = MultiIssuerVerifier({fake.issuer: IssuerConfig()}, algorithms="ES256", audience="api", fetch=fake.fetch)

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

    status, headers = status_of(fake.token(iss="https://unknown.example"))
    assert status == 401
    assert b'error="invalid_token"' in headers[b"www-authenticate"]
    status, headers = status_of(fake.token())
    assert status == 503
    assert headers[b"retry-after"] == b"30"
    assert verifier.status()[fake.issuer].last_error is not None


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
