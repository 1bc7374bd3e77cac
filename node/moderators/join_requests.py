"""Requests to join the groups that approve their members, as their moderators see and decide
them: who asked, where and when; each decided by a moderator of its group (or the node's
staff), checked as every moderator action is."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from federation.client import FederationClient
from federation.errors import Refused
from node.groups import membership
from node.groups.bylines import Byline, people
from node.groups.groups import get_group, get_group_by_id
from node.moderators.roles import Acting, moderated_group_ids, require_group_moderator
from node.runtime import Node
from node.store.states import MembershipState
from node.store.tables import Membership

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JoinRequest:
    group: str  # the group's name
    group_title: str
    actor_uri: str
    who: Byline
    asked_at: datetime


async def waiting(node: Node, acting: Acting) -> list[JoinRequest]:
    """The requests waiting in every group `acting` moderates (every group, for the node's
    staff), oldest first: the first to ask has waited longest."""
    async with node.store.session() as session:
        groups = await moderated_group_ids(session, acting)
        if groups is not None and not groups:
            raise Refused("{who} moderates no group here", who=acting.name)
        query = select(Membership).where(Membership.state == MembershipState.PENDING)
        if groups is not None:
            query = query.where(col(Membership.group_id).in_(groups))
        rows = list((await session.exec(query.order_by(col(Membership.id)))).all())
        infos = {g: await get_group_by_id(session, g) for g in {r.group_id for r in rows}}
        names = await people(session, node, {r.actor_uri for r in rows})
    return [
        JoinRequest(
            infos[r.group_id].name,
            infos[r.group_id].title,
            r.actor_uri,
            names[r.actor_uri],
            r.updated_at,
        )
        for r in rows
    ]


async def pending_in(node: Node, acting: Acting, group_name: str) -> list[str]:
    """Who waits to join one group, oldest first (its moderators and the node's staff)."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
    return await membership.pending_follows(node, group.name)


async def decide(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    actor_uri: str,
    *,
    approve: bool,
) -> None:
    """Let someone in, or not: they (or their server) hear the answer."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
    await membership.decide_follow(node, client, group.name, actor_uri, approve=approve)
    log.info(
        "event=join_request_decided group=%s actor=%s approved=%s by=%s",
        group.name,
        actor_uri,
        approve,
        acting.uri,
    )
