"""Background work of a node: applying received activities and delivering outbound ones,
run from the stored rows (so a restart resumes where it stopped)."""

from __future__ import annotations

import asyncio
import logging
import random

from sqlalchemy import update
from sqlmodel import col

from federation.client import FederationClient
from moderation.crisis import detector
from node.outage import OutageTracker
from node.queue.processing import process_pending
from node.queue.scheduler import periodic_jobs
from node.queue.sender import Sender, wait_for_any
from node.runtime import Node
from node.store.tables import Activity, Delivery

log = logging.getLogger(__name__)


class Workers:
    def __init__(
        self,
        node: Node,
        client: FederationClient,
        rng: random.Random | None = None,
        wake: asyncio.Event | None = None,
        outage: OutageTracker | None = None,
    ):
        self.node = node
        self.client = client
        self.rng = rng or random.Random()
        # Set by the inbox of the same process when it stores something: no need to wait for
        # the next poll (other processes' work is found by polling).
        self.wake = wake or asyncio.Event()
        # The process's one tracker (the web server's, when it runs the workers too).
        self._owns_outage = outage is None
        self.outage = outage or OutageTracker(node)
        self.sender = Sender(node, client, self.rng, self.outage)

    async def run_once(self) -> int:
        """One round of both jobs, by hand; how many rows were handled."""
        applied = await process_pending(self.node, self.client, self.outage, self.rng)
        return applied + await self.sender.deliver_round()

    async def run_forever(self, stop: asyncio.Event) -> None:
        # The crisis lists compile once per process: in a thread, before the first post, so
        # the event loop keeps answering while it happens.
        await asyncio.get_running_loop().run_in_executor(None, detector.prepare)
        try:
            await self.release_stale_leases()
        except Exception as e:  # the leases run out instead
            if not self.outage.absorbs(e, "worker"):
                raise
        scheduler = periodic_jobs(self.node, self.outage)
        scheduler.start()
        sending = asyncio.create_task(self.sender.run(stop))
        watching = asyncio.create_task(
            self.node.store.watch_changes(stop, on_fault=lambda e: self.outage.absorbs(e, "poll"))
        )
        try:
            await self._apply_received(stop)
        finally:
            await asyncio.gather(sending, watching)
            scheduler.shutdown(wait=False)
            if self._owns_outage:
                await self.outage.settle()

    async def _apply_received(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                handled = await process_pending(self.node, self.client, self.outage, self.rng)
            except Exception as e:  # keep serving; the next round retries from the rows
                if not self.outage.absorbs(e, "worker"):
                    log.exception("event=worker_round_failed")
                handled = 0
            if handled:
                self.sender.wake.set()  # what was applied may have queued deliveries
            else:
                await wait_for_any(stop, self.wake)

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
