"""What a group of this node sends its followers (FEP-1b12): Announces of what it relays,
shaped for each follower's software, boosts undone and sent again, and changes to its
collections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select

from federation import builders
from federation.client import FederationClient
from node.actors.remote import servers_software
from node.groups.groups import GroupInfo
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import (
    MembershipState,
    Software,
    Visibility,
)
from node.store.tables import Activity as ActivityRow
from node.store.tables import Membership, Post, RemoteActor


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
            node.urls.derived_activity("announce", group_uri, str(inner.get("id"))),
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
                node.urls.derived_activity("boost", group_uri, post.uri),
                group_uri,
                post.uri,
                followers,
            )
            await queue(
                session, group.actor_id, boost, Visibility.UNLISTED, to.microblog, node.clock()
            )


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
                node.urls.derived_activity("unboost", boost.uri),
                group_uri,
                boost.document,
                boost.document.get("to", []),
                boost.document.get("cc", []),
            )
            await queue(
                session, group.actor_id, undo, Visibility.UNLISTED, to.microblog, node.clock()
            )


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
