"""Posts in groups: what a group features (pinned posts) and shows, and how a remote post's
content is taken onto our rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.wire import WireObject
from node.runtime import Node
from node.store.states import PostKind, Visibility
from node.store.tables import Post
from node.text import sanitise_html


@dataclass(frozen=True, slots=True)
class PostInfo:
    uri: str
    author_uri: str
    anonymous: bool
    kind: PostKind
    title: str | None
    content_html: str
    visibility: Visibility
    sensitive: bool
    in_reply_to_uri: str | None
    published: datetime
    updated_at: datetime | None
    attachments: tuple[dict[str, Any], ...] = ()


def _info(post: Post) -> PostInfo:
    return PostInfo(
        uri=post.uri,
        author_uri=post.author_uri,
        anonymous=post.anonymous,
        kind=post.kind,
        title=post.title,
        content_html=post.content_html,
        visibility=post.visibility,
        sensitive=post.sensitive,
        in_reply_to_uri=post.in_reply_to_uri,
        published=post.published,
        attachments=tuple(post.attachments or ()),
        updated_at=post.updated_at,
    )


def _shown(group_id: int, visibilities: tuple[Visibility, ...]) -> tuple[object, ...]:
    return (
        Post.group_id == group_id,
        col(Post.deleted_at).is_(None),
        col(Post.removed_at).is_(None),
        col(Post.visibility).in_(visibilities),
    )


async def featured_posts(
    session: AsyncSession, group_id: int, visibilities: tuple[Visibility, ...]
) -> list[PostInfo]:
    """Pinned posts of a group, most recently pinned first."""
    found = await session.exec(
        select(Post)
        .where(*_shown(group_id, visibilities), col(Post.pinned_at).is_not(None))  # type: ignore[arg-type]
        .order_by(col(Post.pinned_at).desc())
    )
    return [_info(p) for p in found.all()]


async def recent_threads(
    session: AsyncSession, group_id: int, visibilities: tuple[Visibility, ...], limit: int = 20
) -> list[PostInfo]:
    """The newest top-level posts of a group, for its page."""
    found = await session.exec(
        select(Post)
        .where(*_shown(group_id, visibilities), col(Post.in_reply_to_uri).is_(None))  # type: ignore[arg-type]
        .order_by(col(Post.published).desc())
        .limit(limit)
    )
    return [_info(p) for p in found.all()]


MAX_ATTACHMENTS = 20


async def keeps_media(node: Node, object_id: str) -> bool:
    """Whether attachments from this object's server are kept (reject_media says not)."""
    return not (await node.policy.decide_url(object_id, node.clock())).reject_media


def take_content(post: Post, obj: WireObject, *, keep_media: bool) -> None:
    """Copy what a remote post says about itself onto our row, its HTML sanitised; its
    attachments kept as links unless the domain policy rejects the server's media."""
    post.attachments = (
        [
            {"type": a.type, "url": a.url, "media_type": a.media_type, "name": a.name}
            for a in obj.attachments[:MAX_ATTACHMENTS]
            if a.url is not None
        ]
        if keep_media
        else []
    )
    threads = obj.type in ("Page", "Article") and not obj.in_reply_to
    post.kind = PostKind.PAGE if threads else PostKind.NOTE
    post.title = (obj.name or "")[:300] or None
    post.content_html = sanitise_html(obj.content or "")
    post.in_reply_to_uri = obj.in_reply_to
    post.sensitive = obj.sensitive
    if obj.updated is not None:
        post.updated_at = obj.updated
