"""A clock a test moves by hand, for every client and verifier that takes ``clock=``."""

from __future__ import annotations


class FakeClock:
    """A clock the test moves by hand: time passes only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
