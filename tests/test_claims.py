"""The claim rules of ``_claims`` on their own (RFC 7519 §4.1, RFC 8725 §3.8-3.11)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from minijwt import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidOptionError,
    InvalidSubjectError,
    MissingRequiredClaimError,
)
from minijwt._claims import ClaimRules, check_claims, is_number, numeric_date, to_seconds, to_timestamp

NOW = 1_700_000_000


def _check(claims: dict[str, Any], **options: Any) -> None:
    check_claims(claims, ClaimRules.build(**options), NOW)


@pytest.mark.parametrize("value", [0, -1, 2**80, 1.5, -0.0])
def test_finite_ints_and_floats_are_numbers(value: object) -> None:
    assert is_number(value)


@pytest.mark.parametrize("value", [True, False, None, "1", float("inf"), float("-inf"), float("nan"), [1]])
def test_booleans_strings_and_non_finite_floats_are_not_numbers(value: object) -> None:
    assert not is_number(value)


@pytest.mark.parametrize(("value", "seconds"), [(0, 0.0), (5, 5.0), (2.5, 2.5), (dt.timedelta(minutes=1), 60.0)])
def test_a_duration_is_seconds_or_a_timedelta(value: object, seconds: float) -> None:
    assert to_seconds(value, "leeway") == seconds


@pytest.mark.parametrize("value", [-1, -0.5, dt.timedelta(seconds=-1), 10**400, True, "5", None])
def test_a_duration_is_never_negative_infinite_or_another_type(value: object) -> None:
    with pytest.raises(InvalidOptionError, match="leeway"):
        to_seconds(value, "leeway")


def test_no_duration_is_none_only_where_allowed() -> None:
    assert to_seconds(None, "max_age", allow_none=True) is None
    with pytest.raises(InvalidOptionError):
        to_seconds(None, "max_age")


def test_a_point_in_time_is_seconds_or_an_aware_datetime() -> None:
    aware = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert to_timestamp(aware, "now") == aware.timestamp()
    assert to_timestamp(5, "now") == 5.0
    for value in (dt.datetime(2024, 1, 1), "5", None, True, 10**400):
        with pytest.raises(InvalidOptionError, match="now"):
            to_timestamp(value, "now")


def test_a_numeric_date_is_whole_seconds_in_utc() -> None:
    assert numeric_date(dt.datetime(2024, 1, 1, 0, 0, 1, 999_999, tzinfo=dt.UTC)) == 1_704_067_201
    assert numeric_date(dt.datetime(2024, 1, 1, 0, 0, 1, 999_999)) == 1_704_067_201
    two = dt.timezone(dt.timedelta(hours=2))
    assert numeric_date(dt.datetime(2024, 1, 1, 2, 0, 0, tzinfo=two)) == 1_704_067_200


@pytest.mark.parametrize("name", ["audience", "issuer"])
@pytest.mark.parametrize("value", ["", [], [""], ["a", ""], [1], b"a", {"a": 1}, 1])
def test_an_expected_audience_or_issuer_is_never_empty(name: str, value: object) -> None:
    with pytest.raises(InvalidOptionError, match=name):
        ClaimRules.build(**{name: value})


def test_expected_values_are_sets() -> None:
    rules = ClaimRules.build(audience=["a", "b"], issuer="i", subject="s", require=["x", "x", "y"])
    assert rules.audience == frozenset({"a", "b"})
    assert rules.issuer == frozenset({"i"})
    assert rules.subject == "s"
    assert rules.require == ("x", "y")
    assert ClaimRules.build(require="x").require == ("x",)


@pytest.mark.parametrize(
    "options",
    [
        {"subject": 1},
        {"typ": ""},
        {"typ": "jwt\u212a"},
        {"typ": 1},
        {"require": [1]},
        {"require": 1},
        {"require": b"x"},
    ],
)
def test_bad_claim_options(options: dict[str, Any]) -> None:
    with pytest.raises(InvalidOptionError):
        ClaimRules.build(**options)


def test_time_claims_on_both_sides_of_now() -> None:
    _check({"exp": NOW + 1, "nbf": NOW, "iat": NOW})
    with pytest.raises(ExpiredSignatureError):
        _check({"exp": NOW})
    with pytest.raises(ImmatureSignatureError):
        _check({"nbf": NOW + 1})
    with pytest.raises(InvalidIssuedAtError, match="future"):
        _check({"iat": NOW + 1})
    _check({"exp": NOW, "nbf": NOW + 1, "iat": NOW + 1}, leeway=1)
    with pytest.raises(ExpiredSignatureError):
        _check({"exp": NOW - 1}, leeway=1)


def test_max_age_on_both_sides() -> None:
    _check({"iat": NOW - 10}, max_age=10)
    with pytest.raises(InvalidIssuedAtError, match="max_age"):
        _check({"iat": NOW - 11}, max_age=10)
    _check({"iat": NOW - 11}, max_age=10, leeway=1)
    with pytest.raises(MissingRequiredClaimError, match="iat"):
        _check({}, max_age=10)


@pytest.mark.parametrize("claim", ["exp", "nbf"])
@pytest.mark.parametrize("value", ["1", None, True, [1], float("nan"), float("inf")])
def test_exp_and_nbf_must_be_numbers(claim: str, value: object) -> None:
    with pytest.raises(InvalidClaimError) as info:
        _check({claim: value})
    assert info.value.claim == claim


@pytest.mark.parametrize("value", ["1", None, True, [1], float("nan")])
def test_iat_must_be_a_number(value: object) -> None:
    with pytest.raises(InvalidIssuedAtError) as info:
        _check({"iat": value})
    assert info.value.claim == "iat"


def test_the_clock_is_read_only_when_a_time_rule_applies() -> None:
    check_claims({"sub": "s"}, ClaimRules.build())
    check_claims({"exp": 2**40}, ClaimRules.build())
    with pytest.raises(ExpiredSignatureError):
        check_claims({"exp": 1}, ClaimRules.build())


def test_audience() -> None:
    _check({"aud": "a"}, audience="a")
    _check({"aud": ["b", "a"]}, audience=["a"])
    _check({}, audience=None)
    with pytest.raises(InvalidAudienceError, match="not intended"):
        _check({"aud": ["b"]}, audience="a")
    with pytest.raises(InvalidAudienceError, match="no audience was given"):
        _check({"aud": "a"})
    with pytest.raises(MissingRequiredClaimError, match="aud"):
        _check({}, audience="a")
    for aud in (1, ["a", 1], ("a",), None):
        with pytest.raises(InvalidAudienceError, match="string or a list"):
            _check({"aud": aud}, audience="a")


def test_issuer_and_subject() -> None:
    _check({"iss": "i", "sub": "s"})
    _check({"iss": "i", "sub": "s"}, issuer="i", subject="s")
    with pytest.raises(InvalidIssuerError, match="expected issuer"):
        _check({"iss": "j"}, issuer="i")
    with pytest.raises(InvalidSubjectError, match="expected subject"):
        _check({"sub": "t"}, subject="s")
    with pytest.raises(InvalidIssuerError, match="must be a string"):
        _check({"iss": 1})
    with pytest.raises(InvalidSubjectError, match="must be a string"):
        _check({"sub": 1})
    with pytest.raises(MissingRequiredClaimError, match="iss"):
        _check({}, issuer="i")
    with pytest.raises(MissingRequiredClaimError, match="sub"):
        _check({}, subject="s")


def test_required_claims_must_have_a_value() -> None:
    _check({"x": 0}, require=["x"])
    for claims in ({}, {"x": None}):
        with pytest.raises(MissingRequiredClaimError) as info:
            _check(claims, require=["x"])
        assert info.value.claim == "x"


def test_jti_must_be_a_string() -> None:
    _check({"jti": "j"})
    with pytest.raises(InvalidClaimError) as info:
        _check({"jti": 1})
    assert info.value.claim == "jti"


AUDIENCE = frozenset({"api"})
ISSUER = frozenset({"trent"})

# claims, options, the error, and the claim, expected and received values it carries for programs.
FAILURES: list[tuple[dict[str, Any], dict[str, Any], type[Exception], str, object, object]] = [
    ({}, {"require": ["x"]}, MissingRequiredClaimError, "x", None, None),
    ({"exp": "1"}, {}, InvalidClaimError, "exp", None, "1"),
    ({"exp": NOW - 1}, {}, ExpiredSignatureError, "exp", NOW, NOW - 1),
    ({"nbf": [1]}, {}, InvalidClaimError, "nbf", None, [1]),
    ({"nbf": NOW + 5}, {}, ImmatureSignatureError, "nbf", NOW, NOW + 5),
    ({"iat": None}, {}, InvalidIssuedAtError, "iat", None, None),
    ({"iat": "x"}, {}, InvalidIssuedAtError, "iat", None, "x"),
    ({"iat": NOW + 5}, {}, InvalidIssuedAtError, "iat", NOW, NOW + 5),
    ({"iat": NOW - 20}, {"max_age": 10}, InvalidIssuedAtError, "iat", 10.0, NOW - 20),
    ({}, {"max_age": 10}, MissingRequiredClaimError, "iat", 10.0, None),
    ({}, {"audience": "api"}, MissingRequiredClaimError, "aud", AUDIENCE, None),
    ({"aud": 1}, {"audience": "api"}, InvalidAudienceError, "aud", None, 1),
    ({"aud": "api"}, {}, InvalidAudienceError, "aud", None, "api"),
    ({"aud": ["web"]}, {"audience": "api"}, InvalidAudienceError, "aud", AUDIENCE, ["web"]),
    ({}, {"issuer": "trent"}, MissingRequiredClaimError, "iss", ISSUER, None),
    ({"iss": 1}, {"issuer": "trent"}, InvalidIssuerError, "iss", ISSUER, 1),
    ({"iss": 1}, {}, InvalidIssuerError, "iss", None, 1),
    ({"iss": "mallory"}, {"issuer": "trent"}, InvalidIssuerError, "iss", ISSUER, "mallory"),
    ({}, {"subject": "alice"}, MissingRequiredClaimError, "sub", "alice", None),
    ({"sub": 1}, {"subject": "alice"}, InvalidSubjectError, "sub", "alice", 1),
    ({"sub": 1}, {}, InvalidSubjectError, "sub", None, 1),
    ({"sub": "bob"}, {"subject": "alice"}, InvalidSubjectError, "sub", "alice", "bob"),
    ({"jti": 1}, {}, InvalidClaimError, "jti", None, 1),
]


@pytest.mark.parametrize("case", FAILURES)
def test_every_claim_error_names_the_claim_and_what_was_expected_and_received(
    case: tuple[dict[str, Any], dict[str, Any], type[Exception], str, object, object],
) -> None:
    claims, options, error, claim, expected, received = case
    with pytest.raises(error) as info:
        _check(claims, **options)
    assert type(info.value) is error
    assert (info.value.claim, info.value.expected, info.value.received) == (claim, expected, received)  # type: ignore[attr-defined]


def test_a_naive_datetime_is_a_numeric_date_in_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    naive = dt.datetime(2024, 1, 1, 0, 0, 0)
    try:
        for zone in ("America/New_York", "Asia/Tokyo", "UTC"):
            monkeypatch.setenv("TZ", zone)
            time.tzset()
            assert numeric_date(naive) == 1_704_067_200
    finally:
        monkeypatch.undo()
        time.tzset()


def test_time_claims_may_be_fractional() -> None:
    _check({"exp": NOW + 0.5, "nbf": NOW - 0.5, "iat": NOW - 0.5}, max_age=1)
    with pytest.raises(ExpiredSignatureError):
        _check({"exp": NOW - 0.5})
    with pytest.raises(ImmatureSignatureError):
        _check({"nbf": NOW + 0.5})
    with pytest.raises(InvalidIssuedAtError, match="future"):
        _check({"iat": NOW + 0.5})


class _NoOffset(dt.tzinfo):
    """A time zone that does not know its offset: the datetime is naive in all but name."""

    def utcoffset(self, value: dt.datetime | None) -> dt.timedelta | None:
        return None

    def tzname(self, value: dt.datetime | None) -> str | None:
        return None

    def dst(self, value: dt.datetime | None) -> dt.timedelta | None:
        return None


def test_a_datetime_whose_zone_has_no_offset_is_naive() -> None:
    with pytest.raises(InvalidOptionError, match="naive"):
        to_timestamp(dt.datetime(2024, 1, 1, tzinfo=_NoOffset()), "now")
