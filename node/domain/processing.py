"""Applying stored inbound activities, oldest first: each is read, dispatched by type to the
group side or the member side, and marked processed or rejected with the reason."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from federation.client import FederationClient
from federation.errors import CoveError, Refused
from federation.wire import Activity, WireObject, read_document
from node.domain import (
    group_federation,
    group_moderation,
    member_federation,
    policy_publishing,
    policy_sharing,
    remote_moderation,
    reports,
)
from node.domain.remote_actors import remote_actor
from node.runtime import Node
from node.store.states import ActivityState, Direction, check_transition
from node.store.tables import Activity as ActivityRow

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=2)


async def process_pending(node: Node, client: FederationClient, limit: int = BATCH) -> int:
    """Apply up to `limit` received activities; returns how many were handled."""
    now = node.clock()
    async with node.store.transaction() as session:
        # A claim is a lease: on PostgreSQL several workers take rows side by side (SKIP
        # LOCKED), and rows of a worker that died are taken again when the lease runs out.
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
    for row_id in ids:
        assert row_id is not None
        await _process_one(node, client, row_id)
    return len(ids)


async def _process_one(node: Node, client: FederationClient, row_id: int) -> None:
    async with node.store.session() as session:
        row = await session.get(ActivityRow, row_id)
        assert row is not None
        document = dict(row.document)
    error: str | None = None
    try:
        activity = read_document(document)
        if not isinstance(activity, Activity):
            raise CoveError(f"a stored {activity.type} is not an activity")
        await apply(node, client, activity)
    except CoveError as e:
        error = e.reason
    except Exception:  # a bug must not stop the queue behind it; the log has the trace
        log.exception("event=activity_failed id=%s", row_id)
        error = "internal error while applying the activity"
    async with node.store.transaction() as session:
        row = await session.get(ActivityRow, row_id)
        assert row is not None
        if row.state != ActivityState.RECEIVED:
            # Decided meanwhile: its server was cut off while it was being applied.
            log.info("event=activity_decided_meanwhile id=%s state=%s", row.uri, row.state.value)
            return
        target = ActivityState.REJECTED if error else ActivityState.PROCESSED
        check_transition(row.state, target)
        row.state, row.error, row.processed_at = target, error, node.clock()
    if error:
        log.info("event=activity_rejected id=%s reason=%s", row.uri, error)


async def apply(node: Node, client: FederationClient, activity: Activity) -> None:
    kind = activity.type
    if await group_moderation.is_suspended(node, activity.actor):
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
        await reports.receive_flag(node, client, activity)
    elif kind == "Undo":
        await _undo(node, client, activity)
    elif kind in ("Accept", "Reject"):
        if not await reports.receive_outcome(node, activity, accepted=kind == "Accept"):
            await member_federation.receive_answer(node, activity, accepted=kind == "Accept")
    elif kind == "Announce":
        await member_federation.receive_announce(node, client, activity)
    elif kind == "Create" and isinstance(activity.object, WireObject):
        await group_federation.receive_post(node, client, activity, activity.object)
    elif kind in ("Update", "Delete", "Like", "Dislike"):
        await group_federation.receive_change(node, client, activity, activity.object_id)
    elif kind in ("Add", "Remove"):
        await policy_sharing.receive_change(node, client, activity)
    # Other types (Add, Remove, Move...) arrive with the issues that handle them.


async def _follow_instance(node: Node, client: FederationClient, activity: Activity) -> None:
    follower = await remote_actor(node, client, activity.actor)
    async with node.store.transaction() as session:
        await policy_publishing.add_follower(session, node, follower, dict(activity.raw))


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
            await policy_publishing.remove_follower(session, activity.actor)
        return
    if inner_type in ("Follow", "Join") or inner_type is None:
        await group_federation.receive_unfollow(node, activity, activity.object_id)
    if isinstance(inner, Activity) and inner.type in ("Like", "Dislike"):
        if inner.actor != activity.actor:
            return
        await group_federation.receive_change(node, client, activity, inner.object_id)
