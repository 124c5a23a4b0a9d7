"""The cache rules alone: every decision of _jwks_state with a made-up clock, no network, no sleeping."""

from __future__ import annotations

import dataclasses

import pytest

import minijwt
from minijwt import _jwks_state as rules
from minijwt._jwks_state import EMPTY, Action, Policy, State

POLICY = Policy(cache_ttl=300, min_refresh_interval=30, max_stale=3600, refresh_ahead=30)
KEYS = minijwt.JWKSet([minijwt.JWK.generate("ES256", kid="a").public()])


def fetched(at: float = 0.0, lifetime: float = 300.0, policy: Policy = POLICY) -> State:
    """The state after one successful fetch started and ended at ``at``."""
    return rules.succeeded(rules.begin(State(), at), policy, KEYS, now=at, lifetime=lifetime)


def failing(state: State, at: float) -> State:
    """The state after a further fetch, started and failed at ``at``."""
    return rules.failed(rules.begin(state, at), "status", "the server answered with status 500")


def test_nothing_held_fetches() -> None:
    assert rules.decide(State(), POLICY, 0.0, found=False) is Action.FETCH


def test_a_fetch_in_progress_is_joined_not_repeated() -> None:
    started = rules.begin(State(), 0.0)
    assert rules.decide(started, POLICY, 1.0, found=False) is Action.JOIN
    assert started.fetches == 1


def test_fresh_key_is_answered_until_the_refresh_ahead_window() -> None:
    state = fetched()
    assert state.quiet_until == 270.0
    for now in (0.0, 100.0, 269.9):
        assert rules.decide(state, POLICY, now, found=True) is Action.ANSWER


def test_refresh_ahead_starts_one_background_refresh() -> None:
    state = fetched()
    assert rules.decide(state, POLICY, 275.0, found=True) is Action.ANSWER_AND_REFRESH
    refreshing = rules.begin(state, 275.0)
    # While it runs, held keys answer at once.
    assert rules.decide(refreshing, POLICY, 276.0, found=True) is Action.ANSWER


def test_refresh_ahead_window_is_at_most_half_the_freshness() -> None:
    state = fetched(lifetime=40.0)  # e.g. a short max-age
    assert state.quiet_until == 20.0  # not 40 - 30 = 10
    assert rules.decide(state, POLICY, 15.0, found=True) is Action.ANSWER


def test_refresh_ahead_respects_the_cooldown() -> None:
    state = fetched(lifetime=30.0)  # freshness equal to the cooldown
    assert rules.decide(state, POLICY, 20.0, found=True) is Action.ANSWER  # in the window, but cooling


def test_unknown_kid_during_cooldown_is_not_found_without_network() -> None:
    state = fetched()
    assert rules.decide(state, POLICY, 29.9, found=False) is Action.NOT_FOUND


def test_unknown_kid_after_cooldown_fetches() -> None:
    state = fetched()
    assert rules.decide(state, POLICY, 30.0, found=False) is Action.FETCH


def test_past_freshness_without_failure_fetches_and_waits() -> None:
    state = fetched()
    assert rules.decide(state, POLICY, 300.0, found=True) is Action.FETCH
    assert rules.decide(rules.begin(state, 300.0), POLICY, 300.5, found=True) is Action.JOIN


def test_stale_if_error_answers_and_retries_after_the_cooldown() -> None:
    state = failing(fetched(), at=300.0)
    assert rules.usable(state, 310.0)
    assert rules.decide(state, POLICY, 310.0, found=True) is Action.ANSWER  # cooling: no fetch
    assert rules.decide(state, POLICY, 330.0, found=True) is Action.ANSWER_AND_REFRESH  # never waits


def test_stale_keys_stop_at_max_stale() -> None:
    state = failing(fetched(), at=300.0)
    assert rules.decide(state, POLICY, 300.0 + 3599.0, found=True) is not Action.FETCH
    assert not rules.usable(state, 300.0 + 3600.0)
    assert rules.decide(state, POLICY, 300.0 + 3600.0, found=True) is Action.FETCH


def test_nothing_usable_during_cooldown_repeats_the_failure() -> None:
    state = failing(State(), at=0.0)
    assert rules.decide(state, POLICY, 10.0, found=False) is Action.FAIL
    assert rules.decide(state, POLICY, 30.0, found=False) is Action.FETCH


def test_a_refresh_ahead_failure_keeps_the_fresh_keys_quiet() -> None:
    state = failing(fetched(), at=275.0)
    assert rules.decide(state, POLICY, 100.0, found=True) is Action.ANSWER
    assert rules.decide(state, POLICY, 280.0, found=True) is Action.ANSWER  # cooling after the failure
    assert rules.decide(state, POLICY, 305.0, found=True) is Action.ANSWER_AND_REFRESH  # stale-if-error


def test_success_clears_the_failure() -> None:
    state = failing(fetched(), at=300.0)
    again = rules.succeeded(rules.begin(state, 330.0), POLICY, KEYS, now=330.0, lifetime=300.0)
    assert again.failure is None
    assert again.fetches == 3
    assert rules.decide(again, POLICY, 400.0, found=True) is Action.ANSWER


def test_seeded_set_of_unknown_age_is_used_only_if_the_first_fetch_fails() -> None:
    state = rules.seeded(POLICY, KEYS, now=0.0, age=None)
    assert rules.decide(state, POLICY, 0.0, found=True) is Action.FETCH
    assert rules.usable(state, 0.0)
    assert rules.decide(failing(state, 0.0), POLICY, 1.0, found=True) is Action.ANSWER


def test_seeded_set_of_known_age_is_fresh_for_the_rest_of_cache_ttl() -> None:
    state = rules.seeded(POLICY, KEYS, now=1000.0, age=100.0)
    assert state.fresh_until == 1200.0
    assert rules.decide(state, POLICY, 1100.0, found=True) is Action.ANSWER
    assert rules.decide(state, POLICY, 1200.0, found=True) is Action.FETCH


@pytest.mark.parametrize("cooldown", [0.0, 30.0])
def test_zero_or_positive_cooldown_both_fetch_a_missing_key_when_nothing_is_held(cooldown: float) -> None:
    policy = Policy(cache_ttl=300, min_refresh_interval=cooldown, max_stale=0, refresh_ahead=0)
    assert rules.decide(State(), policy, 5.0, found=False) is Action.FETCH


def test_status_snapshot() -> None:
    assert rules.status(State(), 0.0) == rules.JWKSStatus(
        fresh=False, stale=False, age=None, last_error=None, fetches=0, refreshing=False
    )
    state = failing(fetched(), at=300.0)
    snapshot = rules.status(state, 310.0)
    assert (snapshot.fresh, snapshot.stale, snapshot.age, snapshot.last_error, snapshot.fetches) == (
        False,
        True,
        310.0,
        "status",
        2,
    )
    assert EMPTY is State().keys


@pytest.mark.parametrize(("age", "fresh_until"), [(0.5, 1299.5), (0.0, 1300.0), (-10.0, 1300.0)])
def test_a_seeded_sets_age_counts_to_the_second_and_a_negative_age_as_zero(age: float, fresh_until: float) -> None:
    """A set of known age is fresh for what is left of cache_ttl; an age from a clock ahead of ours is no age."""
    state = rules.seeded(POLICY, KEYS, now=1000.0, age=age)
    assert state.fresh_until == fresh_until
    assert rules.status(state, 1000.0).age == max(age, 0.0)


def test_a_finished_fetch_is_no_longer_refreshing_whatever_its_outcome() -> None:
    started = rules.begin(fetched(), 300.0)
    assert rules.status(started, 300.0).refreshing is True
    outcomes = (
        failing(fetched(), 300.0),
        rules.succeeded(started, POLICY, KEYS, now=301.0, lifetime=300.0),
        rules.abandoned(started),  # its event loop closed, or the process forked, while it ran
    )
    for ended in outcomes:
        assert ended.in_flight is False
        assert rules.status(ended, 301.0).refreshing is False


def test_the_refresh_ahead_window_is_measured_on_the_freshness_not_the_clock() -> None:
    """Half the freshness is half of fresh_until - fetched_at, wherever the clock stands."""
    state = fetched(at=1000.0, lifetime=40.0)
    assert state.quiet_until == 1020.0
    assert rules.decide(state, POLICY, 1019.0, found=True) is Action.ANSWER
    long_lived = fetched(at=1000.0)
    assert long_lived.quiet_until == 1270.0


def test_the_cooldown_holds_even_when_freshness_ends_first() -> None:
    """No more than one fetch per cooldown: a set fresh for less than it answers until the cooldown ends."""
    state = fetched(at=0.0, lifetime=10.0)
    assert rules.decide(state, POLICY, 15.0, found=True) is Action.ANSWER
    assert rules.decide(state, POLICY, 29.9, found=True) is Action.ANSWER
    assert rules.decide(state, POLICY, 30.0, found=True) is Action.FETCH


def test_a_state_is_an_immutable_value() -> None:
    """Every member of State is compared and hashed: nothing in it changes once it is made (no memo)."""
    state = failing(fetched(), 300.0)
    assert all(member.compare and member.hash is not False for member in dataclasses.fields(State))
    assert hash(state) == hash(dataclasses.replace(state))
    assert state == failing(fetched(), 300.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.fetches = 0  # type: ignore[misc]
