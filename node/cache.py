"""Small in-process caches with a time to live, for lookups on every request (the group an
inbox belongs to, a signer's public key, actor documents), cleared when their topic changes."""

from __future__ import annotations

import asyncio
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
        # A key being loaded: who asks for it meanwhile waits for that load, not one of its own
        # (a burst of requests for a page just cleared reads the database once).
        self._loading: dict[K, asyncio.Future[V]] = {}

    async def get(
        self, key: K, load: Callable[[], Awaitable[V]], keep: Callable[[V], bool] | None = None
    ) -> V:
        """The value kept for `key`, or what `load` gives (kept unless `keep` says no)."""
        now = self._clock()
        found = self._items.get(key)
        if found is not None and found[0] > now:
            self._items.move_to_end(key)
            return found[1]
        pending = self._loading.get(key)
        if pending is not None:
            try:
                shared = await asyncio.shield(pending)
            except Exception:  # that load failed: this caller's own says why, if it fails too
                pass
            else:
                if keep is None or keep(shared):
                    return shared  # a value that may be kept may be shared
        generation = self._generation
        value = await self._load(key, load)
        if generation != self._generation:
            return value  # cleared while loading: what was read may be stale already
        if keep is not None and not keep(value):
            return value
        self._items[key] = (now + self._ttl, value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return value

    async def _load(self, key: K, load: Callable[[], Awaitable[V]]) -> V:
        """`load`, with others asking for the same key meanwhile told its result."""
        if key in self._loading:
            return await load()  # another load is in flight already: do not replace it
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._loading[key] = future
        try:
            value = await load()
        except BaseException as e:
            future.set_exception(e)
            future.exception()  # read here: nobody may be waiting for it
            raise
        else:
            future.set_result(value)
            return value
        finally:
            self._loading.pop(key, None)

    def forget(self, key: K) -> None:
        self._items.pop(key, None)

    def clear(self) -> None:
        self._items.clear()
        self._generation += 1
