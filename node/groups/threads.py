"""A thread as a person reads it on the pages: its first post and the replies beneath it (all
depths, oldest first, a page at a time), each shown only as far as `visible_to` allows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import NotFound
from node.groups.groups import GroupInfo, get_group
from node.groups.posts import PostInfo, Viewer, info_of, visible_to
from node.runtime import Node
from node.store.states import PostState
from node.store.tables import Post

REPLIES_PER_PAGE = 20
DEEPEST = 50  # reply levels followed; a longer chain is cut, never looped


@dataclass(frozen=True, slots=True)
class Thread:
    group: GroupInfo
    post: PostInfo
    replies: list[PostInfo]
    page: int  # from 1
    more: bool  # a later page exists
    answered: dict[str, int]  # a reply's parent uri → its row id, when shown in the thread


@dataclass(frozen=True, slots=True)
class ThreadRows:
    """A page of a thread as stored, before anyone's eyes: the same for every reader, so the
    pages may keep it (`shown_to` decides what one reader sees of it)."""

    group: GroupInfo
    post: PostInfo
    replies: tuple[PostInfo, ...]  # this page's live replies, oldest first
    page: int
    more: bool


async def thread(
    node: Node, viewer: Viewer, group_name: str, post_id: int, page: int = 1
) -> Thread:
    """The thread that `post_id` starts or sits in, as `viewer` may see it. NotFound when the
    post is not in this group or the viewer may not see it (never saying which)."""
    return await shown_to(node, viewer, await thread_rows(node, group_name, post_id, page))


async def thread_rows(
    node: Node, group_name: str, post_id: int, page: int = 1, *, removed: bool = False
) -> ThreadRows:
    """A page of the thread that `post_id` starts or sits in, as stored: NotFound when the
    post is not in this group. With `removed` (for the group's moderators alone), the replies
    moderators removed are in it too, with the replies beneath them."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        row = await session.get(Post, post_id)
        if row is None or row.group_id != group.id:
            raise NotFound("no such post")
        post = info_of(row)
        states = (PostState.LIVE, PostState.REMOVED) if removed else (PostState.LIVE,)
        reply_ids = await _replies_below(session, row.uri, row.group_id, states)
        page = max(1, page)
        start = (page - 1) * REPLIES_PER_PAGE
        wanted = reply_ids[start : start + REPLIES_PER_PAGE + 1]
        rows = (await session.exec(select(Post).where(col(Post.id).in_(wanted)))).all()
    by_id = {r.id: info_of(r) for r in rows}
    replies = tuple(by_id[i] for i in wanted[:REPLIES_PER_PAGE] if i in by_id)
    return ThreadRows(group, post, replies, page, len(wanted) > REPLIES_PER_PAGE)


async def shown_to(
    node: Node, viewer: Viewer, rows: ThreadRows, *, removed: bool = False
) -> Thread:
    """What `viewer` sees of a page of a thread: NotFound when they may not see its post.
    With `removed` (for the group's moderators alone), a removed first post is shown too."""
    shown = visible_to(node, viewer)
    post = rows.post
    gone = post.gone_at is not None and not (removed and post.removed)
    if gone or not await shown.sees(post):
        raise NotFound("no such post")
    replies = [r for r in rows.replies if await shown.sees(r)]
    answered = {post.uri: post.id or 0} | {r.uri: r.id for r in replies if r.id is not None}
    return Thread(rows.group, post, replies, rows.page, rows.more, answered)


async def _replies_below(
    session: AsyncSession, uri: str, group_id: int | None, states: tuple[PostState, ...]
) -> list[int]:
    """The ids of the replies in these states under a post at every depth, oldest first."""
    found: list[tuple[int, datetime]] = []
    level = [uri]
    for _ in range(DEEPEST):
        if not level:
            break
        rows = (
            await session.exec(
                select(Post.id, Post.uri, Post.published).where(
                    col(Post.in_reply_to_uri).in_(level),
                    Post.group_id == group_id,
                    col(Post.state).in_(states),
                )
            )
        ).all()
        found.extend((r[0], r[2]) for r in rows if r[0] is not None)
        level = [r[1] for r in rows]
    found.sort(key=lambda r: (r[1], r[0]))
    return [i for i, _ in found]


async def row_of(node: Node, uri: str) -> int:
    """The row id of a post here (the pages' links use it)."""
    async with node.store.session() as session:
        found = (await session.exec(select(Post.id).where(Post.uri == uri))).first()
    if found is None:
        raise NotFound("no such post")
    return found
