"""DPoP proofs (RFC 9449 §4.3), one test per check, with the RFC's own proofs as vectors."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import b64u_encode, broken_signature, load_vectors

import minijwt
from minijwt import InvalidDPoPProofError, InvalidOptionError, InvalidTokenError, UseDPoPNonceError
from minijwt._dpop import access_token_hash, normalized_htu, replay_key
from minijwt.dpop import DPoPVerifier, HMACNonceSource, MemoryReplayStore, ReplayStore
from minijwt.testing import FrozenClock

NOW = 1_800_000_000
URL = "https://api.example/orders"
TOKEN = "an.access.token"
KEY = minijwt.JWK.generate("ES256")
JKT = KEY.thumbprint()


def proof(
    key: minijwt.JWK = KEY,
    alg: str = "ES256",
    *,
    header: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    body: dict[str, Any] = {"jti": "j1", "htm": "GET", "htu": URL, "iat": NOW, **claims}
    for name in drop:
        body.pop(name, None)
    fields = {"typ": "dpop+jwt", "jwk": key.public().to_dict(), **(header or {})}
    return minijwt.encode(body, key, alg, headers=fields)


def verifier(**options: Any) -> DPoPVerifier:
    return DPoPVerifier(algorithms=options.pop("algorithms", ["ES256", "RS256", "PS256", "EdDSA"]), **options)


def verify(text: Any, **options: Any) -> minijwt.dpop.DPoPResult:
    call = {"method": "GET", "url": URL, "now": NOW, **options}
    return verifier().verify(text, **call)


# --- the RFC's proofs ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", load_vectors("rfc9449.json")["proofs"], ids=lambda case: case["name"])
def test_the_rfc_9449_example_proofs_verify(case: dict[str, Any]) -> None:
    jkt = load_vectors("rfc9449.json")["jkt"]
    bound = {"access_token": case["access_token"], "cnf_jkt": jkt} if "access_token" in case else {}
    result = DPoPVerifier(algorithms="ES256").verify(
        case["proof"], method=case["method"], url=case["url"], now=case["iat"], **bound
    )
    assert (result.jkt, result.jti) == (jkt, case["jti"])
    assert result.header["typ"] == "dpop+jwt"
    assert result.claims["htu"] == case["url"]


def test_the_rfc_9449_access_token_hash() -> None:
    case = load_vectors("rfc9449.json")["proofs"][1]
    assert access_token_hash(case["access_token"]) == "fUHyO2r2Z3DZ53EsNrWBb0xWXoaNy59IiKCAqksmQEo"


# --- §4.3, check by check ---------------------------------------------------------------------------


def test_a_valid_proof_gives_its_key_thumbprint_jti_claims_and_header() -> None:
    result = verify(proof())
    assert (result.jkt, result.jti, result.claims["htm"]) == (JKT, "j1", "GET")
    assert result.header["jwk"] == KEY.public().to_dict()
    assert verify([proof(jti="j2")]).jti == "j2"  # one value in a list is that value


def test_1_exactly_one_proof() -> None:
    for value in ([proof(), proof(jti="j2")], [], f"{proof()}, {proof(jti='j3')}", None, 7, [b"x"]):
        with pytest.raises(InvalidDPoPProofError):
            verify(value)


@pytest.mark.parametrize("text", ["", "a.b", "a.b.c", "not a jwt", "eyJ9.eyJ9.", "x" * 9000])
def test_2_a_well_formed_jwt(text: str) -> None:
    with pytest.raises(InvalidDPoPProofError):
        verify(text)


@pytest.mark.parametrize("typ", ["dpop+jwt", "DPoP+JWT", "application/dpop+jwt", "Application/DPOP+jwt"])
def test_3_typ_is_dpop_jwt_in_any_ascii_case(typ: str) -> None:
    assert verify(proof(header={"typ": typ})).jkt == JKT


@pytest.mark.parametrize("typ", ["JWT", "at+jwt", "dpop", "dpop+jwt ", "\uff44pop+jwt", 1, None])  # a fullwidth d
def test_3_any_other_typ_is_refused(typ: object) -> None:
    with pytest.raises(InvalidDPoPProofError, match="typ"):
        verify(proof(header={"typ": typ}))


def test_4_alg_asymmetric_and_allowed() -> None:
    with pytest.raises(InvalidDPoPProofError):
        DPoPVerifier(algorithms=["RS256"]).verify(proof(), method="GET", url=URL, now=NOW)
    secret = b"a-secret-of-at-least-32-bytes!!!"
    hs = minijwt.encode({"jti": "j", "htm": "GET", "htu": URL, "iat": NOW}, secret, headers={"typ": "dpop+jwt"})
    with pytest.raises(InvalidDPoPProofError):
        verify(hs)
    unsigned = b64u_encode(json.dumps({"typ": "dpop+jwt", "alg": "none"}).encode()) + "." + hs.split(".")[1] + "."
    with pytest.raises(InvalidDPoPProofError):
        verify(unsigned)


@pytest.mark.parametrize("algorithms", [["HS256"], ["ES256", "HS512"], ["none"], ["ES257"], [], None])
def test_4_algorithms_are_asymmetric_names_only(algorithms: Any) -> None:
    with pytest.raises(InvalidOptionError):
        DPoPVerifier(algorithms=algorithms)


def test_5_the_signature_verifies_with_the_headers_public_jwk() -> None:
    other = minijwt.JWK.generate("ES256")
    with pytest.raises(InvalidDPoPProofError):  # signed by another key than the one it names
        verify(proof(other, header={"jwk": KEY.public().to_dict()}))
    header, payload, _ = proof().split(".")
    forged = b64u_encode(bytes(64))
    with pytest.raises(InvalidDPoPProofError):
        verify(f"{header}.{payload}.{forged}")


@pytest.mark.parametrize(
    "jwk",
    [
        None,
        KEY.to_dict(private=True),  # a private key travels in the proof
        {"kty": "oct", "k": b64u_encode(b"k" * 32)},
        # RFC 8032's small-order Ed25519 point (the identity): anyone's "signature" verifies.
        {"kty": "OKP", "crv": "Ed25519", "x": b64u_encode(bytes([1]) + bytes(31))},
        {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
        "not an object",
    ],
)
def test_5_the_jwk_is_a_public_asymmetric_key(jwk: object) -> None:
    header: dict[str, Any] = {"jwk": jwk}
    text = proof(header=header) if jwk is not None else proof()
    if jwk is None:
        first, rest = text.split(".", 1)
        decoded = json.loads(minijwt._base64url.b64decode(first, "header"))
        decoded.pop("jwk")
        text = b64u_encode(json.dumps(decoded).encode()) + "." + rest
    with pytest.raises(InvalidDPoPProofError):
        verify(text)


@pytest.mark.parametrize(
    "claims",
    [
        {"drop": ("jti",)},
        {"drop": ("htm",)},
        {"drop": ("htu",)},
        {"drop": ("iat",)},
        {"jti": ""},
        {"jti": 7},
        {"htm": ["GET"]},
        {"htu": {"url": URL}},
        {"iat": str(NOW)},
        {"iat": True},
        {"iat": None},
    ],
)
def test_6_jti_htm_htu_iat_present_with_their_types(claims: dict[str, Any]) -> None:
    with pytest.raises(InvalidDPoPProofError):
        verify(proof(**claims))


def test_7_htm_is_the_method_exactly() -> None:
    assert verify(proof(htm="POST"), method="POST").jkt == JKT
    with pytest.raises(InvalidDPoPProofError, match="htm"):
        verify(proof(htm="get"))  # RFC 9110: methods are case-sensitive
    with pytest.raises(InvalidDPoPProofError, match="htm"):
        verify(proof(htm="POST"))


@pytest.mark.parametrize(
    ("htu", "url"),
    [
        ("https://api.example/orders", "https://api.example/orders?page=2#top"),
        ("HTTPS://API.Example/orders", "https://api.example/orders"),
        ("https://api.example:443/orders", "https://api.example/orders"),
        ("http://api.example:80/", "http://api.example"),
        ("https://api.example/a/./b/../orders", "https://api.example/a/orders"),
        ("https://api.example/%7Euser", "https://api.example/~user"),
        ("https://api.example/a%2fb", "https://api.example/a%2Fb"),
        ("https://api.example:8443/x", "https://API.example:8443/x"),
    ],
)
def test_8_htu_is_the_url_after_normalization(htu: str, url: str) -> None:
    assert verify(proof(htu=htu), url=url).jkt == JKT


@pytest.mark.parametrize(
    ("htu", "url"),
    [
        ("https://api.example/a%2Fb", "https://api.example/a/b"),  # a reserved escape stays escaped
        ("https://api.example/orders", "https://api.example/orders/"),
        ("https://api.example/orders", "https://api.example/other"),
        ("https://api.example/orders", "http://api.example/orders"),
        ("https://api.example/orders", "https://api.example:8443/orders"),
        ("https://api.example/orders", "https://other.example/orders"),
        ("api.example/orders", URL),
        ("https://api.example:8443/orders", "https://api.example:9443/orders"),  # another port, neither the default
        # The user information is part of the URL, compared as written (RFC 3986 §6.2.2.1: case-sensitive).
        ("https://alice@api.example/orders", "https://bob@api.example/orders"),
        ("https://alice@api.example/orders", URL),
        ("https://a@evil@api.example/orders", "https://a@api.example/orders"),
    ],
)
def test_8_any_other_url_is_refused(htu: str, url: str) -> None:
    with pytest.raises(InvalidDPoPProofError, match="htu"):
        verify(proof(htu=htu), url=url)


def test_8_the_servers_url_must_be_absolute() -> None:
    with pytest.raises(InvalidOptionError):
        verify(proof(), url="/orders")


def test_normalized_htu_follows_rfc_3986_section_6() -> None:
    assert normalized_htu("https://[::1]:443/a") == "https://[::1]/a"
    assert normalized_htu("https://a.example/%41%62%e2%82%ac") == "https://a.example/Ab%E2%82%AC"
    assert normalized_htu("https://a.example/../../x") == "https://a.example/x"
    assert normalized_htu("ftp://a.example/") is None
    assert normalized_htu("https://a.example:99999/") is None


@pytest.mark.parametrize(
    ("path", "normalized"),
    [
        ("/a/b/c/./../../g", "/a/g"),  # RFC 3986 §5.2.4's own example
        ("/a/../x", "/x"),
        ("/a/b/.", "/a/b/"),  # a dot segment last leaves the path ending in "/"
        ("/a/b/..", "/a/"),
        ("/..//x", "//x"),  # "/../" becomes "/", and the empty segment after it stays
        ("/%2E%2E/x", "/x"),  # an escaped dot is a dot (§6.2.2.2), then removed (§6.2.2.3)
    ],
)
def test_normalized_htu_removes_dot_segments_as_rfc_3986_section_5_2_4(path: str, normalized: str) -> None:
    assert normalized_htu(f"https://a.example{path}") == f"https://a.example{normalized}"
    assert verify(proof(htu=f"https://api.example{path}"), url=f"https://api.example{normalized}").jkt == JKT


def test_normalized_htu_keeps_a_port_other_than_the_default_and_the_user_information() -> None:
    assert normalized_htu("https://A.example:8443/x") == "https://a.example:8443/x"
    assert normalized_htu("http://a.example:443/x") == "http://a.example:443/x"
    assert normalized_htu("https://User@A.example/x") == "https://User@a.example/x"
    assert normalized_htu("https://a@b@c.example/") == "https://a@b@c.example/"


def test_9_iat_within_the_window() -> None:
    assert verify(proof(iat=NOW - 300)).jkt == JKT
    assert verify(proof(iat=NOW + 30, jti="j2")).jkt == JKT
    assert verify(proof(iat=NOW + 0.5, jti="j3")).jkt == JKT
    for iat in (NOW - 301, NOW + 31, 10**400, -(10**400)):
        with pytest.raises(InvalidDPoPProofError, match="iat"):
            verify(proof(iat=iat, jti=f"late-{iat}"[:40]))
    strict = DPoPVerifier(algorithms="ES256", max_age=10, leeway=0, clock=lambda: NOW + 11)
    with pytest.raises(InvalidDPoPProofError, match="iat"):
        strict.verify(proof(), method="GET", url=URL)


def test_10_with_an_access_token_ath_is_its_hash() -> None:
    bound = {"access_token": TOKEN, "cnf_jkt": JKT}
    assert verify(proof(ath=access_token_hash(TOKEN)), **bound).jkt == JKT
    for ath in (None, access_token_hash("another.token"), 42):
        claims: dict[str, Any] = {} if ath is None else {"ath": ath}
        with pytest.raises(InvalidDPoPProofError, match="ath"):
            verify(proof(jti=f"j-{ath}", **claims), **bound)


def test_10_an_access_token_that_is_not_ascii_matches_no_ath() -> None:
    # RFC 9449 §4.2: ath is the hash of the token's ASCII; a token that has none matches no proof, not even
    # the proof for the token with "?" in place of each character that is not ASCII.
    for token in ("t\u00f6k\u00e9n", "t\ud800k"):
        ath = access_token_hash(token.encode("ascii", "replace").decode("ascii"))
        with pytest.raises(InvalidDPoPProofError, match="ath"):
            verify(proof(ath=ath), access_token=token, cnf_jkt=JKT)


def test_10_an_ath_or_cnf_jkt_that_is_not_ascii_is_a_mismatch_not_an_error() -> None:
    # hmac.compare_digest raises TypeError on a str that is not ASCII; either value is any JSON string.
    for ath in ("\u00e9", access_token_hash(TOKEN)[:-1] + "\u00e9"):
        with pytest.raises(InvalidDPoPProofError, match="ath"):
            verify(proof(ath=ath), access_token=TOKEN, cnf_jkt=JKT)
    for cnf_jkt in ("\u00e9", JKT[:-1] + "\u00e9", "\ud800"):
        with pytest.raises(InvalidTokenError) as caught:
            verify(proof(ath=access_token_hash(TOKEN)), access_token=TOKEN, cnf_jkt=cnf_jkt)
        assert type(caught.value) is InvalidTokenError


def test_10_a_valid_proof_for_another_key_than_the_tokens_is_the_tokens_fault() -> None:
    with pytest.raises(InvalidTokenError) as caught:
        verify(proof(ath=access_token_hash(TOKEN)), access_token=TOKEN, cnf_jkt="another-thumbprint")
    assert type(caught.value) is InvalidTokenError
    assert caught.value.code == "invalid_token"


def test_10_access_token_and_cnf_jkt_go_together() -> None:
    for options in ({"access_token": TOKEN}, {"cnf_jkt": JKT}):
        with pytest.raises(InvalidOptionError):
            verify(proof(), **options)


def test_a_forged_proof_is_a_proof_error_whatever_its_key() -> None:
    other = minijwt.JWK.generate("ES256")
    text = proof(other, header={"jwk": KEY.public().to_dict()}, ath=access_token_hash(TOKEN))
    with pytest.raises(InvalidDPoPProofError):
        verify(text, access_token=TOKEN, cnf_jkt="another-thumbprint")


def test_11_a_required_nonce_must_be_fresh() -> None:
    clock = [float(NOW)]
    source = HMACNonceSource(b"n" * 32, lifetime=60, clock=lambda: clock[0])
    strict = DPoPVerifier(algorithms="ES256", nonce=source, clock=lambda: clock[0])
    with pytest.raises(UseDPoPNonceError) as caught:
        strict.verify(proof(), method="GET", url=URL)
    assert caught.value.code == "use_dpop_nonce"
    assert isinstance(caught.value, InvalidDPoPProofError)
    fresh = caught.value.nonce
    assert strict.verify(proof(nonce=fresh), method="GET", url=URL).claims["nonce"] == fresh
    clock[0] += 61
    with pytest.raises(UseDPoPNonceError):
        strict.verify(proof(nonce=fresh, jti="j2", iat=clock[0]), method="GET", url=URL)
    for bad in ("forged", 7, HMACNonceSource(b"m" * 32).issue()):
        with pytest.raises(UseDPoPNonceError):
            strict.verify(proof(nonce=bad, jti=f"j-{bad}", iat=clock[0]), method="GET", url=URL)


def test_hmac_nonce_source_options() -> None:
    for secret in (b"short", "n" * 32, None):
        with pytest.raises(InvalidOptionError):
            HMACNonceSource(secret)  # type: ignore[arg-type]
    for lifetime in (0, -1, "60", float("nan")):
        with pytest.raises(InvalidOptionError):
            HMACNonceSource(b"n" * 32, lifetime=lifetime)  # type: ignore[arg-type]


def test_hmac_nonce_source_lifetime_is_positive_and_at_most_a_day() -> None:
    for lifetime in (0.5, 1, 86_400):
        assert HMACNonceSource(b"n" * 32, lifetime=lifetime).check("x") is False
    for lifetime in (86_400.5, 86_401):
        with pytest.raises(InvalidOptionError):
            HMACNonceSource(b"n" * 32, lifetime=lifetime)


def test_a_nonce_is_accepted_from_its_issue_until_lifetime_seconds_later() -> None:
    clock = FrozenClock(NOW)
    source = HMACNonceSource(b"n" * 32, clock=clock)  # the default lifetime: 300 s
    nonce = source.issue()
    clock.advance(300)
    assert source.check(nonce)
    clock.advance(0.5)
    assert not source.check(nonce)
    # Checked by another server of the same secret whose clock is up to 5 s behind the issuer's.
    for behind, accepted in ((5, True), (5.5, False)):
        assert HMACNonceSource(b"n" * 32, clock=FrozenClock(NOW - behind)).check(nonce) is accepted


def test_a_nonce_cannot_be_altered_or_made_up() -> None:
    clock = FrozenClock(NOW)
    source = HMACNonceSource(b"n" * 32, lifetime=60, clock=clock)
    raw = minijwt._base64url.b64decode(source.issue(), "nonce")
    clock.advance(120)
    # The MAC covers the issue time and the random part: a stale nonce cannot be made fresh.
    refreshed = NOW + 120
    assert not source.check(b64u_encode(refreshed.to_bytes(8, "big") + raw[8:]))
    assert not source.check(b64u_encode(raw[:8] + bytes(8) + raw[16:]))
    assert source.check(source.issue())
    # Not base64url (a character outside the alphabet, spare bits set), or not text at all.
    for value in ("!" * 43, "A" * 42 + "B", None, 7, b"A" * 43):
        assert source.check(value) is False  # type: ignore[arg-type]


# --- replay --------------------------------------------------------------------------------------


def test_12_a_proof_is_accepted_once() -> None:
    once = verifier()
    text = proof()
    once.verify(text, method="GET", url=URL, now=NOW)
    with pytest.raises(InvalidDPoPProofError, match="used before"):
        once.verify(text, method="GET", url=URL, now=NOW)
    # Another client's proof with the same jti is another entry.
    other = minijwt.JWK.generate("ES256")
    assert once.verify(proof(other), method="GET", url=URL, now=NOW).jti == "j1"


def test_12_the_jti_is_recorded_only_after_every_other_check() -> None:
    store = MemoryReplayStore()
    once = DPoPVerifier(algorithms="ES256", replay=store)
    text = proof(ath=access_token_hash(TOKEN))
    with pytest.raises(InvalidDPoPProofError):
        once.verify(text, method="POST", url=URL, now=NOW)
    with pytest.raises(InvalidTokenError):
        once.verify(text, method="GET", url=URL, now=NOW, access_token=TOKEN, cnf_jkt="other")
    assert len(store) == 0
    once.verify(text, method="GET", url=URL, now=NOW, access_token=TOKEN, cnf_jkt=JKT)
    assert len(store) == 1


def test_12_the_replay_key_and_its_lifetime() -> None:
    recorded: list[tuple[str, float]] = []

    class Recording:
        def check_and_add(self, key: str, expires_at: float) -> bool:
            recorded.append((key, expires_at))
            return True

    assert isinstance(Recording(), ReplayStore)
    DPoPVerifier(algorithms="ES256", replay=Recording(), max_age=100, leeway=5).verify(
        proof(iat=NOW - 10), method="GET", url=URL, now=NOW
    )
    assert recorded == [(replay_key(JKT, "j1"), NOW - 10 + 100 + 5)]
    assert replay_key(JKT, "j1") != replay_key(JKT, "j2") != replay_key("other", "j1")


def test_12_replay_protection_is_off_only_when_said() -> None:
    with pytest.raises(InvalidOptionError, match="disabled"):
        DPoPVerifier(algorithms="ES256", replay=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidOptionError):
        DPoPVerifier(algorithms="ES256", replay=object())  # type: ignore[arg-type]
    off = DPoPVerifier(algorithms="ES256", replay="disabled")
    text = proof()
    assert off.verify(text, method="GET", url=URL, now=NOW).jti == off.verify(text, method="GET", url=URL, now=NOW).jti


def test_the_memory_store_expires_entries_and_fails_closed_when_full() -> None:
    now = [100.0]
    store = MemoryReplayStore(max_entries=2, clock=lambda: now[0])
    assert store.check_and_add("a", 110)
    assert store.check_and_add("b", 120)
    assert not store.check_and_add("c", 130)  # full of live entries: the new proof is refused
    now[0] = 111
    assert store.check_and_add("c", 130)  # "a" expired and made room
    assert not store.check_and_add("b", 140)
    now[0] = 200
    assert store.check_and_add("b", 240)  # expired: a key may come back
    for bad in (0, -1, "10"):
        with pytest.raises(InvalidOptionError):
            MemoryReplayStore(max_entries=bad)  # type: ignore[arg-type]


def test_the_memory_store_holds_an_entry_until_its_expiry_and_not_at_it() -> None:
    clock = FrozenClock(100)
    store = MemoryReplayStore(max_entries=1, clock=clock)
    assert store.check_and_add("a", 110)
    clock.advance(9.5)
    assert not store.check_and_add("a", 120)
    clock.advance(0.5)  # expires_at reached: the entry is gone, and its room with it
    assert store.check_and_add("a", 120)
    clock.advance(10)
    assert store.check_and_add("b", 130)
    assert len(store) == 1


def test_averify_checks_a_bound_token_as_verify_does() -> None:
    def averify(text: str, **options: Any) -> minijwt.dpop.DPoPResult:
        return asyncio.run(verifier().averify(text, method="GET", url=URL, now=NOW, **options))

    ath = access_token_hash(TOKEN)
    assert averify(proof(ath=ath), access_token=TOKEN, cnf_jkt=JKT).jkt == JKT
    with pytest.raises(InvalidDPoPProofError, match="ath"):
        averify(proof(ath=access_token_hash("another.token")), access_token=TOKEN, cnf_jkt=JKT)
    with pytest.raises(InvalidTokenError) as caught:
        averify(proof(ath=ath), access_token=TOKEN, cnf_jkt="another-thumbprint")
    assert type(caught.value) is InvalidTokenError


def test_averify_accepts_each_proof_once_by_client_and_jti() -> None:
    once = DPoPVerifier(algorithms="ES256")  # the default store, in memory

    def averify(text: str) -> minijwt.dpop.DPoPResult:
        return asyncio.run(once.averify(text, method="GET", url=URL, now=NOW))

    assert averify(proof()).jti == "j1"
    with pytest.raises(InvalidDPoPProofError, match="used before"):
        averify(proof())
    assert averify(proof(jti="j2")).jti == "j2"
    assert averify(proof(minijwt.JWK.generate("ES256"))).jti == "j1"  # another client's jti


def test_averify_records_the_same_key_and_lifetime_as_verify() -> None:
    recorded: list[tuple[str, float]] = []

    class SyncStore:
        def check_and_add(self, key: str, expires_at: float) -> bool:
            recorded.append((key, expires_at))
            return True

    class AsyncStore(SyncStore):
        async def acheck_and_add(self, key: str, expires_at: float) -> bool:
            return self.check_and_add(key, expires_at)

    class AnswersAtOnce(SyncStore):
        def acheck_and_add(self, key: str, expires_at: float) -> bool:  # not a coroutine: its answer is taken
            return self.check_and_add(key, expires_at)

    for store in (SyncStore(), AsyncStore(), AnswersAtOnce()):
        checker = DPoPVerifier(algorithms="ES256", replay=store, max_age=100, leeway=5)
        asyncio.run(checker.averify(proof(iat=NOW - 10), method="GET", url=URL, now=NOW))
    assert recorded == [(replay_key(JKT, "j1"), NOW - 10 + 100 + 5)] * 3


def test_without_now_or_clock_the_system_clock_is_read() -> None:
    system = DPoPVerifier(algorithms="ES256")
    assert system.verify(proof(iat=int(time.time())), method="GET", url=URL).jkt == JKT
    with pytest.raises(InvalidDPoPProofError, match="iat"):
        system.verify(proof(iat=NOW - 10**8, jti="j2"), method="GET", url=URL)


def test_averify_awaits_an_async_store_and_runs_a_sync_one_off_the_loop() -> None:
    seen: list[str] = []

    class AsyncStore:
        def check_and_add(self, key: str, expires_at: float) -> bool:
            raise AssertionError("the coroutine form is used")

        async def acheck_and_add(self, key: str, expires_at: float) -> bool:
            seen.append("async")
            return key not in seen

    class SyncStore:
        def check_and_add(self, key: str, expires_at: float) -> bool:
            seen.append("sync")
            return True

    for store in (AsyncStore(), SyncStore()):
        checker = DPoPVerifier(algorithms="ES256", replay=store)
        assert asyncio.run(checker.averify(proof(), method="GET", url=URL, now=NOW)).jkt == JKT
    assert seen == ["async", "sync"]
    once = DPoPVerifier(algorithms="ES256")
    asyncio.run(once.averify(proof(), method="GET", url=URL, now=NOW))
    with pytest.raises(InvalidDPoPProofError):
        asyncio.run(once.averify(proof(), method="GET", url=URL, now=NOW))


# --- the error boundary -----------------------------------------------------------------------------


def test_no_message_holds_the_proof_the_token_or_ath() -> None:
    ath = access_token_hash(TOKEN)
    cases = [
        (proof(htm="POST", ath=ath), {}),
        (proof(ath=ath, jti="x1"), {"access_token": "other.token", "cnf_jkt": JKT}),
        (proof(ath=ath, jti="x2"), {"access_token": TOKEN, "cnf_jkt": "other"}),
        (broken_signature(proof(ath=ath, jti="x3")), {"access_token": TOKEN, "cnf_jkt": JKT}),
    ]
    for text, options in cases:
        with pytest.raises(InvalidTokenError) as caught:
            verify(text, **options)
        message = caught.value.message
        for secret in (text, TOKEN, ath, *text.split(".")):
            assert secret not in message


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_a_proof_changed_anywhere_is_refused(data: st.DataObject) -> None:
    text = proof(ath=access_token_hash(TOKEN))
    header, payload, signature = text.split(".")
    part = data.draw(st.sampled_from(["header", "claim", "signature"]))
    if part == "signature":
        raw = bytearray(minijwt._base64url.b64decode(signature, "signature"))
        index = data.draw(st.integers(0, len(raw) - 1))
        raw[index] ^= data.draw(st.integers(1, 255))
        text = f"{header}.{payload}.{b64u_encode(bytes(raw))}"
    else:
        segment = header if part == "header" else payload
        document = json.loads(minijwt._base64url.b64decode(segment, part))
        name = data.draw(st.sampled_from(sorted(document)))
        document[name] = data.draw(
            st.one_of(st.integers(), st.text(max_size=5), st.none(), st.just({"kty": "EC"})).filter(
                lambda value: value != document[name]
            )
        )
        changed = b64u_encode(json.dumps(document).encode())
        text = f"{changed}.{payload}.{signature}" if part == "header" else f"{header}.{changed}.{signature}"
    with pytest.raises(InvalidDPoPProofError):
        DPoPVerifier(algorithms="ES256").verify(text, method="GET", url=URL, now=NOW, access_token=TOKEN, cnf_jkt=JKT)


# --- what mutation testing found unpinned -----------------------------------------------------------


def test_1_the_header_value_is_trimmed_of_spaces_and_tabs_only() -> None:
    # RFC 9110 §5.5: optional whitespace around a field value is SP and HTAB; nothing else is removed.
    assert verify(f" \t{proof()}\t ").jkt == JKT
    for ending in ("\n", "\r", "\x0b", "\x0c", "\u00a0"):
        with pytest.raises(InvalidDPoPProofError):
            verify(proof(jti=f"j-{ord(ending)}") + ending)


def test_1_trimming_never_eats_into_the_proof() -> None:
    # An ES384 signature's last base64url character can be any of the 64 (96 bytes, no spare bits).
    es384 = minijwt.JWK.generate("ES384")
    strict = DPoPVerifier(algorithms="ES384", replay="disabled")
    for n in range(5000):
        text = proof(es384, "ES384", jti=f"j{n}")
        if text[-1] == "X":
            break
    assert text[-1] == "X"
    assert strict.verify(text, method="GET", url=URL, now=NOW).jti == f"j{n}"


def test_2_a_proof_with_a_critical_extension_is_refused() -> None:
    # RFC 7515 §4.1.11: DPoP defines no extension, so a proof whose crit names one is not understood.
    with pytest.raises(InvalidDPoPProofError):
        verify(proof(header={"crit": ["urn:example:ext"], "urn:example:ext": 1}))


def test_6_a_jti_is_at_most_1024_characters() -> None:
    # The replay store keeps a hash of it, but the proof carries it: a bounded identifier (RFC 9449 §4.2).
    assert verify(proof(jti="j" * 1024)).jti == "j" * 1024
    with pytest.raises(InvalidDPoPProofError, match="jti"):
        verify(proof(jti="j" * 1025))


def test_5_a_header_too_long_to_be_cached_is_checked_the_same_way() -> None:
    # Keys of headers longer than the header cache takes (1024 characters) are checked on every proof.
    padded = proof(header={"pad": "p" * 1200})
    assert len(padded.partition(".")[0]) > 1024
    assert verify(padded).jkt == JKT
    other = minijwt.JWK.generate("ES256")
    with pytest.raises(InvalidDPoPProofError):
        verify(proof(other, header={"pad": "p" * 1200, "jwk": KEY.public().to_dict()}))


def test_the_default_memory_store_holds_100_000_proofs_then_fails_closed() -> None:
    clock = FrozenClock(NOW)
    store = MemoryReplayStore(clock=clock)
    assert all(store.check_and_add(f"k{n}", NOW + 60) for n in range(100_000))
    assert not store.check_and_add("one-more", NOW + 60)
    clock.advance(60)  # every entry expired: room again
    assert store.check_and_add("one-more", NOW + 120)


def test_max_age_and_leeway_are_numbers_of_seconds_from_0_to_a_day() -> None:
    for value in (0, 0.5, 86_400):
        DPoPVerifier(algorithms="ES256", max_age=value, leeway=value)
    for bad in (-1, -0.5, 86_400.5, 86_401, "60", None, True, float("nan"), float("inf")):
        with pytest.raises(InvalidOptionError, match="max_age"):
            DPoPVerifier(algorithms="ES256", max_age=bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidOptionError, match="leeway"):
            DPoPVerifier(algorithms="ES256", leeway=bad)  # type: ignore[arg-type]


def test_11_a_nonce_source_is_only_asked_about_a_string() -> None:
    # RFC 9449 §8: the nonce claim is a string; any other value is refused before the source sees it.
    asked: list[object] = []

    class Source:
        def issue(self) -> str:
            return "fresh"

        def check(self, value: str) -> bool:
            asked.append(value)
            return value.startswith("fresh")

    strict = DPoPVerifier(algorithms="ES256", nonce=Source())
    assert strict.verify(proof(nonce="fresh"), method="GET", url=URL, now=NOW).claims["nonce"] == "fresh"
    for n, value in enumerate((7, None, ["fresh"], {"n": "fresh"}, True)):
        with pytest.raises(UseDPoPNonceError) as caught:
            strict.verify(proof(nonce=value, jti=f"n{n}"), method="GET", url=URL, now=NOW)
        assert caught.value.nonce == "fresh"
    assert asked == ["fresh"]
