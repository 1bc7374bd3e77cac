"""Small in-process caches with a time to live, for lookups on every request (the group an
inbox belongs to, a signer's public key, actor documents), cleared when their topic changes."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl: timedelta, clock: Callable[[], datetime], size: int = 4096) -> None:
        self._ttl = ttl
        self._clock = clock
        self._size = size
        self._items: OrderedDict[K, tuple[datetime, V]] = OrderedDict()
        self._generation = 0  # moves on each clear()

    async def get(
        self, key: K, load: Callable[[], Awaitable[V]], keep: Callable[[V], bool] | None = None
    ) -> V:
        """The value kept for `key`, or what `load` gives (kept unless `keep` says no)."""
        now = self._clock()
        found = self._items.get(key)
        if found is not None and found[0] > now:
            self._items.move_to_end(key)
            return found[1]
        generation = self._generation
        value = await load()
        if generation != self._generation:
            return value  # cleared while loading: what was read may be stale already
        if keep is not None and not keep(value):
            return value
        self._items[key] = (now + self._ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return value

    def forget(self, key: K) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()
        self._generation += 1
