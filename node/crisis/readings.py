"""Why Cove flagged an item, as the moderators' queue tells it: how urgent the words read, the
phrases that raised and lowered them, and whether the post waits, held, for a moderator. Read
from the assessments kept (never the text itself)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from moderation.crisis.levels import Level
from node.store.states import PostState
from node.store.tables import CrisisAssessment, Post


@dataclass(frozen=True, slots=True)
class CrisisReading:
    level: Level  # acute: someone may be in crisis now; concern: may be struggling
    kind: str  # what was read: a post, a reply, a private message to the group
    reasons: tuple[str, ...]  # the phrases that raised it, as written
    lowered: tuple[str, ...]  # the phrases that read it down (negation, idiom, recovery)
    held: bool  # its post waits for a moderator to release it

    @property
    def acute(self) -> bool:
        return self.level == Level.ACUTE


async def readings_of(
    session: AsyncSession, report_ids: Collection[int]
) -> dict[int, CrisisReading]:
    """The latest reading behind each report that Cove raised itself, by report id (a report
    a person filed has none: their own words say why)."""
    if not report_ids:
        return {}
    found = await session.exec(
        select(CrisisAssessment)
        .where(col(CrisisAssessment.report_id).in_(tuple(report_ids)))
        .order_by(col(CrisisAssessment.id))
    )
    latest = {a.report_id: a for a in found.all() if a.report_id is not None}
    held = await _held(session, [a.subject_uri for a in latest.values()])
    return {
        report_id: CrisisReading(
            a.level, a.subject_kind, tuple(a.reasons), tuple(a.lowered), a.subject_uri in held
        )
        for report_id, a in latest.items()
    }


async def _held(session: AsyncSession, uris: list[str]) -> set[str]:
    if not uris:
        return set()
    found = await session.exec(
        select(Post.uri).where(col(Post.uri).in_(uris), Post.state == PostState.HELD)
    )
    return set(found.all())


async def held_report_ids(session: AsyncSession, group_ids: tuple[int, ...] | None) -> list[int]:
    """The reports of the posts held for review in these groups (None: every group), oldest
    first: what must not drop out of a moderator's sight while it waits."""
    query = (
        select(CrisisAssessment.report_id)
        .join(Post, col(Post.uri) == col(CrisisAssessment.subject_uri))
        .where(Post.state == PostState.HELD, col(CrisisAssessment.report_id).is_not(None))
    )
    if group_ids is not None:
        query = query.where(col(Post.group_id).in_(group_ids))
    found = await session.exec(query.order_by(col(Post.id)))
    return list(dict.fromkeys(r for r in found.all() if r is not None))
