"""A member deleting their account: their actor deleted on every server that knows them, their
posts tombstoned, their tokens revoked, their personal data wiped, and their name kept.

Anonymous posts are kept, with no link to anyone left: their author becomes the group they
were posted in. Deleting them with the account would tell every server, by the timing alone,
who wrote them (the group's Deletes would follow the person's Delete); an anonymous post must
never name its author, in anything. A member who wants them gone deletes them first, each
an ordinary removal by the group; the export (node.members.export) lists them."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.errors import Conflict, NotFound
from node.groups.posts import mark_deleted
from node.members.web_sessions import end_sessions
from node.queue.delivery import inbox_of, queue
from node.runtime import Node
from node.store.states import MembershipState, PostState, Visibility
from node.store.tables import (
    Account,
    ApiToken,
    CommunityGroup,
    LocalActor,
    Membership,
    Notification,
    Post,
    RemoteActor,
    RemoteMembership,
)

log = logging.getLogger(__name__)


async def delete_account(node: Node, account_id: int) -> None:
    """Delete a local member's account for good. Every server that knows them is told through
    the queue (the delivery workers send the Delete, signed by the account's own key)."""
    now = node.clock()
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        if account is None:
            raise NotFound("no account {account_id}", account_id=account_id)
        if account.deleted_at is not None:
            raise Conflict("that account is deleted already")
        actor = await session.get(LocalActor, account.actor_id)
        assert actor is not None and actor.username is not None
        person = node.urls.person(actor.username)
        inboxes = await _servers_that_know(session, account_id)
        posts = await _retire_posts(session, node, account_id)
        await session.exec(
            update(ApiToken)
            .where(col(ApiToken.account_id) == account_id, col(ApiToken.revoked_at).is_(None))
            .values(revoked_at=now)
        )
        await end_sessions(session, account_id, now)
        await session.exec(delete(Notification).where(col(Notification.account_id) == account_id))
        await _leave_everything(session, account_id)
        # Wiped: what they said of themselves. The row stays, so the name stays theirs
        # (Mastodon keeps a deleted account's username reserved too).
        account.display_name, account.summary = "", ""
        account.discoverable, account.deleted_at = False, now
        # And what let them in: nobody signs in as a deleted account, nor mails it.
        account.email = account.email_key = account.password_hash = None
        account.totp_secret = account.totp_enabled_at = account.sign_up_reason = None
        await queue(
            session,
            account.actor_id,
            builders.delete_actor(person),
            Visibility.DIRECT,
            inboxes,
            now,
        )
    log.info(
        "event=account_deleted account=%s posts=%s servers=%s",
        account_id,
        posts,
        len({urlsplit(i).netloc for i in inboxes}),
    )


async def _servers_that_know(session: AsyncSession, account_id: int) -> list[str]:
    """Groups elsewhere they joined or asked to, and every remote follower of the groups here
    they belonged to or posted in (those servers hold their posts, through the groups)."""
    elsewhere = await session.exec(
        select(RemoteActor)
        .join(RemoteMembership, col(RemoteMembership.remote_actor_id) == col(RemoteActor.id))
        .where(RemoteMembership.account_id == account_id)
    )
    joined = select(Membership.group_id).where(Membership.account_id == account_id)
    posted = select(Post.group_id).where(
        Post.account_id == account_id, col(Post.group_id).is_not(None)
    )
    followers = await session.exec(
        select(RemoteActor)
        .join(Membership, col(Membership.remote_actor_id) == col(RemoteActor.id))
        .where(
            col(Membership.group_id).in_(joined.union(posted)),
            Membership.state == MembershipState.ACCEPTED,
        )
    )
    actors = [*elsewhere.all(), *followers.all()]
    return sorted({inbox_of(a) for a in actors})


async def _retire_posts(session: AsyncSession, node: Node, account_id: int) -> int:
    """Their own posts tombstoned; anonymous ones left to their group, unlinked (see above)."""
    found = await session.exec(select(Post).where(Post.account_id == account_id))
    deleted = 0
    for post in found.all():
        if post.anonymous:
            group = await session.get(CommunityGroup, post.group_id) if post.group_id else None
            group_actor = await session.get(LocalActor, group.actor_id) if group else None
            assert group_actor is not None and group_actor.username is not None
            post.author_uri, post.account_id = node.urls.group(group_actor.username), None
            continue
        if post.state != PostState.DELETED:
            mark_deleted(post, node.clock())
            deleted += 1
        post.content_html, post.title, post.attachments = "", None, []
    return deleted


async def _leave_everything(session: AsyncSession, account_id: int) -> None:
    """Out of every group, here and elsewhere (the Delete tells the groups elsewhere)."""
    await session.exec(delete(Membership).where(col(Membership.account_id) == account_id))
    await session.exec(
        delete(RemoteMembership).where(col(RemoteMembership.account_id) == account_id)
    )
