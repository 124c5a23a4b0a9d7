"""JWT encode/decode and claim validation (RFC 7519, RFC 8725)."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values
from support import signing_and_verifying_key

import minijwt
from minijwt import (
    DecodeError,
    EncodeError,
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAlgorithmError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidKeyError,
    InvalidOptionError,
    InvalidSubjectError,
    InvalidTokenError,
    InvalidTokenTypeError,
    JWTVerifier,
    MissingRequiredClaimError,
    jws,
)

KEY = b"0123456789abcdef0123456789abcdef"
NOW = 1_800_000_000


def _decode(claims: dict[str, Any], **options: Any) -> dict[str, Any]:
    token = minijwt.encode(claims, KEY)
    return minijwt.decode(token, KEY, algorithms=["HS256"], now=options.pop("now", NOW), **options)


def _raw(payload: bytes, header: dict[str, Any] | None = None) -> str:
    """A correctly signed token around arbitrary payload bytes."""
    return jws.sign(payload, KEY, "HS256", headers=header)


# --- encode -------------------------------------------------------------------


def test_encode_sets_typ_and_keeps_claims() -> None:
    token = minijwt.encode({"sub": "a", "n": 1}, KEY)
    assert minijwt.get_unverified_header(token) == {"alg": "HS256", "typ": "JWT"}
    assert minijwt.decode(token, KEY, algorithms=["HS256"]) == {"sub": "a", "n": 1}


def test_encode_caller_typ_wins() -> None:
    token = minijwt.encode({}, KEY, headers={"typ": "at+jwt", "kid": "k"})
    assert minijwt.get_unverified_header(token) == {"alg": "HS256", "typ": "at+jwt", "kid": "k"}


def test_encode_datetimes_become_numeric_dates() -> None:
    moment = dt.datetime(2027, 1, 2, 3, 4, 5, 999_000, tzinfo=dt.UTC)
    naive = dt.datetime(2027, 1, 2, 3, 4, 5)
    other_zone = moment.astimezone(dt.timezone(dt.timedelta(hours=5)))
    token = minijwt.encode({"exp": moment, "nbf": naive, "iat": other_zone}, KEY)
    claims = json.loads(jws.verify(token, KEY, algorithms=["HS256"]))
    assert claims == {"exp": 1798859045, "nbf": 1798859045, "iat": 1798859045}
    assert all(type(v) is int for v in claims.values())


@pytest.mark.parametrize("expires_in", [3600, dt.timedelta(hours=1), 3600.0])
def test_expires_in_adds_iat_and_exp(expires_in: Any) -> None:
    before = int(time.time())
    claims = minijwt.decode(minijwt.encode({"sub": "a"}, KEY, expires_in=expires_in), KEY, algorithms=["HS256"])
    assert before <= claims["iat"] <= int(time.time())
    assert claims["exp"] == claims["iat"] + 3600
    assert type(claims["exp"]) is int


def test_expires_in_keeps_a_given_iat() -> None:
    claims = _decode_unchecked(minijwt.encode({"iat": 1000}, KEY, expires_in=60))
    assert claims == {"iat": 1000, "exp": 1060}
    moment = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    claims = _decode_unchecked(minijwt.encode({"iat": moment}, KEY, expires_in=dt.timedelta(seconds=1.5)))
    assert claims["exp"] == claims["iat"] + 1.5


def _decode_unchecked(token: str) -> Any:
    return json.loads(jws.verify(token, KEY, algorithms=["HS256"]))


@pytest.mark.parametrize(
    ("claims", "kwargs", "message"),
    [
        ([("sub", "a")], {}, "mapping"),
        ("sub", {}, "mapping"),
        ({1: "a"}, {}, "names must be strings"),
        ({"a": object()}, {}, "JSON"),
        ({"a": float("nan")}, {}, "JSON"),
        ({"exp": 1}, {"expires_in": 60}, "already have 'exp'"),
        ({}, {"expires_in": "60"}, "expires_in"),
        ({}, {"expires_in": True}, "expires_in"),
        ({}, {"expires_in": -1}, "negative"),
        ({"iat": "now"}, {"expires_in": 60}, "iat"),
        ({}, {"headers": ["typ"]}, "mapping"),
        ({}, {"headers": {"alg": "RS256"}}, "name alg"),
    ],
)
def test_encode_errors(claims: Any, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        minijwt.encode(claims, KEY, **kwargs)


# --- decode: payload and time claims ---------------------------------------------


@pytest.mark.parametrize("payload", [b"[]", b'"x"', b"1", b"null", b"not json", b'{"a":1,"a":2}', b"\xff"])
def test_payload_must_be_a_json_object(payload: bytes) -> None:
    with pytest.raises(DecodeError):
        minijwt.decode(_raw(payload), KEY, algorithms=["HS256"])


@pytest.mark.parametrize("claim", ["exp", "nbf", "iat"])
@pytest.mark.parametrize("value", ["1800000000", True, False, None, [1], {"t": 1}, "soon"])
def test_time_claims_must_be_numbers(claim: str, value: Any) -> None:
    with pytest.raises((InvalidClaimError, InvalidIssuedAtError)) as info:
        _decode({claim: value})
    assert info.value.claim == claim
    assert "must be a number" in str(info.value)


def test_huge_time_claims_do_not_crash() -> None:
    assert _decode({"exp": 10**400, "nbf": -(10**400), "iat": -(10**400)}) is not None
    with pytest.raises(ExpiredSignatureError, match="immense"):
        _decode({"exp": -(10**400)})
    with pytest.raises(ImmatureSignatureError):
        _decode({"nbf": 10**400})
    with pytest.raises(InvalidIssuedAtError):
        _decode({"iat": 10**400})
    with pytest.raises(ExpiredSignatureError):
        _decode({"exp": -1.7e308})


def test_expired_message_is_human() -> None:
    with pytest.raises(ExpiredSignatureError) as info:
        _decode({"exp": NOW - 180})
    assert str(info.value) == "token expired 3 min ago (exp 2027-01-15T07:57:00Z)"
    assert info.value.claim == "exp"
    assert info.value.code == "token_expired"
    with pytest.raises(ImmatureSignatureError, match=r"valid in 2 h \(nbf"):
        _decode({"nbf": NOW + 7300})
    with pytest.raises(ExpiredSignatureError, match="3 days ago"):
        _decode({"exp": NOW - 3 * 86400 - 5})
    with pytest.raises(ExpiredSignatureError, match="less than a second"):
        _decode({"exp": NOW})
    with pytest.raises(ExpiredSignatureError, match="42 s ago"):
        _decode({"exp": NOW - 42})


offsets = st.integers(min_value=-(10**6), max_value=10**6)
leeways = st.integers(min_value=0, max_value=10**4)


@given(now=st.integers(min_value=0, max_value=2**33), leeway=leeways)
def test_exp_boundary(now: int, leeway: int) -> None:
    """Rejected exactly when now >= exp + leeway."""
    with pytest.raises(ExpiredSignatureError):
        _decode({"exp": now - leeway}, now=now, leeway=leeway)
    assert _decode({"exp": now - leeway + 1}, now=now, leeway=leeway)
    assert _decode({"exp": now + 1}, now=now)
    with pytest.raises(ExpiredSignatureError):
        _decode({"exp": now}, now=now)


@given(now=st.integers(min_value=0, max_value=2**33), leeway=leeways)
def test_nbf_boundary(now: int, leeway: int) -> None:
    """Rejected exactly when now < nbf - leeway."""
    assert _decode({"nbf": now + leeway}, now=now, leeway=leeway) is not None
    with pytest.raises(ImmatureSignatureError):
        _decode({"nbf": now + leeway + 1}, now=now, leeway=leeway)
    assert _decode({"nbf": now}, now=now) is not None


@given(now=st.integers(min_value=0, max_value=2**33), leeway=leeways, max_age=st.integers(0, 10**5))
def test_iat_boundaries(now: int, leeway: int, max_age: int) -> None:
    assert _decode({"iat": now + leeway}, now=now, leeway=leeway) is not None
    with pytest.raises(InvalidIssuedAtError, match="future"):
        _decode({"iat": now + leeway + 1}, now=now, leeway=leeway)
    assert _decode({"iat": now - max_age - leeway}, now=now, leeway=leeway, max_age=max_age) is not None
    with pytest.raises(InvalidIssuedAtError, match="max_age"):
        _decode({"iat": now - max_age - leeway - 1}, now=now, leeway=leeway, max_age=max_age)


@given(offset=offsets, leeway=leeways)
def test_leeway_as_timedelta_is_the_same(offset: int, leeway: int) -> None:
    claims = {"exp": NOW + offset}

    def outcome(value: Any) -> bool:
        try:
            _decode(claims, leeway=value)
        except ExpiredSignatureError:
            return False
        return True

    assert outcome(leeway) == outcome(dt.timedelta(seconds=leeway)) == (NOW + offset + leeway > NOW)


def test_now_as_datetime() -> None:
    moment = dt.datetime.fromtimestamp(NOW, dt.UTC)
    assert _decode({"exp": NOW + 1}, now=moment) is not None
    with pytest.raises(ExpiredSignatureError):
        _decode({"exp": NOW}, now=moment)
    # A naive datetime (datetime.now() is local time) is refused, not guessed.
    with pytest.raises(InvalidOptionError, match="aware"):
        _decode({"exp": NOW + 1}, now=moment.replace(tzinfo=None))


def test_max_age_requires_iat() -> None:
    with pytest.raises(MissingRequiredClaimError) as info:
        _decode({}, max_age=60)
    assert info.value.claim == "iat"


def test_real_clock_is_used_by_default() -> None:
    token = minijwt.encode({"sub": "a"}, KEY, expires_in=60)
    assert minijwt.decode(token, KEY, algorithms=["HS256"])["sub"] == "a"
    old = minijwt.encode({"exp": int(time.time()) - 1}, KEY)
    with pytest.raises(ExpiredSignatureError):
        minijwt.decode(old, KEY, algorithms=["HS256"])


# --- audience, issuer, subject ----------------------------------------------------


def test_audience_rules() -> None:
    assert _decode({"aud": "api"}, audience="api")
    assert _decode({"aud": ["x", "api"]}, audience="api")
    assert _decode({"aud": "api"}, audience=["other", "api"])
    assert _decode({"aud": ["a", "b"]}, audience={"b", "c"})
    for aud, audience in [
        ("api", "API"),
        ("api", "ap"),
        ("ap", "api"),
        ("https://api.example", "https://api.example/"),
        (["x"], "api"),
        ([], "api"),
        ("api", ["a", "p", "i"]),
    ]:
        with pytest.raises(InvalidAudienceError):
            _decode({"aud": aud}, audience=audience)


@pytest.mark.parametrize("aud", ["api", ["api"], [], 1, None, {"api": 1}, ["api", 1]])
def test_token_with_aud_needs_an_audience(aud: Any) -> None:
    """RFC 7519 §4.1.3: a recipient that names no audience rejects a token that has one."""
    with pytest.raises(InvalidAudienceError):
        _decode({"aud": aud})


@pytest.mark.parametrize("aud", [1, None, True, {"api": 1}, ["api", 1], [["api"]], "api\x00"])
def test_malformed_aud(aud: Any) -> None:
    with pytest.raises(InvalidAudienceError):
        _decode({"aud": aud}, audience="api")


def test_missing_aud_iss_sub() -> None:
    for option, claim in (({"audience": "api"}, "aud"), ({"issuer": "i"}, "iss"), ({"subject": "s"}, "sub")):
        with pytest.raises(MissingRequiredClaimError) as info:
            _decode({}, **option)
        assert info.value.claim == claim


ISSUER = "https://auth.example"


@pytest.mark.parametrize(
    "iss",
    [
        "https://auth.example.evil",
        "https://auth.example/",
        "https://auth.exampl",
        "https://auth.examplE",
        "https://Auth.example",
        "https://auth.example ",
        " https://auth.example",
        "https://auth.example\x00",
        "https://auth\u2024example",
        "ttps://auth.example",
        "https://evil.example/https://auth.example",
        "auth.example",
        "",
    ],
)
def test_issuer_is_exact(iss: str) -> None:
    with pytest.raises(InvalidIssuerError):
        _decode({"iss": iss}, issuer=ISSUER)


@given(position=st.integers(min_value=0, max_value=len(ISSUER) - 2))
def test_issuer_one_character_permutations(position: int) -> None:
    chars = list(ISSUER)
    chars[position], chars[position + 1] = chars[position + 1], chars[position]
    swapped = "".join(chars)
    if swapped == ISSUER:
        return
    with pytest.raises(InvalidIssuerError):
        _decode({"iss": swapped}, issuer=ISSUER)


@pytest.mark.parametrize("iss", [1, None, True, [ISSUER], {"iss": ISSUER}])
def test_issuer_must_be_a_string(iss: Any) -> None:
    with pytest.raises(InvalidIssuerError, match="string"):
        _decode({"iss": iss}, issuer=ISSUER)
    with pytest.raises(InvalidIssuerError, match="string"):
        _decode({"iss": iss})  # even when no issuer is checked


def test_issuer_list_and_sequence_confusion() -> None:
    assert _decode({"iss": ISSUER}, issuer=[ISSUER, "https://other.example"])
    with pytest.raises(InvalidIssuerError):
        _decode({"iss": "h"}, issuer=ISSUER)  # a str issuer is never a sequence of characters


def test_subject_rules() -> None:
    assert _decode({"sub": "alice"}, subject="alice")
    for sub in ("alicE", "alice ", "alic", "alice2", "bob"):
        with pytest.raises(InvalidSubjectError):
            _decode({"sub": sub}, subject="alice")
    for bad in (1, None, ["alice"], True):
        with pytest.raises(InvalidSubjectError, match="string"):
            _decode({"sub": bad})


@pytest.mark.parametrize("jti", [1, None, ["x"], True])
def test_jti_must_be_a_string(jti: Any) -> None:
    with pytest.raises(InvalidClaimError) as info:
        _decode({"jti": jti})
    assert info.value.claim == "jti"


def test_require() -> None:
    assert _decode({"exp": NOW + 10, "sub": "a"}, require=["exp", "sub"])
    with pytest.raises(MissingRequiredClaimError, match="'exp'") as info:
        _decode({"sub": "a"}, require=["exp", "sub"])
    assert info.value.claim == "exp"
    with pytest.raises(MissingRequiredClaimError, match="'custom'"):
        _decode({}, require="custom")


# --- typ ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header_typ", "expected", "ok"),
    [
        ("at+jwt", "at+jwt", True),
        ("AT+JWT", "at+jwt", True),
        ("application/at+jwt", "at+jwt", True),
        ("at+jwt", "application/at+JWT", True),
        ("JWT", "jwt", True),
        ("jwt", "at+jwt", False),
        ("application/jwt", "at+jwt", False),
        ("text/at+jwt", "at+jwt", False),
        ("at+jwt ", "at+jwt", False),
        (None, "at+jwt", False),
        (1, "at+jwt", False),
    ],
)
def test_typ(header_typ: Any, expected: str, ok: bool) -> None:
    headers = {} if header_typ is None else {"typ": header_typ}
    token = jws.sign(b"{}", KEY, "HS256", headers=headers)
    if ok:
        assert minijwt.decode(token, KEY, algorithms=["HS256"], typ=expected) == {}
    else:
        with pytest.raises(InvalidTokenTypeError):
            minijwt.decode(token, KEY, algorithms=["HS256"], typ=expected)


# --- options and the prepared verifier ---------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {"leeway": -1},
        {"leeway": "5"},
        {"leeway": True},
        {"leeway": float("inf")},
        {"max_age": -1},
        {"max_age": "1h"},
        {"audience": []},
        {"audience": [1]},
        {"audience": 5},
        {"audience": b"api"},
        {"issuer": [None]},
        {"issuer": {"a": 1}},
        {"subject": 5},
        {"require": 5},
        {"require": [1]},
        {"typ": ""},
        {"typ": 1},
        {"max_token_size": 0},
        {"max_token_size": "big"},
    ],
)
def test_bad_options_raise_at_construction(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidOptionError):
        JWTVerifier(KEY, algorithms=["HS256"], **options)


def test_now_option_is_validated() -> None:
    verifier = JWTVerifier(KEY, algorithms=["HS256"])
    with pytest.raises(InvalidOptionError):
        verifier.decode(minijwt.encode({}, KEY), now="yesterday")  # type: ignore[arg-type]


def test_verifier_refuses_a_key_that_fits_no_algorithm() -> None:
    _, public = signing_and_verifying_key("RS256")
    with pytest.raises(InvalidKeyError, match="fits none"):
        JWTVerifier(public, algorithms=["HS256", "ES256"])
    JWTVerifier(public, algorithms=["HS256", "RS256"])


def test_verifier_is_reusable() -> None:
    verifier = JWTVerifier(KEY, algorithms="HS256", audience="api", issuer=ISSUER, leeway=dt.timedelta(seconds=5))
    for i in range(5):
        token = minijwt.encode({"aud": "api", "iss": ISSUER, "n": i}, KEY)
        assert verifier.decode(token)["n"] == i
    with pytest.raises(InvalidAudienceError):
        verifier.decode(minijwt.encode({"aud": "web", "iss": ISSUER}, KEY))


@pytest.mark.parametrize("alg", ["HS384", "RS256", "PS256", "ES256", "ES512", "EdDSA"])
def test_every_algorithm(alg: str) -> None:
    private, public = signing_and_verifying_key(alg)
    token = minijwt.encode({"sub": "x"}, private, alg, expires_in=60)
    assert minijwt.decode(token, public, algorithms=[alg])["sub"] == "x"
    with pytest.raises(InvalidKeyError if alg != "HS384" else InvalidTokenError):
        minijwt.decode(token, public, algorithms=["HS256"])


@given(
    claims=st.dictionaries(
        st.text(max_size=10).filter(lambda k: k not in {"exp", "nbf", "iat", "aud", "iss", "sub", "jti"}),
        json_values,
        max_size=8,
    )
)
def test_claims_round_trip(claims: dict[str, Any]) -> None:
    claims = {**claims, "name": "Zoë ☃ 𝄞", "big": 2**70 + 1, "float": 0.1, "nested": {"a": [1, {"b": None}]}}
    token = minijwt.encode(claims, KEY)
    decoded = minijwt.decode(token, KEY, algorithms=["HS256"])
    assert json.dumps(decoded, sort_keys=True) == json.dumps(claims, sort_keys=True)
    assert decoded["big"] == 2**70 + 1


# --- decode() reuses prepared verifiers ----------------------------------------------


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    """One item for each JWTVerifier built while the test runs."""
    built: list[None] = []
    original = JWTVerifier.__init__

    def counting(self: JWTVerifier, *args: Any, **kwargs: Any) -> None:
        built.append(None)
        original(self, *args, **kwargs)

    monkeypatch.setattr(JWTVerifier, "__init__", counting)
    return built


def test_decode_reuses_the_prepared_verifier(builds: list[None]) -> None:
    token = minijwt.encode({"aud": "api"}, KEY)
    key = KEY + b"-fresh-for-this-test"
    token = minijwt.encode({"aud": "api"}, key)
    for _ in range(5):
        assert minijwt.decode(token, key, algorithms=["HS256"], audience=["api"]) == {"aud": "api"}
    assert len(builds) == 1
    # An equal text key passed as a new object on every call is the same key.
    text = "a-secret-of-at-least-32-bytes!!"
    text_token = minijwt.encode({}, text + "!")
    for _ in range(5):
        assert minijwt.decode(text_token, "".join([text, "!"]), algorithms=["HS256"]) == {}
    assert len(builds) == 2
    assert minijwt.jwt.VERIFIER_CACHE_SIZE == 64


def test_decode_complete_and_adecode_reuse_the_prepared_verifier(builds: list[None]) -> None:
    # Through the memo's own lookup (_memo.recall), not decode()'s inline one.
    import asyncio

    text = "another-secret-of-at-least-32-bytes"
    token = minijwt.encode({}, text)
    for _ in range(3):  # an equal str, a new object each time
        fresh = text[:5] + text[5:]
        assert fresh is not text
        assert minijwt.decode_complete(token, fresh, algorithms=["HS256"]).claims == {}
    assert len(builds) == 1
    for _ in range(3):  # equal bytes, a new object each time
        assert asyncio.run(minijwt.adecode(token, bytes(bytearray(text.encode())), algorithms=["HS256"])) == {}
    assert len(builds) == 2
    private, public = signing_and_verifying_key("ES256")
    es_token = minijwt.encode({}, private, "ES256")
    for _ in range(3):  # the same key object
        assert minijwt.decode_complete(es_token, public, algorithms=["ES256"]).claims == {}
    assert len(builds) == 3
    other_private, other_public = signing_and_verifying_key("ES384")
    other_token = minijwt.encode({}, other_private, "ES384")
    both = ["ES256", "ES384"]
    for _ in range(3):  # two key objects in turn, the same options: each keeps its own verifier
        assert minijwt.decode_complete(es_token, public, algorithms=both).claims == {}
        assert minijwt.decode_complete(other_token, other_public, algorithms=both).claims == {}
    assert len(builds) == 5
    with_audience = minijwt.encode({"aud": "api"}, text)
    for _ in range(3):  # a set of audiences is snapshot, so it is cached too
        assert minijwt.decode_complete(with_audience, text, algorithms=["HS256"], audience={"api"}).claims
    assert len(builds) == 6


def test_an_unhashable_key_source_is_cached_by_identity(builds: list[None]) -> None:
    class Source:
        __hash__ = None  # type: ignore[assignment] # an object without a hash: only its id can name it

        def resolve_key(self, header: Any, alg: Any) -> minijwt.SecretKey:
            return minijwt.SecretKey(KEY)

    source = Source()
    token = minijwt.encode({}, KEY)
    for _ in range(3):
        assert minijwt.decode_complete(token, source, algorithms=["HS256"]).claims == {}
    assert len(builds) == 1


def test_decode_cache_never_confuses_options_or_keys() -> None:
    token = minijwt.encode({"aud": "api"}, KEY)
    audience = ["api"]
    assert minijwt.decode(token, KEY, algorithms=["HS256"], audience=audience)
    audience[0] = "other"  # the caller's list changes: the next call must see it
    with pytest.raises(InvalidAudienceError):
        minijwt.decode(token, KEY, algorithms=["HS256"], audience=audience)
    assert minijwt.decode(token, KEY, algorithms=["HS256"], audience="api", leeway=1)
    with pytest.raises(InvalidOptionError):
        minijwt.decode(token, KEY, algorithms=["HS256"], audience="api", leeway=True)
    # Equal text keys share a verifier; different key objects never do.
    assert minijwt.decode(token, bytes(bytearray(KEY)), algorithms=["HS256"], audience="api")
    private, public = signing_and_verifying_key("ES256")
    _, other_public = signing_and_verifying_key("ES384")
    es_token = minijwt.encode({}, private, "ES256")
    assert minijwt.decode(es_token, public, algorithms=["ES256", "ES384"]) == {}
    # A P-384 key given an ES256 token: the token chose what the key cannot serve.
    with pytest.raises(InvalidAlgorithmError):
        minijwt.decode(es_token, other_public, algorithms=["ES256", "ES384"])
    # Unhashable options still work, without the cache.
    from collections import deque

    assert minijwt.decode(token, KEY, algorithms=["HS256"], audience=deque(["api"])) == {"aud": "api"}


# --- one option list -------------------------------------------------------------


def test_decode_decode_complete_adecode_and_the_verifier_share_one_option_list() -> None:
    import inspect

    def options(function: Any, drop: tuple[str, ...]) -> list[tuple[str, Any, Any]]:
        params = inspect.signature(function).parameters.values()
        return [(p.name, p.default, p.annotation) for p in params if p.name not in drop]

    verifier = options(JWTVerifier.__init__, ("self", "key"))
    for function in (minijwt.decode, minijwt.decode_complete, minijwt.adecode):
        assert options(function, ("token", "key", "now")) == verifier, function.__name__
        assert list(inspect.signature(function).parameters)[-1] == "now"
    for method in (JWTVerifier.decode, JWTVerifier.decode_complete, JWTVerifier.adecode):
        assert list(inspect.signature(method).parameters) == ["self", "token", "now"]


def _clock_a() -> float:
    return NOW


def _clock_b() -> float:
    return NOW


@pytest.mark.parametrize("container", [list, tuple])
@pytest.mark.parametrize("entry", ["decode", "decode_complete", "adecode"])
def test_changing_any_one_option_gives_another_cached_verifier(
    entry: str, container: type[list[str]] | type[tuple[str, ...]], builds: list[None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each entry point finds the prepared verifier of exactly its options, and only that one.

    With lists, the lookup takes a snapshot of them; with tuples (and the
    other options as they are) it uses them directly: both ways are checked.
    """
    import asyncio
    import contextlib
    import inspect

    def call(key: bytes, **options: Any) -> None:
        options = {name: container(value) if type(value) is list else value for name, value in options.items()}
        token = minijwt.encode({"aud": "api"}, key)
        with contextlib.suppress(minijwt.InvalidTokenError):  # the options, not the outcome, are tested
            if entry == "adecode":
                asyncio.run(minijwt.adecode(token, key, now=NOW, **options))
            else:
                getattr(minijwt, entry)(token, key, now=NOW, **options)

    base: dict[str, Any] = {
        "algorithms": ["HS256"],
        "audience": "api",
        "issuer": "iss",
        "subject": "sub",
        "leeway": 1,
        "require": ["exp"],
        "max_age": 60,
        "typ": "JWT",
        "max_token_size": 4096,
        "crit": ["ext"],
        "clock": _clock_a,
    }
    changed: dict[str, Any] = {
        "algorithms": ["HS256", "HS384"],
        "audience": "api2",
        "issuer": "iss2",
        "subject": "sub2",
        "leeway": 2,
        "require": ["exp", "iat"],
        "max_age": 61,
        "typ": "at+jwt",
        "max_token_size": 4097,
        "crit": ["ext", "ext2"],
        "clock": _clock_b,  # another function, though it tells the same time: by identity
    }
    assert set(base) == set(inspect.signature(minijwt.decode).parameters) - {"token", "key", "now"}
    minijwt.clear_caches()
    call(KEY, **base)
    assert len(builds) == 1
    call(KEY, **base)  # the same options, made anew: found
    assert len(builds) == 1
    for name in base:
        call(KEY, **{**base, name: changed[name]})
        assert len(builds) == 2, name  # another configuration: a verifier of its own ...
        call(KEY, **{**base, name: changed[name]})
        assert len(builds) == 2, name  # ... found the next time
        del builds[1:]
    call(KEY + b"!", **base)
    assert len(builds) == 2
    # Equal numbers of another type are other options: a bool or a float
    # where an int is refused must be refused, whatever is cached.
    for name, value in (("leeway", True), ("max_age", True), ("max_token_size", 4096.0), ("max_token_size", True)):
        with pytest.raises(InvalidOptionError):
            call(KEY, **{**base, name: value})
    if entry == "decode":
        # decode() looks a verifier up itself, without calling _verifier(),
        # whose cache key it must make alike (else it only misses), for lists
        # of algorithms, audiences, issuers and required claims too.
        from minijwt import jwt as jwt_module

        hit = {**base, "audience": container(["api", "api2"]), "issuer": container(["iss", "iss2"]), "crit": ("ext",)}
        call(KEY, **hit)
        saved = jwt_module._verifier
        monkeypatch.setattr(jwt_module, "_verifier", None)
        call(KEY, **hit)
        monkeypatch.setattr(jwt_module, "_verifier", saved)


def test_claim_errors_say_what_was_expected_and_received() -> None:
    token = minijwt.encode({"aud": "other", "iss": "mallory", "sub": "bob", "exp": NOW - 10}, KEY)
    with pytest.raises(minijwt.ClaimError) as info:
        minijwt.decode(token, KEY, algorithms=["HS256"], audience="api", now=NOW - 100)
    assert isinstance(info.value, InvalidAudienceError)
    assert (info.value.claim, info.value.expected, info.value.received) == ("aud", frozenset({"api"}), "other")
    assert "other" not in info.value.message  # the value stays out of the message
    with pytest.raises(minijwt.ClaimError) as info:
        minijwt.decode(token, KEY, algorithms=["HS256"], audience="other", now=NOW)
    assert (info.value.claim, info.value.expected, info.value.received) == ("exp", NOW, NOW - 10)
    with pytest.raises(minijwt.InvalidIssuerError) as issuer_info:
        minijwt.decode(token, KEY, algorithms=["HS256"], audience="other", issuer="trent", now=NOW - 100)
    assert (issuer_info.value.expected, issuer_info.value.received) == (frozenset({"trent"}), "mallory")
    with pytest.raises(minijwt.InvalidSubjectError) as subject_info:
        minijwt.decode(token, KEY, algorithms=["HS256"], audience="other", subject="alice", now=NOW - 100)
    assert (subject_info.value.expected, subject_info.value.received) == ("alice", "bob")
