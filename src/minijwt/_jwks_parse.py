"""A published JWK Set, read: strict JSON, public keys only.

An issuer publishes verification keys at its ``jwks_uri`` (RFC 7517 §5), and
a published set holds public keys only (OIDC Discovery 1.0 §3): a symmetric
key or one with private members there is either a leak or an attack, and is
ignored. Keys the library cannot use (unknown type or curve, malformed,
weak) are skipped, as RFC 7517 §5 says; the rest are used. Each key left out
comes back as a note for the log, never as an error, unless no key is left
that can verify a signature.

The JWKS clients read every fetched set here, and the set a client starts
with (``initial=``) too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._algorithms import ALGORITHMS
from ._json import loads
from ._jwk_members import PRIVATE_MEMBERS
from .errors import DecodeError, InvalidKeyError, JWKSFetchError
from .jwk import JWK, JWKSet, SkippedKey

__all__ = ["DEFAULT_MAX_KEYS", "jwks_from_object", "parse_jwks"]

#: The most keys accepted in a published set, unless the client says otherwise.
DEFAULT_MAX_KEYS = 100


def parse_jwks(body: bytes, *, max_keys: int = DEFAULT_MAX_KEYS) -> tuple[JWKSet, tuple[str, ...]]:
    """Read a published JWK Set: strict JSON, public keys only.

    Args:
        body: The response body.
        max_keys: The most keys accepted in the set.

    Returns:
        The set, and a note for each key left out or unable to verify
        anything (for the log).

    Raises:
        JWKSFetchError: reason ``"not_json"`` (not a strict JSON object),
            ``"not_jwks"`` (no ``keys`` list, or an ambiguous set),
            ``"too_many_keys"`` or ``"no_usable_key"``.

    Example:
        >>> from minijwt.jwks_client import parse_jwks
        >>> keys, notes = parse_jwks(b'{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}')
        Traceback (most recent call last):
        ...
        minijwt.errors.JWKSFetchError: the JWK Set has no key that can verify a signature
    """
    try:
        data = loads(body, "JWK Set")
    except DecodeError:
        raise JWKSFetchError("the answer is not a strict JSON object", reason="not_json") from None
    if type(data) is not dict:
        raise JWKSFetchError("the answer is JSON but not a JSON object", reason="not_json")
    return jwks_from_object(data, max_keys=max_keys)


def jwks_from_object(data: Mapping[str, Any], *, max_keys: int) -> tuple[JWKSet, tuple[str, ...]]:
    """Read a published JWK Set already parsed from JSON (see :func:`parse_jwks`).

    Raises:
        JWKSFetchError: As :func:`parse_jwks`, but for ``"not_json"``.
    """
    members = data.get("keys")
    if not isinstance(members, list):
        raise JWKSFetchError("the JSON object has no 'keys' list; it is not a JWK Set", reason="not_jwks")
    if len(members) > max_keys:
        raise JWKSFetchError(f"the JWK Set has {len(members)} keys, more than {max_keys}", reason="too_many_keys")
    notes: list[str] = []
    kept: list[Any] = []
    positions: list[int] = []
    for index, member in enumerate(members):
        problem = _private_problem(member)
        if problem is None:
            kept.append(member)
            positions.append(index)
        else:
            notes.append(f"key {index}{_kid_text(member)} ignored: {problem}")
    try:
        loaded = JWKSet.from_dict({"keys": kept})
        # The same keys, with the skipped ones numbered as in the published array.
        keys = JWKSet(loaded, skipped=[SkippedKey(positions[s.index], s.kid, s.reason) for s in loaded.skipped])
    except InvalidKeyError as exc:
        raise JWKSFetchError(exc.message, reason="not_jwks") from None
    notes.extend(f"key {s.index}{_kid_text({'kid': s.kid})} skipped: {s.reason}" for s in keys.skipped)
    verifying = 0
    for jwk in keys:
        if any(jwk.can_verify(row) for row in ALGORITHMS.values()):
            verifying += 1
        else:
            notes.append(f"key{_kid_text({'kid': jwk.kid})} can verify nothing: {_why_unusable(jwk)}")
    if not verifying:
        raise JWKSFetchError("the JWK Set has no key that can verify a signature", reason="no_usable_key")
    return keys, tuple(notes)


def _private_problem(member: object) -> str | None:
    # Members that only a private or symmetric JWK has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2).
    if not isinstance(member, Mapping):
        return None  # JWKSet skips it
    if member.get("kty") == "oct":
        return "a symmetric (oct) key must never be published"
    private = [name for name in PRIVATE_MEMBERS if name in member]
    if private:
        return f"it carries private members ({', '.join(private)}); a published set holds public keys only"
    return None


def _kid_text(member: object) -> str:
    kid = member.get("kid") if isinstance(member, Mapping) else None
    # Shortened and repr'd: the kid comes from the server and goes to a log.
    return f" (kid {kid[:64]!r})" if isinstance(kid, str) else ""


def _why_unusable(jwk: JWK) -> str:
    if jwk.use is not None and jwk.use != "sig":
        return f"its 'use' is {jwk.use[:16]!r}"
    if jwk.key_ops is not None and "verify" not in jwk.key_ops:
        return "its 'key_ops' lack 'verify'"
    return "it fits no supported algorithm"
