"""The routing rules of the multi-issuer verifier, without I/O (``minijwt._issuers``)."""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import minijwt
from minijwt import InvalidIssuerError, InvalidOptionError, IssuerConfig, MissingRequiredClaimError, MultiIssuerVerifier
from minijwt._issuers import (
    MAX_ISSUER_LENGTH,
    check_dynamic_issuer,
    check_template,
    dynamic_issuer_problem,
    fetched_url_problem,
    issuer_member_matches,
    match_template,
    tenant_rule,
    token_issuer,
)
from minijwt.multi_issuer import _guarded
from minijwt.testing import FrozenClock

TID = "9188040d-6c67-4c5b-b112-36a304b66dad"
TEMPLATE = "https://login.microsoftonline.com/{tenantid}/v2.0"
ISSUER = f"https://login.microsoftonline.com/{TID}/v2.0"
OTHER_TID = "11111111-1111-1111-1111-111111111111"


def test_the_issuer_is_read_as_it_is_when_it_is_routing_text() -> None:
    assert token_issuer({"iss": "https://login.example/a"}) == "https://login.example/a"
    assert token_issuer({"iss": "x" * MAX_ISSUER_LENGTH}) == "x" * MAX_ISSUER_LENGTH
    # Printable text beyond ASCII is text like any other.
    assert token_issuer({"iss": "https://é.example"}) == "https://é.example"


def test_a_token_without_iss_misses_a_required_claim() -> None:
    with pytest.raises(MissingRequiredClaimError) as caught:
        token_issuer({"sub": "a"})
    assert caught.value.claim == "iss"


@pytest.mark.parametrize(
    "iss",
    [
        "",
        "x" * (MAX_ISSUER_LENGTH + 1),
        "https://a.example\n",
        "https://a.example\x00",
        "https://a.example\x1f",
        "https://a.example\x7f",  # DEL
        "https://a.example\x85",  # C1 (NEL)
        "https://a.example\x9f",
        42,
        ["https://a.example"],
        {"iss": "x"},
        True,
    ],
)
def test_an_issuer_that_is_not_routing_text_is_an_invalid_issuer(iss: Any) -> None:
    with pytest.raises(InvalidIssuerError) as caught:
        token_issuer({"iss": iss})
    assert caught.value.claim == "iss"  # the claim at fault, as programs read it


def test_a_template_matches_the_token_whose_iss_is_it_with_its_tid() -> None:
    assert match_template(ISSUER, {"tid": TID}, {TEMPLATE: None}) == (TEMPLATE, TID)


@pytest.mark.parametrize(
    ("iss", "tid"),
    [
        ("https://login.microsoftonline.com/common/v2.0", "common"),
        ("https://login.microsoftonline.com/organizations/v2.0", "organizations"),
        ("https://login.microsoftonline.com/consumers/v2.0", "consumers"),
        (ISSUER, TID.upper()),  # a tid in upper case is not the lower-case GUID form
        (ISSUER.replace(TID, TID.upper()), TID.upper()),
        (ISSUER, "00000000-0000-0000-0000-000000000000"),  # a tid that does not match iss
        (ISSUER, None),
        (ISSUER, 7),
        (f"https://login.microsoftonline.com/{TID}/v2.0/extra", TID),  # not the template, exactly
        (f"https://evil.example/{TID}/v2.0", TID),
        (f"https://login.microsoftonline.com/{TID}{TID}/v2.0", TID),
    ],
)
def test_a_template_does_not_match_any_other_token(iss: str, tid: object) -> None:
    assert match_template(iss, {"tid": tid}, {TEMPLATE: None}) is None


def test_tenants_are_a_collection_or_a_function_and_required() -> None:
    assert tenant_rule(TEMPLATE, [TID])(TID)
    assert not tenant_rule(TEMPLATE, [TID])("11111111-1111-1111-1111-111111111111")
    assert tenant_rule(TEMPLATE, lambda tid: True)(TID)
    # Only True accepts: a function returning a truthy non-bool is a mistake that accepts no one.
    assert not tenant_rule(TEMPLATE, lambda tid: "yes")(TID)
    # The function is asked about the token's own tenant.
    only_ours = tenant_rule(TEMPLATE, lambda tid: tid == TID)
    assert only_ours(TID)
    assert not only_ours("11111111-1111-1111-1111-111111111111")
    with pytest.raises(InvalidOptionError, match="needs tenants="):
        tenant_rule(TEMPLATE, None)
    for bad in (TID, 42, [TID, 3]):
        with pytest.raises(InvalidOptionError):
            tenant_rule(TEMPLATE, bad)


@pytest.mark.parametrize(
    "template",
    [
        "https://login.example/{tenantid}/{tenantid}",
        "http://login.example/{tenantid}",
        "https://10.0.0.1/{tenantid}",
        "https://127.0.0.1/{tenantid}",
        "https://[::1]/{tenantid}",
        "https://169.254.169.254/{tenantid}",
        "https://user@login.example/{tenantid}",
        "https://login.example/{tenantid}?x=1",
    ],
)
def test_a_template_that_could_never_be_a_safe_issuer_is_refused_at_start_up(template: str) -> None:
    with pytest.raises(InvalidOptionError):
        check_template(template, allow_private_networks=False)


def test_a_template_may_name_a_global_unicast_address_but_no_multicast_one() -> None:
    # Only the global internet: a multicast group is no issuer's host, even in a global range.
    check_template("https://93.184.216.34/{tenantid}", allow_private_networks=False)
    check_template("https://[2001:4860:4860::8888]/{tenantid}", allow_private_networks=False)
    for template in ("https://224.0.1.1/{tenantid}", "https://[ff0e::1]/{tenantid}"):
        with pytest.raises(InvalidOptionError, match="not a global address"):
            check_template(template, allow_private_networks=False)


def test_allow_private_networks_lets_a_template_name_a_loopback_host() -> None:
    check_template("http://127.0.0.1:8080/{tenantid}", allow_private_networks=True)
    check_template("https://10.0.0.1/{tenantid}", allow_private_networks=True)


@pytest.mark.parametrize(
    "iss",
    [
        "http://login.example",
        "login.example",
        "https://",
        "https://user:pw@login.example",
        "https://login.example?tenant=a",
        "https://login.example#a",
        "https://login.example:99999",
        "ftp://login.example",
    ],
)
def test_an_issuer_a_token_chose_is_contacted_over_https_without_userinfo_query_or_fragment(iss: str) -> None:
    with pytest.raises(InvalidIssuerError) as caught:
        check_dynamic_issuer(iss, allow_private_networks=False)
    assert caught.value.claim == "iss"


@pytest.mark.parametrize(
    ("iss", "problem"),
    [
        ("https://login.example:99999", "the issuer is not a URL"),
        ("https://[::1", "the issuer is not a URL"),
        ("https://", "the issuer is not a URL with a host"),
        ("login.example", "the issuer is not a URL with a host"),
        ("http://login.example", "the issuer is not an https URL"),
        ("ftp://login.example", "the issuer is not an https URL"),
        ("https://user:pw@login.example", "the issuer holds user information"),
        ("https://login.example?tenant=a", "an issuer identifier has no query or fragment (RFC 8414 section 2)"),
        ("https://login.example#a", "an issuer identifier has no query or fragment (RFC 8414 section 2)"),
        # An empty query or fragment is one too: the identifier is compared as text, "?" and all.
        ("https://login.example?", "an issuer identifier has no query or fragment (RFC 8414 section 2)"),
        ("https://login.example/a#", "an issuer identifier has no query or fragment (RFC 8414 section 2)"),
    ],
)
def test_each_issuer_a_token_chose_is_refused_for_its_own_reason(iss: str, problem: str) -> None:
    # Each rule of RFC 8414 section 2 (and the host rule) refuses on its own: the reason says which.
    assert dynamic_issuer_problem(iss, allow_private_networks=False) == problem
    with pytest.raises(InvalidIssuerError, match=f"refused: {re.escape(problem)}$"):
        check_dynamic_issuer(iss, allow_private_networks=False)


def test_plain_http_to_loopback_only_with_private_networks_allowed() -> None:
    check_dynamic_issuer("http://127.0.0.1:8080/a", allow_private_networks=True)
    check_dynamic_issuer("http://localhost:8080/a", allow_private_networks=True)
    check_dynamic_issuer("http://[::1]:8080/a", allow_private_networks=True)
    # Not loopback: an address elsewhere, or a name other than localhost (it could resolve anywhere).
    for iss in ("http://10.0.0.1/a", "http://login.example/a", "http://localhost.example/a"):
        with pytest.raises(InvalidIssuerError, match="not an https URL"):
            check_dynamic_issuer(iss, allow_private_networks=True)


def test_fetched_urls_are_https_without_userinfo() -> None:
    assert fetched_url_problem("https://login.example/jwks?v=2") is None
    assert fetched_url_problem("http://login.example/jwks") == "the URL is not https"
    assert fetched_url_problem("https://a@login.example/jwks") == "the URL holds user information"
    assert fetched_url_problem("https://login.example:bad/") == "the URL is malformed"


def test_a_jwk_issuer_member_names_the_tokens_issuer_with_its_tenant() -> None:
    assert issuer_member_matches(TEMPLATE, ISSUER, TID)
    assert not issuer_member_matches(TEMPLATE, ISSUER, "11111111-1111-1111-1111-111111111111")
    assert not issuer_member_matches(TEMPLATE, ISSUER, None)
    assert issuer_member_matches("https://a.example", "https://a.example", None)
    assert not issuer_member_matches("https://a.example", "https://a.example/", None)
    assert not issuer_member_matches(["https://a.example"], "https://a.example", None)


# --- MultiIssuerVerifier with keys in memory and fetch functions: no I/O ------------------------------------

SECRET = b"secret-of-issuer-a-32-bytes-long"
NOW = 1_800_000_000
# Long past: a token valid only at PAST fails at the system clock, so a now= dropped on the way shows.
PAST = 1_000_000_000
AUDIENCE = "https://api.example"
AT_CLAIMS = {"aud": AUDIENCE, "sub": "s", "client_id": "c", "jti": "j", "iat": NOW, "exp": NOW + 60}
AT = {"typ": "at+jwt"}


def hs(claims: dict[str, Any], **headers: Any) -> str:
    return minijwt.encode(claims, SECRET, headers=headers or None)


class FakeFetch:
    """A fetch= function serving one issuer's discovery document and JWK Set, recording every call."""

    def __init__(self, issuer: str, key: minijwt.JWK) -> None:
        self.issuer = issuer
        self.jwks = minijwt.JWKSet([key.public()]).to_json().encode()
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, url: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
        self.calls.append((url, options))
        if url.endswith("/.well-known/openid-configuration"):
            document = {"issuer": self.issuer, "jwks_uri": f"{self.issuer}/jwks"}
            return 200, {}, json.dumps(document).encode()
        return 200, {}, self.jwks


def es256_token(key: minijwt.JWK, iss: str) -> str:
    return minijwt.encode({"iss": iss, "sub": "alice", "exp": NOW + 600}, key, "ES256", headers={"kid": key.kid})


@pytest.mark.parametrize("preset", [False, True])
def test_issuers_from_a_function_are_held_at_most_max_issuers_by_default_100(preset: bool) -> None:
    # The bound on issuers a token's author can make the verifier hold (least recently used first out).
    asked: list[str] = []

    def issuers(iss: str) -> IssuerConfig:
        asked.append(iss)
        return IssuerConfig(SECRET)

    def build(**options: Any) -> MultiIssuerVerifier:
        if preset:
            return MultiIssuerVerifier.access_token(issuers, audience=AUDIENCE, algorithms="HS256", **options)
        return MultiIssuerVerifier(issuers, algorithms="HS256", audience=AUDIENCE, **options)

    def decode(verifier: MultiIssuerVerifier, iss: str) -> None:
        verifier.decode(hs({**AT_CLAIMS, "iss": iss}, **AT), now=NOW)

    verifier = build()
    for n in range(100):
        decode(verifier, f"https://{n}.example")
    decode(verifier, "https://0.example")  # held: not asked again
    assert len(asked) == 100
    decode(verifier, "https://100.example")  # the 101st pushes out the least recently used, "1"
    decode(verifier, "https://1.example")
    assert asked[100:] == ["https://100.example", "https://1.example"]
    one = build(max_issuers=1)
    asked.clear()
    for iss in ("https://a.example", "https://b.example", "https://a.example"):
        decode(one, iss)
    assert asked == ["https://a.example", "https://b.example", "https://a.example"]


def test_the_access_token_preset_passes_clock_fetch_and_allow_private_networks_on() -> None:
    clock = FrozenClock(NOW)
    listed = MultiIssuerVerifier.access_token(
        {"https://a.example": IssuerConfig(SECRET)}, audience=AUDIENCE, algorithms="HS256", clock=clock
    )
    issued = hs({**AT_CLAIMS, "iss": "https://a.example", "exp": NOW + 10}, **AT)
    assert listed.decode(issued)["exp"] == NOW + 10
    clock.advance(11)
    with pytest.raises(minijwt.ExpiredSignatureError):
        listed.decode(issued)

    key = minijwt.JWK.generate("ES256", kid="k1")
    claims = {**AT_CLAIMS, "sub": "alice"}
    for issuer, allow in (("https://login.invalid", False), ("http://127.0.0.1:9", True)):
        fetch = FakeFetch(issuer, key)
        verifier = MultiIssuerVerifier.access_token(
            lambda iss: IssuerConfig(),
            audience=AUDIENCE,
            algorithms="ES256",
            fetch=fetch,
            allow_private_networks=allow,
        )
        text = minijwt.encode({**claims, "iss": issuer}, key, "ES256", headers={"kid": "k1", **AT})
        assert verifier.decode(text, now=NOW)["iss"] == issuer
        assert [url for url, _ in fetch.calls] == [f"{issuer}/.well-known/openid-configuration", f"{issuer}/jwks"]
    # Private networks are refused unless allowed: plain http to loopback is never fetched.
    fetch = FakeFetch("http://127.0.0.1:9", key)
    strict = MultiIssuerVerifier.access_token(
        lambda iss: IssuerConfig(), audience=AUDIENCE, algorithms="ES256", fetch=fetch
    )
    with pytest.raises(InvalidIssuerError):
        strict.decode(minijwt.encode({**claims, "iss": fetch.issuer}, key, "ES256", headers=AT), now=NOW)
    assert fetch.calls == []


def test_an_access_tokens_typ_may_be_written_as_the_full_media_type() -> None:
    # RFC 9068 §2.1 with RFC 7515 §4.1.9: "application/at+jwt" is the same type as "at+jwt".
    verifier = MultiIssuerVerifier.access_token(
        {"https://a.example": IssuerConfig(SECRET, typ="application/at+jwt")},
        audience=AUDIENCE,
        algorithms="HS256",
        typ="application/at+jwt",
    )
    assert verifier.decode(hs({**AT_CLAIMS, "iss": "https://a.example"}, **AT), now=NOW)["sub"] == "s"
    with pytest.raises(minijwt.InvalidTokenTypeError):
        verifier.decode(hs({**AT_CLAIMS, "iss": "https://a.example"}), now=NOW)


def test_an_access_tokens_require_is_a_list_of_claim_names_not_one_string() -> None:
    # "scope" as a string would otherwise require the claims "s", "c", "o", "p" and "e".
    with pytest.raises(InvalidOptionError, match="require"):
        MultiIssuerVerifier.access_token(
            {"https://a.example": IssuerConfig(SECRET)}, audience="x", algorithms="HS256", require="scope"
        )
    with pytest.raises(InvalidOptionError, match="require"):
        MultiIssuerVerifier.access_token(
            {"https://a.example": IssuerConfig(SECRET, require=b"scope")}, audience="x", algorithms="HS256"
        )
    with pytest.raises(InvalidOptionError, match="require"):
        MultiIssuerVerifier.access_token(
            {"https://a.example": IssuerConfig(SECRET, require=7)}, audience="x", algorithms="HS256"
        )


def test_decode_complete_and_adecode_keep_now_and_the_understood_crit() -> None:
    # crit (RFC 7515 §4.1.11) and now= given to the verifier hold for every entry point.
    verifier = MultiIssuerVerifier({"https://a.example": IssuerConfig(SECRET)}, algorithms="HS256", crit=["exp"])
    text = hs({"iss": "https://a.example", "exp": PAST + 10}, crit=["exp"], exp=PAST + 10)
    complete = verifier.decode_complete(text, now=PAST)
    assert complete.claims == {"iss": "https://a.example", "exp": PAST + 10}
    assert complete.header["crit"] == ["exp"]
    assert asyncio.run(verifier.adecode(text, now=PAST)) == complete.claims
    with pytest.raises(minijwt.ExpiredSignatureError):
        verifier.decode_complete(text, now=PAST + 11)
    with pytest.raises(minijwt.ExpiredSignatureError):
        asyncio.run(verifier.adecode(text, now=PAST + 11))


def test_adecode_routes_templates_and_plain_functions_as_decode_does() -> None:
    # Every refusal of routing is the token's iss at fault (InvalidIssuerError, claim "iss"): a 401.
    def refused_iss(coroutine: Any, match: str) -> None:
        with pytest.raises(InvalidIssuerError, match=match) as caught:
            asyncio.run(coroutine)
        assert caught.value.claim == "iss"

    templates = MultiIssuerVerifier({TEMPLATE: IssuerConfig(SECRET, tenants=[TID])}, algorithms="HS256")
    assert asyncio.run(templates.adecode(hs({"iss": ISSUER, "tid": TID}), now=NOW))["tid"] == TID
    # The held tenant's issuer still needs its tid on every token.
    for claims in ({"iss": ISSUER}, {"iss": ISSUER, "tid": OTHER_TID}):
        refused_iss(templates.adecode(hs(claims), now=NOW), "tid")
    refused_iss(templates.adecode(hs({"iss": ISSUER.replace(TID, OTHER_TID), "tid": OTHER_TID}), now=NOW), "tenant")
    refused_iss(templates.adecode(hs({"iss": "https://b.example"}), now=NOW), "not one this verifier accepts")

    # A plain function serves adecode too: its answer is taken as it is, not awaited.
    plain = MultiIssuerVerifier(
        lambda iss: IssuerConfig(SECRET) if iss == "https://a.example" else None, algorithms="HS256"
    )
    assert asyncio.run(plain.adecode(hs({"iss": "https://a.example"}), now=NOW)) == {"iss": "https://a.example"}
    refused_iss(plain.adecode(hs({"iss": "https://b.example"}), now=NOW), "not one this verifier accepts")


def test_a_refused_fetch_is_the_tokens_fault_only_for_an_issuer_the_token_chose() -> None:
    def refused(url: str, **options: Any) -> Any:
        raise minijwt.JWKSFetchError("refused", reason="forbidden_address")

    key = minijwt.JWK.generate("ES256", kid="k1")
    # A listed issuer's keys refused: our configuration's problem (a 503), never the token's.
    listed = MultiIssuerVerifier(
        {"https://a.example": IssuerConfig(jwks_uri="https://keys.example/jwks")}, algorithms="ES256", fetch=refused
    )
    with pytest.raises(minijwt.JWKSFetchError) as failed:
        listed.decode(es256_token(key, "https://a.example"), now=NOW)
    assert failed.value.reason == "forbidden_address"
    # An issuer the token named: the token pointed there (a 401 on its iss).
    asked: list[str] = []

    def issuers(iss: str) -> IssuerConfig:
        asked.append(iss)
        return IssuerConfig()

    chosen = MultiIssuerVerifier(issuers, algorithms="ES256", fetch=refused)
    for _ in range(2):  # remembered while held: the second token is refused at once, the function not asked again
        with pytest.raises(InvalidIssuerError, match="forbidden_address") as caught:
            chosen.decode(es256_token(key, "https://b.example"), now=NOW)
        assert caught.value.claim == "iss"
    assert asked == ["https://b.example"]


def test_the_guard_of_a_chosen_issuers_fetch_refuses_what_is_not_plain_https_before_fetching() -> None:
    # Keys for an issuer a token's author chose: https only, no user information, whatever the caller checked.
    fetched: list[tuple[str, dict[str, Any]]] = []

    def fetch(url: str, **options: Any) -> str:
        fetched.append((url, options))
        return "answer"

    async def afetch(url: str, **options: Any) -> str:
        return fetch(url, **options)

    guarded, aguarded = _guarded(fetch), _guarded(afetch)
    assert inspect.iscoroutinefunction(aguarded)
    assert not inspect.iscoroutinefunction(guarded)
    options = {"headers": {"accept": "application/json"}, "timeout": 3.0, "max_bytes": 10}
    assert guarded("https://a.example/jwks", **options) == "answer"
    assert asyncio.run(aguarded("https://b.example/jwks", **options)) == "answer"
    assert fetched == [("https://a.example/jwks", options), ("https://b.example/jwks", options)]
    for url in ("http://a.example/jwks", "https://u@a.example/jwks", "https:///jwks", "https://a.example:x/"):
        with pytest.raises(minijwt.JWKSFetchError) as caught:
            guarded(url, **options)
        assert caught.value.reason == "insecure_url"
        with pytest.raises(minijwt.JWKSFetchError) as caught:
            asyncio.run(aguarded(url, **options))
        assert caught.value.reason == "insecure_url"
    assert len(fetched) == 2


def jwks_with_members(*pairs: tuple[minijwt.JWK, str | None]) -> bytes:
    """A JWK Set whose keys carry the given ``issuer`` members (None: no member)."""
    keys = [{**key.public().to_dict(), **({"issuer": member} if member else {})} for key, member in pairs]
    return json.dumps({"keys": keys}).encode()


@pytest.mark.parametrize("asynchronous", [False, True])
def test_adecode_takes_a_published_key_only_when_its_issuer_member_names_the_tokens_issuer(asynchronous: bool) -> None:
    # RFC 8725 §3.8: a key published for another issuer (its JWK "issuer" member) never verifies this one's tokens.
    own, tenant, other, plain = (minijwt.JWK.generate("ES256", kid=kid) for kid in ("own", "tenant", "other", "plain"))
    body = jwks_with_members((own, ISSUER), (tenant, TEMPLATE), (other, "https://other.example"), (plain, None))
    fetched: list[str] = []

    def fetch(url: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
        fetched.append(url)
        return 200, {}, body

    async def afetch(url: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
        return fetch(url, **options)

    verifier = MultiIssuerVerifier(
        {ISSUER: IssuerConfig(jwks_uri="https://keys.example/jwks")},
        algorithms="ES256",
        fetch=afetch if asynchronous else fetch,
    )

    def adecode(key: minijwt.JWK, **claims: Any) -> dict[str, Any]:
        text = minijwt.encode({"iss": ISSUER, "exp": PAST + 10, **claims}, key, "ES256", headers={"kid": key.kid})
        return asyncio.run(verifier.adecode(text, now=PAST))

    # First with nothing held (the fetch path), then with the set held (the fresh path).
    for _ in range(2):
        with pytest.raises(minijwt.KeyNotFoundError):
            adecode(other)
        with pytest.raises(minijwt.KeyNotFoundError):
            adecode(tenant)  # "{tenantid}" in the member, and no tid to put in its place
        assert adecode(own)["iss"] == ISSUER
        assert adecode(tenant, tid=TID)["tid"] == TID
        assert adecode(plain)["iss"] == ISSUER  # no member: the issuer's own set is the issuer's
    assert fetched == ["https://keys.example/jwks"]
    with pytest.raises(minijwt.ExpiredSignatureError):  # now= holds on this path too
        asyncio.run(
            verifier.adecode(
                minijwt.encode({"iss": ISSUER, "exp": PAST + 10}, own, "ES256", headers={"kid": "own"}), now=PAST + 11
            )
        )


def test_a_tid_that_is_not_a_string_fills_no_tenant_template_in_a_key_member() -> None:
    tenant = minijwt.JWK.generate("ES256", kid="tenant")
    body = jwks_with_members((tenant, TEMPLATE))
    verifier = MultiIssuerVerifier(
        {ISSUER: IssuerConfig(jwks_uri="https://keys.example/jwks")},
        algorithms="ES256",
        fetch=lambda url, **options: (200, {}, body),
    )
    for tid in (7, None, [TID], {"tid": TID}):
        text = minijwt.encode({"iss": ISSUER, "tid": tid, "exp": NOW + 10}, tenant, "ES256", headers={"kid": "tenant"})
        with pytest.raises(minijwt.KeyNotFoundError):
            verifier.decode(text, now=NOW)


def test_an_async_fetch_gives_every_issuer_an_async_client() -> None:
    key = minijwt.JWK.generate("ES256", kid="k1")
    body = jwks_with_members((key, None))

    async def afetch(url: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
        return 200, {}, body

    verifier = MultiIssuerVerifier(
        {"https://a.example": IssuerConfig(jwks_uri="https://keys.example/jwks")}, algorithms="ES256", fetch=afetch
    )
    assert verifier.may_wait
    text = es256_token(key, "https://a.example")
    assert asyncio.run(verifier.adecode(text, now=NOW))["iss"] == "https://a.example"
    with pytest.raises(minijwt.InvalidKeyError, match="adecode"):
        verifier.decode(text, now=NOW)


def test_a_tenants_issuer_shares_a_listed_issuers_client_for_the_same_jwks_uri() -> None:
    # One JWK Set URL, one client, one fetch: whichever issuer names it.
    key = minijwt.JWK.generate("ES256", kid="k1")
    fetched: list[str] = []

    def fetch(url: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
        fetched.append(url)
        return 200, {}, jwks_with_members((key, None))

    jwks_uri = "https://keys.example/jwks"
    verifier = MultiIssuerVerifier(
        {
            "https://a.example": IssuerConfig(jwks_uri=jwks_uri),
            "https://b.example/{tenantid}": IssuerConfig(jwks_uri=jwks_uri, tenants=[TID]),
        },
        algorithms="ES256",
        fetch=fetch,
    )
    assert verifier.decode(es256_token(key, "https://a.example"), now=NOW)
    text = minijwt.encode(
        {"iss": f"https://b.example/{TID}", "tid": TID, "exp": NOW + 600}, key, "ES256", headers={"kid": "k1"}
    )
    assert verifier.decode(text, now=NOW)["tid"] == TID
    assert fetched == [jwks_uri]


def test_an_issuers_own_client_options_reach_its_client_and_its_claim_options_do_not() -> None:
    key = minijwt.JWK.generate("ES256", kid="k1")
    seen: list[dict[str, Any]] = []

    def fetch(url: str, **options: Any) -> tuple[int, dict[str, str], bytes]:
        seen.append(options)
        return 200, {}, jwks_with_members((key, None))

    verifier = MultiIssuerVerifier(
        lambda iss: IssuerConfig(jwks_uri=f"{iss}/jwks", headers={"x-api-key": "k"}, timeout=2.5, leeway=5),
        algorithms="ES256",
        fetch=fetch,
    )
    text = minijwt.encode({"iss": "https://a.example", "exp": NOW}, key, "ES256", headers={"kid": "k1"})
    assert verifier.decode(text, now=NOW + 4)["iss"] == "https://a.example"  # leeway: a claim option
    assert seen[0]["headers"]["x-api-key"] == "k"
    assert seen[0]["timeout"] == 2.5


def test_callers_racing_to_one_new_issuer_all_use_the_route_built_first() -> None:
    # One route per issuer: a caller that asked the function before another built the route uses that route,
    # not one of its own from the function's other answer.
    first_asked, built = threading.Event(), threading.Event()
    secrets = iter([b"secret-the-first-caller-is-given!", SECRET])

    def issuers(iss: str) -> IssuerConfig:
        secret = next(secrets)
        if secret != SECRET:
            first_asked.set()
            assert built.wait(10)
        return IssuerConfig(secret)

    verifier = MultiIssuerVerifier(issuers, algorithms="HS256")
    text = hs({"iss": "https://a.example"})
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(verifier.decode, text, now=NOW)
        assert first_asked.wait(10)
        assert verifier.decode(text, now=NOW) == {"iss": "https://a.example"}  # builds the route with SECRET
        built.set()
        assert first.result(10) == {"iss": "https://a.example"}


@pytest.mark.parametrize("iss", [["https://a.example"], {"iss": "https://a.example"}, 7, None, ""])
def test_an_iss_that_is_not_routing_text_is_the_tokens_fault_even_beside_listed_issuers(iss: Any) -> None:
    verifier = MultiIssuerVerifier({"https://a.example": IssuerConfig(SECRET)}, algorithms="HS256")
    text = hs({"sub": "a"} if iss is None else {"iss": iss})
    with pytest.raises((InvalidIssuerError, MissingRequiredClaimError)) as caught:
        verifier.decode(text, now=NOW)
    assert caught.value.claim == "iss"


def test_an_issuers_own_jwks_client_is_its_key_source_with_the_issuer_member_rule() -> None:
    own, other = minijwt.JWK.generate("ES256", kid="own"), minijwt.JWK.generate("ES256", kid="other")
    body = jwks_with_members((own, "https://a.example"), (other, "https://other.example"))
    client = minijwt.JWKSClient("https://keys.example/jwks", fetch=lambda url, **options: (200, {}, body))
    verifier = MultiIssuerVerifier({"https://a.example": IssuerConfig(client)}, algorithms="ES256")
    assert verifier.may_wait
    assert verifier.decode(es256_token(own, "https://a.example"), now=NOW)["iss"] == "https://a.example"
    dated = minijwt.encode({"iss": "https://a.example", "exp": PAST + 10}, own, "ES256", headers={"kid": "own"})
    assert verifier.decode(dated, now=PAST)["exp"] == PAST + 10  # now= reaches the claims check on this path
    with pytest.raises(minijwt.KeyNotFoundError):
        verifier.decode(es256_token(other, "https://a.example"), now=NOW)
    status = verifier.status()
    assert list(status) == ["https://a.example"]
    assert status["https://a.example"].fetches == client.status.fetches == 1


@pytest.mark.parametrize(
    "jwks_uri",
    ["http://127.0.0.1/jwks", "http://keys.example/jwks", "https://u@keys.example/jwks", "https://keys.example/j?x=1"],
)
def test_a_templates_jwks_uri_that_may_not_be_contacted_is_a_configuration_mistake(jwks_uri: str) -> None:
    # Found when the verifier is built, as the option it is: not a token's fault (no InvalidIssuerError).
    with pytest.raises(InvalidOptionError, match="jwks_uri"):
        MultiIssuerVerifier({TEMPLATE: IssuerConfig(jwks_uri=jwks_uri, tenants=[TID])}, algorithms="ES256")


def test_a_verifiers_issuers_are_a_mapping_or_a_function() -> None:
    for issuers in (["https://a.example"], "https://a.example", ("https://a.example",), None):
        with pytest.raises(InvalidOptionError, match="issuers"):
            MultiIssuerVerifier(issuers, algorithms="HS256")  # type: ignore[arg-type]


def test_the_parse_allows_the_algorithms_of_every_listed_issuer_and_template() -> None:
    # Each issuer's own algorithms replace the verifier's; the parse allows any of them, before routing.
    tenant_key = minijwt.JWK.generate("ES256", kid="t")
    other_secret = b"secret-of-issuer-b-is-48-bytes-long-for-hs384!!!"
    verifier = MultiIssuerVerifier(
        {
            "https://a.example": IssuerConfig(SECRET, algorithms=["HS256"]),
            TEMPLATE: IssuerConfig(tenant_key.public(), tenants=[TID], algorithms=["ES256"]),
            "https://b.example": IssuerConfig(other_secret, algorithms=["HS384"]),
        },
        algorithms=["RS256"],
    )
    assert verifier.decode(hs({"iss": "https://a.example"}), now=NOW)["iss"] == "https://a.example"
    at_tenant = minijwt.encode({"iss": ISSUER, "tid": TID}, tenant_key, "ES256", headers={"kid": "t"})
    assert verifier.decode(at_tenant, now=NOW)["tid"] == TID
    assert verifier.decode(minijwt.encode({"iss": "https://b.example"}, other_secret, "HS384"), now=NOW)
    with pytest.raises(minijwt.InvalidAlgorithmError):  # an algorithm no issuer allows: refused at the parse
        verifier.decode(minijwt.encode({"iss": "https://a.example"}, SECRET * 2, "HS512"), now=NOW)


def test_max_token_size_bounds_every_token_before_it_is_routed() -> None:
    verifier = MultiIssuerVerifier({"https://a.example": IssuerConfig(SECRET)}, algorithms="HS256", max_token_size=120)
    short = hs({"iss": "https://a.example"})
    assert len(short) <= 120
    assert verifier.decode(short, now=NOW)
    with pytest.raises(minijwt.DecodeError):
        verifier.decode(hs({"iss": "https://a.example", "pad": "x" * 10}), now=NOW)


def test_reprs_name_where_keys_come_from_and_how_many_issuers_are_held_never_the_keys() -> None:
    assert repr(IssuerConfig(SECRET)) == "IssuerConfig(keys)"
    assert repr(IssuerConfig(jwks_uri="https://a.example/jwks")) == "IssuerConfig(jwks_uri='https://a.example/jwks')"
    assert repr(IssuerConfig()) == "IssuerConfig(discovery)"
    verifier = MultiIssuerVerifier(
        {
            "https://a.example": IssuerConfig(SECRET),
            "https://b.example": IssuerConfig(SECRET),
            TEMPLATE: IssuerConfig(SECRET, tenants=[TID]),
        },
        algorithms="HS256",
    )
    assert repr(verifier) == "MultiIssuerVerifier(3 listed issuers, 0 held)"
    verifier.decode(hs({"iss": ISSUER, "tid": TID}), now=NOW)
    assert repr(verifier) == "MultiIssuerVerifier(3 listed issuers, 1 held)"
