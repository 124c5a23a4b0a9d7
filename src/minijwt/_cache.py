"""A small bounded cache for objects that are keyed by identity.

``functools.lru_cache`` needs hashable arguments; `cryptography`'s public keys
are not hashable. This cache is keyed by whatever the caller chooses (often
``id(obj)``) and stores the object with the value, so that a cached identity
stays valid: while the entry exists the object is alive and no other object
can have its id.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

__all__ = ["BoundedCache"]


class BoundedCache(Generic[V]):
    """A dict with a size bound: when full, the oldest entry makes room."""

    __slots__ = ("_data", "size")

    def __init__(self, size: int) -> None:
        """Create an empty cache holding at most ``size`` entries."""
        self.size = size
        self._data: dict[Hashable, V] = {}

    def get(self, key: Hashable) -> V | None:
        """The value stored under ``key``, or None."""
        return self._data.get(key)

    def put(self, key: Hashable, value: V) -> None:
        """Store a value, evicting the oldest entry when the cache is full."""
        data = self._data
        if len(data) >= self.size and key not in data:
            # StopIteration, RuntimeError, KeyError: emptied or changed by another thread.
            with contextlib.suppress(StopIteration, RuntimeError, KeyError):
                del data[next(iter(data))]
        data[key] = value

    def __len__(self) -> int:
        return len(self._data)
