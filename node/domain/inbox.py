"""Inbound activities: stored whole, once per id, before the sender hears 202 (processing
then runs from the stored row, so a crash loses nothing)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from node.runtime import Node
from node.store.states import ActivityState, Direction, Visibility
from node.store.tables import Activity

PUBLIC_ADDRESSES = frozenset(
    {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
)


def _addressed(document: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for key in ("to", "cc", "audience"):
        value = document.get(key)
        values = value if isinstance(value, list) else [value]
        found.update(v for v in values if isinstance(v, str))
    return found


def visibility_of(document: Mapping[str, Any]) -> Visibility:
    # Until the activity is read by its handler, anything not addressed to Public is treated
    # as private: it never shows up in a listing.
    return Visibility.PUBLIC if _addressed(document) & PUBLIC_ADDRESSES else Visibility.DIRECT


async def record_inbound(
    node: Node,
    document: Mapping[str, Any],
    activity_id: str,
    activity_type: str,
    actor_uri: str,
    object_uri: str | None,
    local_actor_id: int | None,
) -> bool:
    """Store an accepted activity; False when its id was stored before (a redelivery).
    One INSERT ... ON CONFLICT DO NOTHING: the hot path of every inbox."""
    values = {
        "uri": activity_id,
        "type": activity_type[:32],
        "direction": Direction.INBOUND,
        "state": ActivityState.RECEIVED,
        "actor_uri": actor_uri,
        "object_uri": object_uri,
        "local_actor_id": local_actor_id,
        "visibility": visibility_of(document),
        "document": dict(document),
        "created_at": node.clock(),
    }
    insert = postgresql.insert if node.store.dialect == "postgresql" else sqlite.insert
    statement = insert(Activity).values(**values).on_conflict_do_nothing(index_elements=["uri"])
    async with node.store.transaction() as session:
        result = await session.exec(statement)
    return bool(result.rowcount)
