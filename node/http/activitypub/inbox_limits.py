"""How much one sender may put into this node's inboxes: activities a minute per actor and per
server (token buckets, counted in this process) and activities waiting to be applied per
server, answered 429 with Retry-After when spent, as Mastodon's and Lemmy's senders expect
(they retry later)."""

from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from federation.errors import CoveError

MAX_TRACKED = 50_000  # senders remembered at once; the longest idle are forgotten first


class TooMany(CoveError):
    """A sender over its limit: 429, with how long to wait."""

    status = 429

    def __init__(self, reason: str, retry_after: int) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens, self.at = tokens, at


class TokenBuckets:
    """One bucket per key (an actor, a host): `per_minute` tokens, refilled evenly, so a
    sender may burst up to a minute's worth and then keeps the rate. `seconds` is a
    monotonic clock (asked on every request: floats, not datetimes)."""

    def __init__(self, per_minute: int, seconds: Callable[[], float]) -> None:
        self._capacity = float(per_minute)
        self._per_second = per_minute / 60.0
        self._seconds = seconds
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def refilled(self, key: str) -> _Bucket:
        """The key's bucket, refilled for the time since it was last used."""
        now = self._seconds()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._capacity, now)
            if len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)  # the longest idle are forgotten first
            elapsed = max(now - bucket.at, 0.0)
            bucket.tokens = min(self._capacity, bucket.tokens + elapsed * self._per_second)
            bucket.at = now
        return bucket

    def wait(self, bucket: _Bucket) -> float:
        """Seconds until the bucket holds one token again (0: it does now)."""
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self._per_second


class InboxLimits:
    """The per-actor and per-server rates of one process's inboxes."""

    def __init__(
        self,
        actor_per_minute: int,
        host_per_minute: int,
        seconds: Callable[[], float] = time.monotonic,
    ) -> None:
        self._actors = TokenBuckets(actor_per_minute, seconds)
        self._hosts = TokenBuckets(host_per_minute, seconds)

    def admit(self, actor: str, host: str) -> None:
        """Count one activity from `actor` on `host`; TooMany (and nothing counted) when the
        actor's or the server's minute is spent."""
        server, sender = self._hosts.refilled(host), self._actors.refilled(actor)
        if server.tokens < 1.0 or sender.tokens < 1.0:
            waits = ((self._hosts.wait(server), host), (self._actors.wait(sender), actor))
            wait, who = max(waits)
            raise TooMany(
                f"too many activities from {who[:200]}: try again later", max(1, math.ceil(wait))
            )
        server.tokens -= 1.0
        sender.tokens -= 1.0


@dataclass(slots=True)
class _Waiting:
    count: int
    at: datetime
    recount: asyncio.Task[int] | None = None


class Backlog:
    """What each server has stored here and not yet applied: read from the store at most once
    a second a server (one read at a time, whatever the requests in flight) and counted on in
    between, so a busy inbox adds no query per request. Past `limit`, that server's
    deliveries wait (429) until the workers catch up."""

    RECOUNT_SECONDS = 1.0
    RETRY_SECONDS = 60

    def __init__(
        self,
        limit: int,
        count: Callable[[str], Awaitable[int]],
        clock: Callable[[], datetime],
    ) -> None:
        self._limit = limit
        self._count = count
        self._clock = clock
        self._known: OrderedDict[str, _Waiting] = OrderedDict()

    async def admit(self, host: str) -> None:
        known = await self._waiting(host)
        if known.count >= self._limit:
            raise TooMany(
                f"{host[:200]} has {known.count} activities waiting here: try again later",
                self.RETRY_SECONDS,
            )
        known.count += 1

    async def _waiting(self, host: str) -> _Waiting:
        now = self._clock()
        known = self._known.get(host)
        if known is None:
            known = _Waiting(0, now, asyncio.ensure_future(self._count(host)))
            self._known[host] = known
            if len(self._known) > MAX_TRACKED:
                self._known.popitem(last=False)
        elif known.recount is None and (now - known.at).total_seconds() > self.RECOUNT_SECONDS:
            known.recount = asyncio.ensure_future(self._count(host))
        self._known.move_to_end(host)
        recount = known.recount
        if recount is None:
            return known
        counted: int | None = None
        try:
            counted = await asyncio.shield(recount)
        finally:
            if known.recount is recount:  # the first of the requests that waited on it
                known.recount = None  # a failed count (the store away) is tried again next
                if counted is not None:
                    known.count, known.at = counted, self._clock()
        return known
