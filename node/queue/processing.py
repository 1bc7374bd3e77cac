"""Applying stored inbound activities, oldest first: each is read, dispatched by type to the
group side or the member side, and marked processed, rejected with the reason, or put off for
a later try when the infrastructure (the database, a peer) failed rather than the activity."""

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
from federation.errors import CoveError, Refused
from federation.normalise import needs_normalising
from federation.wire import Activity, Document, WireObject, read_as_given, read_document
from node.actors.remote import remote_actor
from node.domain_policy import publishing, sharing
from node.faults import Fault, fault_of, summary
from node.groups import group_federation
from node.inbound import remote_groups, remote_moderation
from node.moderators import suspensions
from node.moderators.reports import decisions, received
from node.outage import OutageTracker
from node.runtime import Node
from node.store.states import ActivityState, Direction, check_transition
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
        # A claim is a lease: on PostgreSQL several workers take rows side by side (SKIP
        # LOCKED), and rows of a worker that died are taken again when the lease runs out.
        # A row put off by a fault holds a lease until its next try.
        rows = await session.exec(
            select(ActivityRow)
            .where(
                ActivityRow.direction == Direction.INBOUND,
                ActivityRow.state == ActivityState.RECEIVED,
                col(ActivityRow.lease_until).is_(None) | (col(ActivityRow.lease_until) < now),
            )
            .order_by(col(ActivityRow.id))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = []
        for row in rows.all():
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
        await apply(node, client, activity)
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
        check_transition(row.state, target)
        row.state, row.error, row.processed_at = target, verdict.reason, now
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


async def apply(node: Node, client: FederationClient, activity: Activity) -> None:
    kind = activity.type
    if await suspensions.is_suspended(node, activity.actor):
        raise Refused("the actor is suspended from this node")
    decision = await node.policy.decide_url(activity.actor, node.clock())
    if decision.suspended:  # stored before its server was cut off
        raise Refused(f"the actor's server is not federated with ({decision.why})")
    if kind == "Follow" and activity.object_id == node.urls.instance_actor():
        await _follow_instance(node, client, activity)  # a node subscribing to the policy
    elif kind in ("Follow", "Join"):
        await group_federation.receive_follow(node, client, activity)
    elif kind == "Block" and activity.target and not await _local_group(node, activity.target):
        # A remote group's ban of one of our members, sent to them directly.
        await remote_moderation.apply(node, client, activity.target, activity)
    elif kind in ("Leave", "Block"):
        await group_federation.receive_unfollow(node, activity, None)
    elif kind == "Flag":
        await received.receive_flag(node, client, activity)
    elif kind == "Undo":
        await _undo(node, client, activity)
    elif kind in ("Accept", "Reject"):
        if not await decisions.receive_outcome(node, activity, accepted=kind == "Accept"):
            await remote_groups.receive_answer(node, activity, accepted=kind == "Accept")
    elif kind == "Announce":
        await remote_groups.receive_announce(node, client, activity)
    elif kind == "Create" and isinstance(activity.object, WireObject):
        await group_federation.receive_post(node, client, activity, activity.object)
    elif kind in ("Update", "Delete", "Like", "Dislike"):
        await group_federation.receive_change(node, client, activity, activity.object_id)
    elif kind in ("Add", "Remove"):
        await sharing.receive_change(node, client, activity)
    # Other types (Add, Remove, Move...) arrive with the issues that handle them.


async def _follow_instance(node: Node, client: FederationClient, activity: Activity) -> None:
    follower = await remote_actor(node, client, activity.actor)
    async with node.store.transaction() as session:
        await publishing.add_follower(session, node, follower, dict(activity.raw))


async def _local_group(node: Node, uri: str) -> bool:
    return await group_federation.group_at(node, uri) is not None


async def _undo(node: Node, client: FederationClient, activity: Activity) -> None:
    inner = activity.object
    inner_type = inner.type if isinstance(inner, Activity) else None
    if (
        isinstance(inner, Activity)
        and inner.type == "Block"
        and inner.target
        and not await _local_group(node, inner.target)
    ):
        await remote_moderation.apply(node, client, inner.target, activity)
        return
    if isinstance(inner, Activity) and inner.object_id == node.urls.instance_actor():
        async with node.store.transaction() as session:
            await publishing.remove_follower(session, activity.actor)
        return
    if inner_type in ("Follow", "Join") or inner_type is None:
        await group_federation.receive_unfollow(node, activity, activity.object_id)
    if isinstance(inner, Activity) and inner.type in ("Like", "Dislike"):
        if inner.actor != activity.actor:
            return
        await group_federation.receive_change(node, client, activity, inner.object_id)
