"""The activity log seen as outboxes: outbound activities are written here in the same
transaction as the change that caused them, and served back as each actor's outbox."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from node.runtime import Node
from node.store.paging import Cursor, Page, keyset_page
from node.store.states import ActivityState, Direction, Visibility
from node.store.tables import Activity

# What an outbox shows to anyone who asks: never members-only or direct activities. Servers
# with members of a members-only group also see its members-only activities (posts.visible_to).
LISTED = (Visibility.PUBLIC,)


def _object_uri(document: Mapping[str, Any]) -> str | None:
    obj = document.get("object")
    if isinstance(obj, str):
        return obj
    if isinstance(obj, Mapping) and isinstance(obj.get("id"), str):
        return str(obj["id"])
    return None


async def record_outbound(
    session: AsyncSession,
    local_actor_id: int,
    document: Mapping[str, Any],
    visibility: Visibility,
    now: datetime,
) -> Activity:
    """Queue an activity this node sends (the caller's transaction commits it)."""
    activity = Activity(
        uri=str(document["id"]),
        type=str(document["type"]),
        direction=Direction.OUTBOUND,
        state=ActivityState.QUEUED,
        actor_uri=str(document["actor"]),
        object_uri=_object_uri(document),
        local_actor_id=local_actor_id,
        visibility=visibility,
        document=dict(document),
        created_at=now,
    )
    session.add(activity)
    await session.flush()
    return activity


def _listed(local_actor_id: int, shown: tuple[Visibility, ...]) -> tuple[Any, ...]:
    return (
        Activity.local_actor_id == local_actor_id,
        Activity.direction == Direction.OUTBOUND,
        col(Activity.visibility).in_(shown),
    )


async def outbox_count(
    session: AsyncSession, local_actor_id: int, shown: tuple[Visibility, ...] = LISTED
) -> int:
    found = await session.exec(
        select(func.count()).select_from(Activity).where(*_listed(local_actor_id, shown))
    )
    return int(found.one())


async def outbox_page(
    session: AsyncSession,
    local_actor_id: int,
    cursor: Cursor,
    shown: tuple[Visibility, ...] = LISTED,
) -> Page[dict[str, Any]]:
    """Public outbound activities of one actor, newest first, as stored documents."""
    query = select(Activity.id, Activity.document).where(*_listed(local_actor_id, shown))
    return await keyset_page(session, query, Activity.id, cursor)  # type: ignore[arg-type]


async def stored_document(session: AsyncSession, uri: str | None) -> dict[str, Any] | None:
    """An activity this node stored (sent or received), as it was."""
    if uri is None:
        return None
    row = (await session.exec(select(Activity).where(Activity.uri == uri))).first()
    return dict(row.document) if row is not None else None


async def sent_type(node: Node, uri: str) -> str | None:
    """The type of an activity this node sent under that id, if it did."""
    async with node.store.session() as session:
        found = await session.exec(
            select(Activity.type).where(
                Activity.uri == uri, Activity.direction == Direction.OUTBOUND
            )
        )
        return found.first()


async def outbox(
    node: Node, local_actor_id: int, cursor: Cursor | None, shown: tuple[Visibility, ...] = LISTED
) -> tuple[int, Page[dict[str, Any]] | None]:
    """How many activities an actor's outbox shows, and a page of them around `cursor`
    (None: no page)."""
    async with node.store.session() as session:
        total = await outbox_count(session, local_actor_id, shown)
        if cursor is None:
            return total, None
        return total, await outbox_page(session, local_actor_id, cursor, shown)
