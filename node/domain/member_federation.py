"""Local members in groups anywhere: joining, posting, replying, liking, editing and deleting
(sent to the group, which relays), and reading what groups they belong to announce."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select

from federation import builders
from federation.client import FederationClient, FetchError, same_host
from federation.errors import Invalid, NotFound, Refused
from federation.vocabulary import iso8601
from federation.wire import Activity, WireObject, read_document
from node.domain import group_federation, remote_moderation
from node.domain.accounts import AccountInfo
from node.domain.bans import ban_in_force, ban_refusal, thread_locked
from node.domain.delivery import queue
from node.domain.groups import GroupInfo
from node.domain.posts import keeps_media, take_content
from node.domain.remote_actors import remote_actor, resolve_handle
from node.domain.rules import current_rules
from node.runtime import Node
from node.store.states import MembershipState, PostKind, Visibility, check_transition
from node.store.tables import Membership, Post, RemoteMembership
from node.text import plain_to_html

log = logging.getLogger(__name__)


async def join(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    handle: str,
    *,
    accept_rules: bool = False,
) -> str:
    """Follow a group (here or elsewhere) as a member; returns the membership state. A group
    here with rules is joined by accepting them."""
    person = node.urls.person(account.username)
    local = await group_federation.group_at(node, handle) or await _local_by_handle(node, handle)
    if local is not None:
        return await _join_local(node, local, account, accept_rules)
    await _require_federates(node, handle)
    group = await resolve_handle(node, client, handle)
    if group.type != "Group":
        raise Invalid(f"{handle} is a {group.type}, not a group")
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
                check_transition(row.state, MembershipState.PENDING)
                row.state = MembershipState.PENDING
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
        raise Refused(f"{host} is not federated with by this node ({decision.why})")


async def _local_by_handle(node: Node, handle: str) -> GroupInfo | None:
    """A group of this node named by `name`, `@name` or `@name@this-host`."""
    if "://" in handle:
        return None
    name, _, host = handle.lstrip("@").partition("@")
    if host and host.lower() != node.urls.domain:
        return None
    group = await group_federation.group_at(node, node.urls.group(name))
    if group is None and not host:
        raise NotFound(
            f"no group named {name!r} on this node (a group elsewhere is @name@host or its URL)"
        )
    return group


async def _join_local(
    node: Node, group: GroupInfo, account: AccountInfo, accept_rules: bool
) -> str:
    async with node.store.transaction() as session:
        current = await current_rules(session, group.id)
        if current is not None and current.rules and not accept_rules:
            raise Refused(
                f"{group.name} has rules (version {current.version}): read them and accept"
                " them to join"
            )
        membership = await group_federation.ask_to_join(
            session,
            group,
            node.urls.person(account.username),
            node.clock(),
            account_id=account.id,
        )
        if current is not None:
            membership.rules_accepted = current.version
        return membership.state.value


async def _group_of(
    node: Node, client: FederationClient, group_uri: str
) -> tuple[GroupInfo | None, str]:
    """A group by URI: (local group, its inbox) or (None, the remote group's inbox)."""
    local = await group_federation.group_at(node, group_uri)
    if local is not None:
        return local, node.urls.inbox(group_uri)
    group = await remote_actor(node, client, group_uri)
    return None, group.inbox


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
) -> str:
    """Post (or reply) into a group as a member; returns the post's id. An anonymous post
    (groups of this node only) shows the group as its author."""
    if not text.strip():
        raise Invalid("a post needs some text")
    author = node.urls.person(account.username)
    local_group, inbox = await _group_of(node, client, group_uri)
    if local_group is None:
        await _check_remote_group(node, group_uri, author, in_reply_to)
    post_id = node.urls.post(node.token())
    now = node.clock()
    public = local_group is None or not local_group.members_only
    note = builders.note(
        post_id,
        author,
        group_uri,
        plain_to_html(text),
        iso8601(now),
        name=title.strip() if title else None,
        in_reply_to=in_reply_to,
        public=public,
        followers=node.urls.followers(author),
    )
    if anonymous:
        if local_group is None:
            raise Invalid("anonymous posts are possible in groups of this node only")
        await group_federation.publish_anonymously(
            node, client, local_group, author, account.id, note
        )
        return post_id
    activity = builders.create(node.urls.activity(node.token()), author, note)
    await _store_own(node, account, group_uri, note, now, public)
    await _send(node, client, account, local_group, inbox, activity)
    return post_id


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
    node: Node, account: AccountInfo, group_uri: str, note: dict[str, Any], now: Any, public: bool
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
                visibility=Visibility.PUBLIC if public else Visibility.MEMBERS_ONLY,
                local=True,
                published=now,
                created_at=now,
            )
        )


async def _send(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    local_group: GroupInfo | None,
    inbox: str,
    activity: dict[str, Any],
) -> None:
    """To a group elsewhere: queued for delivery. To a group here: applied directly."""
    if local_group is None:
        async with node.store.transaction() as session:
            await queue(
                session, account.actor_id, activity, Visibility.PUBLIC, [inbox], node.clock()
            )
        return
    async with node.store.transaction() as session:
        await queue(session, account.actor_id, activity, Visibility.PUBLIC, [], node.clock())
    read = read_document(activity)
    assert isinstance(read, Activity)
    if read.type == "Create" and isinstance(read.object, WireObject):
        await group_federation.receive_post(node, client, read, read.object)
    else:
        await group_federation.receive_change(node, client, read, read.object_id)


async def _own_post(node: Node, account: AccountInfo, post_uri: str) -> Post:
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == post_uri))).first()
    if post is None or post.deleted_at is not None:
        raise NotFound(f"no post {post_uri}")
    if post.author_uri != node.urls.person(account.username):
        raise Refused("only the author may change a post")
    if post.group_uri is None:
        raise Invalid("that post is in no group")
    return post


async def edit(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    post_uri: str,
    text: str,
    *,
    title: str | None = None,
) -> None:
    post = await _own_post(node, account, post_uri)
    assert post.group_uri is not None
    now = node.clock()
    author = node.urls.person(account.username)
    note = builders.note(
        post.uri,
        author,
        post.group_uri,
        plain_to_html(text),
        iso8601(post.published),
        name=title or post.title,
        in_reply_to=post.in_reply_to_uri,
        updated=iso8601(now),
        public=post.visibility == Visibility.PUBLIC,
        followers=node.urls.followers(author),
    )
    async with node.store.transaction() as session:
        row = await session.get(Post, post.id)
        assert row is not None
        row.content_html, row.title, row.updated_at = note["content"], note.get("name"), now
    local_group, inbox = await _group_of(node, client, post.group_uri)
    await _send(
        node,
        client,
        account,
        local_group,
        inbox,
        builders.update(node.urls.activity(node.token()), author, note),
    )


async def delete(node: Node, client: FederationClient, account: AccountInfo, post_uri: str) -> None:
    post = await _own_post(node, account, post_uri)
    assert post.group_uri is not None
    author = node.urls.person(account.username)
    local_group, inbox = await _group_of(node, client, post.group_uri)
    activity = builders.delete(node.urls.activity(node.token()), author, post.uri, post.group_uri)
    if local_group is None:
        async with node.store.transaction() as session:
            row = await session.get(Post, post.id)
            assert row is not None
            row.deleted_at = node.clock()
    await _send(node, client, account, local_group, inbox, activity)


async def like(node: Node, client: FederationClient, account: AccountInfo, post_uri: str) -> None:
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == post_uri))).first()
    if post is None or post.group_uri is None:
        raise NotFound(f"no post {post_uri} in a group")
    author = node.urls.person(account.username)
    local_group, inbox = await _group_of(node, client, post.group_uri)
    await _send(
        node,
        client,
        account,
        local_group,
        inbox,
        builders.like(node.urls.activity(node.token()), author, post.uri, post.group_uri),
    )


# Inbound, for members -------------------------------------------------------------------------


async def receive_answer(node: Node, activity: Activity, accepted: bool) -> None:
    """Accept or Reject{Follow} from a group a member asked to join."""
    follow_id = activity.object_id
    async with node.store.transaction() as session:
        row = (
            await session.exec(
                select(RemoteMembership).where(
                    RemoteMembership.follow_uri == follow_id,
                    RemoteMembership.group_uri == activity.actor,
                )
            )
        ).first()
        if row is None:
            return
        target = MembershipState.ACCEPTED if accepted else MembershipState.REJECTED
        if row.state != target:
            check_transition(row.state, target)
            row.state, row.updated_at = target, node.clock()
    log.info("event=membership_answered group=%s accepted=%s", activity.actor, accepted)


async def receive_announce(node: Node, client: FederationClient, activity: Activity) -> None:
    """A group that members of this node belong to shares a post, an edit or a deletion."""
    group_uri = activity.actor
    async with node.store.session() as session:
        followed = (
            await session.exec(
                select(RemoteMembership.id).where(
                    RemoteMembership.group_uri == group_uri,
                    RemoteMembership.state == MembershipState.ACCEPTED,
                )
            )
        ).first()
    if followed is None:
        return  # no one here follows that group
    inner = activity.object
    if isinstance(inner, str):
        # Mastodon-style boost by id: fetch the post from its own server.
        inner = await _from_origin(node, client, inner)
    if isinstance(inner, WireObject):
        await _keep(node, group_uri, inner)
    elif isinstance(inner, Activity):
        await _apply_shared(node, client, group_uri, inner)


async def _apply_shared(
    node: Node, client: FederationClient, group_uri: str, inner: Activity
) -> None:
    """Apply an activity a group shares. The group only vouches for its own server: what
    someone on another server wrote is checked at that server (FEP-1b12 leaves trust in the
    wrapped activity to the receiver; Lemmy fetches it from its origin too)."""
    obj = inner.object
    if inner.type in ("Create", "Update") and isinstance(obj, WireObject):
        if obj.attributed_to != inner.actor or not same_host(obj.id, inner.actor):
            raise Refused("the shared post's author is not the actor who made it")
        if not same_host(obj.id, group_uri):
            obj = await _from_origin(node, client, obj.id)
            if obj.attributed_to != inner.actor:
                raise Refused("the post at its origin names another author")
        await _keep(node, group_uri, obj)
    elif inner.type == "Delete":
        async with node.store.session() as session:
            post = (await session.exec(select(Post).where(Post.uri == inner.object_id))).first()
        if post is not None and post.group_uri != group_uri:
            return
        # A moderator's removal is a Delete with a summary (Lemmy: an empty one when no reason
        # is given). From anyone but the author it is nothing else; a moderator removing their
        # own post (or the group an anonymous one) sends it too, and Undo must restore it.
        if post is not None and (
            inner.actor != post.author_uri
            or (
                inner.summary is not None
                and await remote_moderation.is_moderator(node, client, group_uri, inner.actor)
            )
        ):
            await remote_moderation.apply(node, client, group_uri, inner)
            return
        author = post.author_uri if post is not None else inner.actor
        if not same_host(inner.actor, group_uri) and await _still_there(
            node, client, inner.object_id
        ):
            raise Refused("the post is still there at its origin")
        await _mark_deleted(node, group_uri, inner.object_id, author)
    elif inner.type in remote_moderation.MODERATION_TYPES or (
        inner.type == "Undo"
        and isinstance(inner.object, Activity)
        and inner.object.type in ("Delete", "Lock", "Block")
    ):
        await remote_moderation.apply(node, client, group_uri, inner)


async def _mark_deleted(node: Node, group_uri: str, object_id: str, author: str) -> None:
    """Mark a post deleted; one not seen yet is kept as a deleted placeholder, so that its
    Create arriving late (deliveries can be retried out of order) cannot bring it back."""
    now = node.clock()
    async with node.store.transaction() as session:
        row = (await session.exec(select(Post).where(Post.uri == object_id))).first()
        if row is None:
            row = Post(
                uri=object_id,
                group_uri=group_uri,
                author_uri=author,
                kind=PostKind.NOTE,
                content_html="",
                visibility=Visibility.PUBLIC,
                local=False,
                published=now,
                created_at=now,
            )
            session.add(row)
        row.deleted_at = row.deleted_at or now


async def _from_origin(node: Node, client: FederationClient, object_id: str) -> WireObject:
    from node.domain.keys import instance_signer

    fetched = await client.get_json(object_id, await instance_signer(node))
    read = read_document(fetched.document)
    if not isinstance(read, WireObject):
        raise Invalid(f"{object_id} is not a post")
    return read


async def _still_there(node: Node, client: FederationClient, object_id: str) -> bool:
    try:
        read = await _from_origin(node, client, object_id)
    except FetchError as e:
        return e.http_status not in (404, 410)
    return read.type != "Tombstone"


async def _keep(node: Node, group_uri: str, obj: WireObject) -> None:
    """Store (or update) a post of a remote group, for the members here to read."""
    if obj.id.startswith(node.urls.base + "/"):
        return  # our own member's post, kept already
    now = node.clock()
    keep_media = await keeps_media(node, obj.id)
    async with node.store.transaction() as session:
        post = (await session.exec(select(Post).where(Post.uri == obj.id))).first()
        if post is None:
            post = Post(
                uri=obj.id,
                author_uri=obj.attributed_to or group_uri,
                kind=PostKind.NOTE,
                content_html="",
                visibility=Visibility.PUBLIC,
                local=False,
                published=obj.published or now,
                created_at=now,
            )
            session.add(post)
        post.group_uri = group_uri
        take_content(post, obj, keep_media=keep_media)


async def feed(node: Node, account: AccountInfo, limit: int = 50) -> list[Post]:
    """Posts of the groups a member belongs to, newest first."""
    async with node.store.session() as session:
        remote = select(RemoteMembership.group_uri).where(
            RemoteMembership.account_id == account.id,
            RemoteMembership.state == MembershipState.ACCEPTED,
        )
        here = select(Membership.group_id).where(
            Membership.account_id == account.id, Membership.state == MembershipState.ACCEPTED
        )
        rows = await session.exec(
            select(Post)
            .where(
                col(Post.group_uri).in_(remote) | col(Post.group_id).in_(here),
                col(Post.deleted_at).is_(None),
                col(Post.removed_at).is_(None),
                col(Post.visibility).in_((Visibility.PUBLIC, Visibility.MEMBERS_ONLY)),
            )
            .order_by(col(Post.published).desc())
            .limit(limit)
        )
        return list(rows.all())
