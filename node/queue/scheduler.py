"""Periodic jobs (APScheduler), each run by one process at a time: on PostgreSQL, where
several worker processes share a database, a job runs only under its advisory lock. A job the
infrastructure failed is told to the outage tracker and runs again at its next interval. Each
run's start, end and outcome are kept in the store (node.queue.job_runs) for the admins."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import delete, text
from sqlmodel import col

from node.crisis import escalation, webhooks
from node.domain_policy import blocks, syncing
from node.faults import Fault, fault_of, summary
from node.moderators import bans
from node.outage import OutageTracker
from node.queue import job_runs, retention
from node.runtime import Node, federation_client
from node.store.states import DeliveryState, JobOutcome
from node.store.tables import Delivery

log = logging.getLogger(__name__)

KEEP_DELIVERED = timedelta(days=7)
KEEP_FAILED = timedelta(days=30)
PRUNE_EVERY = timedelta(hours=1)
# A ban stops counting at its expiry whatever this job does; the job marks it expired and
# logs it, so the log and the ban list say when it ended to within this interval.
EXPIRE_BANS_EVERY = timedelta(minutes=1)
# Each subscribed list is fetched when `blocklists.sync_minutes` have passed; this looks.
SYNC_BLOCKLISTS_EVERY = timedelta(minutes=5)


@asynccontextmanager
async def exclusive(node: Node, name: str) -> AsyncIterator[bool]:
    """Yields True when this process holds the job `name` (and holds it until the block
    ends), False when another process does. SQLite nodes are one process: always True."""
    if node.store.dialect != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    async with node.store.engine.connect() as connection:
        held = bool(
            (
                await connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
            ).scalar()
        )
        try:
            yield held
        finally:
            if held:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


async def run_job(
    node: Node,
    name: str,
    job: Callable[[Node], Awaitable[int]],
    outage: OutageTracker | None = None,
) -> int | None:
    """Run `job` if no other process is running it; its result, or None when skipped or put
    off by an infrastructure fault (it runs again at its next interval)."""
    tracker = outage or OutageTracker(node)
    try:
        async with exclusive(node, name) as held:
            if not held:
                log.info("event=job_skipped job=%s reason=held_elsewhere", name)
                return None
            # Recorded while the lock is held, so that runs in other processes do not mix.
            await job_runs.started(node, name)
            try:
                result = await job(node)
            except Exception as e:
                failed = JobOutcome.FAILED if fault_of(e) is None else JobOutcome.PUT_OFF
                await job_runs.ended(node, name, failed, error=e)
                raise
            await job_runs.ended(node, name, JobOutcome.DONE, result)
    except Exception as e:
        fault = fault_of(e)
        if fault is None:
            raise  # a bug: APScheduler logs it with its trace
        if fault is Fault.STORE:
            tracker.fault(e, f"job:{name}")
        else:
            log.warning("event=job_put_off job=%s error=%s", name, summary(e))
        return None
    tracker.answered()
    # A round that found nothing to do is not news (some jobs run every few seconds).
    log.log(
        logging.INFO if result else logging.DEBUG, "event=job_done job=%s result=%s", name, result
    )
    return result


async def prune_deliveries(node: Node) -> int:
    """Forget deliveries that are done: delivered a week ago, or given up a month ago."""
    now = node.clock()
    async with node.store.transaction() as session:
        delivered = await session.exec(
            delete(Delivery).where(
                col(Delivery.state) == DeliveryState.DELIVERED,
                col(Delivery.updated_at) < now - KEEP_DELIVERED,
            )
        )
        failed = await session.exec(
            delete(Delivery).where(
                col(Delivery.state) == DeliveryState.FAILED,
                col(Delivery.updated_at) < now - KEEP_FAILED,
            )
        )
        return int(delivered.rowcount or 0) + int(failed.rowcount or 0)


async def sync_blocklists(node: Node) -> int:
    """Fetch the subscribed blocklists that are due (conditionally) and apply them."""
    async with federation_client(node) as client:
        return await syncing.sync_due(node, client)


JOBS: tuple[tuple[str, Callable[[Node], Awaitable[int]], timedelta], ...] = (
    ("prune_deliveries", prune_deliveries, PRUNE_EVERY),
    ("expire_bans", bans.expire_bans, EXPIRE_BANS_EVERY),
    ("expire_domain_blocks", blocks.expire_blocks, EXPIRE_BANS_EVERY),
    ("sync_blocklists", sync_blocklists, SYNC_BLOCKLISTS_EVERY),
    ("prune_received", retention.prune_received, PRUNE_EVERY),
    # Crisis care: pages go out within seconds, and an untaken acute item is checked often.
    ("send_crisis_pages", webhooks.send_due, timedelta(seconds=5)),
    ("escalate_crisis", escalation.escalate_due, timedelta(seconds=30)),
    ("purge_assessments", escalation.purge_assessments, PRUNE_EVERY),
)


def periodic_jobs(node: Node, outage: OutageTracker | None = None) -> AsyncIOScheduler:
    """The scheduler every worker process starts; the locks keep each job to one of them."""
    tracker = outage or OutageTracker(node)
    scheduler = AsyncIOScheduler(timezone="UTC")
    for name, job, every in JOBS:
        scheduler.add_job(
            run_job,
            "interval",
            seconds=every.total_seconds(),
            args=[node, name, job, tracker],
            id=name,
            max_instances=1,
            coalesce=True,
        )
    return scheduler
