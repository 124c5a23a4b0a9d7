"""Fixtures for the remote JWK Set tests: a loopback key server, keys made once, a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from support.jwks_server import JWKSServer

import minijwt
from minijwt.testing import FrozenClock


@pytest.fixture
def server() -> Iterator[JWKSServer]:
    served = JWKSServer()
    yield served
    served.close()


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="session")
def rsa_keys() -> tuple[minijwt.JWK, ...]:
    """Three RS256 keys, kids k1, k2, k3."""
    return tuple(minijwt.JWK.generate("RS256", kid=f"k{n}") for n in (1, 2, 3))
