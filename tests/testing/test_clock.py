"""FrozenClock: one clock every minijwt object with a clock= option reads."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

import minijwt
from minijwt.dpop import DPoPVerifier, HMACNonceSource
from minijwt.testing import DPoPClient, FakeIssuer, FrozenClock


def test_a_frozen_clock_stands_still_until_advanced() -> None:
    clock = FrozenClock()
    assert clock() == clock() == 1_700_000_000.0
    clock.advance(1.5)
    clock.advance(dt.timedelta(minutes=1))
    assert clock() == 1_700_000_061.5
    assert repr(clock) == "FrozenClock(1700000061.5)"
    assert FrozenClock(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))() == 1_893_456_000.0
    assert FrozenClock(5)() == 5.0


@pytest.mark.parametrize("start", [dt.datetime(2030, 1, 1), "1700000000", float("nan"), float("inf"), True, None])
def test_a_frozen_clock_refuses_a_start_that_is_not_a_point_in_time(start: object) -> None:
    with pytest.raises(minijwt.InvalidOptionError):
        FrozenClock(start)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", [-1, dt.timedelta(seconds=-1), float("nan"), "1"])
def test_a_frozen_clock_moves_forward_only(step: object) -> None:
    clock = FrozenClock()
    with pytest.raises(minijwt.InvalidOptionError):
        clock.advance(step)  # type: ignore[arg-type]
    assert clock() == 1_700_000_000.0


def test_a_verifier_reads_its_clock_when_a_call_passes_no_now() -> None:
    clock = FrozenClock()
    key = b"a-secret-of-at-least-thirty-two!"
    token = minijwt.encode({"exp": clock() + 60}, key)
    verifier = minijwt.JWTVerifier(key, algorithms=["HS256"], clock=clock)
    assert verifier.decode(token) == {"exp": clock() + 60}
    assert asyncio.run(verifier.adecode(token)) == {"exp": clock() + 60}
    clock.advance(60)
    with pytest.raises(minijwt.ExpiredSignatureError):
        verifier.decode(token)
    assert verifier.decode(token, now=clock() - 1) == {"exp": clock()}  # now= still wins
    # Without a clock, the system's: this token expired long ago.
    with pytest.raises(minijwt.ExpiredSignatureError):
        minijwt.JWTVerifier(key, algorithms=["HS256"]).decode(minijwt.encode({"exp": 1_700_000_000}, key))


def test_a_verifier_clock_may_answer_with_an_aware_datetime() -> None:
    key = b"a-secret-of-at-least-thirty-two!"
    when = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    verifier = minijwt.JWTVerifier(key, algorithms=["HS256"], clock=lambda: when)
    assert verifier.decode(minijwt.encode({"exp": when.timestamp() + 1}, key))
    with pytest.raises(minijwt.ExpiredSignatureError):
        verifier.decode(minijwt.encode({"exp": when.timestamp()}, key))


@pytest.mark.parametrize("clock", ["now", lambda: "now", lambda: dt.datetime(2030, 1, 1)])
def test_a_verifier_clock_that_cannot_tell_the_time_fails_when_built(clock: object) -> None:
    with pytest.raises(minijwt.InvalidOptionError, match="clock"):
        minijwt.JWTVerifier(b"a-secret-of-at-least-thirty-two!", algorithms=["HS256"], clock=clock)  # type: ignore[arg-type]


def test_one_frozen_clock_moves_an_issuer_its_clients_and_dpop_together() -> None:
    clock = FrozenClock()
    fake = FakeIssuer(clock=clock)
    client = DPoPClient(clock=clock)
    token = fake.token(dpop_key=client)
    verifier = fake.verifier()
    assert verifier.decode(token)["iat"] == int(clock())
    nonces = HMACNonceSource(b"n" * 32, clock=clock)
    dpop = DPoPVerifier(algorithms=["ES256"], clock=clock, nonce=nonces)
    nonce = nonces.issue()
    proof = client.proof("GET", "https://api.test/x", access_token=token, nonce=nonce)
    assert dpop.verify(proof, method="GET", url="https://api.test/x", access_token=token, cnf_jkt=client.jkt)
    multi = minijwt.MultiIssuerVerifier(
        {fake.issuer: minijwt.IssuerConfig(audience="api")}, algorithms=["ES256"], fetch=fake.fetch, clock=clock
    )
    assert multi.decode(token)["sub"] == "user"
    clock.advance(301)  # past exp, and past the nonce's lifetime
    for check in (verifier.decode, multi.decode):
        with pytest.raises(minijwt.ExpiredSignatureError):
            check(token)
    assert not nonces.check(nonce)
