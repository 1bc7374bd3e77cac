"""Other nodes subscribing to this node's domain policy (a Follow of its instance actor, and
its Undo), and the signed Add and Remove of entries from nodes this one subscribes to."""

from __future__ import annotations

import logging

from federation.client import FederationClient
from federation.wire import Activity
from node.actors.remote import remote_actor
from node.domain_policy import publishing, sharing
from node.runtime import Node

log = logging.getLogger(__name__)


async def receive_follow(node: Node, client: FederationClient, activity: Activity) -> None:
    follower = await remote_actor(node, client, activity.actor)
    async with node.store.transaction() as session:
        await publishing.add_follower(session, node, follower, dict(activity.raw))


async def receive_unfollow(node: Node, client: FederationClient, activity: Activity) -> None:
    async with node.store.transaction() as session:
        await publishing.remove_follower(session, activity.actor)


async def receive_entries(node: Node, client: FederationClient, activity: Activity) -> None:
    if not await sharing.receive_change(node, client, activity):
        log.info("event=collection_change_ignored id=%s target=%s", activity.id, activity.target)
