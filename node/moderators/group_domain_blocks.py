"""A group's own domain blocks: its moderators keep a server (and its subdomains) out of the
group, ending its people's follows there, while the rest of the node still federates with it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from federation.errors import Conflict, Invalid, NotFound
from federation.vocabulary import iso8601
from moderation.domains import host_of, normalise_domain
from moderation.modlog import ModAction
from node.domain_policy.cuts import covered_by
from node.groups.groups import get_group
from node.moderators import modlog
from node.moderators.roles import Acting, require_group_moderator
from node.runtime import Node
from node.store.states import MembershipState, advance
from node.store.tables import GroupDomainBlock, Membership

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GroupDomainInfo:
    group: str
    domain: str
    reason: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "domain": self.domain,
            "reason": self.reason,
            "created_at": iso8601(self.created_at),
        }


async def block_domain(
    node: Node, acting: Acting, group_name: str, domain: str, reason: str = ""
) -> tuple[GroupDomainInfo, int]:
    """Keep a server (and its subdomains) out of one group: its people can no longer follow,
    post, reply or vote there, and their follows of the group end. Returns the block and
    how many follows ended. The rest of the node still federates with it."""
    name = normalise_domain(domain)
    if name == host_of(node.urls.domain):
        raise Invalid("a group cannot block its own node")
    now = node.clock()
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        found = await session.exec(
            select(GroupDomainBlock).where(
                GroupDomainBlock.group_id == group.id, GroupDomainBlock.domain == name
            )
        )
        if found.first() is not None:
            raise Conflict("{name} is kept out of {group} already", name=name, group=group.name)
        row = GroupDomainBlock(
            group_id=group.id, domain=name, reason=reason, created_by=acting.uri, created_at=now
        )
        session.add(row)
        covered = covered_by([name])
        members = await session.exec(
            select(Membership).where(
                Membership.group_id == group.id,
                col(Membership.remote_actor_id).is_not(None),
                col(Membership.state).in_((MembershipState.ACCEPTED, MembershipState.PENDING)),
            )
        )
        ended = 0
        for membership in members.all():
            if covered(membership.actor_uri) is not None:
                advance(membership, MembershipState.LEFT)
                membership.updated_at = now
                ended += 1
        modlog.record(
            session, group.id, ModAction.BLOCK_DOMAIN, acting.uri, name, now, reason=reason
        )
    log.info("event=group_domain_block group=%s domain=%s ended=%s", group.name, name, ended)
    return GroupDomainInfo(group.name, name, reason, now), ended


async def unblock_domain(node: Node, acting: Acting, group_name: str, domain: str) -> None:
    name = normalise_domain(domain)
    now = node.clock()
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        row = (
            await session.exec(
                select(GroupDomainBlock).where(
                    GroupDomainBlock.group_id == group.id, GroupDomainBlock.domain == name
                )
            )
        ).first()
        if row is None:
            raise NotFound("{name} is not kept out of {group}", name=name, group=group.name)
        await session.delete(row)
        modlog.record(session, group.id, ModAction.UNBLOCK_DOMAIN, acting.uri, name, now)


async def blocked_domains(node: Node, acting: Acting, group_name: str) -> list[GroupDomainInfo]:
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        rows = await session.exec(
            select(GroupDomainBlock)
            .where(GroupDomainBlock.group_id == group.id)
            .order_by(col(GroupDomainBlock.domain))
        )
        return [GroupDomainInfo(group.name, r.domain, r.reason, r.created_at) for r in rows.all()]
