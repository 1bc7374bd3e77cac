"""Local members in groups anywhere: joining, posting, replying, liking, editing and deleting
(sent to the group, which relays), and reading what groups they belong to announce."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import select

from federation import builders
from federation.client import FederationClient
from federation.credentials import marked_professional_note
from federation.errors import FetchError, Invalid, NotFound, Refused
from federation.readers import read_document
from federation.vocabulary import cove_context
from federation.wire import Activity, WireObject
from node.actors import integrity
from node.actors.remote import remote_actor, resolve_handle
from node.groups import anonymous_posts, groups, membership
from node.groups.groups import GroupInfo
from node.groups.posts import (
    Draft,
    PostInfo,
    Viewer,
    checked_warning,
    mark_deleted,
    note_of,
    post_at,
    visible_to,
)
from node.groups.rules import current_rules, require_read
from node.inbound import posts as inbound_posts
from node.members import person_blocks
from node.members.accounts import AccountInfo
from node.moderators.bans import ban_in_force, ban_refusal, thread_locked
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import MembershipState, PostKind, PostState, Visibility, advance
from node.store.tables import Post, RemoteActor, RemoteMembership

log = logging.getLogger(__name__)


async def join(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    handle: str,
    *,
    accept_rules: bool = False,
    rules_version: int | None = None,
) -> str:
    """Follow a group (here or elsewhere) as a member; returns the membership state. A group
    here with rules is joined by accepting them: the version read, when said, must be the
    one in force (rules.require_read)."""
    person = node.urls.person(account.username)
    local = await groups.group_at(node, handle) or await _local_by_handle(node, handle)
    if local is not None:
        return await _join_local(node, local, account, accept_rules, rules_version)
    await _require_federates(node, handle)
    group = await resolve_handle(node, client, handle)
    if group.type != "Group":
        raise Invalid("{handle} is a {type}, not a group", handle=handle, type=group.type)
    follow_id = node.urls.activity(node.token())
    now = node.clock()
    async with node.store.transaction() as session:
        row = (
            await session.exec(
                select(RemoteMembership).where(
                    RemoteMembership.account_id == account.id,
                    RemoteMembership.group_uri == group.uri,
                )
            )
        ).first()
        if row is None:
            row = RemoteMembership(
                account_id=account.id,
                group_uri=group.uri,
                remote_actor_id=group.id or 0,
                state=MembershipState.PENDING,
                follow_uri=follow_id,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
        elif row.state == MembershipState.ACCEPTED:
            return row.state.value
        else:
            if row.state != MembershipState.PENDING:
                advance(row, MembershipState.PENDING)
            row.follow_uri, row.updated_at = follow_id, now
        await queue(
            session,
            account.actor_id,
            builders.follow(follow_id, person, group.uri),
            Visibility.DIRECT,
            [group.inbox],
            now,
        )
    return MembershipState.PENDING.value


async def _require_federates(node: Node, handle: str) -> None:
    """Refused, with the reason, for a group on a server the domain policy cuts off."""
    host = urlsplit(handle).netloc if "://" in handle else handle.lstrip("@").partition("@")[2]
    decision = await node.policy.decide(host, node.clock())
    if decision.suspended:
        raise Refused(
            "{host} is not federated with by this node ({why})", host=host, why=decision.why
        )


async def _local_by_handle(node: Node, handle: str) -> GroupInfo | None:
    """A group of this node named by `name`, `@name` or `@name@this-host`."""
    if "://" in handle:
        return None
    name, _, host = handle.lstrip("@").partition("@")
    if host and host.lower() != node.urls.domain:
        return None
    group = await groups.group_at(node, node.urls.group(name))
    if group is None and not host:
        raise NotFound(
            "no group named {name!r} on this node (a group elsewhere is @name@host or its URL)",
            name=name,
        )
    return group


async def _join_local(
    node: Node, group: GroupInfo, account: AccountInfo, accept_rules: bool, version: int | None
) -> str:
    async with node.store.transaction() as session:
        current = await current_rules(session, group.id)
        if current is not None and current.rules and not accept_rules:
            raise Refused(
                "{group} has rules (version {version}): read them and accept them to join",
                group=group.name,
                version=current.version,
            )
        if current is not None and accept_rules:
            require_read(group, current, version)
        joined = await membership.ask_to_join(
            session,
            group,
            node.urls.person(account.username),
            node.clock(),
            account_id=account.id,
        )
        if current is not None:
            joined.rules_accepted = current.version
        return joined.state.value


@dataclass(frozen=True, slots=True)
class Destination:
    """Where a member's activity about a group goes: the group here (applied directly), or
    the inbox of the group elsewhere; and whether the group keeps its posts to its members."""

    group_uri: str
    local: GroupInfo | None
    inbox: str
    members_only: bool

    @property
    def visibility(self) -> Visibility:
        return Visibility.MEMBERS_ONLY if self.members_only else Visibility.PUBLIC


async def _destination(node: Node, client: FederationClient, group_uri: str) -> Destination:
    local = await groups.group_at(node, group_uri)
    if local is not None:
        return Destination(group_uri, local, node.urls.inbox(group_uri), local.members_only)
    group = await remote_actor(node, client, group_uri)
    # A Cove group says so in its actor (Cove's vocabulary); what it says is kept private.
    members_only = group.document.get("membersOnly") is True
    return Destination(group_uri, None, group.inbox, members_only)


async def publish(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    group_uri: str,
    text: str,
    *,
    title: str | None = None,
    in_reply_to: str | None = None,
    anonymous: bool = False,
    professional_note: bool = False,
    content_warning: str | None = None,
) -> str:
    """Post (or reply) into a group as a member; returns the post's id. An anonymous post
    (groups of this node only) shows the group as its author. A professional's note (the
    caller checked their credential: node.crisis.notes) is a reply marked as one."""
    if not text.strip():
        raise Invalid("a post needs some text")
    if professional_note and (anonymous or in_reply_to is None):
        raise Invalid("a professional's note is a reply under the professional's own name")
    title = title.strip() if title else None
    warning = checked_warning(content_warning)
    author = node.urls.person(account.username)
    to = await _destination(node, client, group_uri)
    if anonymous:
        if to.local is None:
            raise Invalid("anonymous posts are possible in groups of this node only")
        return await anonymous_posts.publish(
            node,
            client,
            to.local,
            account,
            text,
            title=title,
            in_reply_to=in_reply_to,
            content_warning=warning,
        )
    if to.local is None:
        await _check_remote_group(node, group_uri, author, in_reply_to)
    now = node.clock()
    draft = Draft(node.urls.post(node.token()), text, now, title, in_reply_to, None, warning)
    told = await _told_directly(node, client, account, await _author_of(node, in_reply_to), to)
    note = note_of(node.urls, author, group_uri, draft, to.members_only, _uri(told))
    activity = builders.create(node.urls.activity(node.token()), author, note)
    if professional_note:
        activity = marked_professional_note(activity, cove_context(node.urls.vocabulary()))
    await _store_own(node, account, group_uri, activity["object"], now, to.visibility)
    await _send(node, client, account, to, activity, to.visibility, told)
    return str(note["id"])


async def _check_remote_group(
    node: Node, group_uri: str, author: str, in_reply_to: str | None
) -> None:
    """A group elsewhere banned this member, or locked the thread (its Lock reached us): say
    so here rather than send what it refuses."""
    async with node.store.session() as session:
        ban = await ban_in_force(session, group_uri, author, node.clock())
        locked = await thread_locked(session, in_reply_to)
    if ban is not None:
        raise ban_refusal(ban, group_uri)
    if locked:
        raise Refused("the thread is locked: no new replies")


async def _store_own(
    node: Node,
    account: AccountInfo,
    group_uri: str,
    note: dict[str, Any],
    now: Any,
    visibility: Visibility,
) -> None:
    async with node.store.transaction() as session:
        session.add(
            Post(
                uri=note["id"],
                group_uri=group_uri,
                author_uri=note["attributedTo"],
                account_id=account.id,
                in_reply_to_uri=note.get("inReplyTo"),
                kind=PostKind.PAGE if note["type"] == "Page" else PostKind.NOTE,
                title=note.get("name"),
                content_html=note["content"],
                sensitive=note.get("sensitive") is True,
                content_warning=note.get("summary"),
                visibility=visibility,
                local=True,
                professional_note=note.get("professionalNote") is True,
                published=now,
                created_at=now,
            )
        )


async def _send(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    to: Destination,
    activity: dict[str, Any],
    visibility: Visibility,
    told: RemoteActor | None = None,
) -> None:
    """To a group elsewhere: queued for delivery. To a group here: applied directly. Either
    way it is in the member's outbox, shown there only as widely as the post it is about.
    The author elsewhere of what it answers or likes is sent it directly too."""
    inboxes = [to.inbox] if to.local is None else []
    if told is not None:
        inboxes.append(told.shared_inbox or told.inbox)
    # Signed by the member (FEP-8b32): the group relays it unchanged, and every server it
    # reaches can check who wrote it without asking this node (which may not tell them: a
    # members-only post is served to the group's server only).
    activity = await integrity.signed(node, account.actor_id, activity)
    async with node.store.transaction() as session:
        await queue(session, account.actor_id, activity, visibility, inboxes, node.clock())
    if to.local is None:
        return
    read = read_document(activity)
    assert isinstance(read, Activity)
    if read.type == "Create" and isinstance(read.object, WireObject):
        await inbound_posts.receive_post(node, client, read, read.object)
    else:
        await inbound_posts.receive_change(node, client, read, read.object_id)


async def _author_of(node: Node, post_uri: str | None) -> str | None:
    if post_uri is None:
        return None
    async with node.store.session() as session:
        post = await post_at(session, post_uri)
    return post.author_uri if post is not None else None


async def _told_directly(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    author_uri: str | None,
    to: Destination,
) -> RemoteActor | None:
    """The author elsewhere of a post a member answers or likes, told directly as Mastodon and
    Lemmy do (they may not follow the group). Never in a members-only group: its posts reach
    its members through the group, and no one else; never an author who blocks the member."""
    if author_uri is None or to.members_only or author_uri == to.group_uri:
        return None
    if author_uri.startswith(node.urls.base + "/"):
        return None  # someone here: they read it on this node
    if (await node.policy.decide_url(author_uri, node.clock())).suspended:
        return None
    async with node.store.session() as session:
        if await person_blocks.blocked_by(session, account.id, author_uri):
            return None
    try:
        return await remote_actor(node, client, author_uri)
    except FetchError as e:
        log.info("event=author_not_told author=%s reason=%s", author_uri, e.reason)
        return None


def _uri(actor: RemoteActor | None) -> str | None:
    return actor.uri if actor is not None else None


async def _own_post(node: Node, account: AccountInfo, post_uri: str) -> Post:
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == post_uri))).first()
    if post is None or post.state == PostState.DELETED:
        raise NotFound("no post {post_uri}", post_uri=post_uri)
    if post.author_uri != node.urls.person(account.username):
        raise Refused("only the author may change a post")
    if post.group_uri is None:
        raise Invalid("that post is in no group")
    return post


def _visibility(post: Post) -> Visibility:
    """How widely an activity about a post is shown in its author's outbox: as the post."""
    if post.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return post.visibility
    return (
        Visibility.MEMBERS_ONLY if post.visibility == Visibility.MEMBERS_ONLY else Visibility.DIRECT
    )


async def edit(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    post_uri: str,
    text: str,
    *,
    title: str | None = None,
    content_warning: str | None = None,
) -> None:
    """New words for a member's own post; its title and content warning stay unless given
    (an empty content warning takes it off)."""
    if not text.strip():
        raise Invalid("a post needs some text")
    post = await _own_post(node, account, post_uri)
    warning = post.content_warning if content_warning is None else checked_warning(content_warning)
    assert post.group_uri is not None
    to = await _destination(node, client, post.group_uri)
    if post.anonymous and to.local is not None:
        await anonymous_posts.edit(
            node, client, to.local, post, text, title=title, content_warning=warning
        )
        return
    now = node.clock()
    title = title or post.title
    draft = Draft(post.uri, text, post.published, title, post.in_reply_to_uri, now, warning)
    author = node.urls.person(account.username)
    told = await _told_directly(
        node, client, account, await _author_of(node, post.in_reply_to_uri), to
    )
    note = note_of(node.urls, author, post.group_uri, draft, to.members_only, _uri(told))
    async with node.store.transaction() as session:
        row = await session.get(Post, post.id)
        assert row is not None
        row.content_html, row.title, row.updated_at = note["content"], note.get("name"), now
        row.content_warning, row.sensitive = warning, warning is not None
    update = builders.update(node.urls.activity(node.token()), author, note)
    await _send(node, client, account, to, update, _visibility(post), told)


async def delete(node: Node, client: FederationClient, account: AccountInfo, post_uri: str) -> None:
    post = await _own_post(node, account, post_uri)
    assert post.group_uri is not None
    to = await _destination(node, client, post.group_uri)
    if post.anonymous and to.local is not None:
        await anonymous_posts.delete(node, client, to.local, post)
        return
    author = node.urls.person(account.username)
    activity = builders.delete(node.urls.activity(node.token()), author, post.uri, post.group_uri)
    told = await _told_directly(
        node, client, account, await _author_of(node, post.in_reply_to_uri), to
    )
    if to.local is None:
        async with node.store.transaction() as session:
            row = await session.get(Post, post.id)
            assert row is not None
            mark_deleted(row, node.clock())
    await _send(node, client, account, to, activity, _visibility(post), told)


async def like(node: Node, client: FederationClient, account: AccountInfo, post_uri: str) -> None:
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == post_uri))).first()
    if post is None or post.group_uri is None:
        raise NotFound("no post {post_uri} in a group", post_uri=post_uri)
    author = node.urls.person(account.username)
    to = await _destination(node, client, post.group_uri)
    told = await _told_directly(node, client, account, post.author_uri, to)
    like = builders.like(
        node.urls.activity(node.token()), author, post.uri, post.group_uri, _uri(told)
    )
    await _send(node, client, account, to, like, _visibility(post), told)


async def feed(node: Node, account: AccountInfo, limit: int = 50) -> list[PostInfo]:
    """Posts of the groups a member belongs to, newest first, as `visible_to` shows them to
    the member (less what people they block or mute wrote)."""
    viewer = Viewer.member(node.urls.person(account.username), account.id)
    return await visible_to(node, viewer).feed(limit)
