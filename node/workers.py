"""Background work of a node: applying received activities and delivering outbound ones,
run from the stored rows (so a restart resumes where it stopped)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import col

from federation.client import FederationClient, FetchError, Signer
from federation.errors import CoveError
from node.domain import delivery
from node.domain.keys import local_signer
from node.domain.processing import process_pending
from node.runtime import Node
from node.scheduler import periodic_jobs
from node.store.tables import Activity, Delivery

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 0.2
PER_HOST = 4


class Workers:
    def __init__(
        self,
        node: Node,
        client: FederationClient,
        rng: random.Random | None = None,
        wake: asyncio.Event | None = None,
    ):
        self.node = node
        self.client = client
        self.rng = rng or random.Random()
        # Set by the inbox of the same process when it stores something: no need to wait for
        # the next poll (other processes' work is found by polling).
        self.wake = wake or asyncio.Event()
        self._signers: dict[str, asyncio.Future[Signer]] = {}

    async def run_once(self) -> int:
        """One round of both jobs; how many rows were handled."""
        return await process_pending(self.node, self.client) + await self.deliver_due()

    async def run_forever(self, stop: asyncio.Event) -> None:
        await self.release_stale_leases()
        scheduler = periodic_jobs(self.node)
        scheduler.start()
        try:
            await self._loop(stop)
        finally:
            scheduler.shutdown(wait=False)

    async def _loop(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # keep serving; the next round retries from the rows
                log.exception("event=worker_round_failed")
                handled = 0
            if handled == 0:
                await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self.wake.wait())]
        await asyncio.wait(waiters, timeout=IDLE_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        for waiter in waiters:
            waiter.cancel()
        self.wake.clear()

    async def release_stale_leases(self) -> None:
        """On SQLite one process does all the work, so at start every lease is a leftover of
        a process that died: release them now rather than wait for them to run out."""
        if self.node.store.dialect != "sqlite":
            return
        async with self.node.store.transaction() as session:
            await session.exec(
                update(Delivery)
                .where(col(Delivery.lease_until).is_not(None))
                .values(lease_until=None)
            )
            await session.exec(
                update(Activity)
                .where(col(Activity.lease_until).is_not(None))
                .values(lease_until=None)
            )

    async def deliver_due(self) -> int:
        async with self.node.store.transaction() as session:
            due = await delivery.claim_due(session, self.node.clock())
        by_host: dict[str, list[delivery.Due]] = defaultdict(list)
        for item in due:
            by_host[item.host].append(item)
        await asyncio.gather(*(self._deliver_host(items) for items in by_host.values()))
        return len(due)

    async def _deliver_host(self, items: list[delivery.Due]) -> None:
        # One inbox gets its activities in the order they were written: a group's
        # Announce{Delete} must not overtake its Announce{Create}, or the follower keeps the post.
        by_inbox: dict[str, list[delivery.Due]] = defaultdict(list)
        for item in items:
            by_inbox[item.inbox].append(item)
        limit = asyncio.Semaphore(PER_HOST)

        async def in_order(queue: list[delivery.Due]) -> None:
            async with limit:
                for item in queue:
                    await self._deliver(item)

        await asyncio.gather(*(in_order(q) for q in by_inbox.values()))

    async def _deliver(self, item: delivery.Due) -> None:
        status: int | None = None
        retry_after: timedelta | None = None
        error: str | None = None
        try:
            signer = await self._signer(item.actor_uri)
            posted = await self.client.deliver(item.inbox, item.body, signer)
            status, retry_after = posted.status, posted.retry_after
            if not 200 <= status < 300:
                error = f"answered {status}"
        except FetchError as e:
            error = e.reason
        except CoveError as e:
            error = e.reason
        async with self.node.store.transaction() as session:
            state = await delivery.record_attempt(
                session, item.delivery_id, status, error, self.node.clock(), self.rng, retry_after
            )
        log.info(
            "event=delivery inbox=%s status=%s state=%s error=%s",
            item.inbox,
            status,
            state.value,
            error,
        )

    async def _signer(self, actor_uri: str) -> Signer:
        # Single flight: a fan-out's first round asks for the same signer many times at once.
        if actor_uri not in self._signers:
            self._signers[actor_uri] = asyncio.ensure_future(local_signer(self.node, actor_uri))
        return await self._signers[actor_uri]
