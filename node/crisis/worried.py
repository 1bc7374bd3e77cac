"""Worried reports: someone says they are worried about a person (a report of category
self_harm). It never sanctions the person: it opens an urgent report and offers them care,
within limits that keep it from being used to harass them or to flood the moderators."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.client import FederationClient
from federation.errors import Refused
from moderation.reports import ReportCategory
from node.crisis.care import offer_care
from node.groups.groups import get_group_by_id
from node.moderators.reports.info import record_event
from node.runtime import Node
from node.store.states import CareReason, ReportDirection
from node.store.tables import Report

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)
WORRIED = ReportCategory.SELF_HARM


def _recent(now: datetime) -> tuple[object, ...]:
    return (Report.category == WORRIED, Report.created_at > now - WINDOW)


async def refuse_over_limit(node: Node, account_id: int) -> None:
    """A member here who has said they are worried about people too often today is told so
    (their earlier reports stand) rather than filing another."""
    limit = node.config.crisis.worried_per_reporter
    async with node.store.session() as session:
        count = await session.exec(
            select(func.count())
            .select_from(Report)
            .where(Report.reporter_account_id == account_id, *_recent(node.clock()))  # type: ignore[arg-type]
        )
        if int(count.one()) < limit:
            return
    raise Refused(
        "you have said you are worried about someone {limit} times in the last day, the most"
        " Cove takes: the moderators have those reports. If someone is in danger now, call"
        " your local emergency number",
        limit=limit,
    )


async def remote_over_limit(session: AsyncSession, node: Node, row: Report) -> bool:
    """Whether the sender of a worried Flag (the person, else the server's actor that sent
    it) said so more often today than the limit: it is still recorded, without care."""
    sender = row.reporter_uri or row.flag_actor_uri
    count = await session.exec(
        select(func.count())
        .select_from(Report)
        .where(
            or_(col(Report.reporter_uri) == sender, col(Report.flag_actor_uri) == sender),
            Report.direction == ReportDirection.RECEIVED,
            Report.id != row.id,
            *_recent(row.created_at),  # type: ignore[arg-type]
        )
    )
    return int(count.one()) >= node.config.crisis.worried_per_reporter


async def attach_past_limit(session: AsyncSession, node: Node, row: Report) -> bool:
    """A worried report about a person who has had the limit of urgent ones today is kept,
    not urgent, and noted on the latest urgent one: a crowd cannot flood the moderators'
    queue about one person. Whether it was attached."""
    if row.target_account_uri is None:
        return False
    urgent = await session.exec(
        select(Report.id)
        .where(
            Report.target_account_uri == row.target_account_uri,
            Report.direction == ReportDirection.RECEIVED,
            col(Report.urgent).is_(True),
            Report.id != row.id,
            *_recent(row.created_at),  # type: ignore[arg-type]
        )
        .order_by(col(Report.id).desc())
    )
    earlier = list(urgent.all())
    if len(earlier) < node.config.crisis.worried_per_target:
        return False
    row.urgent = False
    assert row.id is not None and earlier[0] is not None
    record_event(session, earlier[0], "worried_again", None, f"report {row.id}", row.created_at)
    log.info("event=worried_attached report=%s to=%s", row.id, earlier[0])
    return True


async def care_after_report(node: Node, client: FederationClient, report_id: int) -> bool:
    """Offer care to the person a worried report is about, from the group it was made in
    (else the node). Whether a message was sent (once a day at most, as every care)."""
    async with node.store.session() as session:
        row = await session.get(Report, report_id)
        if row is None or row.category != WORRIED or row.target_account_uri is None:
            return False
        group = await get_group_by_id(session, row.group_id) if row.group_id else None
        person = row.target_account_uri
    return await offer_care(node, client, group, person, CareReason.WORRIED)
