"""Moderation by groups on other servers that members here take part in: removals, restores,
locks, bans and their lifting, applied only after checking that whoever did it is on that
group's moderators collection (a forged removal from anyone else is refused)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.client import FederationClient
from federation.collections import read_moderators
from federation.errors import FetchError, Refused
from federation.wire import Activity, WireBan
from moderation import bans as ban_policy
from node.actors.remote import remote_actor
from node.actors.signers import instance_signer
from node.groups.posts import mark_removed, mark_restored
from node.moderators.bans import ban_in_force
from node.runtime import Node
from node.store.states import BanState, advance
from node.store.tables import Ban, Post

log = logging.getLogger(__name__)

MODERATION_TYPES = frozenset({"Block", "Lock"})


async def moderators_of(node: Node, client: FederationClient, group_uri: str) -> set[str]:
    """The remote group's moderators collection (FEP-1b12 `attributedTo`, or `moderators`
    as PieFed and Cove also name it), read fresh: a stale list is what a forger would use."""
    group = await remote_actor(node, client, group_uri)
    url = group.document.get("moderators") or group.document.get("attributedTo")
    if not isinstance(url, str):
        return set()
    signer = await instance_signer(node)
    try:
        return await read_moderators(client, url, signer)
    except FetchError as e:
        log.info("event=moderators_unreadable group=%s reason=%s", group_uri, e.reason)
        return set()


async def is_moderator(
    node: Node, client: FederationClient, group_uri: str, actor_uri: str
) -> bool:
    """The group itself, or someone on its moderators collection."""
    return actor_uri == group_uri or actor_uri in await moderators_of(node, client, group_uri)


async def require_moderator(
    node: Node, client: FederationClient, group_uri: str, actor_uri: str
) -> None:
    if not await is_moderator(node, client, group_uri, actor_uri):
        raise Refused(f"{actor_uri} is not a moderator of {group_uri}")


async def check_inbound(node: Node, client: FederationClient, activity: Activity) -> None:
    """What an inbox checks before accepting a remote group's ban or its lifting: that the
    actor moderates that group. Refused (403), and nothing stored, when not."""
    ban = activity.object if activity.type == "Undo" else activity
    assert isinstance(ban, WireBan)  # the dispatch key says so
    await require_moderator(node, client, ban.group, activity.actor)


async def apply(node: Node, client: FederationClient, group_uri: str, inner: Activity) -> None:
    """A moderation activity a remote group shares (or sends to the person it bans)."""
    await require_moderator(node, client, group_uri, inner.actor)
    undo = inner.type == "Undo"
    action = inner.object if undo else inner
    if not isinstance(action, Activity):
        raise Refused("an Undo of moderation must embed the action it undoes")
    if undo and action.actor != inner.actor:
        await require_moderator(node, client, group_uri, action.actor)
    now = node.clock()
    if action.type == "Delete":
        await _removal(node, group_uri, action.object_id, not undo, action.summary or None)
    elif action.type == "Lock":
        await _lock(node, group_uri, action.object_id, None if undo else now)
    elif isinstance(action, WireBan) and action.group == group_uri:
        if undo:
            await _lift(node, group_uri, action.object_id)
        else:
            await _record_ban(node, group_uri, action)
    log.info(
        "event=remote_moderation group=%s type=%s%s object=%s by=%s",
        group_uri,
        "Undo:" if undo else "",
        action.type,
        action.object_id,
        inner.actor,
    )


async def _kept(session: AsyncSession, group_uri: str, post_uri: str) -> Post | None:
    """The post we keep of the group, if we have it."""
    found = await session.exec(
        select(Post).where(Post.uri == post_uri, Post.group_uri == group_uri)
    )
    return found.first()


async def _removal(
    node: Node, group_uri: str, post_uri: str, removed: bool, reason: str | None
) -> None:
    """Removed by the group's moderators, or restored."""
    async with node.store.transaction() as session:
        post = await _kept(session, group_uri, post_uri)
        if post is None:
            return
        if removed:
            mark_removed(post, node.clock(), reason)
        else:
            mark_restored(post)


async def _lock(node: Node, group_uri: str, post_uri: str, when: datetime | None) -> None:
    async with node.store.transaction() as session:
        post = await _kept(session, group_uri, post_uri)
        if post is not None:
            post.locked_at = when


async def _record_ban(node: Node, group_uri: str, block: WireBan) -> None:
    """Keep the remote group's ban (our members are refused before they try to post there);
    with removeData, the banned actor's posts there are taken down here too."""
    now = node.clock()
    expires_at = block.expires
    if expires_at is not None and not ban_policy.in_force(expires_at, now):
        return  # over already
    banned = block.banned
    async with node.store.transaction() as session:
        row = await ban_in_force(session, group_uri, banned, now)
        if row is None:
            row = Ban(
                group_uri=group_uri,
                actor_uri=banned,
                state=BanState.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
        row.reason = block.reason or ""
        row.expires_at = expires_at
        row.remove_data = block.remove_data
        row.moderator_uri, row.block_uri, row.updated_at = block.actor, block.id, now
        if row.remove_data:
            posts = await session.exec(
                select(Post).where(
                    Post.group_uri == group_uri,
                    Post.author_uri == banned,
                    col(Post.removed_at).is_(None),
                )
            )
            for post in posts.all():
                mark_removed(post, now, block.reason or "the author was banned")


async def _lift(node: Node, group_uri: str, banned: str) -> None:
    now = node.clock()
    async with node.store.transaction() as session:
        row = await ban_in_force(session, group_uri, banned, now)
        if row is not None:
            advance(row, BanState.LIFTED)
            row.updated_at = now


async def receive_ban(node: Node, client: FederationClient, activity: Activity) -> None:
    """A remote group's Block{target: group} of a member here, sent to them directly."""
    assert isinstance(activity, WireBan)  # the dispatch key says so
    await apply(node, client, activity.group, activity)


async def receive_ban_lifted(node: Node, client: FederationClient, activity: Activity) -> None:
    """Undo{Block{target: group}}: a remote group lifts its ban of a member here."""
    ban = activity.object
    assert isinstance(ban, WireBan)  # the dispatch key says so
    await apply(node, client, ban.group, activity)
