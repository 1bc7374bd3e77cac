"""Bans, in one place: whether a ban or suspension keeps an actor out and whether a thread is
locked (the checks every way in makes), and group bans and how they federate: ban (a Block with
the group as target, to the group's followers and the banned actor's server), unban (its Undo),
the list in force, and expiry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import Invalid, NotFound, Refused
from federation.vocabulary import iso8601
from moderation import bans as ban_policy
from moderation.domains import covering, host_of
from moderation.modlog import ModAction
from moderation.roles import MODERATING
from node.groups import announcing
from node.groups.groups import GroupInfo, get_group
from node.groups.posts import mark_removed
from node.locale.languages import N_
from node.moderators import modlog
from node.moderators.roles import Acting, group_role, require_group_moderator
from node.moderators.roles import wire_actor as wire_actor_of
from node.queue import outbox
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import BanState, PostState, Visibility, advance
from node.store.tables import Ban, GroupDomainBlock, Post, RemoteActor

log = logging.getLogger(__name__)


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


# What a ban says, by (from this node, has an end, says why); the group is named otherwise.
BANNED = {
    (False, False, False): N_("banned from {group}"),
    (False, True, False): N_("banned from {group} until {until}"),
    (False, False, True): N_("banned from {group}: {why}"),
    (False, True, True): N_("banned from {group} until {until}: {why}"),
    (True, False, False): N_("banned from this node"),
    (True, True, False): N_("banned from this node until {until}"),
    (True, False, True): N_("banned from this node: {why}"),
    (True, True, True): N_("banned from this node until {until}: {why}"),
}


def ban_refusal(ban: Ban, group: str | None) -> Refused:
    """The refusal a ban gives: from the group named (its name or URI), or None: the node."""
    details: dict[str, str] = {}
    if group is not None:
        details["group"] = group
    if ban.expires_at:
        details["until"] = iso8601(ban.expires_at)
    if ban.reason:
        details["why"] = ban.reason
    wording = BANNED[(group is None, "until" in details, "why" in details)]
    return Refused(wording, **details)


async def check_not_banned(node: Node, group: GroupInfo, actor_uri: str) -> None:
    """Refused when the actor is banned from the group or the node, or their server is one
    the group's moderators keep out of the group."""
    async with node.store.session() as session:
        now = node.clock()
        for scope in (node.urls.group(group.name), None):
            ban = await ban_in_force(session, scope, actor_uri, now)
            if ban is not None:
                raise ban_refusal(ban, group.name if scope else None)
        blocked = await group_domain_block(session, group.id, actor_uri)
        if blocked is not None:
            if blocked.reason:
                raise Refused(
                    "{domain} is kept out of {group}: {why}",
                    domain=blocked.domain,
                    group=group.name,
                    why=blocked.reason,
                )
            raise Refused(
                "{domain} is kept out of {group}", domain=blocked.domain, group=group.name
            )


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


@dataclass(frozen=True, slots=True)
class BanInfo:
    id: int
    group_uri: str | None
    actor_uri: str
    reason: str
    expires_at: datetime | None
    remove_data: bool
    state: BanState
    moderator_uri: str | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "group": self.group_uri,
            "actor": self.actor_uri,
            "reason": self.reason,
            "expires_at": iso8601(self.expires_at) if self.expires_at else None,
            "remove_content": self.remove_data,
            "state": self.state.value,
            "created_at": iso8601(self.created_at),
        }


def ban_info(row: Ban) -> BanInfo:
    assert row.id is not None
    return BanInfo(
        row.id,
        row.group_uri,
        row.actor_uri,
        row.reason,
        row.expires_at,
        row.remove_data,
        row.state,
        row.moderator_uri,
        row.created_at,
    )


async def ban(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    actor_uri: str,
    reason: str,
    expires_at: datetime | None,
    *,
    remove_content: bool = False,
) -> BanInfo:
    """Ban an actor from a group: they can no longer post, reply, vote or follow until the ban
    ends (by itself at its expiry, or lifted); with `remove_content`, their posts there are
    removed too. Followers' servers hear a Block with the group as target."""
    now = node.clock()
    expires_at = ban_policy.checked_expiry(expires_at, now)
    if not actor_uri.startswith(("https://", "http://")):
        raise Invalid("give the actor's URL, not {actor_uri!r}", actor_uri=actor_uri)
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        group_uri = node.urls.group(group.name)
        if actor_uri == acting.uri:
            raise Refused("moderators cannot ban themselves")
        if await group_role(session, group.id, actor_uri) in MODERATING:
            raise Refused(
                "{actor_uri} is a moderator of {group}: remove the role first",
                actor_uri=actor_uri,
                group=group.name,
            )
        row = await ban_in_force(session, group_uri, actor_uri, now)
        if row is None:
            row = Ban(
                group_uri=group_uri,
                group_id=group.id,
                actor_uri=actor_uri,
                state=BanState.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
        actor = await wire_actor_of(session, acting, group, group_uri)
        block = builders.ban(
            node.urls.activity(node.token()),
            actor,
            actor_uri,
            group_uri,
            reason,
            iso8601(expires_at) if expires_at else None,
            remove_content,
        )
        row.reason, row.expires_at, row.remove_data = reason, expires_at, remove_content
        row.moderator_uri, row.block_uri, row.updated_at = acting.uri, block["id"], now
        modlog.record(
            session,
            group.id,
            ModAction.BAN,
            acting.uri,
            actor_uri,
            now,
            reason=reason,
            expires_at=expires_at,
        )
        removed = (
            await _remove_all_by(session, group, actor_uri, acting.uri, now, reason)
            if remove_content
            else []
        )
        await _queue_for_banned(session, group, actor_uri, block, now)
        await session.flush()
        info = ban_info(row)
    await announcing.announce(node, client, group, block, None)
    for post_uri in removed:
        await announcing.undo_boosts(node, client, group, post_uri)
    log.info(
        "event=banned group=%s actor=%s until=%s removed=%d",
        group.name,
        actor_uri,
        expires_at,
        len(removed),
    )
    return info


async def _remove_all_by(
    session: AsyncSession,
    group: GroupInfo,
    actor_uri: str,
    moderator: str,
    now: datetime,
    reason: str,
) -> list[str]:
    """Remove every post an actor has in a group under their own name (a ban with content
    removal); the log says so once per post. Their anonymous posts are left to be removed
    one by one: removed with the ban, the public log would tie them to the banned name."""
    found = await session.exec(
        select(Post).where(
            Post.group_id == group.id,
            Post.author_uri == actor_uri,
            col(Post.anonymous).is_(False),
            Post.state == PostState.LIVE,
        )
    )
    removed = []
    for post in found.all():
        mark_removed(post, now, reason or "the author was banned")
        modlog.record(
            session, group.id, ModAction.REMOVE_POST, moderator, post.uri, now, reason=reason
        )
        removed.append(post.uri)
    return removed


async def _queue_for_banned(
    session: AsyncSession, group: GroupInfo, actor_uri: str, activity: dict[str, Any], now: datetime
) -> None:
    """A ban or its lifting goes to the banned actor's own server too (it keeps them out)."""
    banned_inbox = await _inbox_of(session, actor_uri)
    inboxes = [banned_inbox] if banned_inbox else []
    await queue(session, group.actor_id, activity, Visibility.UNLISTED, inboxes, now)


async def _inbox_of(session: AsyncSession, actor_uri: str) -> str | None:
    found = await session.exec(
        select(RemoteActor.shared_inbox, RemoteActor.inbox).where(RemoteActor.uri == actor_uri)
    )
    row = found.first()
    return (row[0] or row[1]) if row is not None else None


async def unban(
    node: Node, client: FederationClient, acting: Acting, group_name: str, actor_uri: str
) -> None:
    now = node.clock()
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        group_uri = node.urls.group(group.name)
        row = await ban_in_force(session, group_uri, actor_uri, now)
        if row is None:
            raise NotFound(
                "{actor_uri} is not banned from {group}", actor_uri=actor_uri, group=group.name
            )
        advance(row, BanState.LIFTED)
        row.updated_at = now
        modlog.record(session, group.id, ModAction.UNBAN, acting.uri, actor_uri, now)
        actor = await wire_actor_of(session, acting, group, group_uri)
        block = await outbox.stored_document(session, row.block_uri) or builders.ban(
            row.block_uri or "", actor, actor_uri, group_uri, row.reason, None, False
        )
        undo = builders.undo(
            node.urls.activity(node.token()), actor, block, block.get("to", []), [group_uri]
        )
        await _queue_for_banned(session, group, actor_uri, undo, now)
    await announcing.announce(node, client, group, undo, None)


async def list_bans(node: Node, acting: Acting, group_name: str) -> list[BanInfo]:
    """The bans in force in a group, newest first (moderators only)."""
    now = node.clock()
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        found = await session.exec(
            select(Ban)
            .where(Ban.group_id == group.id, Ban.state == BanState.ACTIVE)
            .order_by(col(Ban.id).desc())
        )
        return [ban_info(b) for b in found.all() if ban_policy.in_force(b.expires_at, now)]


async def expire_bans(node: Node) -> int:
    """Mark bans past their expiry as expired (the periodic job); returns how many. They had
    stopped counting at their expiry already: this keeps the state column and the log true."""
    now = node.clock()
    async with node.store.transaction() as session:
        found = await session.exec(
            select(Ban).where(
                Ban.state == BanState.ACTIVE,
                col(Ban.expires_at).is_not(None),
                col(Ban.expires_at) <= now,
            )
        )
        rows = list(found.all())
        for row in rows:
            advance(row, BanState.EXPIRED)
            row.updated_at = now
            if row.group_id is not None:
                modlog.record(
                    session, row.group_id, ModAction.BAN_EXPIRED, None, row.actor_uri, now
                )
    return len(rows)
