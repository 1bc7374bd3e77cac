"""Hold for review: an acute post in a group that asks for it waits, unannounced, until a
moderator releases it, as it is or with the group's reply of crisis resources under it. Its
history goes on the crisis report (never the public moderation log: it would say who is
struggling)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.client import FederationClient
from federation.errors import Conflict, NotFound
from node.crisis.replies import resource_reply
from node.groups import announcing
from node.groups.groups import GroupInfo, get_group, get_group_by_id
from node.moderators.reports.info import record_event
from node.moderators.roles import Acting, require_appointer, require_group_moderator
from node.runtime import Node
from node.store.states import Direction, PostState, advance
from node.store.tables import Activity as ActivityRow
from node.store.tables import CommunityGroup, CrisisAssessment, Post

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Released:
    post_uri: str
    group: str
    reply_uri: str | None


@dataclass(frozen=True, slots=True)
class HeldPost:
    uri: str
    group: str
    author_uri: str
    report_id: int | None
    reasons: tuple[str, ...]


async def held_posts(node: Node, acting: Acting, group: GroupInfo) -> list[HeldPost]:
    """The posts a group holds, oldest first, with why (for its moderators)."""
    async with node.store.session() as session:
        await require_group_moderator(session, acting, group)
        found = await session.exec(
            select(Post)
            .where(Post.group_id == group.id, Post.state == PostState.HELD)
            .order_by(col(Post.id))
        )
        held = []
        for post in found.all():
            why = await _assessment(session, post.uri)
            held.append(
                HeldPost(
                    post.uri,
                    group.name,
                    post.author_uri,
                    why.report_id if why else None,
                    tuple(why.reasons) if why else (),
                )
            )
        return held


async def release(
    node: Node, client: FederationClient, acting: Acting, post_uri: str, *, with_resources: bool
) -> Released:
    """Let a held post out: announced to the group's followers as any post, and (asked for)
    the group's reply with crisis resources under it."""
    async with node.store.transaction() as session:
        post = (await session.exec(select(Post).where(Post.uri == post_uri))).first()
        if post is None or post.group_id is None:
            raise NotFound("no post {post_uri} in a group here", post_uri=post_uri)
        group = await get_group_by_id(session, post.group_id)
        await require_group_moderator(session, acting, group)
        if post.state != PostState.HELD:
            raise Conflict("the post is not held (it is {state})", state=post.state.value)
        advance(post, PostState.LIVE)
        created = await _create_of(session, post_uri)
        why = await _assessment(session, post_uri)
        if why is not None and why.report_id is not None:
            note = "released with a resource reply" if with_resources else "released as it is"
            record_event(session, why.report_id, "released", acting.uri, note, node.clock())
        await session.flush()
        session.expunge(post)
    await announcing.announce(node, client, group, created, post)
    reply = await resource_reply(node, client, group, post) if with_resources else None
    log.info("event=crisis_hold_released post=%s group=%s", post_uri, group.name)
    return Released(post_uri, group.name, reply)


async def _create_of(session: AsyncSession, post_uri: str) -> dict[str, Any]:
    """The Create that brought the post (received, or the member's own), as the group
    relays it once released."""
    found = await session.exec(
        select(ActivityRow)
        .where(
            ActivityRow.object_uri == post_uri,
            ActivityRow.type == "Create",
            col(ActivityRow.pruned_at).is_(None),
        )
        .order_by(col(ActivityRow.direction) == Direction.OUTBOUND, col(ActivityRow.id))
    )
    row = found.first()
    if row is None:
        raise Conflict("the activity that brought this post is no longer kept")
    return dict(row.document)


async def _assessment(session: AsyncSession, post_uri: str) -> CrisisAssessment | None:
    found = await session.exec(
        select(CrisisAssessment)
        .where(CrisisAssessment.subject_uri == post_uri)
        .order_by(col(CrisisAssessment.id).desc())
    )
    return found.first()


async def set_hold(node: Node, acting: Acting, group_name: str, on: bool) -> None:
    """Whether the group holds acute posts for review: its owner or a node admin decides."""
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_appointer(session, acting, group)
        row = await session.get(CommunityGroup, group.id)
        assert row is not None
        row.hold_acute = on
