"""What groups on other servers that members here belong to share in their Announces: posts,
edits, deletions and moderation. A group vouches for its own server only: anything by someone
elsewhere is trusted once its author's proof verifies (FEP-8b32) or once fetched from its own
server, and the domain policy applies to every host involved."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from sqlmodel import select

from federation.addresses import same_host
from federation.client import FederationClient
from federation.errors import FetchError, Invalid, Refused
from federation.readers import read_document
from federation.wire import Activity, WireObject
from node.actors import integrity
from node.actors.signers import instance_signer
from node.groups.posts import keeps_media, mark_deleted, take_content
from node.inbound import actor_updates, remote_moderation
from node.moderators.bans import ban_in_force
from node.runtime import Node
from node.store.states import MembershipState, PostKind, Visibility
from node.store.tables import Post, RemoteMembership

log = logging.getLogger(__name__)


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
    public = activity.is_public
    inner = activity.object
    if isinstance(inner, Activity):
        await _apply_shared(node, client, group_uri, inner, public)
    elif isinstance(inner, str | WireObject):
        # A boost of a post by id (Mastodon's shape), or the post itself embedded.
        obj = await _shared_object(node, client, group_uri, inner)
        await _keep(node, group_uri, obj, public)


async def _shared_object(
    node: Node, client: FederationClient, group_uri: str, given: str | WireObject
) -> WireObject:
    """A post the group shares by itself: taken as embedded when it lives on the group's own
    server, else read from its own server; either way its author lives where it does."""
    if isinstance(given, WireObject) and same_host(given.id, group_uri):
        obj = given
    else:
        obj = await _from_origin(node, client, given if isinstance(given, str) else given.id)
    if obj.attributed_to is None or not same_host(obj.id, obj.attributed_to):
        raise Refused("the shared post's author is not on the post's server")
    return obj


async def _apply_shared(
    node: Node, client: FederationClient, group_uri: str, inner: Activity, public: bool
) -> None:
    """Apply an activity a group shares (FEP-1b12 leaves trust in the wrapped activity to the
    receiver; Lemmy fetches it from its origin too)."""
    if inner.type == "Update" and inner.object_id == group_uri:
        # The group itself changed (Lemmy's shape: a moderator's Update, announced): read
        # again from the group's own server.
        await actor_updates.refresh_known(node, client, group_uri)
    elif inner.type in ("Create", "Update"):
        await _keep(node, group_uri, await _authored(node, client, group_uri, inner), public)
    elif inner.type == "Delete":
        await _delete_shared(node, client, group_uri, inner)
    elif inner.type in remote_moderation.MODERATION_TYPES or (
        inner.type == "Undo"
        and isinstance(inner.object, Activity)
        and inner.object.type in ("Delete", "Lock", "Block")
    ):
        await remote_moderation.apply(node, client, group_uri, inner)


async def _authored(
    node: Node, client: FederationClient, group_uri: str, inner: Activity
) -> WireObject:
    """The post a Create or Update carries, once it is sure its actor wrote it: the actor
    is its author, on the post's own server, and either on the group's server, or proven by
    the actor's signature, or the post read again from its own server says the same."""
    obj = inner.object
    object_id = inner.object_id
    if not same_host(object_id, inner.actor):
        raise Refused("the shared post is not on the server of the actor who made it")
    trusted = isinstance(obj, WireObject) and (
        same_host(inner.actor, group_uri) or await integrity.proven(node, client, inner)
    )
    if not trusted or not isinstance(obj, WireObject):
        obj = await _from_origin(node, client, object_id)
    if obj.attributed_to != inner.actor:
        raise Refused("the shared post's author is not the actor who made it")
    return obj


async def _delete_shared(
    node: Node, client: FederationClient, group_uri: str, inner: Activity
) -> None:
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == inner.object_id))).first()
    if post is not None and post.group_uri != group_uri:
        return
    # A moderator's removal is a Delete with a summary (Lemmy: an empty one when no reason is
    # given). From anyone but the author it is nothing else; a moderator removing their own
    # post (or the group an anonymous one) sends it too, and Undo must restore it.
    if post is not None and (
        inner.actor != post.author_uri
        or (
            inner.summary is not None
            and await remote_moderation.is_moderator(node, client, group_uri, inner.actor)
        )
    ):
        await remote_moderation.apply(node, client, group_uri, inner)
        return
    if post is None and not same_host(inner.object_id, inner.actor):
        # Nothing known, and not the actor's own to delete: no placeholder, or a group could
        # keep anyone's future post out of sight here by deleting its id in advance.
        return
    vouched = same_host(inner.actor, group_uri) or await integrity.proven(node, client, inner)
    if not vouched and await _still_there(node, client, inner.object_id):
        raise Refused("the post is still there at its origin")
    await _mark_deleted(node, group_uri, inner.object_id, inner.actor)


async def _mark_deleted(node: Node, group_uri: str, object_id: str, author: str) -> None:
    """Mark a post deleted; one not seen yet (only ever an id on its deleter's own server) is
    kept as a deleted placeholder, so that its Create arriving late (deliveries can be
    retried out of order) cannot bring it back."""
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
                visibility=Visibility.DIRECT,
                local=False,
                published=now,
                created_at=now,
            )
            session.add(row)
        mark_deleted(row, now)


async def _from_origin(node: Node, client: FederationClient, object_id: str) -> WireObject:
    """A post as its own server serves it (the client checks the id is the URL asked)."""
    await _require_federates(node, object_id)
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


async def _require_federates(node: Node, url: str) -> None:
    decision = await node.policy.decide_url(url, node.clock())
    if decision.suspended:
        host = urlsplit(url).hostname
        raise Refused(f"{host} is not federated with by this node ({decision.why})")


async def _admit(node: Node, obj: WireObject) -> None:
    """The domain policy and the node's suspensions, for the post's server and its author's
    (a group may relay from anywhere; what this node refuses stays refused)."""
    author = obj.attributed_to or obj.id
    for url in dict.fromkeys((obj.id, author)):
        await _require_federates(node, url)
    async with node.store.session() as session:
        if await ban_in_force(session, None, author, node.clock()) is not None:
            raise Refused("the post's author is suspended from this node")


async def _keep(node: Node, group_uri: str, obj: WireObject, public: bool) -> None:
    """Store (or update) a post of a remote group, for the members here to read."""
    if obj.id.startswith(node.urls.base + "/"):
        return  # our own member's post, kept already
    await _admit(node, obj)
    now = node.clock()
    keep_media = await keeps_media(node, obj.id) and await keeps_media(
        node, obj.attributed_to or obj.id
    )
    async with node.store.transaction() as session:
        post = (await session.exec(select(Post).where(Post.uri == obj.id))).first()
        if post is None:
            post = Post(
                uri=obj.id,
                group_uri=group_uri,
                author_uri=obj.attributed_to or group_uri,
                kind=PostKind.NOTE,
                content_html="",
                visibility=Visibility.PUBLIC if public else Visibility.MEMBERS_ONLY,
                local=False,
                published=obj.published or now,
                created_at=now,
            )
            session.add(post)
        elif post.group_uri != group_uri or post.author_uri != (obj.attributed_to or group_uri):
            # A group may not take over another group's post, nor change who wrote one.
            raise Refused("the post belongs to another group or author here")
        elif not public:
            post.visibility = Visibility.MEMBERS_ONLY  # an edit never widens who may see it
        take_content(post, obj, keep_media=keep_media)
