"""The in-process caches: a burst of requests for one key just cleared loads it once, a value
that may not be kept is never handed to another caller, and a failed load is not shared."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from node.cache import TtlCache


def clock() -> datetime:
    return datetime(2026, 12, 5, tzinfo=UTC)


async def test_a_burst_for_one_key_loads_it_once() -> None:
    cache: TtlCache[str, int] = TtlCache(timedelta(minutes=1), clock)
    loads = 0

    async def load() -> int:
        nonlocal loads
        loads += 1
        await asyncio.sleep(0.05)
        return 42

    assert await asyncio.gather(*(cache.get("page", load) for _ in range(20))) == [42] * 20
    assert loads == 1
    assert await cache.get("page", load) == 42 and loads == 1  # kept


async def test_a_value_that_may_not_be_kept_is_not_handed_to_others() -> None:
    cache: TtlCache[str, str] = TtlCache(timedelta(minutes=1), clock)
    made = iter(range(100))

    async def load() -> str:
        await asyncio.sleep(0.02)
        return f"for visitor {next(made)}"

    got = await asyncio.gather(*(cache.get("page", load, keep=lambda _: False) for _ in range(5)))
    assert len(set(got)) == 5  # each their own


async def test_a_failed_load_is_not_shared() -> None:
    cache: TtlCache[str, int] = TtlCache(timedelta(minutes=1), clock)
    calls = 0

    async def load() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.02)
        if calls == 1:
            raise RuntimeError("the database went away")
        return 7

    first, second = await asyncio.gather(
        cache.get("k", load), cache.get("k", load), return_exceptions=True
    )
    assert isinstance(first, RuntimeError) and second == 7
