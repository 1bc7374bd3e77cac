"""An acute item no one has taken up: after `crisis.escalate_after_minutes` every moderator of
its group is told (on duty or not), and as long again later the node's staff; and the
assessments are forgotten after `crisis.keep_days`."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from moderation.crisis.levels import Level
from moderation.reports import ReportState
from node.crisis.duty import group_moderators, node_staff
from node.groups.groups import get_group_by_id
from node.members.notifications import NotificationKind, notify
from node.runtime import Node
from node.store.states import EscalationStage
from node.store.tables import CrisisAssessment, Report, WebhookDelivery

log = logging.getLogger(__name__)

NEXT = {
    EscalationStage.ON_DUTY: EscalationStage.MODERATORS,
    EscalationStage.MODERATORS: EscalationStage.STAFF,
}


async def escalate_due(node: Node) -> int:
    """Move each acute item whose report is still open a stage on once its wait is over; how
    many moved."""
    now = node.clock()
    wait = timedelta(minutes=node.config.crisis.escalate_after_minutes)
    moved = 0
    async with node.store.transaction() as session:
        found = await session.exec(
            select(CrisisAssessment, Report)
            .join(Report, col(Report.id) == col(CrisisAssessment.report_id))
            .where(
                CrisisAssessment.level == Level.ACUTE,
                col(CrisisAssessment.escalation).in_(tuple(NEXT)),
                col(CrisisAssessment.escalated_at) <= now - wait,
                Report.state == ReportState.OPEN,
            )
            .order_by(col(CrisisAssessment.id))
        )
        for row, report in found.all():
            stage = NEXT[row.escalation]
            told = await _stage_audience(session, row, stage)
            row.escalation = stage  # NEXT is the only way on: one stage at a time
            row.escalated_at = now
            notify(
                session,
                told,
                NotificationKind.CRISIS,
                await _text(session, row, now),
                now,
                report.id,
            )
            log.warning(
                "event=crisis_escalated id=%s stage=%s told=%d", row.id, stage.value, len(told)
            )
            moved += 1
    return moved


async def _stage_audience(
    session: AsyncSession, row: CrisisAssessment, stage: EscalationStage
) -> list[int]:
    if stage == EscalationStage.MODERATORS and row.group_id is not None:
        return await group_moderators(session, row.group_id)
    return await node_staff(session)


async def _text(session: AsyncSession, row: CrisisAssessment, now: datetime) -> str:
    name = (await get_group_by_id(session, row.group_id)).name if row.group_id else "this node"
    minutes = int((now - row.created_at).total_seconds() // 60)
    return (
        f"URGENT, still unanswered: someone in {name} may be in crisis (report {row.report_id},"
        f" open for {minutes} minutes). No one has taken it up yet; please look now."
    )


async def purge_assessments(node: Node) -> int:
    """Forget assessments older than `crisis.keep_days` (the reports stay, with their reasons)."""
    cutoff = node.clock() - timedelta(days=node.config.crisis.keep_days)
    async with node.store.transaction() as session:
        old = select(CrisisAssessment.id).where(col(CrisisAssessment.created_at) < cutoff)
        await session.exec(
            delete(WebhookDelivery).where(col(WebhookDelivery.assessment_id).in_(old))
        )
        gone = await session.exec(
            delete(CrisisAssessment).where(col(CrisisAssessment.created_at) < cutoff)
        )
        return int(gone.rowcount or 0)
