"""Posts in groups: who may see each (the one `visible_to`), what a group features (pinned
posts) and shows, and how a remote post's content is taken onto our rows."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.errors import Invalid, NotFound
from federation.httpsig.inbound import authority_of
from federation.vocabulary import iso8601
from federation.wire import WireObject
from node.groups.groups import (
    GroupInfo,
    accepted_groups_elsewhere,
    accepted_groups_here,
    groups_elsewhere,
    has_member_on,
    is_member,
)
from node.members.person_blocks import hidden_from
from node.runtime import Node
from node.store.states import PostKind, PostState, Visibility, advance
from node.store.tables import Post
from node.text import html_to_plain, plain_to_html, sanitise_html
from node.urls import Urls

MAX_CONTENT_WARNING = 500


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
    content_warning: str | None
    in_reply_to_uri: str | None
    published: datetime
    updated_at: datetime | None
    attachments: tuple[dict[str, Any], ...] = ()
    group_id: int | None = None  # a group here
    group_uri: str | None = None
    gone_at: datetime | None = None  # deleted, or removed (kept for the moderators)
    professional_note: bool = False
    held: bool = False  # waiting for a moderator (crisis hold): shown to no one yet
    removed: bool = False  # by a moderator: shown to the group's moderators alone
    id: int | None = None  # its row here (the pages' links use it)


def info_of(post: Post) -> PostInfo:
    return PostInfo(
        uri=post.uri,
        author_uri=post.author_uri,
        anonymous=post.anonymous,
        kind=post.kind,
        title=post.title,
        content_html=post.content_html,
        visibility=post.visibility,
        sensitive=post.sensitive,
        content_warning=post.content_warning,
        in_reply_to_uri=post.in_reply_to_uri,
        published=post.published,
        attachments=tuple(post.attachments or ()),
        updated_at=post.updated_at,
        group_id=post.group_id,
        group_uri=post.group_uri,
        gone_at=post.deleted_at or post.removed_at,
        professional_note=post.professional_note,
        held=post.state == PostState.HELD,
        removed=post.state == PostState.REMOVED,
        id=post.id,
    )


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who asks to see posts: nobody known (a browser, an unsigned fetch), the actor that
    signed the fetch, seen through its server (its host as a Host header names it), or a
    member here signed in to the pages (`person`: seen as themselves, not as a server)."""

    actor: str | None = None
    signer_host: str | None = None
    account_id: int | None = None  # a member of this node: the people they block are hidden
    hidden: frozenset[str] | None = None  # those people, when already read (None: read them)

    @classmethod
    def signed_by(cls, actor: str | None) -> Viewer:
        """The viewer a fetch signed by `actor` (None: not signed) shows."""
        return cls(actor, authority_of(actor)) if actor is not None else NOBODY

    @classmethod
    def member(cls, actor: str, account_id: int, hidden: frozenset[str] | None = None) -> Viewer:
        """A member of this node (their actor and account): they see what their own
        memberships open to them, less what people they block or mute wrote (`hidden`, as
        person_blocks.hidden_from reads it, when the caller has it already)."""
        return cls(actor, authority_of(actor), account_id, hidden)


NOBODY = Viewer()
LISTED = (Visibility.PUBLIC,)
LISTED_TO_MEMBERS = (Visibility.PUBLIC, Visibility.MEMBERS_ONLY)


def open_to_anyone(post: PostInfo) -> bool:
    """Whether anyone may see this post, whoever asks (a fetch of it needs no signature)."""
    return post.visibility in (Visibility.PUBLIC, Visibility.UNLISTED)


def visible_to(node: Node, viewer: Viewer) -> Visible:
    """The posts `viewer` may see: the one rule every path that serves a post asks, one post
    at a time or listed (Takahē's Post.objects.visible_to(identity))."""
    return Visible(node, viewer)


class Visible:
    """The posts one viewer may see. Public and unlisted posts: anyone. Members-only: a
    server with an accepted member of the group (as Lemmy lets servers with a follower read a
    private community); for a post a member here wrote in a group elsewhere, that group's own
    server. Direct: no one (the group's moderators read them through the moderation tools).
    A group's listings (outbox, featured, pages) show its public posts, and a members-only
    group's members-only posts too, to its members' servers only; unlisted posts are found
    by their id alone. A member of this node sees members-only posts of the groups they
    belong to, and never what a person they block or mute wrote under their own name (a
    post written anonymously stays shown: hiding it would tell who wrote it)."""

    def __init__(self, node: Node, viewer: Viewer) -> None:
        self.node = node
        self.viewer = viewer
        self._member_server: dict[int, bool] = {}
        self._hidden: frozenset[str] | None = viewer.hidden

    async def sees(self, post: PostInfo) -> bool:
        if post.held:
            return False
        if not post.anonymous and post.author_uri in await self.hidden():
            return False
        if open_to_anyone(post):
            return True
        if post.visibility != Visibility.MEMBERS_ONLY:
            return False
        if post.group_id is not None:
            return await self._has_member(post.group_id)
        if self.viewer.account_id is not None:
            return await self._member_elsewhere(post.group_uri)
        group_host = urlsplit(post.group_uri or "").netloc.lower()
        return bool(group_host) and group_host == self.viewer.signer_host

    async def hidden(self) -> frozenset[str]:
        """The people whose posts this viewer is not shown: those a member blocks or mutes
        (node.members.person_blocks), read once."""
        if self.viewer.account_id is None:
            return frozenset()
        if self._hidden is None:
            self._hidden = await hidden_from(self.node, self.viewer.account_id)
        return self._hidden

    async def listed_in(self, group: GroupInfo) -> tuple[Visibility, ...]:
        """Which of a group's posts its listings show this viewer: the same rule as `sees`,
        asked once for the whole group."""
        if not group.members_only:
            return LISTED
        return LISTED_TO_MEMBERS if await self._has_member(group.id) else ()

    async def _has_member(self, group_id: int) -> bool:
        """Whether the viewer's server has an accepted member of a group here, or for a
        member of this node, whether they are one (asked once)."""
        host, actor = self.viewer.signer_host, self.viewer.actor
        if host is None or actor is None:
            return False
        if group_id not in self._member_server:
            async with self.node.store.session() as session:
                if self.viewer.account_id is not None:
                    found = await is_member(session, group_id, actor)
                else:
                    found = await has_member_on(session, group_id, host)
            self._member_server[group_id] = found
        return self._member_server[group_id]

    async def _member_elsewhere(self, group_uri: str | None) -> bool:
        """Whether the member viewing belongs to this group elsewhere."""
        if group_uri is None or self.viewer.account_id is None:
            return False
        async with self.node.store.session() as session:
            return group_uri in await groups_elsewhere(session, self.viewer.account_id)

    async def featured(self, group: GroupInfo) -> list[PostInfo]:
        """The group's pinned posts this viewer may see, most recently pinned first."""
        shown = await self.listed_in(group)
        async with self.node.store.session() as session:
            return await featured_posts(session, group.id, shown, await self.hidden())

    async def threads(self, group: GroupInfo, limit: int = 20, skip: int = 0) -> list[PostInfo]:
        """The group's newest top-level posts this viewer may see, for its page."""
        shown = await self.listed_in(group)
        async with self.node.store.session() as session:
            return await recent_threads(session, group.id, shown, await self.hidden(), limit, skip)

    async def feed(self, limit: int = 50) -> list[PostInfo]:
        """For a member of this node: posts and replies of the groups they belong to, here
        and elsewhere, newest first (nobody else has a feed here)."""
        if self.viewer.account_id is None:
            return []
        async with self.node.store.session() as session:
            return await member_feed(session, self.viewer.account_id, await self.hidden(), limit)


async def served_post(node: Node, uri: str) -> PostInfo:
    """A post at its id here, as it is served (a removed or deleted one too, for its
    Tombstone): NotFound for a direct post or one in no group."""
    async with node.store.session() as session:
        found = await post_at(session, uri)
    if found is None or found.visibility == Visibility.DIRECT or found.group_uri is None:
        raise NotFound("no such post")
    return info_of(found)


async def post_at(session: AsyncSession, uri: str) -> Post | None:
    return (await session.exec(select(Post).where(Post.uri == uri))).first()


def _shown(group_id: int, visibilities: tuple[Visibility, ...]) -> tuple[Any, ...]:
    return (
        Post.group_id == group_id,
        Post.state == PostState.LIVE,
        col(Post.visibility).in_(visibilities),
    )


def _not_by(hidden: Collection[str]) -> Any:
    """Leaves out what these people wrote under their own name (the rule `sees` applies)."""
    if not hidden:
        return sa.true()
    return col(Post.anonymous) | col(Post.author_uri).not_in(sorted(hidden))


async def featured_posts(
    session: AsyncSession,
    group_id: int,
    visibilities: tuple[Visibility, ...],
    hidden: Collection[str] = (),
) -> list[PostInfo]:
    """Pinned posts of a group, most recently pinned first."""
    found = await session.exec(
        select(Post)
        .where(*_shown(group_id, visibilities), col(Post.pinned_at).is_not(None), _not_by(hidden))
        .order_by(col(Post.pinned_at).desc())
    )
    return [info_of(p) for p in found.all()]


async def recent_threads(
    session: AsyncSession,
    group_id: int,
    visibilities: tuple[Visibility, ...],
    hidden: Collection[str] = (),
    limit: int = 20,
    skip: int = 0,
) -> list[PostInfo]:
    """The newest top-level posts of a group, for its page (`skip` the newest so many)."""
    found = await session.exec(
        select(Post)
        .where(
            *_shown(group_id, visibilities), col(Post.in_reply_to_uri).is_(None), _not_by(hidden)
        )
        .order_by(col(Post.published).desc(), col(Post.id).desc())
        .offset(skip)
        .limit(limit)
    )
    return [info_of(p) for p in found.all()]


async def member_feed(
    session: AsyncSession, account_id: int, hidden: Collection[str], limit: int
) -> list[PostInfo]:
    """Posts of the groups a member belongs to (accepted, here or elsewhere), newest first."""
    elsewhere = accepted_groups_elsewhere(account_id)
    here = accepted_groups_here(account_id)
    found = await session.exec(
        select(Post)
        .where(
            col(Post.group_uri).in_(elsewhere) | col(Post.group_id).in_(here),
            Post.state == PostState.LIVE,
            col(Post.visibility).in_(LISTED_TO_MEMBERS),
            _not_by(hidden),
        )
        .order_by(col(Post.published).desc())
        .limit(limit)
    )
    return [info_of(p) for p in found.all()]


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
    post.content_warning = content_warning_of(obj)
    if obj.updated is not None:
        post.updated_at = obj.updated


def checked_warning(text: str | None) -> str | None:
    """A content warning a member writes: None when blank; Invalid when too long."""
    warning = (text or "").strip()
    if len(warning) > MAX_CONTENT_WARNING:
        raise Invalid("a content warning is at most {limit} characters", limit=MAX_CONTENT_WARNING)
    return warning or None


def content_warning_of(obj: WireObject) -> str | None:
    """A post's content warning as plain text: a Note's `summary` (Mastodon's), and a thread's
    only when it is marked sensitive (elsewhere an article's summary is its excerpt)."""
    if not obj.summary or (obj.type != "Note" and not obj.sensitive):
        return None
    return html_to_plain(obj.summary)[:MAX_CONTENT_WARNING].strip() or None


@dataclass(frozen=True, slots=True)
class Draft:
    """What a member here writes: a new post, or the new words of one they wrote."""

    post_id: str
    text: str
    published: datetime
    title: str | None = None
    in_reply_to: str | None = None
    updated: datetime | None = None
    content_warning: str | None = None


def note_of(
    urls: Urls,
    author: str,
    group_uri: str,
    draft: Draft,
    members_only: bool,
    mentioned: str | None = None,
) -> dict[str, Any]:
    """The Note of a post written here. `author` is the member, or the group itself for an
    anonymous post. Addressed to the group and its followers (its members) when the group
    keeps its posts to its members or speaks itself; a member's public post copies the
    member's followers too, as Mastodon and Lemmy address posts. The member's followers are
    never named on a post the group speaks: that would name the member on every delivery."""
    followers = urls.followers(group_uri if members_only or author == group_uri else author)
    return builders.note(
        draft.post_id,
        author,
        group_uri,
        plain_to_html(draft.text),
        iso8601(draft.published),
        name=draft.title,
        in_reply_to=draft.in_reply_to,
        updated=iso8601(draft.updated) if draft.updated else None,
        public=not members_only,
        followers=followers,
        mentioned=mentioned,
        content_warning=draft.content_warning,
    )


# A post's state: the one place it changes (the moments say when) -----------------------------


def mark_removed(post: Post, now: datetime, reason: str | None) -> None:
    """Removed by a moderator (or with a ban or a suspension): hidden from all but moderators
    until restored. A post its author deleted stays deleted."""
    post.removed_at, post.removal_reason = now, reason
    if post.state in (PostState.LIVE, PostState.HELD):
        advance(post, PostState.REMOVED)


def mark_restored(post: Post) -> None:
    post.removed_at, post.removal_reason = None, None
    if post.state == PostState.REMOVED:
        advance(post, PostState.LIVE)


def mark_deleted(post: Post, now: datetime) -> None:
    """Deleted by its author, or purged: for good."""
    post.deleted_at = post.deleted_at or now
    advance(post, PostState.DELETED)
