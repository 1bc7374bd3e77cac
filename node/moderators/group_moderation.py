"""What a group's moderators do, and how it federates: remove and restore posts (Delete with
a summary, and Undo; microblog followers lose the boost), lock and unlock threads (Lock),
ban and unban (Block with the group as target, and Undo), and node-level suspensions of
remote actors. Every action checks the role first and is written to the moderation log."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import Conflict, Invalid, NotFound, Refused
from federation.vocabulary import iso8601
from moderation import bans as ban_policy
from moderation.domains import host_of, normalise_domain
from moderation.modlog import ModAction
from moderation.roles import MODERATING
from node.domain_policy.cuts import covered_by
from node.groups import announcing
from node.groups.groups import GroupInfo, get_group, get_group_by_id
from node.members.accounts import get_account
from node.moderators import modlog
from node.moderators.bans import ban_in_force
from node.moderators.roles import (
    Acting,
    group_role,
    require_appointer,
    require_group_moderator,
    require_node_moderator,
)
from node.moderators.roles import wire_actor as wire_actor_of
from node.queue import outbox
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import (
    BanState,
    DeliveryState,
    GroupRole,
    MembershipState,
    Visibility,
    check_transition,
)
from node.store.tables import Activity as ActivityRow
from node.store.tables import (
    Ban,
    CommunityGroup,
    Delivery,
    GroupDomainBlock,
    Membership,
    Post,
    RemoteActor,
)

log = logging.getLogger(__name__)


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


def _ban_info(row: Ban) -> BanInfo:
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


# Posts ------------------------------------------------------------------------------------------


async def _moderated_post(
    session: AsyncSession, acting: Acting, group_name: str, post_uri: str
) -> tuple[GroupInfo, Post]:
    group = await get_group(session, group_name)
    await require_group_moderator(session, acting, group)
    post = (
        await session.exec(select(Post).where(Post.uri == post_uri, Post.group_id == group.id))
    ).first()
    if post is None or post.deleted_at is not None:
        raise NotFound(f"no post {post_uri} in {group.name}")
    return group, post


@dataclass(frozen=True, slots=True)
class _Mark:
    """A mark moderators set on a post and take off again: what the wire calls it, the column
    that holds it, and the log's name for each direction."""

    kind: str  # the activity that sets it; Undo of it takes it off
    column: str
    word: str
    on: ModAction
    off: ModAction
    build: Callable[[str, str, str, str, str, bool], dict[str, Any]]


REMOVAL = _Mark(
    "Delete",
    "removed_at",
    "removed",
    ModAction.REMOVE_POST,
    ModAction.RESTORE_POST,
    builders.removal,
)
LOCK = _Mark(
    "Lock", "locked_at", "locked", ModAction.LOCK_POST, ModAction.UNLOCK_POST, builders.lock
)


async def _set_mark(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    post_uri: str,
    reason: str,
    mark: _Mark,
    on: bool,
) -> tuple[GroupInfo, Post]:
    """Set or take off a mark, log it, and have the group announce the activity (or its Undo)
    to its followers."""
    now = node.clock()
    async with node.store.transaction() as session:
        group, post = await _moderated_post(session, acting, group_name, post_uri)
        if (getattr(post, mark.column) is not None) == on:
            raise Conflict(f"{post_uri} is {'' if on else 'not '}{mark.word} already")
        setattr(post, mark.column, now if on else None)
        if mark is REMOVAL:
            post.removal_reason = (reason or None) if on else None
        activity = await _logged_mark(session, node, acting, group, post_uri, reason, mark, on)
        session.expunge(post)
    await announcing.announce(node, client, group, activity, None)
    action = mark.on if on else mark.off
    log.info("event=post_%s group=%s post=%s by=%s", action.value, group.name, post_uri, acting.uri)
    return group, post


async def _logged_mark(
    session: AsyncSession,
    node: Node,
    acting: Acting,
    group: GroupInfo,
    post_uri: str,
    reason: str,
    mark: _Mark,
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
        if post.removed_at is None:
            raise Conflict(f"remove {post_uri} before purging it")
        post.title, post.content_html, post.deleted_at = None, "", now
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
            check_transition(delivery.state, DeliveryState.CANCELLED)
            delivery.state, delivery.last_error = DeliveryState.CANCELLED, "the post was purged"
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


# Moderators -------------------------------------------------------------------------------------


async def set_moderator(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    username: str,
    *,
    moderator: bool,
) -> None:
    """Make a local account a moderator of a group (joining them if need be), or take the
    role back. The group's moderators collection and attributedTo follow at once."""
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_appointer(session, acting, group)
        account = await get_account(session, username)
        uri = node.urls.person(account.username)
        membership = (
            await session.exec(
                select(Membership).where(
                    Membership.group_id == group.id, Membership.actor_uri == uri
                )
            )
        ).first()
        now = node.clock()
        if moderator:
            if (
                membership is not None
                and membership.role in MODERATING
                and membership.state == MembershipState.ACCEPTED
            ):
                raise Conflict(f"{username} is already a moderator of {group.name}")
            if membership is None:
                membership = Membership(
                    group_id=group.id,
                    actor_uri=uri,
                    account_id=account.id,
                    role=GroupRole.MODERATOR,
                    state=MembershipState.ACCEPTED,
                    created_at=now,
                    updated_at=now,
                )
                session.add(membership)
            elif membership.state != MembershipState.ACCEPTED:
                # Appointed by the owner: any pending or past request to join is accepted.
                if membership.state == MembershipState.REJECTED:
                    check_transition(membership.state, MembershipState.PENDING)
                    membership.state = MembershipState.PENDING
                check_transition(membership.state, MembershipState.ACCEPTED)
                membership.state = MembershipState.ACCEPTED
            membership.role = GroupRole.MODERATOR
            action = ModAction.ADD_MODERATOR
        else:
            if membership is None or membership.role != GroupRole.MODERATOR:
                if membership is not None and membership.role == GroupRole.OWNER:
                    raise Refused(f"{username} owns {group.name}; an owner stays a moderator")
                raise NotFound(f"{username} is not a moderator of {group.name}")
            membership.role = GroupRole.MEMBER
            action = ModAction.REMOVE_MODERATOR
        membership.updated_at = now
        modlog.record(session, group.id, action, acting.uri, uri, now)
    # Lemmy and PieFed keep their copy of the moderators list from these (FEP-1b12 Add/Remove).
    moderators = node.urls.moderators(node.urls.group(group.name))
    await announcing.change_collection(node, client, group, uri, moderators, added=moderator)


# Bans -------------------------------------------------------------------------------------------


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
        raise Invalid(f"give the actor's URL, not {actor_uri!r}")
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        group_uri = node.urls.group(group.name)
        if actor_uri == acting.uri:
            raise Refused("moderators cannot ban themselves")
        if await group_role(session, group.id, actor_uri) in MODERATING:
            raise Refused(f"{actor_uri} is a moderator of {group.name}: remove the role first")
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
        info = _ban_info(row)
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
            col(Post.removed_at).is_(None),
            col(Post.deleted_at).is_(None),
        )
    )
    removed = []
    for post in found.all():
        post.removed_at, post.removal_reason = now, reason or "the author was banned"
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
            raise NotFound(f"{actor_uri} is not banned from {group.name}")
        check_transition(row.state, BanState.LIFTED)
        row.state, row.updated_at = BanState.LIFTED, now
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
        return [_ban_info(b) for b in found.all() if ban_policy.in_force(b.expires_at, now)]


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
            check_transition(row.state, BanState.EXPIRED)
            row.state, row.updated_at = BanState.EXPIRED, now
            if row.group_id is not None:
                modlog.record(
                    session, row.group_id, ModAction.BAN_EXPIRED, None, row.actor_uri, now
                )
    return len(rows)


# Node-level suspension of remote actors ----------------------------------------------------------


async def suspend(
    node: Node,
    client: FederationClient,
    acting: Acting,
    actor_uri: str,
    reason: str,
    expires_at: datetime | None,
) -> BanInfo:
    """Cut a remote actor off from the whole node: their activities are refused, their follows
    of our groups end, and their posts here are removed (kept for the moderators); each of
    our groups that shared one of them tells its followers (a removal, and the boost undone)."""
    require_node_moderator(acting)
    now = node.clock()
    expires_at = ban_policy.checked_expiry(expires_at, now)
    if actor_uri.startswith(node.urls.base + "/"):
        raise Invalid("suspension is for actors on other servers")
    shared: list[tuple[GroupInfo, str, dict[str, Any]]] = []
    said = reason or "the author was suspended"
    async with node.store.transaction() as session:
        if await ban_in_force(session, None, actor_uri, now) is not None:
            raise Conflict(f"{actor_uri} is suspended already")
        row = Ban(
            actor_uri=actor_uri,
            state=BanState.ACTIVE,
            reason=reason,
            expires_at=expires_at,
            remove_data=True,
            moderator_uri=acting.uri,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        memberships = await session.exec(
            select(Membership).where(
                Membership.actor_uri == actor_uri,
                col(Membership.state).in_((MembershipState.ACCEPTED, MembershipState.PENDING)),
            )
        )
        for membership in memberships.all():
            check_transition(membership.state, MembershipState.LEFT)
            membership.state, membership.updated_at = MembershipState.LEFT, now
        posts = await session.exec(
            select(Post).where(Post.author_uri == actor_uri, col(Post.removed_at).is_(None))
        )
        for post in posts.all():
            post.removed_at, post.removal_reason = now, said
            if post.group_id is not None and post.deleted_at is None:
                group = await get_group_by_id(session, post.group_id)
                removal = await _logged_mark(
                    session, node, acting, group, post.uri, said, REMOVAL, True
                )
                shared.append((group, post.uri, removal))
        modlog.record(
            session,
            None,
            ModAction.SUSPEND,
            acting.uri,
            actor_uri,
            now,
            reason=reason,
            expires_at=expires_at,
        )
        await session.flush()
        info = _ban_info(row)
    for group, post_uri, removal in shared:
        await announcing.announce(node, client, group, removal, None)
        await announcing.undo_boosts(node, client, group, post_uri)
    log.info("event=actor_suspended actor=%s posts_removed=%s", actor_uri, len(shared))
    return info


async def unsuspend(node: Node, acting: Acting, actor_uri: str) -> None:
    require_node_moderator(acting)
    now = node.clock()
    async with node.store.transaction() as session:
        row = await ban_in_force(session, None, actor_uri, now)
        if row is None:
            raise NotFound(f"{actor_uri} is not suspended")
        check_transition(row.state, BanState.LIFTED)
        row.state, row.updated_at = BanState.LIFTED, now
        modlog.record(session, None, ModAction.UNSUSPEND, acting.uri, actor_uri, now)


async def list_suspensions(node: Node, acting: Acting) -> list[BanInfo]:
    """The suspensions in force, newest first (node staff only)."""
    require_node_moderator(acting)
    now = node.clock()
    async with node.store.session() as session:
        found = await session.exec(
            select(Ban)
            .where(col(Ban.group_uri).is_(None), Ban.state == BanState.ACTIVE)
            .order_by(col(Ban.id).desc())
        )
        return [_ban_info(b) for b in found.all() if ban_policy.in_force(b.expires_at, now)]


async def is_suspended(node: Node, actor_uri: str) -> bool:
    async with node.store.session() as session:
        return await ban_in_force(session, None, actor_uri, node.clock()) is not None


# A group's own domain blocks -----------------------------------------------------------------


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
            raise Conflict(f"{name} is kept out of {group.name} already")
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
                check_transition(membership.state, MembershipState.LEFT)
                membership.state, membership.updated_at = MembershipState.LEFT, now
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
            raise NotFound(f"{name} is not kept out of {group.name}")
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
