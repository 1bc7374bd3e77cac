"""What happens when something that enters a group reads as a crisis: the assessment kept (why,
never the text), a report from the node itself in the group's queue (urgent when acute), those
on duty told at once and the webhooks paged, professionals paged where the group asks, and a
care message offered to the person. Nothing is deleted and no one is sanctioned."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.client import FederationClient
from moderation.crisis.levels import Assessment, Level
from moderation.reports import ReportCategory
from node.crisis import webhooks
from node.crisis.care import offer_care
from node.crisis.duty import on_duty
from node.crisis.professionals import professionals_in
from node.groups.groups import GroupInfo
from node.members.notifications import NotificationKind, notify
from node.moderators.reports.info import Target
from node.moderators.reports.received import open_report
from node.runtime import Node
from node.store.states import CareReason, EscalationStage, PostState, Visibility
from node.store.tables import CommunityGroup, CrisisAssessment, Post

log = logging.getLogger(__name__)


def kind_of(post: Post) -> str:
    """What the queue calls it: a private message to the group, a reply, or a post."""
    if post.visibility == Visibility.DIRECT:
        return "message"
    return "reply" if post.in_reply_to_uri else "post"


def quoted(phrases: Sequence[str]) -> str:
    return ", ".join(f"“{p}”" for p in phrases) or "no single phrase"


def comment_for(assessment: Assessment) -> str:
    """The queue's words for an item the node raised: the reason first, never the text, and
    not an accusation."""
    what = (
        "may be in crisis now (intent, plan, means, timing or a farewell)"
        if assessment.level == Level.ACUTE
        else "may be struggling (thoughts of dying, self-harm, hopelessness)"
    )
    lowered = f"; read down by {quoted(assessment.lowered)}" if assessment.lowered else ""
    return (
        f"Cove read this as {assessment.level.value}: the person {what}. Matched"
        f" {quoted(assessment.reasons)}{lowered}. This is not an accusation: please check on them."
    )


async def respond(
    node: Node,
    client: FederationClient,
    group: GroupInfo,
    post: Post,
    assessment: Assessment,
    language: str | None = None,
) -> int | None:
    """Act on a flagged post of the group (as it is stored: its author is the real one, for
    an anonymous post too) once; an edit read higher acts again. The assessment's id, or None
    when there was nothing (new) to do."""
    if not assessment.flagged:
        return None
    async with node.store.transaction() as session:
        row = await _record(node, session, group, post, assessment)
    if row is None:
        return None
    held = post.state == PostState.HELD
    log.info(
        "event=crisis_flagged id=%s group=%s level=%s held=%s",
        row.id,
        group.name,
        assessment.level.value,
        held,
    )
    try:
        reason = CareReason.HELD if held else CareReason.DETECTED
        await offer_care(node, client, group, post.author_uri, reason, language)
    except Exception:  # the report and the pages stand; a care message is a kindness on top
        log.exception("event=care_message_failed assessment=%s", row.id)
    return row.id


async def _record(
    node: Node, session: AsyncSession, group: GroupInfo, post: Post, assessment: Assessment
) -> CrisisAssessment | None:
    found = await session.exec(
        select(CrisisAssessment)
        .where(CrisisAssessment.subject_uri == post.uri)
        .order_by(col(CrisisAssessment.id).desc())
    )
    before = found.first()
    if before is not None and before.level.rank >= assessment.level.rank:
        return None  # a redelivery, or an edit that reads no worse
    now = node.clock()
    group_uri = node.urls.group(group.name)
    report = await open_report(
        session,
        Target(post.uri, True, post.author_uri, group.id, group_uri),
        flag_uri=node.urls.derived_activity("crisis", post.uri, assessment.level.value),
        reporter_uri=node.urls.instance_actor(),
        reporter_host=node.urls.domain,
        category=ReportCategory.SELF_HARM,
        cited=(),
        comment=comment_for(assessment),
        now=now,
    )
    # A concern waits its turn in the queue; only an acute item is urgent.
    report.urgent = assessment.level == Level.ACUTE
    row = CrisisAssessment(
        subject_uri=post.uri,
        subject_kind=kind_of(post),
        group_id=group.id,
        person_uri=post.author_uri,
        level=assessment.level,
        reasons=list(assessment.reasons),
        lowered=list(assessment.lowered),
        languages=list(assessment.languages),
        report_id=report.id,
        escalation=EscalationStage.ON_DUTY,
        escalated_at=now,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    if assessment.level == Level.ACUTE:
        await _page(node, session, group, row)
    return row


async def _page(node: Node, session: AsyncSession, group: GroupInfo, row: CrisisAssessment) -> None:
    """Tell those on duty at once, and the group's professionals when it asks for them."""
    now = node.clock()
    told = set(await on_duty(session, group.id))
    settings = await session.get(CommunityGroup, group.id)
    if settings is not None and settings.page_professionals:
        told.update(await professionals_in(session, group.id, now))
    text = page_text(group, row)
    notify(session, sorted(told), NotificationKind.CRISIS, text, now, row.report_id)
    await webhooks.page(session, group.id, row, text, now)


def page_text(group: GroupInfo, row: CrisisAssessment) -> str:
    urgency = "URGENT: someone may be in crisis" if row.level == Level.ACUTE else "Concern"
    return (
        f"{urgency} in {group.name} (report {row.report_id}): a {row.subject_kind} matched"
        f" {quoted(row.reasons)}. Open the report to read it."
    )
