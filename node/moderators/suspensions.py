"""Node-level suspensions of remote actors: suspend (their follows end, their posts here are
removed and each group that shared one tells its followers), unsuspend, the list in force; and
suspending whomever a moderator names, a member here or an actor elsewhere."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select

from federation.client import FederationClient
from federation.errors import Conflict, Invalid, NotFound
from federation.properties import is_http_url
from moderation import bans as ban_policy
from moderation.modlog import ModAction
from node.actors.remote import resolve_handle
from node.groups import announcing
from node.groups.groups import GroupInfo, get_group_by_id
from node.groups.posts import mark_removed
from node.members import approvals
from node.moderators import modlog
from node.moderators.bans import BanInfo, ban_in_force, ban_info
from node.moderators.removals import REMOVAL, logged_mark
from node.moderators.roles import Acting, require_node_moderator
from node.runtime import Node
from node.store.states import BanState, MembershipState, PostState, advance
from node.store.tables import Ban, Membership, Post

log = logging.getLogger(__name__)


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
    if not is_http_url(actor_uri):  # a handle or a name would match no activity, ever
        raise Invalid(
            "{actor_uri!r} is not an http(s) URL: name the actor by their URL", actor_uri=actor_uri
        )
    if actor_uri.startswith(node.urls.base + "/"):
        raise Invalid("suspension is for actors on other servers")
    shared: list[tuple[GroupInfo, str, dict[str, Any]]] = []
    said = reason or "the author was suspended"
    async with node.store.transaction() as session:
        if await ban_in_force(session, None, actor_uri, now) is not None:
            raise Conflict("{actor_uri} is suspended already", actor_uri=actor_uri)
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
            advance(membership, MembershipState.LEFT)
            membership.updated_at = now
        posts = await session.exec(
            select(Post).where(Post.author_uri == actor_uri, col(Post.removed_at).is_(None))
        )
        for post in posts.all():
            mark_removed(post, now, said)
            if post.group_id is not None and post.state != PostState.DELETED:
                group = await get_group_by_id(session, post.group_id)
                removal = await logged_mark(
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
        info = ban_info(row)
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
            raise NotFound("{actor_uri} is not suspended", actor_uri=actor_uri)
        advance(row, BanState.LIFTED)
        row.updated_at = now
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
        return [ban_info(b) for b in found.all() if ban_policy.in_force(b.expires_at, now)]


async def is_suspended(node: Node, actor_uri: str) -> bool:
    async with node.store.session() as session:
        return await ban_in_force(session, None, actor_uri, node.clock()) is not None


@dataclass(frozen=True, slots=True)
class Named:
    """Whom a moderator named: a member of this node (by username), or an actor elsewhere."""

    local: bool
    name: str  # a username here, or an actor's URL elsewhere
    ban: BanInfo | None = None  # the suspension of an actor elsewhere, once made


async def named(node: Node, client: FederationClient, who: str) -> Named:
    """Read `who`: a member here (`name`, `@name`, `@name@this-domain` or their profile's
    URL), or an actor elsewhere (`@user@host`, looked up by WebFinger, or their URL, taken
    as it is: a server that is down can still be cut off)."""
    text = who.strip()
    if not text:
        raise Invalid("name someone: a member's name here, @user@host, or their URL")
    if "://" in text:
        if not is_http_url(text):
            raise Invalid("{who} is not an http(s) URL", who=who)
        if urlsplit(text).netloc.lower() != node.urls.domain:
            return Named(False, text)
        if not text.startswith(node.urls.person("")):
            raise Invalid("{who} is not a person of this node", who=who)
        return Named(True, text.removeprefix(node.urls.person("")).strip("/"))
    user, _, host = text.lstrip("@").partition("@")
    if not user or "/" in user:
        raise Invalid("{who!r} is not a person: give @user@host or their URL", who=who)
    if host and host.lower() != node.urls.domain:
        return Named(False, (await resolve_handle(node, client, text)).uri)
    return Named(True, user.lower())


async def suspend_named(
    node: Node,
    client: FederationClient,
    acting: Acting,
    who: str,
    reason: str,
    expires_at: datetime | None,
) -> Named:
    """Suspend whom `who` names: a member here has their account suspended (a reason and an
    end are for actors elsewhere: an account stays suspended until it is restored)."""
    require_node_moderator(acting)
    target = await named(node, client, who)
    if target.local:
        await approvals.suspend_account(node, acting, target.name)
        return target
    ban = await suspend(node, client, acting, target.name, reason, expires_at)
    return replace(target, ban=ban)


async def lift_named(node: Node, client: FederationClient, acting: Acting, who: str) -> Named:
    require_node_moderator(acting)
    target = await named(node, client, who)
    if target.local:
        await approvals.unsuspend_account(node, acting, target.name)
    else:
        await unsuspend(node, acting, target.name)
    return target
