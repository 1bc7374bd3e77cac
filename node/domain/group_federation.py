"""What a group of this node does with activities from other servers (FEP-1b12): follows and
their approval, posts addressed to it, and the Announces it sends to its followers, shaped
for each follower's software."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import Invalid, NotFound, Refused
from federation.vocabulary import iso8601
from federation.wire import Activity, WireObject
from moderation.rules import as_plain_text
from node.domain.bans import check_not_banned, thread_locked
from node.domain.delivery import queue
from node.domain.groups import GroupInfo, get_group
from node.domain.posts import keeps_media, take_content
from node.domain.remote_actors import remote_actor, servers_software
from node.domain.rules import current_rules, must_accept
from node.runtime import Node
from node.store.states import (
    GroupRole,
    MembershipState,
    PostingPolicy,
    PostKind,
    Software,
    Visibility,
    check_transition,
)
from node.store.tables import Activity as ActivityRow
from node.store.tables import Membership, Post, RemoteActor
from node.text import plain_to_html

log = logging.getLogger(__name__)

MODERATING = (GroupRole.OWNER, GroupRole.MODERATOR)


def local_group_name(node: Node, uri: str) -> str | None:
    prefix = f"{node.urls.base}/g/"
    name = uri[len(prefix) :] if uri.startswith(prefix) else ""
    return name if name and "/" not in name else None


async def group_at(node: Node, uri: str) -> GroupInfo | None:
    name = local_group_name(node, uri)
    if name is None:
        return None
    async with node.store.session() as session:
        try:
            return await get_group(session, name)
        except NotFound:
            return None


# Follows ------------------------------------------------------------------------------------


async def receive_follow(node: Node, client: FederationClient, activity: Activity) -> None:
    group = await group_at(node, activity.object_id)
    if group is None:
        raise Invalid(f"{activity.object_id} is not a group of this node")
    follower = await remote_actor(node, client, activity.actor)
    try:
        await check_not_banned(node, group, follower.uri)
    except Refused:
        async with node.store.transaction() as session:
            await _answer_follow(node, session, group, follower, dict(activity.raw), accept=False)
        raise
    # A silenced server's people may follow, as a request the moderators decide.
    silenced = (await node.policy.decide_url(follower.uri, node.clock())).silenced
    async with node.store.transaction() as session:
        membership = await ask_to_join(
            session,
            group,
            follower.uri,
            node.clock(),
            remote_actor_id=follower.id,
            needs_approval=silenced,
        )
        membership.follow_uri = activity.id
        if membership.state == MembershipState.ACCEPTED:
            # Sent again on a repeated Follow: the follower may have missed the first.
            await _answer_follow(node, session, group, follower, dict(activity.raw), accept=True)
    log.info(
        "event=group_follow group=%s actor=%s state=%s",
        group.name,
        follower.uri,
        membership.state.value,
    )


async def ask_to_join(
    session: AsyncSession,
    group: GroupInfo,
    actor_uri: str,
    now: datetime,
    *,
    remote_actor_id: int | None = None,
    account_id: int | None = None,
    needs_approval: bool = False,
) -> Membership:
    """Someone (here or elsewhere) asks to join: a membership is opened or reopened, and
    accepted at once unless the group approves its members (or this request needs it)."""
    membership = await _membership(session, group.id, actor_uri)
    if membership is None:
        membership = Membership(
            group_id=group.id,
            actor_uri=actor_uri,
            role=GroupRole.MEMBER,
            state=MembershipState.PENDING,
            created_at=now,
            updated_at=now,
        )
        session.add(membership)
    elif membership.state in (MembershipState.LEFT, MembershipState.REJECTED):
        _move(membership, MembershipState.PENDING, now)
    membership.remote_actor_id = remote_actor_id or membership.remote_actor_id
    membership.account_id = account_id or membership.account_id
    approval = group.approves_members or needs_approval
    if membership.state == MembershipState.PENDING and not approval:
        _move(membership, MembershipState.ACCEPTED, now)
    return membership


async def _membership(session: AsyncSession, group_id: int, actor_uri: str) -> Membership | None:
    found = await session.exec(
        select(Membership).where(Membership.group_id == group_id, Membership.actor_uri == actor_uri)
    )
    return found.first()


def _move(membership: Membership, state: MembershipState, now: datetime) -> None:
    check_transition(membership.state, state)
    membership.state = state
    membership.updated_at = now


async def _answer_follow(
    node: Node,
    session: AsyncSession,
    group: GroupInfo,
    follower: RemoteActor,
    follow: dict[str, Any],
    *,
    accept: bool,
) -> None:
    group_uri = node.urls.group(group.name)
    build = builders.accept if accept else builders.reject
    answer = "accept" if accept else "reject"
    document = build(
        derived_id(node, answer, group_uri, str(follow.get("id"))), group_uri, follow, follower.uri
    )
    await queue(
        session, group.actor_id, document, Visibility.DIRECT, [follower.inbox], node.clock()
    )
    if accept:
        await _welcome(node, session, group, follower, str(follow.get("id")))


async def _welcome(
    node: Node, session: AsyncSession, group: GroupInfo, follower: RemoteActor, follow_id: str
) -> None:
    """The group's rules, once, in a direct note to a remote follower whose follow it accepts
    (members here accept them when they join)."""
    current = await current_rules(session, group.id)
    if current is None or not current.rules:
        return
    group_uri = node.urls.group(group.name)
    text = f"Welcome to {group.title}. Please read the group's rules:\n\n" + as_plain_text(
        current.rules
    )
    note = builders.welcome(
        derived_id(node, "welcome", group_uri, follow_id, str(current.version)),
        group_uri,
        follower.uri,
        plain_to_html(text),
        iso8601(node.clock()),
    )
    activity = builders.create(
        derived_id(node, "welcome-create", group_uri, follow_id, str(current.version)),
        group_uri,
        note,
    )
    await queue(
        session, group.actor_id, activity, Visibility.DIRECT, [follower.inbox], node.clock()
    )


def derived_id(node: Node, kind: str, *parts: str) -> str:
    """An activity id that follows from what caused it: applying the same received activity
    twice (after a crash, say) writes the same outbound activity once, not twice."""
    digest = hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:24]
    return node.urls.activity(f"{kind}-{digest}")


async def receive_unfollow(node: Node, activity: Activity, follow_id: str | None) -> None:
    """Undo{Follow}, Leave, or a Block of the group by its follower: the follow ends."""
    group_uri = activity.object_id if activity.type in ("Leave", "Block") else None
    async with node.store.transaction() as session:
        query = select(Membership).where(Membership.actor_uri == activity.actor)
        if follow_id is not None and group_uri is None:
            query = query.where(Membership.follow_uri == follow_id)
        rows = list((await session.exec(query)).all())
        for membership in rows:
            if group_uri is not None:
                group = await group_at(node, group_uri)
                if group is None or membership.group_id != group.id:
                    continue
            if membership.state in (MembershipState.ACCEPTED, MembershipState.PENDING):
                _move(membership, MembershipState.LEFT, node.clock())


async def decide_follow(
    node: Node, client: FederationClient, group_name: str, actor_uri: str, *, approve: bool
) -> None:
    """A moderator approves or rejects a pending follow (Accept or Reject{Follow} is sent)."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
    async with node.store.transaction() as session:
        membership = await _membership(session, group.id, actor_uri)
        if membership is None or membership.state != MembershipState.PENDING:
            raise NotFound(f"no pending request from {actor_uri} to join {group_name}")
        _move(
            membership,
            MembershipState.ACCEPTED if approve else MembershipState.REJECTED,
            node.clock(),
        )
        if membership.remote_actor_id is None:
            return
        follower = await session.get(RemoteActor, membership.remote_actor_id)
        assert follower is not None
        follow = await stored_document(session, membership.follow_uri) or {
            "id": membership.follow_uri,
            "type": "Follow",
            "actor": actor_uri,
            "object": node.urls.group(group.name),
        }
        await _answer_follow(node, session, group, follower, follow, accept=approve)


async def stored_document(session: AsyncSession, uri: str | None) -> dict[str, Any] | None:
    """An activity this node stored (sent or received), as it was."""
    if uri is None:
        return None
    row = (await session.exec(select(ActivityRow).where(ActivityRow.uri == uri))).first()
    return dict(row.document) if row is not None else None


async def pending_follows(node: Node, group_name: str) -> list[str]:
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        rows = await session.exec(
            select(Membership.actor_uri)
            .where(Membership.group_id == group.id, Membership.state == MembershipState.PENDING)
            .order_by(col(Membership.id))
        )
        return list(rows.all())


# Posts --------------------------------------------------------------------------------------


def _addressed(activity: Activity, obj: WireObject) -> set[str]:
    return {
        *activity.to,
        *activity.cc,
        *activity.audience,
        *obj.to,
        *obj.cc,
        *obj.audience,
        *obj.mentions,
    }


async def groups_for_post(node: Node, activity: Activity, obj: WireObject) -> list[GroupInfo]:
    """The local groups a post is for: addressed, mentioned, or the group of its thread."""
    found: dict[int, GroupInfo] = {}
    for uri in _addressed(activity, obj):
        group = await group_at(node, uri)
        if group is not None:
            found[group.id] = group
    if obj.in_reply_to:
        async with node.store.session() as session:
            parent = (await session.exec(select(Post).where(Post.uri == obj.in_reply_to))).first()
        if parent is not None and parent.group_id is not None and parent.group_uri:
            # Replies often name no group at all (LemmyNet/lemmy #2218): follow the thread.
            group = await group_at(node, parent.group_uri)
            if group is not None:
                found[group.id] = group
    return list(found.values())


async def may_post(
    node: Node, group: GroupInfo, author: str, is_reply: bool, in_reply_to: str | None = None
) -> None:
    """The group's posting policy, its bans, locked threads and rules to accept; Refused with
    the reason when the author may not post."""
    await check_not_banned(node, group, author)
    async with node.store.session() as session:
        membership = await _membership(session, group.id, author)
        if in_reply_to is not None and await thread_locked(session, in_reply_to):
            raise Refused("the thread is locked: no new replies")
        if membership is not None and membership.account_id is not None:
            version = await must_accept(session, group.id, membership.rules_accepted)
            if version is not None:
                raise Refused(
                    f"the rules of {group.name} changed: read and accept version {version}"
                    " before posting again"
                )
    member = membership is not None and membership.state == MembershipState.ACCEPTED
    moderator = member and membership is not None and membership.role in MODERATING
    policy = group.posting_policy
    if policy == PostingPolicy.ANYONE and not group.members_only:
        return
    if is_reply or policy == PostingPolicy.MEMBERS or group.members_only:
        if not member:
            raise Refused(f"only members of {group.name} may post there")
        if policy != PostingPolicy.MODERATORS or is_reply:
            return
    if not moderator:
        raise Refused(f"only the moderators of {group.name} start threads there")


async def receive_post(
    node: Node, client: FederationClient, activity: Activity, obj: WireObject
) -> None:
    if obj.attributed_to != activity.actor:
        raise Refused("a post's author must be the actor who creates it")
    for group in await groups_for_post(node, activity, obj):
        public = activity.is_public or obj.is_public
        group_uri = node.urls.group(group.name)
        # In a members-only group a post carries the group as its audience (Lemmy, Cove); a
        # mention without it (Mastodon's direct message) is for the moderators.
        for_members = group.members_only and group_uri in {*activity.audience, *obj.audience}
        if not public and not for_members:
            # A direct mention of the group is a message to its moderators, never a post.
            await _store_post(node, group, obj, Visibility.DIRECT, activity.actor)
            log.info("event=group_private_message group=%s actor=%s", group.name, activity.actor)
            continue
        await may_post(node, group, activity.actor, bool(obj.in_reply_to), obj.in_reply_to)
        visibility = Visibility.MEMBERS_ONLY if group.members_only else Visibility.PUBLIC
        decision = await node.policy.decide_url(activity.actor, node.clock())
        if decision.silenced:
            # A silenced server's posts reach only those who follow the author: the group
            # keeps the post unlisted (its moderators see it) and boosts it to no one.
            await _store_post(node, group, obj, Visibility.UNLISTED, activity.actor)
            log.info("event=post_held_silenced group=%s post=%s", group.name, obj.id)
            continue
        post = await _store_post(node, group, obj, visibility, activity.actor)
        relayed = _without_media(activity.raw) if decision.reject_media else dict(activity.raw)
        await announce(node, client, group, relayed, post)


def _without_media(raw: Mapping[str, Any]) -> dict[str, Any]:
    """The activity as the group relays it from a server whose media the policy rejects:
    the object's attachments and image left out, so the group spreads none of them."""
    document = dict(raw)
    inner = document.get("object")
    if isinstance(inner, dict) and ("attachment" in inner or "image" in inner):
        document["object"] = {k: v for k, v in inner.items() if k not in ("attachment", "image")}
    return document


async def _store_post(
    node: Node, group: GroupInfo, obj: WireObject, visibility: Visibility, author: str
) -> Post:
    now = node.clock()
    keep_media = await keeps_media(node, obj.id)
    async with node.store.transaction() as session:
        post = (await session.exec(select(Post).where(Post.uri == obj.id))).first()
        if post is None:
            post = Post(
                uri=obj.id,
                author_uri=author,
                kind=PostKind.NOTE,
                content_html="",
                visibility=visibility,
                local=obj.id.startswith(node.urls.base + "/"),
                published=obj.published or now,
                created_at=now,
            )
            session.add(post)
        post.group_id = group.id
        post.group_uri = node.urls.group(group.name)
        take_content(post, obj, keep_media=keep_media)
        post.visibility = visibility
        await session.flush()
        session.expunge(post)
    return post


@dataclass(frozen=True, slots=True)
class Audience:
    group_aware: list[str]  # inboxes that get Announce{activity}
    microblog: list[str]  # inboxes that get Announce{object id}


async def audience(node: Node, client: FederationClient, group: GroupInfo) -> Audience:
    """The group's remote followers' inboxes (a server's shared inbox once), split by what
    their software reads: one query, and one software lookup per server, not per follower."""
    async with node.store.session() as session:
        rows = await session.exec(
            select(RemoteActor.uri, RemoteActor.inbox, RemoteActor.shared_inbox)
            .join(Membership, col(Membership.remote_actor_id) == col(RemoteActor.id))
            .where(Membership.group_id == group.id, Membership.state == MembershipState.ACCEPTED)
        )
        followers = list(rows.all())
    by_host: dict[str, set[str]] = {}
    for uri, inbox, shared_inbox in followers:
        by_host.setdefault(urlsplit(uri).netloc.lower(), set()).add(shared_inbox or inbox)
    aware: list[str] = []
    micro: list[str] = []
    software = await servers_software(node, client, by_host)
    for host, inboxes in by_host.items():
        kind = software[host]
        if kind in (Software.GROUP_AWARE, Software.UNKNOWN):
            aware.extend(sorted(inboxes))
        if kind in (Software.MICROBLOG, Software.UNKNOWN):
            micro.extend(sorted(inboxes))
    return Audience(aware, micro)


async def announce(
    node: Node, client: FederationClient, group: GroupInfo, inner: dict[str, Any], post: Post | None
) -> None:
    """Send the group's Announce(s) of an activity about its content to its followers."""
    to = await audience(node, client, group)
    group_uri = node.urls.group(group.name)
    followers = node.urls.followers(group_uri)
    public = not group.members_only
    async with node.store.transaction() as session:
        wrapped = builders.announce_activity(
            derived_id(node, "announce", group_uri, str(inner.get("id"))),
            group_uri,
            inner,
            followers,
            public,
        )
        await queue(
            session,
            group.actor_id,
            wrapped,
            Visibility.PUBLIC if public else Visibility.MEMBERS_ONLY,
            to.group_aware,
            node.clock(),
        )
        top_level = (
            post is not None and post.in_reply_to_uri is None and inner.get("type") == "Create"
        )
        if public and top_level and to.microblog and post is not None:
            # Mastodon boosts by object id only, and only threads (comments would flood it).
            boost = builders.announce_object(
                derived_id(node, "boost", group_uri, post.uri), group_uri, post.uri, followers
            )
            await queue(
                session, group.actor_id, boost, Visibility.UNLISTED, to.microblog, node.clock()
            )


async def receive_change(
    node: Node, client: FederationClient, activity: Activity, object_id: str
) -> None:
    """Update, Delete, Like, Dislike and Undo of content in a group: applied, then relayed."""
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == object_id))).first()
    if post is None or post.group_id is None:
        return  # not content of a group here
    group = await group_at(node, post.group_uri or "")
    if group is None:
        return
    if activity.type in ("Update", "Delete"):
        await _apply_change(node, group, activity, post)
    elif group.members_only or group.posting_policy != PostingPolicy.ANYONE:
        # Votes count only from those who may take part (a reply's rule).
        await may_post(node, group, activity.actor, is_reply=True)
    await announce(node, client, group, dict(activity.raw), None)
    if activity.type == "Delete":
        await undo_boosts(node, client, group, post.uri)


async def _apply_change(node: Node, group: GroupInfo, activity: Activity, post: Post) -> None:
    async with node.store.session() as session:
        membership = await _membership(session, group.id, activity.actor)
    moderator = membership is not None and membership.role in MODERATING
    if activity.actor != post.author_uri and not (activity.type == "Delete" and moderator):
        raise Refused("only the author may change a post")
    keep_media = await keeps_media(node, post.uri)
    async with node.store.transaction() as session:
        row = await session.get(Post, post.id)
        assert row is not None
        if activity.type == "Delete":
            row.deleted_at = node.clock()
        elif isinstance(activity.object, WireObject):
            take_content(row, activity.object, keep_media=keep_media)
            if activity.object.updated is None:
                row.updated_at = node.clock()


async def boost_again(
    node: Node, client: FederationClient, group: GroupInfo, post_uri: str
) -> None:
    """Boost a restored thread again for microblog followers (the old boost was undone)."""
    if group.members_only:
        return
    to = await audience(node, client, group)
    if not to.microblog:
        return
    group_uri = node.urls.group(group.name)
    boost = builders.announce_object(
        node.urls.activity(node.token()), group_uri, post_uri, node.urls.followers(group_uri)
    )
    async with node.store.transaction() as session:
        await queue(session, group.actor_id, boost, Visibility.UNLISTED, to.microblog, node.clock())


async def undo_boosts(
    node: Node, client: FederationClient, group: GroupInfo, post_uri: str
) -> None:
    """Take a removed post out of microblog timelines: Undo the group's boost of it."""
    to = await audience(node, client, group)
    group_uri = node.urls.group(group.name)
    async with node.store.transaction() as session:
        boosts = await session.exec(
            select(ActivityRow).where(
                ActivityRow.local_actor_id == group.actor_id,
                ActivityRow.type == "Announce",
                ActivityRow.object_uri == post_uri,
                ActivityRow.visibility == Visibility.UNLISTED,
            )
        )
        for boost in boosts.all():
            undo = builders.undo(
                derived_id(node, "unboost", boost.uri),
                group_uri,
                boost.document,
                boost.document.get("to", []),
                boost.document.get("cc", []),
            )
            await queue(
                session, group.actor_id, undo, Visibility.UNLISTED, to.microblog, node.clock()
            )


# Anonymous posts and pins, by this node's members and moderators ------------------------------


async def publish_anonymously(
    node: Node,
    client: FederationClient,
    group: GroupInfo,
    author_uri: str,
    account_id: int,
    note: dict[str, Any],
) -> None:
    """A member's post that the world sees as the group's own. The real author is kept for the
    group's moderators; replies thread as usual (inReplyTo names the post's id)."""
    in_reply_to = note.get("inReplyTo")
    await may_post(
        node,
        group,
        author_uri,
        bool(in_reply_to),
        in_reply_to if isinstance(in_reply_to, str) else None,
    )
    group_uri = node.urls.group(group.name)
    note = {**note, "attributedTo": group_uri}
    activity = builders.create(node.urls.activity(node.token()), group_uri, note)
    now = node.clock()
    async with node.store.transaction() as session:
        session.add(
            Post(
                uri=note["id"],
                group_id=group.id,
                group_uri=group_uri,
                author_uri=author_uri,
                account_id=account_id,
                in_reply_to_uri=note.get("inReplyTo"),
                kind=PostKind.PAGE if note["type"] == "Page" else PostKind.NOTE,
                title=note.get("name"),
                content_html=note["content"],
                visibility=Visibility.MEMBERS_ONLY if group.members_only else Visibility.PUBLIC,
                anonymous=True,
                local=True,
                published=now,
                created_at=now,
            )
        )
        await queue(session, group.actor_id, activity, Visibility.DIRECT, [], now)
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == note["id"]))).one()
    await announce(node, client, group, activity, post)


async def change_collection(
    node: Node,
    client: FederationClient,
    group: GroupInfo,
    object_id: str,
    target: str,
    *,
    added: bool,
) -> None:
    """Tell every follower's server, whatever its software, that an object joined or left one
    of the group's collections (featured, moderators): Add or Remove with the collection as
    target, as Lemmy, PieFed and Mastodon send them."""
    to = await audience(node, client, group)
    group_uri = node.urls.group(group.name)
    document = builders.collection_change(
        node.urls.activity(node.token()),
        "Add" if added else "Remove",
        group_uri,
        object_id,
        target,
        node.urls.followers(group_uri),
    )
    async with node.store.transaction() as session:
        await queue(
            session,
            group.actor_id,
            document,
            Visibility.UNLISTED,
            dict.fromkeys([*to.group_aware, *to.microblog]),
            node.clock(),
        )


async def author_of(node: Node, post_uri: str) -> tuple[str, bool]:
    """Who really wrote a post, and whether it was posted anonymously (for moderators)."""
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == post_uri))).first()
    if post is None:
        raise NotFound(f"no post {post_uri}")
    return post.author_uri, post.anonymous
