"""A thread-safe LRU cache of encoded tiles, bounded in bytes (cachetools underneath)."""

from __future__ import annotations

import threading
from collections.abc import Hashable

from cachetools import LRUCache

__all__ = ["TileCache"]


class TileCache:
    """Least-recently-used cache of ``bytes`` values holding at most ``max_bytes`` in total.

    A thin locked wrapper around :class:`cachetools.LRUCache` sized by ``len`` of each value,
    with hit and miss counters.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, int(max_bytes))
        self._data: LRUCache[Hashable, bytes] = LRUCache(
            maxsize=max(1, self.max_bytes), getsizeof=len
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        """The cached value, refreshed as most recently used, or ``None``."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self.misses += 1
            else:
                self.hits += 1
            return value

    def put(self, key: Hashable, value: bytes) -> None:
        """Store ``value``; evict the least recently used entries beyond the byte budget."""
        if not value or len(value) > self.max_bytes:
            return
        with self._lock:
            self._data[key] = value

    @property
    def size(self) -> int:
        """Bytes held."""
        return int(self._data.currsize)

    def __len__(self) -> int:
        return len(self._data)
