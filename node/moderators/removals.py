"""Moderators' marks on a group's posts and how they federate: remove and restore (Delete with a
summary, and Undo), lock (Lock), pin, purge; and whether the public log names moderators."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import Conflict, NotFound
from moderation.modlog import ModAction
from node.groups import announcing
from node.groups.groups import GroupInfo, get_group
from node.groups.posts import mark_deleted, mark_removed, mark_restored
from node.locale.languages import N_
from node.moderators import modlog
from node.moderators.roles import Acting, require_appointer, require_group_moderator
from node.moderators.roles import wire_actor as wire_actor_of
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import DeliveryState, PostState, Visibility, advance
from node.store.tables import Activity as ActivityRow
from node.store.tables import CommunityGroup, Delivery, Post

log = logging.getLogger(__name__)


async def _moderated_post(
    session: AsyncSession, acting: Acting, group_name: str, post_uri: str
) -> tuple[GroupInfo, Post]:
    group = await get_group(session, group_name)
    await require_group_moderator(session, acting, group)
    post = (
        await session.exec(select(Post).where(Post.uri == post_uri, Post.group_id == group.id))
    ).first()
    if post is None or post.state == PostState.DELETED:
        raise NotFound("no post {post_uri} in {group}", post_uri=post_uri, group=group.name)
    return group, post


@dataclass(frozen=True, slots=True)
class Mark:
    """A mark moderators set on a post and take off again: what the wire calls it, the column
    that holds it, and the log's name for each direction."""

    kind: str  # the activity that sets it; Undo of it takes it off
    column: str
    word: str
    on: ModAction
    off: ModAction
    build: Callable[[str, str, str, str, str, bool], dict[str, Any]]


REMOVAL = Mark(
    "Delete",
    "removed_at",
    "removed",
    ModAction.REMOVE_POST,
    ModAction.RESTORE_POST,
    builders.removal,
)
LOCK = Mark(
    "Lock", "locked_at", "locked", ModAction.LOCK_POST, ModAction.UNLOCK_POST, builders.lock
)

# Why a mark cannot be set (True) or taken off (False): it is, or is not, there already.
ALREADY = {
    ("removed", True): N_("{post_uri} is removed already"),
    ("removed", False): N_("{post_uri} is not removed already"),
    ("locked", True): N_("{post_uri} is locked already"),
    ("locked", False): N_("{post_uri} is not locked already"),
}


async def _set_mark(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    post_uri: str,
    reason: str,
    mark: Mark,
    on: bool,
) -> tuple[GroupInfo, Post]:
    """Set or take off a mark, log it, and have the group announce the activity (or its Undo)
    to its followers."""
    now = node.clock()
    async with node.store.transaction() as session:
        group, post = await _moderated_post(session, acting, group_name, post_uri)
        if (getattr(post, mark.column) is not None) == on:
            raise Conflict(ALREADY[(mark.word, on)], post_uri=post_uri)
        if mark is not REMOVAL:
            setattr(post, mark.column, now if on else None)
        elif on:
            mark_removed(post, now, reason or None)
        else:
            mark_restored(post)
        activity = await logged_mark(session, node, acting, group, post_uri, reason, mark, on)
        session.expunge(post)
    await announcing.announce(node, client, group, activity, None)
    action = mark.on if on else mark.off
    log.info("event=post_%s group=%s post=%s by=%s", action.value, group.name, post_uri, acting.uri)
    return group, post


async def logged_mark(
    session: AsyncSession,
    node: Node,
    acting: Acting,
    group: GroupInfo,
    post_uri: str,
    reason: str,
    mark: Mark,
    on: bool,
) -> dict[str, Any]:
    """The mark's entry in the group's log and the activity that tells followers (recorded
    in the group's outbox; the caller has the group announce it)."""
    now = node.clock()
    modlog.record(
        session, group.id, mark.on if on else mark.off, acting.uri, post_uri, now, reason=reason
    )
    group_uri = node.urls.group(group.name)
    actor = await wire_actor_of(session, acting, group, group_uri)
    public = not group.members_only
    activity = mark.build(
        node.urls.activity(node.token()), actor, post_uri, group_uri, reason, public
    )
    if not on:
        # Undo what was sent when the mark was set (Lemmy matches the inner activity).
        earlier = await _last_sent(session, group.actor_id, mark.kind, post_uri)
        activity = builders.undo(
            node.urls.activity(node.token()),
            actor,
            earlier or activity,
            activity["to"],
            [group_uri],
        )
    await queue(session, group.actor_id, activity, Visibility.UNLISTED, [], now)
    return activity


async def set_removed(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    post_uri: str,
    reason: str,
    *,
    removed: bool,
) -> None:
    """Remove a post (hidden from all but the moderators, kept until purged; a Delete with a
    summary, as Lemmy removes) or restore it; microblog followers lose the group's boost of a
    removed thread and get it back on restore."""
    group, post = await _set_mark(
        node, client, acting, group_name, post_uri, reason, REMOVAL, removed
    )
    if removed:
        await announcing.undo_boosts(node, client, group, post_uri)
    elif post.in_reply_to_uri is None and post.visibility == Visibility.PUBLIC:
        await announcing.boost_again(node, client, group, post_uri)


async def set_locked(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    post_uri: str,
    reason: str,
    *,
    locked: bool,
) -> None:
    """Lock a thread (no new replies) or unlock it; followers hear Lock or Undo{Lock}."""
    await _set_mark(node, client, acting, group_name, post_uri, reason, LOCK, locked)


async def purge(node: Node, acting: Acting, group_name: str, post_uri: str) -> int:
    """Erase a removed post for good: its title and text, and its content in every activity
    stored here that carried it (received, sent, and the group's boosts of it); deliveries of
    those still owed are cancelled. The row stays, emptied, so that the post is gone for
    moderators too and a redelivered Create cannot bring it back. Returns how many stored
    activities were emptied."""
    now = node.clock()
    async with node.store.transaction() as session:
        group, post = await _moderated_post(session, acting, group_name, post_uri)
        if post.state != PostState.REMOVED:
            raise Conflict("remove {post_uri} before purging it", post_uri=post_uri)
        post.title, post.content_html = None, ""
        mark_deleted(post, now)
        carriers = list(
            await session.exec(select(ActivityRow).where(ActivityRow.object_uri == post_uri))
        )
        wrapped = [r.uri for r in carriers if r.type in ("Create", "Update")]
        if wrapped:  # Announce{Create}: FEP-1b12 boosts embed the whole Create
            carriers += list(
                await session.exec(
                    select(ActivityRow).where(col(ActivityRow.object_uri).in_(wrapped))
                )
            )
        for row in carriers:
            row.document = {
                "id": row.uri,
                "type": row.type,
                "actor": row.actor_uri,
                "object": row.object_uri,
            }
        owed = await session.exec(
            select(Delivery).where(
                col(Delivery.activity_id).in_([r.id for r in carriers]),
                Delivery.state == DeliveryState.PENDING,
            )
        )
        for delivery in owed:
            advance(delivery, DeliveryState.CANCELLED)
            delivery.last_error = "the post was purged"
        modlog.record(session, group.id, ModAction.PURGE_POST, acting.uri, post_uri, now)
    log.info("event=post_purged group=%s post=%s by=%s", group.name, post_uri, acting.uri)
    return len(carriers)


async def _last_sent(
    session: AsyncSession, actor_id: int, kind: str, object_uri: str
) -> dict[str, Any] | None:
    found = await session.exec(
        select(ActivityRow)
        .where(
            ActivityRow.local_actor_id == actor_id,
            ActivityRow.type == kind,
            ActivityRow.object_uri == object_uri,
        )
        .order_by(col(ActivityRow.id).desc())
        .limit(1)
    )
    row = found.first()
    return dict(row.document) if row is not None else None


async def set_pinned(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    post_uri: str,
    *,
    pinned: bool,
) -> None:
    """Pin or unpin a post on the group's featured collection."""
    now = node.clock()
    async with node.store.transaction() as session:
        group, post = await _moderated_post(session, acting, group_name, post_uri)
        post.pinned_at = now if pinned else None
        action = ModAction.PIN_POST if pinned else ModAction.UNPIN_POST
        modlog.record(session, group.id, action, acting.uri, post_uri, now)
    featured = node.urls.featured(node.urls.group(group.name))
    await announcing.change_collection(node, client, group, post_uri, featured, added=pinned)


async def set_modlog_names_hidden(
    node: Node, acting: Acting, group_name: str, *, hidden: bool
) -> None:
    """Whether the group's public moderation log names the moderator of each action (Lemmy's
    hide_modlog_mod_names); the owner or a node admin decides."""
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_appointer(session, acting, group)
        row = await session.get(CommunityGroup, group.id)
        assert row is not None
        row.hide_modlog_names = hidden
    log.info("event=modlog_names group=%s hidden=%s", group.name, hidden)
