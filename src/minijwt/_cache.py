"""Every cache minijwt keeps, in one register, each with a named bound.

Each cache of work that repeats from token to token is made here, registered
under a stable name with its bound, and so can be listed (:func:`cache_info`)
and emptied (:func:`clear`). The three kinds are described in the internals
page, and every cache in the performance page.

No cache ever holds a password (RFC 8725 §3.5 asks that keys be handled with
care; a password is never needed again once its key is loaded).
"""

from __future__ import annotations

import collections
import contextlib
import functools
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

V = TypeVar("V")
F = TypeVar("F", bound=Callable[..., Any])

__all__ = ["BoundedCache", "CacheInfo", "IdentityCache", "cache_info", "clear", "memoize"]


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """One registered cache: how many entries it holds and its bound.

    Attributes:
        name: The cache's registered name, e.g. ``"header.parse"``.
        size: The number of entries it holds now.
        bound: The most it can ever hold.
    """

    name: str
    size: int
    bound: int


class _Registered(Protocol):
    def _size(self) -> int: ...

    def _clear(self) -> None: ...


_REGISTER: dict[str, tuple[int, _Registered]] = {}


def _register(name: str, bound: int, cache: _Registered) -> None:
    if name in _REGISTER:
        raise AssertionError(f"cache {name!r} registered twice")
    if type(bound) is not int or bound <= 0:
        raise AssertionError(f"cache {name!r} needs a positive bound")
    _REGISTER[name] = (bound, cache)


def cache_info() -> dict[str, CacheInfo]:
    """List every registered cache with its current size and its bound.

    Returns:
        The caches by name.

    Example:
        >>> import minijwt
        >>> info = minijwt.cache_info()
        >>> info["header.parse"].bound
        256
    """
    return {name: CacheInfo(name, cache._size(), bound) for name, (bound, cache) in _REGISTER.items()}


def clear() -> None:
    """Empty every cache.

    Among other things this forgets every HMAC secret and every key that was
    passed as text, and every verifier :func:`minijwt.decode` prepared. Call it
    after rotating a secret that was passed as ``str``/``bytes`` if the old
    value must not stay in memory.

    Example:
        >>> import minijwt
        >>> minijwt.clear_caches()
        >>> minijwt.cache_info()["keys.text"].size
        0
    """
    for _, cache in _REGISTER.values():
        cache._clear()


class _Memo:
    __slots__ = ("_function",)

    def __init__(self, function: Any) -> None:
        self._function = function

    def _size(self) -> int:
        return int(self._function.cache_info().currsize)

    def _clear(self) -> None:
        self._function.cache_clear()


def memoize(name: str, bound: int) -> Callable[[F], F]:
    """Decorate a pure function of hashable arguments with an LRU cache of ``bound`` results, registered as ``name``."""

    def decorate(function: F) -> F:
        cached = functools.lru_cache(maxsize=bound)(function)
        _register(name, bound, _Memo(cached))
        return cached  # type: ignore[return-value]

    return decorate


class BoundedCache(Generic[V]):
    """A dict with a size bound: when full, the oldest entry makes room."""

    __slots__ = ("_data", "bound", "get", "name")

    def __init__(self, name: str, bound: int) -> None:
        """Create an empty cache of at most ``bound`` entries, registered as ``name``."""
        self.name = name
        self.bound = bound
        self._data: dict[Hashable, V] = {}
        #: The value stored under a key, or None: the dict's own ``get``, a C
        #: call, since lookups are on the hot path (the dict is never replaced).
        self.get: Callable[[Hashable], V | None] = self._data.get
        _register(name, bound, self)

    def put(self, key: Hashable, value: V) -> None:
        """Store a value, evicting the oldest entry when the cache is full."""
        data = self._data
        if len(data) >= self.bound and key not in data:
            # StopIteration, RuntimeError, KeyError: emptied or changed by another thread.
            with contextlib.suppress(StopIteration, RuntimeError, KeyError):
                del data[next(iter(data))]
        data[key] = value

    def __len__(self) -> int:
        return len(self._data)

    _size = __len__

    def _clear(self) -> None:
        self._data.clear()


class IdentityCache(Generic[V]):
    """A bounded cache keyed by the identity of an object (``is``, not ``==``)."""

    __slots__ = ("_entries",)

    def __init__(self, name: str, bound: int) -> None:
        """Create an empty cache of at most ``bound`` objects, registered as ``name``."""
        # Its storage is what is registered: that cache's size and emptying are this one's.
        self._entries: BoundedCache[tuple[object, V]] = BoundedCache(name, bound)

    def get(self, obj: object) -> V | None:
        """The value computed for this very object, or None."""
        entry = self._entries._data.get(id(obj))
        # The object is stored with the value: a match by id is a match by
        # identity only while it is the same object (ids are reused).
        if entry is not None and entry[0] is obj:
            return entry[1]
        return None

    def put(self, obj: object, value: V) -> None:
        """Remember a value for this object (and keep the object alive with it)."""
        self._entries.put(id(obj), (obj, value))

    def __len__(self) -> int:
        return len(self._entries)


class LRUCache(Generic[V]):
    """A per-instance cache with a size bound that evicts the least recently used entry (not registered).

    For what one object holds for the keys it is asked about (the issuers a
    multi-issuer verifier has met): an entry in use stays, the longest unused
    goes. Thread-safe for single calls; callers that must not build an entry
    twice hold their own lock around ``get`` and ``put``.

    Example:
        >>> cache = LRUCache[int](2)
        >>> cache.put("a", 1); cache.put("b", 2); cache.get("a"); cache.put("c", 3)
        1
        >>> sorted(cache.keys())
        ['a', 'c']
    """

    __slots__ = ("_data", "bound")

    def __init__(self, bound: int) -> None:
        """Create an empty cache holding at most ``bound`` entries."""
        self.bound = bound
        self._data: collections.OrderedDict[Hashable, V] = collections.OrderedDict()

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key`` (now the most recently used), or ``None``."""
        data = self._data
        value = data.get(key)
        if value is not None:
            with contextlib.suppress(KeyError):  # evicted by another thread meanwhile
                data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        """Store a value, evicting the least recently used entry when the cache is full."""
        data = self._data
        data[key] = value
        data.move_to_end(key)
        while len(data) > self.bound:
            with contextlib.suppress(KeyError, RuntimeError):
                data.popitem(last=False)

    def keys(self) -> list[Hashable]:
        """The keys held, least recently used first."""
        return list(self._data)

    def __len__(self) -> int:
        return len(self._data)
