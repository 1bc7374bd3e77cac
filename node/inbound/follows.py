"""Follows of this node's groups from other servers: Follow and Join (a request the group may
answer at once), and their end: Undo{Follow}, Leave, or a follower's Block of the group."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import select

from federation.client import FederationClient
from federation.errors import Invalid, Refused
from federation.wire import Activity
from node.actors.remote import remote_actor
from node.groups.groups import group_at
from node.groups.membership import answer_follow, ask_to_join, move
from node.moderators.bans import check_not_banned
from node.runtime import Node
from node.store.states import (
    MembershipState,
)
from node.store.tables import Membership

log = logging.getLogger(__name__)


async def receive_follow(node: Node, client: FederationClient, activity: Activity) -> None:
    group = await group_at(node, activity.object_id)
    if group is None:
        raise Invalid(f"{activity.object_id} is not a group of this node")
    follower = await remote_actor(node, client, activity.actor)
    try:
        await check_not_banned(node, group, follower.uri)
    except Refused:
        async with node.store.transaction() as session:
            await answer_follow(node, session, group, follower, dict(activity.raw), accept=False)
        raise
    # A silenced server's people may follow, as a request the moderators decide.
    silenced = (await node.policy.decide_url(follower.uri, node.clock())).silenced
    async with node.store.transaction() as session:
        membership = await ask_to_join(
            session,
            group,
            follower.uri,
            node.clock(),
            remote_actor_id=follower.id,
            needs_approval=silenced,
        )
        membership.follow_uri = activity.id
        if membership.state == MembershipState.ACCEPTED:
            # Sent again on a repeated Follow: the follower may have missed the first.
            await answer_follow(node, session, group, follower, dict(activity.raw), accept=True)
    log.info(
        "event=group_follow group=%s actor=%s state=%s",
        group.name,
        follower.uri,
        membership.state.value,
    )


async def receive_leave(node: Node, client: FederationClient, activity: Activity) -> None:
    """Leave, or a follower's Block of the group: their follow of that group ends."""
    group = await group_at(node, activity.object_id)
    if group is not None:
        await _end(node, Membership.actor_uri == activity.actor, Membership.group_id == group.id)


async def receive_follow_undone(node: Node, client: FederationClient, activity: Activity) -> None:
    """Undo{Follow} or Undo{Join} (or an Undo naming the follow by id): that follow ends."""
    await _end(
        node, Membership.actor_uri == activity.actor, Membership.follow_uri == activity.object_id
    )


async def _end(node: Node, *which: Any) -> None:
    async with node.store.transaction() as session:
        for membership in (await session.exec(select(Membership).where(*which))).all():
            if membership.state in (MembershipState.ACCEPTED, MembershipState.PENDING):
                move(membership, MembershipState.LEFT, node.clock())
