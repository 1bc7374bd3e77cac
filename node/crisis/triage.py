"""The inbox's crisis triage: received posts are read before they are applied, and an acute
or concerning one is applied first, so a backlog (after an outage, a busy peer) never keeps a
person in crisis waiting. It runs in the workers, never in the inbox request."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from moderation.crisis.reading import read_raw
from node.store.states import ActivityState, Direction
from node.store.tables import Activity as ActivityRow

CONTENT_TYPES = ("Create", "Update")
BATCH = 500


def priority_of(kind: str, document: dict[str, Any], second_stage: bool = False) -> int:
    """How soon an activity should be applied (the level's rank): a crisis first."""
    inner = document.get("object")
    if kind not in CONTENT_TYPES or not isinstance(inner, dict):
        return 0
    return read_raw(inner, second_stage=second_stage).level.rank


async def triage(session: AsyncSession, waiting_beyond: int, second_stage: bool = False) -> int:
    """Read the received activities not yet triaged, when more are waiting than one round
    applies (otherwise all of them are applied now anyway); how many were read."""
    waiting = await session.exec(
        select(ActivityRow)
        .where(
            ActivityRow.direction == Direction.INBOUND,
            ActivityRow.state == ActivityState.RECEIVED,
            col(ActivityRow.priority).is_(None),
        )
        .order_by(col(ActivityRow.id))
        .limit(BATCH)
        .with_for_update(skip_locked=True)
    )
    rows = waiting.all()
    if len(rows) <= waiting_beyond:
        return 0
    # Up to BATCH posts read at once is seconds of CPU: in a thread, so that the process
    # (the web server too, when it runs the workers) goes on answering meanwhile.
    read = [(row.type, row.document) for row in rows]
    priorities = await asyncio.get_running_loop().run_in_executor(
        None, _priorities, read, second_stage
    )
    for row, priority in zip(rows, priorities, strict=True):
        row.priority = priority
    return len(rows)


def _priorities(read: list[tuple[str, dict[str, Any]]], second_stage: bool) -> list[int]:
    return [priority_of(kind, document, second_stage) for kind, document in read]
