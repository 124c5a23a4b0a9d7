"""decode()'s memo: the prepared verifier of each configuration, in one bounded cache.

Preparing :func:`minijwt.decode`'s options is most of the work of a call, so
the prepared :class:`~minijwt.JWTVerifier` is remembered, by the key (by value
for text, by identity otherwise) and a snapshot of every option. ``decode()``
writes the lookup out inline for its common case; a test holds the two alike.
"""

from __future__ import annotations

from typing import Any

from ._cache import BoundedCache
from ._keyload import is_cacheable_text

__all__ = ["OPTIONS", "VERIFIERS", "VERIFIER_CACHE_SIZE", "freeze", "recall", "remember", "snapshot"]

#: How many decode() configurations keep a prepared verifier.
VERIFIER_CACHE_SIZE = 64
#: Cache key -> (the key object, its verifier). Typed precisely where it is used.
VERIFIERS: BoundedCache[tuple[object, Any]] = BoundedCache("jwt.verifiers", VERIFIER_CACHE_SIZE)


def freeze(option: object) -> object:
    """A snapshot of a list or set of names, so that the cache never sees a container change under it."""
    if type(option) is list:
        return tuple(option)
    if type(option) is set:
        return frozenset(option)
    return option


#: The options of a configuration after the key, in the order decode() passes them: JWTVerifier's keywords.
OPTIONS = (
    "algorithms", "audience", "issuer", "subject", "leeway", "require", "max_age", "typ", "max_token_size", "crit",
    "clock",
)  # fmt: skip


def snapshot(key: object, *options: object) -> tuple[object, ...] | None:
    """The cache key of a configuration (``OPTIONS``), or None when an option does not hash however frozen.

    The numbers' types are in it too: ``leeway=True`` must not find ``leeway=1``'s verifier.
    """
    algorithms, audience, issuer, subject, leeway, require, max_age, typ, max_token_size, crit, clock = options
    text_key = type(key) is str or type(key) is bytes
    snap = (
        key if text_key else id(key),
        tuple(algorithms) if type(algorithms) is list else freeze(algorithms),
        audience if type(audience) is str or audience is None else freeze(audience),
        issuer if type(issuer) is str or issuer is None else freeze(issuer),
        subject,
        require if type(require) is tuple else freeze(require),
        typ,
        crit if type(crit) is tuple else freeze(crit),
        leeway,
        max_age,
        max_token_size,
        type(leeway),
        type(max_age),
        type(max_token_size),
        clock,  # a function: by identity
    )
    try:
        hash(snap)
    except TypeError:  # unhashable however frozen (a deque ...): no cache
        return None
    return snap


def recall(snap: tuple[object, ...] | None, key: object) -> Any:
    """The remembered verifier of a configuration, or None."""
    if snap is None:
        return None
    entry = VERIFIERS.get(snap)
    # A text key is part of the cache key by value; any other key by id, which
    # is only valid while the cached object is that very object.
    if entry is not None and (type(key) is str or type(key) is bytes or entry[0] is key):
        return entry[1]
    return None


def remember(snap: tuple[object, ...] | None, key: object, verifier: object) -> None:
    """Keep a new verifier; a very long text key is never stored (the cache would pin it in memory)."""
    if snap is not None and ((type(key) is not str and type(key) is not bytes) or is_cacheable_text(key)):
        VERIFIERS.put(snap, (key, verifier))
