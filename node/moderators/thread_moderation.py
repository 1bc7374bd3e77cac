"""A thread as its group's moderators see it on the pages: the posts removed from it too (until
purged), whether it is locked or pinned, whose authors are banned and whose servers kept out;
and a post of it taken in hand for a moderator's action (its thread's first post, its author)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import NotFound
from moderation import bans as ban_policy
from moderation.domains import host_of
from node.groups import threads
from node.groups.groups import GroupInfo, get_group
from node.groups.posts import Viewer
from node.moderators.bans import group_domain_block
from node.moderators.roles import Acting, require_group_moderator
from node.runtime import Node
from node.store.states import BanState, PostState
from node.store.tables import Ban, Post

DEEPEST = 50  # a reply chain is short; the walk up to its thread's start must still end


@dataclass(frozen=True, slots=True)
class ModeratedThread:
    """A page of a thread as a moderator of its group sees it."""

    thread: threads.Thread  # removed posts in it too (`PostInfo.removed`)
    locked: bool  # its first post takes no new replies
    pinned: bool  # its first post is on the group's page
    banned: frozenset[str]  # the authors on the page banned from the group now
    servers: dict[str, str]  # each author elsewhere → their server
    kept_out: frozenset[str]  # the servers among those the group keeps out


@dataclass(frozen=True, slots=True)
class PostInHand:
    """A post of a group taken in hand by one who moderates it."""

    group: GroupInfo
    uri: str
    id: int
    thread_uri: str  # the post its thread starts with: what locking locks
    author_uri: str  # its real author, an anonymous post's too
    author_server: str | None  # their server when it is another one (a group can keep it out)


def server_elsewhere(node: Node, actor_uri: str | None) -> str | None:
    """The server of an actor on another one; None for one of this node's."""
    if actor_uri is None:
        return None
    host = host_of(urlsplit(actor_uri).netloc)
    return None if host is None or host == host_of(node.urls.domain) else host


async def thread_start(session: AsyncSession, post: Post) -> Post:
    """The post a reply's thread starts with (a post that starts one: itself)."""
    root = post
    for _ in range(DEEPEST):
        if root.in_reply_to_uri is None:
            break
        parent = (
            await session.exec(
                select(Post).where(Post.uri == root.in_reply_to_uri, Post.group_id == post.group_id)
            )
        ).first()
        if parent is None:
            break
        root = parent
    return root


async def moderated_thread(
    node: Node, acting: Acting, viewer: Viewer, group_name: str, post_id: int, page: int
) -> ModeratedThread:
    """The page of the thread as `viewer` may see it, and its removed posts besides, for one
    who moderates its group (refused to anyone else)."""
    async with node.store.session() as session:
        await require_group_moderator(session, acting, await get_group(session, group_name))
    rows = await threads.thread_rows(node, group_name, post_id, page, removed=True)
    found = await threads.shown_to(node, viewer, rows, removed=True)
    posts = [found.post, *found.replies]
    authors = {p.author_uri for p in posts}
    servers = {a: s for a in authors if (s := server_elsewhere(node, a)) is not None}
    async with node.store.session() as session:
        first = await session.get(Post, found.post.id)
        assert first is not None
        banned = await _banned(session, node, found.group, authors)
        kept_out = {
            servers[a] for a in servers if await group_domain_block(session, found.group.id, a)
        }
    return ModeratedThread(
        found,
        first.locked_at is not None,
        first.pinned_at is not None,
        banned,
        servers,
        frozenset(kept_out),
    )


async def _banned(
    session: AsyncSession, node: Node, group: GroupInfo, authors: set[str]
) -> frozenset[str]:
    found = await session.exec(
        select(Ban.actor_uri, Ban.expires_at).where(
            Ban.group_id == group.id,
            Ban.state == BanState.ACTIVE,
            col(Ban.actor_uri).in_(sorted(authors)),
        )
    )
    now = node.clock()
    return frozenset(a for a, ends in found.all() if ban_policy.in_force(ends, now))


async def post_in_hand(node: Node, acting: Acting, group_name: str, post_id: int) -> PostInHand:
    """A post of the group by its row here, for one who moderates the group (refused to anyone
    else, before anything of the post is read). NotFound when it is not the group's, or is
    gone for good."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        post = await session.get(Post, post_id)
        if post is None or post.group_id != group.id or post.state == PostState.DELETED:
            raise NotFound("no such post")
        root = await thread_start(session, post)
    assert post.id is not None
    return PostInHand(
        group,
        post.uri,
        post.id,
        root.uri,
        post.author_uri,
        server_elsewhere(node, post.author_uri),
    )
