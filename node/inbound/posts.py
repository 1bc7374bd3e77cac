"""Posts from other servers into this node's groups: a Create admitted and kept, then relayed;
Update, Delete, Like, Dislike and their Undo applied to the group's content and relayed as
far as the post went."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlmodel import select

from federation.addresses import same_host
from federation.client import FederationClient
from federation.errors import Invalid, Refused
from federation.readers import read_document
from federation.wire import Activity, WireObject
from moderation.crisis.reading import language_of, read_object
from node.actors.signers import instance_signer
from node.crisis.assessments import respond
from node.crisis.professionals import vouched_for
from node.groups import admission
from node.groups.announcing import announce, undo_boosts
from node.groups.groups import GroupInfo, group_at
from node.groups.posts import mark_deleted, take_content
from node.runtime import Node
from node.store.states import (
    GroupRole,
    PostKind,
    PostState,
)
from node.store.tables import Post

MODERATING = (GroupRole.OWNER, GroupRole.MODERATOR)

log = logging.getLogger(__name__)


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
    # Marked as a professional's note: kept as one only if the author's own server says so.
    professional = obj.professional_note and await vouched_for(node, client, activity.actor)
    for group in await groups_for_post(node, activity, obj):
        admitted = await admission.admit_post(node, group, activity, obj)
        post = await _store_post(node, group, obj, admitted, activity.actor, professional)
        if post.group_id != group.id:
            continue  # known here already, in another group: it stays there
        if admitted.assessment.flagged:
            raw = activity.raw.get("object")
            language = language_of(raw if isinstance(raw, dict) else None)
            await respond(node, client, group, post, admitted.assessment, language)
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
    node: Node,
    group: GroupInfo,
    obj: WireObject,
    admitted: admission.Admission,
    author: str,
    professional_note: bool,
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
            if admitted.held:
                post.state = PostState.HELD  # a member's own copy, held as it joins the group
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
                professional_note=professional_note,
                published=obj.published or now,
                created_at=now,
            )
            if admitted.held:
                post.state = PostState.HELD  # born held: no transition to check
            take_content(post, obj, keep_media=admitted.keep_media)
            session.add(post)
        await session.flush()
        session.expunge(post)
    return post


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
    if activity.type == "Update" and isinstance(activity.object, WireObject):
        await _reassess(node, client, group, activity, post)
    if admitted.relay:
        relayed = dict(activity.raw) if admitted.keep_media else _without_media(activity.raw)
        await announce(node, client, group, relayed, None)
    if activity.type == "Delete":
        await undo_boosts(node, client, group, post.uri)


async def _reassess(
    node: Node, client: FederationClient, group: GroupInfo, activity: Activity, post: Post
) -> None:
    """An edit is read again: one that reads worse than before is acted on as a new post."""
    assert isinstance(activity.object, WireObject)
    raw = activity.raw.get("object")
    declared = raw if isinstance(raw, dict) else None
    second = node.config.crisis.second_stage
    assessment = read_object(activity.object, declared, second_stage=second)
    await respond(node, client, group, post, assessment, language_of(declared))


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
            mark_deleted(row, node.clock())
        elif isinstance(activity.object, WireObject):
            take_content(row, activity.object, keep_media=keep_media)
            if activity.object.updated is None:
                row.updated_at = node.clock()


async def receive_create(node: Node, client: FederationClient, activity: Activity) -> None:
    assert isinstance(activity.object, WireObject)  # the dispatch key says so
    await receive_post(node, client, activity, activity.object)


async def receive_change_of(node: Node, client: FederationClient, activity: Activity) -> None:
    """Update or Delete of a post, by its author (or, Delete, the group's moderators)."""
    await receive_change(node, client, activity, activity.object_id)


async def receive_create_by_reference(
    node: Node, client: FederationClient, activity: Activity
) -> None:
    """A Create naming its object by URL only (some bots and bridges send it so): the object
    is fetched from its origin, which must be its author's server, and taken as if embedded,
    as Mastodon does. The group relays the Create with the object in it, as group-aware
    software reads it; a proof over the original no longer holds, so it is left out."""
    url = activity.object_id
    if not same_host(url, activity.actor):
        raise Refused("the object is not on the server of the actor creating it")
    fetched = await client.get_json(url, await instance_signer(node))
    obj = read_document(fetched.document)
    if not isinstance(obj, WireObject):
        raise Invalid(f"{url} is a {obj.type}, not a post")
    raw = {k: v for k, v in activity.raw.items() if k != "proof"}
    raw["object"] = fetched.document
    await receive_post(node, client, replace(activity, objects=(obj,), raw=raw), obj)
