"""pytest configuration: Hypothesis profiles; empty caches under mutation testing."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "default"))

if os.environ.get("MINIJWT_MUTATION"):
    # tools/mutation.py: a cached result would let a test pass without running
    # the (mutated) function that computes it, and hide from the recording run
    # that the test reaches that function.

    @pytest.fixture(autouse=True)
    def _fresh_caches() -> None:
        import minijwt

        minijwt.clear_caches()
