"""Validation of the JWT claim set (RFC 7519 §4.1, RFC 8725 §3.8-3.11).

The options are checked once, into a frozen :class:`ClaimRules`; then
:func:`check_claims` applies them to each claim set. Comparisons are written so
that a huge integer claim never has to be converted to a float.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from .errors import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidClaimError,
    InvalidIssuedAtError,
    InvalidIssuerError,
    InvalidOptionError,
    InvalidSubjectError,
    InvalidTokenTypeError,
    MissingRequiredClaimError,
)

__all__ = ["ClaimRules", "check_claims", "check_typ", "is_number", "numeric_date", "to_seconds", "to_timestamp"]

_UTC = dt.UTC


def is_number(value: object) -> bool:
    """True for a finite int or float (``bool`` is not a number here)."""
    if type(value) is int:
        return True
    return type(value) is float and math.isfinite(value)


def to_seconds(value: object, name: str, *, allow_none: bool = False) -> float | None:
    """Validate a duration option (seconds or ``timedelta``) and return seconds."""
    if value is None and allow_none:
        return None
    if isinstance(value, dt.timedelta):
        seconds = value.total_seconds()
    elif is_number(value):
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except OverflowError:  # an int beyond any float
            raise InvalidOptionError(f"{name} is too large") from None
    else:
        raise InvalidOptionError(f"{name} must be a number of seconds or a timedelta, not {type(value).__name__}")
    if seconds < 0:
        raise InvalidOptionError(f"{name} must not be negative")
    if not math.isfinite(seconds):
        raise InvalidOptionError(f"{name} is too large")
    return seconds


def to_timestamp(value: object, name: str) -> float:
    """Validate a point in time (seconds since the epoch or an aware ``datetime``) and return seconds."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            # datetime.now() is naive local time: read as UTC it would shift
            # every check by the local offset (expired tokens accepted west of
            # UTC). Only the caller knows which zone they meant.
            raise InvalidOptionError(f"{name} is a naive datetime; pass an aware one, e.g. datetime.now(timezone.utc)")
        return value.timestamp()
    if is_number(value):
        try:
            return float(value)  # type: ignore[arg-type]
        except OverflowError:
            raise InvalidOptionError(f"{name} is too large") from None
    raise InvalidOptionError(f"{name} must be a number of seconds since the epoch or a datetime")


def numeric_date(value: dt.datetime) -> int:
    """A ``datetime`` as a NumericDate (RFC 7519 §2): whole seconds since the epoch, UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    return math.floor(value.timestamp())


def _strings(value: object, name: str) -> frozenset[str] | None:
    """A string or a non-empty collection of strings, as a set; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = (value,)
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = tuple(value)
        # An empty name would match a token's empty claim: a configuration
        # slip (an unset environment variable), never a real audience or issuer.
        if items and all(isinstance(item, str) and item for item in items):
            return frozenset(items)
    raise InvalidOptionError(f"{name} must be a non-empty string or a non-empty list of non-empty strings")


# Registered claims whose value is a string, checked when they are required:
# client_id (RFC 8693 §4.3), which the RFC 9068 access-token profile requires.
# A number, a list or an object would compare or log as something it is not.
# (jti is checked in every token, below.)
_STRING_CLAIMS = frozenset({"client_id"})


def _normalize_typ(value: str) -> str:
    # RFC 7515 §4.1.9: "application/" may be omitted when no other "/" is
    # present, and media types compare case-insensitively in ASCII only (RFC
    # 6838 §4.2): the callers refuse non-ASCII first, so that str.lower()
    # cannot fold a KELVIN SIGN into a "k".
    lowered = value.lower()
    return lowered if "/" in lowered else "application/" + lowered


@dataclass(frozen=True, slots=True)
class ClaimRules:
    """Validated claim options; build with :meth:`build`."""

    audience: frozenset[str] | None
    issuer: frozenset[str] | None
    subject: str | None
    leeway: float
    require: tuple[str, ...]
    max_age: float | None
    typ: str | None
    strings: tuple[str, ...] = ()
    #: Seconds since the epoch, read when a check is given no ``now``.
    clock: Callable[[], float] = time.time

    @classmethod
    def build(
        cls,
        *,
        audience: object = None,
        issuer: object = None,
        subject: object = None,
        leeway: object = 0,
        require: object = (),
        max_age: object = None,
        typ: object = None,
        clock: object = None,
    ) -> ClaimRules:
        """Check every option once (InvalidOptionError for one of the wrong type or value)."""
        if subject is not None and not isinstance(subject, str):
            raise InvalidOptionError("subject must be a string")
        if typ is not None and (not isinstance(typ, str) or not typ or not typ.isascii()):
            raise InvalidOptionError("typ must be a non-empty ASCII string (a media type)")
        if isinstance(require, str):
            require = (require,)
        if not isinstance(require, Iterable) or isinstance(require, (bytes, Mapping)):
            raise InvalidOptionError("require must be a list of claim names")
        names = tuple(require)
        if not all(isinstance(name, str) for name in names):
            raise InvalidOptionError("require must contain only claim names (strings)")
        names = tuple(dict.fromkeys(names))  # without repeats, in order
        seconds = to_seconds(leeway, "leeway")
        assert seconds is not None
        return cls(
            audience=_strings(audience, "audience"),
            issuer=_strings(issuer, "issuer"),
            subject=subject,
            leeway=seconds,
            require=names,
            max_age=to_seconds(max_age, "max_age", allow_none=True),
            typ=_normalize_typ(typ) if typ is not None else None,
            strings=tuple(name for name in names if name in _STRING_CLAIMS),
            clock=_clock(clock),
        )


def _clock(clock: object) -> Callable[[], float]:
    """A ``clock=`` option as a function of epoch seconds, tried once now, so that a wrong one fails at start-up."""
    if clock is None:
        return time.time
    if not callable(clock):
        raise InvalidOptionError("clock must be a function returning seconds since the epoch")
    probe = clock()
    to_timestamp(probe, "clock()")  # a number, or an aware datetime
    if isinstance(probe, dt.datetime):
        return lambda: cast(dt.datetime, clock()).timestamp()
    return cast("Callable[[], float]", clock)


def check_typ(header: Mapping[str, Any], rules: ClaimRules) -> None:
    """Check the header's ``typ`` against the expected type, if one is set."""
    if rules.typ is None:
        return
    typ = header.get("typ")
    if typ is None:
        raise InvalidTokenTypeError(f"token has no 'typ' header, but {rules.typ!r} is expected")
    if not isinstance(typ, str) or not typ.isascii() or _normalize_typ(typ) != rules.typ:
        raise InvalidTokenTypeError(f"token 'typ' header is not the expected {rules.typ!r}")


def _when(timestamp: float) -> str:
    try:
        return dt.datetime.fromtimestamp(timestamp, _UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return "out of range"


def _ago(later: float, earlier: float) -> str:
    """How long from ``earlier`` to ``later``, in words."""
    try:
        seconds = abs(later - earlier)
    except OverflowError:  # an integer claim too large for a float
        return "an immense time"
    if seconds < 1:
        return "less than a second"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
    return f"{int(seconds)} s"


def check_claims(claims: Mapping[str, Any], rules: ClaimRules, now: float | None = None) -> None:
    """Validate a claim set by ``rules``, at ``now`` (seconds since the epoch; the clock's if None)."""
    require = rules.require
    if require:
        for name in require:
            # A null claim is no claim: "present" must mean it has a value.
            if claims.get(name) is None:
                raise MissingRequiredClaimError(f"token has no '{name}' claim, which is required", claim=name)
        for name in rules.strings:
            if type(claims[name]) is not str:
                raise InvalidClaimError(f"claim '{name}' must be a string", claim=name, received=claims[name])
    # The lookups are written out (not looped or factored into calls): this
    # runs for every token, and each check costs about as much as a call.
    exp = claims.get("exp", _ABSENT)
    nbf = claims.get("nbf", _ABSENT)
    iat = claims.get("iat", _ABSENT)
    if exp is not _ABSENT or nbf is not _ABSENT or iat is not _ABSENT or rules.max_age is not None:
        if now is None:
            now = rules.clock()
        leeway = rules.leeway
        # RFC 7519 §4.1.4: reject on or after exp (plus leeway).
        if exp is not _ABSENT:
            if type(exp) is not int and not (type(exp) is float and math.isfinite(exp)):
                raise _not_a_number("exp", exp, InvalidClaimError)
            if now - leeway >= exp:
                raise ExpiredSignatureError(
                    f"token expired {_ago(now, exp)} ago (exp {_when(exp)})", claim="exp", expected=now, received=exp
                )
        # RFC 7519 §4.1.5: reject before nbf (minus leeway).
        if nbf is not _ABSENT:
            if type(nbf) is not int and not (type(nbf) is float and math.isfinite(nbf)):
                raise _not_a_number("nbf", nbf, InvalidClaimError)
            if now + leeway < nbf:
                raise ImmatureSignatureError(
                    f"token is not valid yet: it becomes valid in {_ago(nbf, now)} (nbf {_when(nbf)})",
                    claim="nbf",
                    expected=now,
                    received=nbf,
                )
        if iat is not _ABSENT:
            if type(iat) is not int and not (type(iat) is float and math.isfinite(iat)):
                raise _not_a_number("iat", iat, InvalidIssuedAtError)
            if iat > now + leeway:
                raise InvalidIssuedAtError(
                    f"token was issued in the future (iat {_when(iat)})", claim="iat", expected=now, received=iat
                )
            if rules.max_age is not None and now - rules.max_age - leeway > iat:
                raise InvalidIssuedAtError(
                    f"token was issued {_ago(now, iat)} ago, more than max_age {rules.max_age:g} s (iat {_when(iat)})",
                    claim="iat",
                    expected=rules.max_age,
                    received=iat,
                )
        elif rules.max_age is not None:
            raise MissingRequiredClaimError(
                "token has no 'iat' claim, which max_age requires", claim="iat", expected=rules.max_age
            )
    # Each check tests the common good case first (a string that matches);
    # anything else but an absent claim that nothing requires goes to the
    # function that decides and explains.
    audience = rules.audience
    aud = claims.get("aud", _ABSENT)
    if not (type(aud) is str and audience is not None and aud in audience) and (
        aud is not _ABSENT or audience is not None
    ):
        _check_audience(claims, audience)
    issuer = rules.issuer
    iss = claims.get("iss", _ABSENT)
    if not (type(iss) is str and (issuer is None or iss in issuer)) and (iss is not _ABSENT or issuer is not None):
        _check_issuer(claims, issuer)
    subject = rules.subject
    sub = claims.get("sub", _ABSENT)
    if not (type(sub) is str and (subject is None or sub == subject)) and (sub is not _ABSENT or subject is not None):
        _check_subject(claims, subject)
    if "jti" in claims and type(claims["jti"]) is not str:
        raise InvalidClaimError("claim 'jti' must be a string", claim="jti", received=claims["jti"])


_ABSENT: Any = object()


def _not_a_number(
    name: str, value: Any, error: type[InvalidClaimError | InvalidIssuedAtError]
) -> InvalidClaimError | InvalidIssuedAtError:
    return error(
        f"claim '{name}' must be a number (NumericDate), not {type(value).__name__}", claim=name, received=value
    )


def _check_audience(claims: Mapping[str, Any], audience: frozenset[str] | None) -> None:
    # RFC 7519 §4.1.3: a recipient that does not identify itself with a value
    # in "aud" must reject the token, including when it names no audience.
    if "aud" not in claims:
        if audience is not None:
            raise MissingRequiredClaimError(
                "token has no 'aud' claim, but an audience is expected", claim="aud", expected=audience
            )
        return
    aud = claims["aud"]
    values = [aud] if isinstance(aud, str) else aud
    if type(values) is not list or not all(isinstance(v, str) for v in values):
        raise InvalidAudienceError("claim 'aud' must be a string or a list of strings", claim="aud", received=aud)
    if audience is None:
        raise InvalidAudienceError(
            "token names an audience ('aud'), but no audience was given to check", claim="aud", received=aud
        )
    if not audience.intersection(values):
        raise InvalidAudienceError(
            "token is not intended for this audience ('aud' does not match)",
            claim="aud",
            expected=audience,
            received=aud,
        )


def _check_issuer(claims: Mapping[str, Any], issuer: frozenset[str] | None) -> None:
    if "iss" not in claims:
        if issuer is not None:
            raise MissingRequiredClaimError(
                "token has no 'iss' claim, but an issuer is expected", claim="iss", expected=issuer
            )
        return
    iss = claims["iss"]
    if not isinstance(iss, str):
        raise InvalidIssuerError("claim 'iss' must be a string", claim="iss", expected=issuer, received=iss)
    # Exact equality with one of the expected values: a set lookup, never a
    # substring or prefix test.
    if issuer is not None and iss not in issuer:
        raise InvalidIssuerError(
            "token was not issued by the expected issuer ('iss' does not match)",
            claim="iss",
            expected=issuer,
            received=iss,
        )


def _check_subject(claims: Mapping[str, Any], subject: str | None) -> None:
    if "sub" not in claims:
        if subject is not None:
            raise MissingRequiredClaimError(
                "token has no 'sub' claim, but a subject is expected", claim="sub", expected=subject
            )
        return
    sub = claims["sub"]
    if not isinstance(sub, str):
        raise InvalidSubjectError("claim 'sub' must be a string", claim="sub", expected=subject, received=sub)
    if subject is not None and sub != subject:
        raise InvalidSubjectError(
            "token is not about the expected subject ('sub' does not match)",
            claim="sub",
            expected=subject,
            received=sub,
        )
