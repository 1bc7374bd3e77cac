"""A person deleted at their home server (`Delete` whose object is its own actor, as Mastodon
and Lemmy send it): they leave every group here, and their posts here are tombstoned."""

from __future__ import annotations

import logging

from sqlmodel import col, select

from federation.client import FederationClient
from federation.wire import Activity
from node.groups.posts import mark_deleted
from node.runtime import Node
from node.store.states import MembershipState, PostState, advance
from node.store.tables import Membership, Post

log = logging.getLogger(__name__)


async def receive_actor_deleted(node: Node, client: FederationClient, activity: Activity) -> None:
    """Only the actor deletes itself: the inbox checked that the signer owns `actor`, and the
    route is taken only when the object is that same actor."""
    del client
    person = activity.actor
    now = node.clock()
    async with node.store.transaction() as session:
        found = await session.exec(
            select(Post).where(
                Post.author_uri == person,
                col(Post.local).is_(False),
                Post.state != PostState.DELETED,
            )
        )
        posts = list(found.all())
        for post in posts:
            mark_deleted(post, now)
        held = await session.exec(
            select(Membership).where(
                Membership.actor_uri == person,
                col(Membership.state).in_((MembershipState.ACCEPTED, MembershipState.PENDING)),
            )
        )
        memberships = list(held.all())
        for membership in memberships:
            advance(membership, MembershipState.LEFT)
            membership.updated_at = now
    log.info(
        "event=actor_deleted actor=%s posts=%s memberships=%s",
        person,
        len(posts),
        len(memberships),
    )
