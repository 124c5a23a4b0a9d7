"""The opt-in pytest plugin: its fixtures, in a pytest run of their own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import minijwt.testing

USER_TESTS = """
from minijwt.testing import FakeIssuer, FrozenClock

def test_the_fixtures(fake_issuer, frozen_clock):
    assert isinstance(fake_issuer, FakeIssuer) and isinstance(frozen_clock, FrozenClock)
    assert fake_issuer.verifier().decode(fake_issuer.token("ann"))["sub"] == "ann"
    assert frozen_clock() == 1_700_000_000.0

def test_a_fresh_issuer_for_each_test(fake_issuer):
    global SEEN
    SEEN = globals().get("SEEN", set()) | {fake_issuer.kid}

def test_another(fake_issuer):
    assert fake_issuer.kid not in SEEN
"""


def test_the_plugin_gives_each_test_a_fresh_issuer_and_a_frozen_clock(tmp_path: Path) -> None:
    (tmp_path / "test_app.py").write_text(USER_TESTS, encoding="utf-8")
    # The installed package's location, so that the child imports the same minijwt.
    package_root = str(Path(minijwt.testing.__file__).parents[2])
    environment = {**os.environ, "PYTHONPATH": package_root}
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "minijwt.testing.pytest_plugin", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "3 passed" in ran.stdout
