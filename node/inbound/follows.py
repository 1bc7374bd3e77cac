"""Follows of this node's groups from other servers: Follow and Join (a request the group may
answer at once), and their end: Undo{Follow}, Leave, or a follower's Block of the group."""

from __future__ import annotations

import logging

from sqlmodel import select

from federation.client import FederationClient
from federation.errors import Invalid, Refused
from federation.wire import Activity
from node.actors.remote import remote_actor
from node.groups.groups import group_at
from node.groups.membership import answer_follow, ask_to_join, move
from node.moderators.ban_checks import check_not_banned
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


async def receive_unfollow(node: Node, activity: Activity, follow_id: str | None) -> None:
    """Undo{Follow}, Leave, or a Block of the group by its follower: the follow ends."""
    group_uri = activity.object_id if activity.type in ("Leave", "Block") else None
    async with node.store.transaction() as session:
        query = select(Membership).where(Membership.actor_uri == activity.actor)
        if follow_id is not None and group_uri is None:
            query = query.where(Membership.follow_uri == follow_id)
        rows = list((await session.exec(query)).all())
        for membership in rows:
            if group_uri is not None:
                group = await group_at(node, group_uri)
                if group is None or membership.group_id != group.id:
                    continue
            if membership.state in (MembershipState.ACCEPTED, MembershipState.PENDING):
                move(membership, MembershipState.LEFT, node.clock())


async def receive_leave(node: Node, client: FederationClient, activity: Activity) -> None:
    """Leave, or a follower's Block of the group: the follow ends."""
    await receive_unfollow(node, activity, None)


async def receive_follow_undone(node: Node, client: FederationClient, activity: Activity) -> None:
    """Undo{Follow} or Undo{Join} (or an Undo naming the follow by id): the follow ends."""
    await receive_unfollow(node, activity, activity.object_id)
