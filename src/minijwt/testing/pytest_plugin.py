"""pytest fixtures for ``minijwt.testing``, opt-in.

Enable them in a ``conftest.py`` with ``pytest_plugins = ["minijwt.testing.pytest_plugin"]``,
or for one run with ``pytest -p minijwt.testing.pytest_plugin``.
"""

from __future__ import annotations

import pytest

from . import FakeIssuer, FrozenClock

__all__ = ["fake_issuer", "frozen_clock"]


@pytest.fixture
def fake_issuer() -> FakeIssuer:
    """A fresh :class:`~minijwt.testing.FakeIssuer` for each test, on the system clock."""
    return FakeIssuer()


@pytest.fixture
def frozen_clock() -> FrozenClock:
    """A :class:`~minijwt.testing.FrozenClock` at its default start, for each test."""
    return FrozenClock()
