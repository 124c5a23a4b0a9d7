"""The routing rules of the multi-issuer verifier, without I/O (``minijwt._issuers``)."""

from __future__ import annotations

import re
from typing import Any

import pytest

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


@pytest.mark.parametrize(
    "jwks_uri",
    ["http://127.0.0.1/jwks", "http://keys.example/jwks", "https://u@keys.example/jwks", "https://keys.example/j?x=1"],
)
def test_a_templates_jwks_uri_that_may_not_be_contacted_is_a_configuration_mistake(jwks_uri: str) -> None:
    # Found when the verifier is built, as the option it is: not a token's fault (no InvalidIssuerError).
    with pytest.raises(InvalidOptionError, match="jwks_uri"):
        MultiIssuerVerifier({TEMPLATE: IssuerConfig(jwks_uri=jwks_uri, tenants=[TID])}, algorithms="ES256")
