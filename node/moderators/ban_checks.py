"""Whether a ban or suspension keeps an actor out, and whether a thread is locked: the checks
every way in (posts, replies, votes, follows) makes before letting something through."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Refused
from federation.vocabulary import iso8601
from moderation import bans as ban_policy
from moderation.domains import covering, host_of
from node.groups.groups import GroupInfo
from node.runtime import Node
from node.store.states import BanState
from node.store.tables import Ban, GroupDomainBlock, Post


async def ban_in_force(
    session: AsyncSession, group_uri: str | None, actor_uri: str, now: datetime
) -> Ban | None:
    """The ban keeping an actor out of a group (or, with no group, off the node), if any: a
    ban past its expiry no longer counts, even before the expiry job marks it."""
    query = select(Ban).where(Ban.actor_uri == actor_uri, Ban.state == BanState.ACTIVE)
    query = query.where(
        col(Ban.group_uri).is_(None) if group_uri is None else Ban.group_uri == group_uri
    )
    for row in (await session.exec(query)).all():
        if ban_policy.in_force(row.expires_at, now):
            return row
    return None


async def suspensions(node: Node) -> dict[str, datetime | None]:
    """Every actor suspended from the node, with when it ends (None: until lifted); small,
    and kept in memory by the inboxes, which refuse these actors before storing anything."""
    async with node.store.session() as session:
        found = await session.exec(
            select(Ban.actor_uri, Ban.expires_at).where(
                col(Ban.group_uri).is_(None), Ban.state == BanState.ACTIVE
            )
        )
        return {actor: ends for actor, ends in found.all()}


def suspended(table: dict[str, datetime | None], actor_uri: str, now: datetime) -> bool:
    return actor_uri in table and ban_policy.in_force(table[actor_uri], now)


def ban_refusal(ban: Ban, where: str) -> Refused:
    until = f" until {iso8601(ban.expires_at)}" if ban.expires_at else ""
    reason = f": {ban.reason}" if ban.reason else ""
    return Refused(f"banned from {where}{until}{reason}")


async def check_not_banned(node: Node, group: GroupInfo, actor_uri: str) -> None:
    """Refused when the actor is banned from the group or the node, or their server is one
    the group's moderators keep out of the group."""
    async with node.store.session() as session:
        now = node.clock()
        for scope in (node.urls.group(group.name), None):
            ban = await ban_in_force(session, scope, actor_uri, now)
            if ban is not None:
                raise ban_refusal(ban, group.name if scope else "this node")
        blocked = await group_domain_block(session, group.id, actor_uri)
        if blocked is not None:
            reason = f": {blocked.reason}" if blocked.reason else ""
            raise Refused(f"{blocked.domain} is kept out of {group.name}{reason}")


async def group_domain_block(
    session: AsyncSession, group_id: int, actor_uri: str
) -> GroupDomainBlock | None:
    """The group's own block covering the actor's server, if any."""
    host = host_of(urlsplit(actor_uri).netloc)
    if host is None:
        return None
    found = await session.exec(
        select(GroupDomainBlock).where(
            GroupDomainBlock.group_id == group_id,
            col(GroupDomainBlock.domain).in_(covering(host)),
        )
    )
    return found.first()


async def thread_locked(session: AsyncSession, in_reply_to: str | None) -> bool:
    """Whether a reply would land in a locked thread (its post or any parent is locked)."""
    seen = 0
    uri = in_reply_to
    while uri is not None and seen < 50:  # a reply chain is short; a loop must still end
        post = (await session.exec(select(Post).where(Post.uri == uri))).first()
        if post is None:
            return False
        if post.locked_at is not None:
            return True
        uri, seen = post.in_reply_to_uri, seen + 1
    return False
