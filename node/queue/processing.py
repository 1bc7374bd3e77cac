"""Applying stored inbound activities, oldest first: each is read, handed to the inbound
dispatch table, and marked processed, rejected with the reason, or put off for a later try
when the infrastructure (the database, a peer) failed rather than the activity."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from sqlmodel import col, select

from federation.client import FederationClient
from federation.errors import CoveError
from federation.normalise import needs_normalising
from federation.readers import read_as_given, read_document
from federation.wire import Activity, Document
from node.crisis.triage import triage
from node.faults import Fault, fault_of, summary
from node.inbound import dispatch
from node.outage import OutageTracker
from node.runtime import Node
from node.store.states import ActivityState, Direction, advance
from node.store.tables import Activity as ActivityRow

log = logging.getLogger(__name__)
T = TypeVar("T")

BATCH = 50
LEASE = timedelta(minutes=2)
# An activity put off by an infrastructure fault waits 2 s, doubling up to 5 min, with jitter
# so that a queue put off together does not come back together: 300 tries span about a day.
FIRST_RETRY = timedelta(seconds=2)
LONGEST_WAIT = timedelta(minutes=5)
MAX_ATTEMPTS = 300
# Reading a claimed row and writing its outcome are waited through a short outage in place
# (about 9 s); past that the row's lease runs out and a later round takes it again.
STEADY_WAITS = (0.1, 0.2, 0.4, 0.8, 1.5, 2.0, 2.0, 2.0)


@dataclass(frozen=True, slots=True)
class Verdict:
    """How applying one activity went: applied (no reason), rejected for its own fault, or
    put off by an infrastructure fault."""

    reason: str | None = None
    fault: Fault | None = None


async def process_pending(
    node: Node,
    client: FederationClient,
    outage: OutageTracker,
    rng: random.Random,
    limit: int = BATCH,
) -> int:
    """Apply up to `limit` received activities; returns how many were handled."""
    now = node.clock()
    async with node.store.transaction() as session:
        await triage(session, limit, node.config.crisis.second_stage)
        # A claim is a lease: on PostgreSQL several workers take rows side by side (SKIP
        # LOCKED), and rows of a worker that died are taken again when the lease runs out.
        # A row put off by a fault holds a lease until its next try. What the triage read
        # as a crisis comes first; the rest oldest first.
        claimable = (
            ActivityRow.direction == Direction.INBOUND,
            ActivityRow.state == ActivityState.RECEIVED,
            col(ActivityRow.lease_until).is_(None) | (col(ActivityRow.lease_until) < now),
        )
        urgent = await session.exec(
            select(ActivityRow)
            .where(*claimable, col(ActivityRow.priority) > 0)
            .order_by(col(ActivityRow.priority).desc(), col(ActivityRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        claimed = list(urgent.all())
        if len(claimed) < limit:
            rest = await session.exec(
                select(ActivityRow)
                .where(*claimable, col(ActivityRow.id).not_in([r.id for r in claimed]))
                .order_by(col(ActivityRow.id))
                .limit(limit - len(claimed))
                .with_for_update(skip_locked=True)
            )
            claimed.extend(rest.all())
        ids = []
        for row in claimed:
            row.lease_until = now + LEASE
            ids.append(row.id)
    if ids:
        outage.answered()
    for row_id in ids:
        assert row_id is not None
        await _process_one(node, client, row_id, outage, rng)
    return len(ids)


async def _process_one(
    node: Node, client: FederationClient, row_id: int, outage: OutageTracker, rng: random.Random
) -> None:
    document = await _steadily(outage, lambda: _document(node, row_id))
    verdict = await _verdict(node, client, row_id, document, outage)
    await _steadily(outage, lambda: _record(node, row_id, verdict, rng))
    outage.answered()


async def _document(node: Node, row_id: int) -> dict[str, Any]:
    async with node.store.session() as session:
        row = await session.get(ActivityRow, row_id)
        assert row is not None
        return dict(row.document)


async def _verdict(
    node: Node,
    client: FederationClient,
    row_id: int,
    document: dict[str, Any],
    outage: OutageTracker,
) -> Verdict:
    try:
        activity = await _read(document)
        if not isinstance(activity, Activity):
            raise CoveError(f"a stored {activity.type} is not an activity")
        await dispatch.receive(node, client, activity)
    except Exception as e:
        fault = fault_of(e)
        if fault is Fault.STORE:
            outage.fault(e, "worker")
        if fault is not None:  # not the activity's doing: it is tried again later
            return Verdict(summary(e), fault)
        if isinstance(e, CoveError):
            return Verdict(e.reason)
        # A bug must not stop the queue behind it; the log has the trace.
        log.exception("event=activity_failed id=%s", row_id)
        return Verdict("internal error while applying the activity")
    return Verdict()


async def _read(document: dict[str, Any]) -> Document:
    """A stored activity read as it means. A document whose @context redefines terms is
    normalised with pyld (milliseconds of CPU), off the event loop; the inbox kept only small
    ones of those."""
    if needs_normalising(document):
        return await asyncio.get_running_loop().run_in_executor(None, read_document, document)
    return read_as_given(document)


async def _record(node: Node, row_id: int, verdict: Verdict, rng: random.Random) -> None:
    now = node.clock()
    async with node.store.transaction() as session:
        row = await session.get(ActivityRow, row_id)
        assert row is not None
        if row.state != ActivityState.RECEIVED:
            # Decided meanwhile: its server was cut off while it was being applied.
            log.info("event=activity_decided_meanwhile id=%s state=%s", row.uri, row.state.value)
            return
        if verdict.fault is not None:
            row.attempts += 1
            if row.attempts < MAX_ATTEMPTS:
                row.error = verdict.reason  # the last fault, for `cove queue status` readers
                row.lease_until = now + backoff(row.attempts, rng)
                _log_put_off(row, verdict)
                return
            verdict = Verdict(f"gave up after {row.attempts} tries; last: {verdict.reason}")
        target = ActivityState.REJECTED if verdict.reason else ActivityState.PROCESSED
        advance(row, target)
        row.error, row.processed_at = verdict.reason, now
        row.lease_until = None
    if verdict.reason:
        log.info("event=activity_rejected id=%s reason=%s", row.uri, verdict.reason)


def backoff(attempts: int, rng: random.Random) -> timedelta:
    wait: timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)
    return wait * rng.uniform(0.75, 1.25)


def _log_put_off(row: ActivityRow, verdict: Verdict) -> None:
    # A database outage is logged once by the tracker; a peer's trouble is this activity's.
    level = logging.DEBUG if verdict.fault is Fault.STORE else logging.INFO
    log.log(
        level,
        "event=activity_put_off id=%s attempts=%s until=%s fault=%s error=%s",
        row.uri,
        row.attempts,
        row.lease_until.isoformat() if row.lease_until else None,
        verdict.fault,
        verdict.reason,
    )


async def _steadily(outage: OutageTracker, step: Callable[[], Awaitable[T]]) -> T:
    """Run a bookkeeping step, waiting through a short store outage; a longer one is raised
    (the row's lease then runs out and a later round takes it again)."""
    for wait in STEADY_WAITS:
        try:
            return await step()
        except Exception as e:
            if fault_of(e) is not Fault.STORE:
                raise
            outage.fault(e, "worker")
        await asyncio.sleep(wait)
    return await step()
