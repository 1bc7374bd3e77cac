"""How soon a group's moderators first act on the reports about it: the median, over a recent
window, of the time from a report to the first thing a moderator did about it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from node.store.states import ReportDirection
from node.store.tables import ModLogEntry, Report, ReportEvent

# What a moderator does to a report (info.record_event); "opened", "outcome_waits",
# "worried_again" and "outcome_received" are the node's or the reporter's, not an action.
MODERATOR_ACTIONS = ("resolved", "dismissed", "reopened", "released", "referred")


@dataclass(frozen=True, slots=True)
class ResponseTime:
    """The median delay to a first action, over the reports acted on (None: there were none);
    reports still waiting for any action are counted apart, not guessed at."""

    median: timedelta | None
    acted_on: int
    waiting: int


async def first_response(
    session: AsyncSession, group_id: int, now: datetime, window: timedelta
) -> ResponseTime:
    """Reports received about the group within `window` before `now`: each is first acted on
    when it is decided, or when a moderator's logged action touches what it reports (a
    removal, a ban), whichever came first."""
    found = await session.exec(
        select(Report).where(
            Report.group_id == group_id,
            Report.direction == ReportDirection.RECEIVED,
            col(Report.created_at) >= now - window,
        )
    )
    reports = list(found.all())
    delays: list[float] = []
    waiting = 0
    for report in reports:
        first = await _first_action(session, report)
        if first is None:
            waiting += 1
        else:
            delays.append(max((first - report.created_at).total_seconds(), 0.0))
    median = timedelta(seconds=round(statistics.median(delays))) if delays else None
    return ResponseTime(median, len(delays), waiting)


async def _first_action(session: AsyncSession, report: Report) -> datetime | None:
    assert report.id is not None
    decided = await session.exec(
        select(ReportEvent.created_at)
        .where(
            ReportEvent.report_id == report.id,
            col(ReportEvent.action).in_(MODERATOR_ACTIONS),
        )
        .order_by(col(ReportEvent.created_at))
        .limit(1)
    )
    targets = [t for t in (report.target_uri, report.target_account_uri) if t]
    logged = await session.exec(
        select(ModLogEntry.created_at)
        .where(
            ModLogEntry.group_id == report.group_id,
            col(ModLogEntry.target_uri).in_(targets),
            col(ModLogEntry.created_at) >= report.created_at,
        )
        .order_by(col(ModLogEntry.created_at))
        .limit(1)
    )
    moments = [m for m in (decided.first(), logged.first()) if m is not None]
    return min(moments) if moments else None
