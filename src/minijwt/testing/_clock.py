"""``FrozenClock``: time that passes only when a test says so."""

from __future__ import annotations

import datetime as dt
import math

from ..errors import InvalidOptionError

__all__ = ["FrozenClock"]


def _seconds(value: object, name: str) -> float:
    """Epoch seconds from a number or an aware ``datetime`` (a naive one is ambiguous, so refused)."""
    if isinstance(value, dt.datetime):
        if value.utcoffset() is None:
            raise InvalidOptionError(f"{name} is a naive datetime; pass an aware one, e.g. with tzinfo=timezone.utc")
        return value.timestamp()
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        if math.isfinite(seconds):
            return seconds
    raise InvalidOptionError(f"{name} must be a finite number of seconds or an aware datetime")


class FrozenClock:
    """A clock that stands still until :meth:`advance` moves it.

    Call it for the time, in seconds since the epoch. Every minijwt object
    with a ``clock=`` option takes one: :class:`FakeIssuer`, the JWKS
    clients, :class:`~minijwt.MultiIssuerVerifier`,
    :class:`~minijwt.dpop.DPoPVerifier`, the DPoP nonce source and
    :class:`~minijwt.JWTVerifier`, so that one clock moves them all together
    (a JWKS client reads its clock only to measure intervals, which a frozen
    clock measures the same way).

    Args:
        start: The frozen time: seconds since the epoch, or an aware
            ``datetime``.

    Raises:
        InvalidOptionError: ``start`` is not a finite number or an aware
            ``datetime``.

    Example:
        >>> from minijwt.testing import FrozenClock
        >>> clock = FrozenClock()
        >>> clock()
        1700000000.0
        >>> clock.advance(301)
        >>> clock()
        1700000301.0
    """

    __slots__ = ("_now",)

    def __init__(self, start: float | dt.datetime = 1_700_000_000.0) -> None:
        """Freeze the time at ``start``."""
        self._now = _seconds(start, "start")

    def __call__(self) -> float:
        """The frozen time, in seconds since the epoch."""
        return self._now

    def advance(self, seconds: float | dt.timedelta) -> None:
        """Move the time forward by ``seconds`` (a number or a ``timedelta``; never backward).

        Raises:
            InvalidOptionError: ``seconds`` is negative or not a finite number.
        """
        step = _seconds(seconds.total_seconds() if isinstance(seconds, dt.timedelta) else seconds, "seconds")
        if step < 0:
            raise InvalidOptionError("a frozen clock only moves forward: seconds must not be negative")
        self._now += step

    def __repr__(self) -> str:
        """``FrozenClock(<seconds>)``."""
        return f"FrozenClock({self._now!r})"
