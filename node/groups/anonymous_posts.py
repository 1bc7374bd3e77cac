"""Anonymous posts in a group of this node: written by a member, shown to everyone as the
group's own. Their Note, Create, Update and Delete name only the group (author, actor,
addressing, signature); the real author is kept on our row for the group's moderators."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from federation import builders
from federation.client import FederationClient
from federation.errors import NotFound, Refused
from moderation.crisis.levels import Level
from moderation.crisis.reading import read_text
from node.actors import integrity
from node.crisis.assessments import respond
from node.groups import admission, announcing
from node.groups.groups import GroupInfo, get_group_by_id
from node.groups.posts import Draft, mark_deleted, note_of, post_at
from node.members.accounts import AccountInfo
from node.moderators.roles import Acting, require_group_moderator
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import PostKind, PostState, Visibility
from node.store.tables import Post

log = logging.getLogger(__name__)


async def publish(
    node: Node,
    client: FederationClient,
    group: GroupInfo,
    account: AccountInfo,
    text: str,
    *,
    title: str | None,
    in_reply_to: str | None,
    content_warning: str | None = None,
) -> str:
    """Post as the group, in a group that takes anonymous posts; replies thread as usual
    (inReplyTo names the post's id). Returns the post's id."""
    if not group.anonymous_posts:
        raise Refused(
            "{group} does not take anonymous posts: its owner turned them off."
            " You can post under your own name",
            group=group.title,
        )
    author = node.urls.person(account.username)
    await admission.may_post(node, group, author, bool(in_reply_to), in_reply_to)
    words = "\n".join(p for p in (content_warning, title, text) if p)
    assessment = read_text(words, None, node.config.crisis.second_stage)
    held = assessment.level == Level.ACUTE and await admission.holds_acute(node, group)
    now = node.clock()
    draft = Draft(
        node.urls.post(node.token()), text, now, title, in_reply_to, None, content_warning
    )
    post = await group_post(
        node, client, group, draft, author=author, account_id=account.id, held=held
    )
    await respond(node, client, group, post, assessment)
    return post.uri


async def group_post(
    node: Node,
    client: FederationClient,
    group: GroupInfo,
    draft: Draft,
    *,
    author: str,
    account_id: int | None,
    held: bool = False,
) -> Post:
    """The group speaks: its Note, its signed Create in its own outbox, our row (with the
    real author: a member, for an anonymous post, or the group itself), and, unless held,
    its Announce to its followers."""
    group_uri = node.urls.group(group.name)
    note = note_of(node.urls, group_uri, group_uri, draft, group.members_only)
    activity = await integrity.signed(
        node, group.actor_id, builders.create(node.urls.activity(node.token()), group_uri, note)
    )
    post = Post(
        uri=note["id"],
        group_id=group.id,
        group_uri=group_uri,
        author_uri=author,
        account_id=account_id,
        in_reply_to_uri=draft.in_reply_to,
        kind=PostKind.PAGE if note["type"] == "Page" else PostKind.NOTE,
        title=note.get("name"),
        content_html=note["content"],
        sensitive=draft.content_warning is not None,
        content_warning=draft.content_warning,
        visibility=Visibility.MEMBERS_ONLY if group.members_only else Visibility.PUBLIC,
        anonymous=author != group_uri,
        local=True,
        published=draft.published,
        created_at=draft.published,
        state=PostState.HELD if held else PostState.LIVE,
    )
    async with node.store.transaction() as session:
        session.add(post)
        # In the group's outbox, not the member's: the Announce below carries it.
        await queue(session, group.actor_id, activity, Visibility.DIRECT, [], draft.published)
        await session.flush()
        session.expunge(post)
    if not held:
        await announcing.announce(node, client, group, activity, post)
    return post


async def edit(
    node: Node,
    client: FederationClient,
    group: GroupInfo,
    post: Post,
    text: str,
    *,
    title: str | None,
    content_warning: str | None,
) -> None:
    """The author's edit, sent as the group's Update of its own post."""
    now = node.clock()
    group_uri = node.urls.group(group.name)
    title = title or post.title
    draft = Draft(post.uri, text, post.published, title, post.in_reply_to_uri, now, content_warning)
    note = note_of(node.urls, group_uri, group_uri, draft, group.members_only)
    update = await integrity.signed(
        node, group.actor_id, builders.update(node.urls.activity(node.token()), group_uri, note)
    )
    async with node.store.transaction() as session:
        row = await session.get(Post, post.id)
        assert row is not None
        row.content_html, row.title, row.updated_at = note["content"], note.get("name"), now
        row.content_warning, row.sensitive = content_warning, content_warning is not None
        await queue(session, group.actor_id, update, Visibility.DIRECT, [], now)
    await announcing.announce(node, client, group, update, None)


async def delete(node: Node, client: FederationClient, group: GroupInfo, post: Post) -> None:
    """The author's deletion, sent as the group's Delete of its own post."""
    now = node.clock()
    group_uri = node.urls.group(group.name)
    delete = await integrity.signed(
        node,
        group.actor_id,
        builders.delete(node.urls.activity(node.token()), group_uri, post.uri, group_uri),
    )
    async with node.store.transaction() as session:
        row = await session.get(Post, post.id)
        assert row is not None
        mark_deleted(row, now)
        await queue(session, group.actor_id, delete, Visibility.DIRECT, [], now)
    await announcing.announce(node, client, group, delete, None)
    await announcing.undo_boosts(node, client, group, post.uri)


@dataclass(frozen=True, slots=True)
class Authorship:
    post: str
    author: str
    anonymous: bool

    def as_json(self) -> dict[str, Any]:
        return {"post": self.post, "author": self.author, "anonymous": self.anonymous}


async def author_of(node: Node, acting: Acting, post_uri: str) -> Authorship:
    """Who really wrote a post in a group here, anonymous posts included: for the group's
    moderators and the node's staff only (everyone else sees the group as the author)."""
    async with node.store.session() as session:
        post = await post_at(session, post_uri)
        if post is None or post.group_id is None:
            raise NotFound("no post {post_uri} in a group of this node", post_uri=post_uri)
        group = await get_group_by_id(session, post.group_id)
        await require_group_moderator(session, acting, group)
    log.info("event=author_shown post=%s by=%s", post_uri, acting.uri)
    return Authorship(post_uri, post.author_uri, post.anonymous)
