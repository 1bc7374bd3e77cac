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
from node.actors.remote import remote_actor, servers_software
from node.groups import admission
from node.groups.groups import GroupInfo, get_group
from node.groups.posts import take_content
from node.groups.rules import current_rules
from node.moderators.ban_checks import check_not_banned
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import (
    GroupRole,
    MembershipState,
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
    membership = await admission.membership_of(session, group.id, actor_uri)
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
        membership = await admission.membership_of(session, group.id, actor_uri)
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


async def receive_post(
    node: Node, client: FederationClient, activity: Activity, obj: WireObject
) -> None:
    if obj.attributed_to != activity.actor:
        raise Refused("a post's author must be the actor who creates it")
    for group in await groups_for_post(node, activity, obj):
        admitted = await admission.admit_post(node, group, activity, obj)
        post = await _store_post(node, group, obj, admitted, activity.actor)
        if post.group_id != group.id:
            continue  # known here already, in another group: it stays there
        if not admitted.relay:
            log.info(
                "event=group_post_kept group=%s post=%s visibility=%s",
                group.name,
                obj.id,
                post.visibility.value,
            )
            continue
        relayed = dict(activity.raw) if admitted.keep_media else _without_media(activity.raw)
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
    node: Node, group: GroupInfo, obj: WireObject, admitted: admission.Admission, author: str
) -> Post:
    """The post as the group keeps it. One in a group already is left as it is (a
    redelivered Create, or one applied again after a crash, must not change what the group
    decided); changes to it come as Update, from its author. A member's own post here, kept
    as they sent it, joins the group now."""
    now = node.clock()
    async with node.store.transaction() as session:
        post = (await session.exec(select(Post).where(Post.uri == obj.id))).first()
        if post is not None and post.author_uri != author:
            raise Refused("a post with this id exists here by another author")
        group_uri = node.urls.group(group.name)
        if post is not None and post.group_id is None and post.group_uri in (None, group_uri):
            post.group_id, post.group_uri = group.id, group_uri
            post.visibility = admitted.visibility
        if post is None:
            post = Post(
                uri=obj.id,
                group_id=group.id,
                group_uri=group_uri,
                author_uri=author,
                kind=PostKind.NOTE,
                content_html="",
                visibility=admitted.visibility,
                local=obj.id.startswith(node.urls.base + "/"),
                published=obj.published or now,
                created_at=now,
            )
            take_content(post, obj, keep_media=admitted.keep_media)
            session.add(post)
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
    """Update, Delete, Like, Dislike and Undo of content in a group: admitted, applied, then
    relayed as far as the post itself was."""
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == object_id))).first()
    if post is None or post.group_id is None:
        return  # not content of a group here
    group = await group_at(node, post.group_uri or "")
    if group is None:
        return
    if activity.type in ("Update", "Delete"):
        await _check_may_change(node, group, activity, post)
    admitted = await admission.admit_change(node, group, activity, post)
    if activity.type in ("Update", "Delete"):
        await _apply_change(node, activity, post, admitted.keep_media)
    if admitted.relay:
        relayed = dict(activity.raw) if admitted.keep_media else _without_media(activity.raw)
        await announce(node, client, group, relayed, None)
    if activity.type == "Delete":
        await undo_boosts(node, client, group, post.uri)


async def _check_may_change(node: Node, group: GroupInfo, activity: Activity, post: Post) -> None:
    """Its author edits or deletes a post; the group's moderators may delete it too."""
    async with node.store.session() as session:
        membership = await admission.membership_of(session, group.id, activity.actor)
    moderator = membership is not None and membership.role in MODERATING
    if activity.actor != post.author_uri and not (activity.type == "Delete" and moderator):
        raise Refused("only the author may change a post")


async def _apply_change(node: Node, activity: Activity, post: Post, keep_media: bool) -> None:
    async with node.store.transaction() as session:
        row = await session.get(Post, post.id)
        assert row is not None
        if activity.type == "Delete":
            row.deleted_at = row.deleted_at or node.clock()
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


# The group's collections, and who wrote what ---------------------------------------------------


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
