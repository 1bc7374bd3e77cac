"""Deciding reports: listed and shown to who may handle them, decided with a history, the Flag's
sender answered once all it named is decided; outcomes of our Flags; a member's own reports."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.errors import Conflict, NotFound, Refused
from federation.wire import Activity
from moderation import reports as policy
from moderation.reports import ReportState
from moderation.roles import MODERATING, may_moderate_node
from node.actors.instance import get_instance
from node.groups.groups import get_group_by_id
from node.members.accounts import AccountInfo
from node.members.notifications import NotificationKind, notify
from node.moderators.reports.filed import GROUP_COPY
from node.moderators.reports.info import (
    ReportedPost,
    ReportEvent,
    ReportInfo,
    as_reporter_sees,
    record_event,
    report_info,
)
from node.moderators.roles import (
    Acting,
    group_role,
    moderated_group_ids,
    require_group_moderator,
    require_node_moderator,
)
from node.queue.delivery import inbox_of, queue
from node.runtime import Node
from node.store.states import ReportDirection, Visibility, advance
from node.store.tables import Post, RemoteActor, Report
from node.store.tables import ReportEvent as ReportEventRow

log = logging.getLogger(__name__)


async def _may_handle(session: AsyncSession, acting: Acting, row: Report) -> None:
    if row.group_id is None:
        require_node_moderator(acting)
        return
    group = await get_group_by_id(session, row.group_id)
    await require_group_moderator(session, acting, group)


async def _visible_to(session: AsyncSession, acting: Acting, row: Report) -> bool:
    if may_moderate_node(acting.role):
        return True
    if row.group_id is None:
        return False
    return await group_role(session, row.group_id, acting.uri) in MODERATING


async def list_reports(
    node: Node,
    acting: Acting,
    states: Collection[ReportState] = (ReportState.OPEN,),
    limit: int = 100,
    offset: int = 0,
) -> list[ReportInfo]:
    """The reports an actor may handle, urgent ones first, then newest first (`offset` of
    them skipped: the pages' queue goes a page at a time). Refused to someone who moderates
    neither the node nor any group, as Mastodon answers 403."""
    async with node.store.session() as session:
        query = select(Report).where(Report.direction == ReportDirection.RECEIVED)
        query = query.where(col(Report.state).in_(tuple(states)))
        mine = await moderated_group_ids(session, acting)
        if mine is not None:
            if not mine:
                raise Refused(
                    "{who} moderates no group here and may not see reports", who=acting.name
                )
            query = query.where(col(Report.group_id).in_(mine))
        found = await session.exec(
            query.order_by(col(Report.urgent).desc(), col(Report.id).desc())
            .offset(offset)
            .limit(limit)
        )
        return [report_info(r) for r in found.all()]


async def get_report(node: Node, acting: Acting, report_id: int) -> ReportInfo:
    async with node.store.session() as session:
        return (await report_shown(session, acting, report_id)).info


@dataclass(frozen=True, slots=True)
class ShownReport:
    row: Report
    info: ReportInfo  # with its history and what its post says
    post: Post | None  # the reported post's row, kept here


async def report_shown(session: AsyncSession, acting: Acting, report_id: int) -> ShownReport:
    """A report as one who may see it sees it, and its rows (for a page that shows more of
    them in the same session); NotFound or Refused as `get_report`."""
    row = await session.get(Report, report_id)
    if row is None or row.direction != ReportDirection.RECEIVED:
        raise NotFound("no report {report_id}", report_id=report_id)
    if not await _visible_to(session, acting, row):
        raise Refused("{who} may not see report {report_id}", who=acting.name, report_id=report_id)
    events = await session.exec(
        select(ReportEventRow)
        .where(ReportEventRow.report_id == report_id)
        .order_by(col(ReportEventRow.id))
    )
    history = tuple(ReportEvent(e.action, e.actor_uri, e.note, e.created_at) for e in events.all())
    post, found = None, None
    if row.target_is_post:
        found = (await session.exec(select(Post).where(Post.uri == row.target_uri))).first()
        if found is not None:
            post = ReportedPost(
                found.title,
                found.content_html,
                removed=found.removed_at is not None,
                deleted=found.deleted_at is not None,
            )
    return ShownReport(row, report_info(row, history, post), found)


async def decide(
    node: Node,
    acting: Acting,
    report_id: int,
    state: ReportState,
    note: str = "",
) -> ReportInfo:
    """Resolve (action taken), dismiss, or reopen a report; the reporter hears the outcome
    (a notification here, an Accept or Reject of their Flag elsewhere)."""
    note = policy.checked_comment(note)
    now = node.clock()
    instance = await get_instance(node)
    async with node.store.transaction() as session:
        row = await session.get(Report, report_id)
        if row is None or row.direction != ReportDirection.RECEIVED:
            raise NotFound("no report {report_id}", report_id=report_id)
        await _may_handle(session, acting, row)
        if row.state == state:
            raise Conflict(
                "report {report_id} is {state} already", report_id=report_id, state=state.value
            )
        if row.state != ReportState.OPEN and state != ReportState.OPEN:
            raise Conflict(
                "report {report_id} is {state}: reopen it first",
                report_id=report_id,
                state=row.state.value,
            )
        advance(row, state)
        row.updated_at = now
        if state != ReportState.OPEN:
            row.outcome = note or None
        action = {ReportState.OPEN: "reopened", ReportState.RESOLVED: "resolved"}.get(
            state, "dismissed"
        )
        record_event(session, report_id, action, acting.uri, note or None, now)
        if state != ReportState.OPEN:
            text = policy.outcome_text(state, note)
            if row.reporter_account_id is not None:
                notify(
                    session,
                    [row.reporter_account_id],
                    NotificationKind.REPORT_OUTCOME,
                    text,
                    now,
                    report_id,
                )
            elif row.flag_actor_uri is not None:
                await _answer_when_all_decided(node, session, instance.actor_id, row, now)
        await session.flush()
        info = report_info(row)
    log.info("event=report_%s id=%s by=%s", action, report_id, acting.uri)
    return info


async def _answer_when_all_decided(
    node: Node, session: AsyncSession, instance_actor_id: int, row: Report, now: datetime
) -> None:
    """A Flag that named several things made a report for each: its sender hears one
    outcome, once the last of them is decided."""
    siblings = await session.exec(
        select(Report.state, Report.outcome).where(
            Report.flag_uri == row.flag_uri, Report.direction == ReportDirection.RECEIVED
        )
    )
    outcome = policy.flag_outcome([(ReportState(s), note) for s, note in siblings.all()])
    if outcome is None:
        assert row.id is not None
        record_event(
            session, row.id, "outcome_waits", None, "other reports of the Flag are open", now
        )
        return
    await _answer_flag(node, session, instance_actor_id, row, *outcome, now)


async def _answer_flag(
    node: Node,
    session: AsyncSession,
    instance_actor_id: int,
    row: Report,
    state: ReportState,
    text: str,
    now: datetime,
) -> None:
    """Tell the server that sent a Flag what became of it: Accept (action taken) or Reject
    (dismissed) whose object is the Flag's id (docs/report-outcomes.md)."""
    assert row.flag_actor_uri is not None and row.id is not None
    sender = (
        await session.exec(select(RemoteActor).where(RemoteActor.uri == row.flag_actor_uri))
    ).first()
    if sender is None:
        return
    events = await session.exec(select(ReportEventRow.id).where(ReportEventRow.report_id == row.id))
    answer = builders.report_outcome(
        node.urls.derived_activity("outcome", row.flag_uri, str(row.id), str(len(events.all()))),
        node.urls.instance_actor(),
        row.flag_uri,
        row.flag_actor_uri,
        state == ReportState.RESOLVED,
        text,
    )
    await queue(
        session,
        instance_actor_id,
        answer,
        Visibility.DIRECT,
        [inbox_of(sender)],
        now,
    )


async def receive_outcome(node: Node, activity: Activity, accepted: bool) -> bool:
    """Accept or Reject of a Flag we sent: the member who reported hears what was done.
    Returns False when the activity answers no Flag of ours (a follow's answer, say)."""
    flag_id = activity.object_id
    if flag_id.endswith(GROUP_COPY):
        flag_id = flag_id[: -len(GROUP_COPY)]
    now = node.clock()
    async with node.store.transaction() as session:
        row = (
            await session.exec(
                select(Report).where(
                    Report.flag_uri == flag_id, Report.direction == ReportDirection.SENT
                )
            )
        ).first()
        if row is None:
            return False
        # Only a server the Flag went to can answer it.
        hosts = {urlsplit(u).netloc.lower() for u in (row.target_account_uri, row.group_uri) if u}
        if urlsplit(activity.actor).netloc.lower() not in hosts:
            raise Refused("an answer to a report from a server it was not sent to")
        state = ReportState.RESOLVED if accepted else ReportState.DISMISSED
        text = (activity.content or "").strip()
        if row.state != state:
            advance(row, ReportState.OPEN)  # a decided report is reopened on the way
            advance(row, state)
        row.outcome, row.updated_at = text or policy.outcome_text(state, None), now
        assert row.id is not None
        record_event(session, row.id, "outcome_received", activity.actor, text or None, now)
        if row.reporter_account_id is not None:
            notify(
                session,
                [row.reporter_account_id],
                NotificationKind.REPORT_OUTCOME,
                row.outcome,
                now,
                row.id,
            )
    log.info("event=report_outcome flag=%s accepted=%s from=%s", flag_id, accepted, activity.actor)
    return True


async def my_reports(node: Node, account: AccountInfo) -> list[ReportInfo]:
    async with node.store.session() as session:
        found = await session.exec(
            select(Report)
            .where(Report.reporter_account_id == account.id)
            .order_by(col(Report.id).desc())
        )
        return [await as_reporter_sees(session, r) for r in found.all()]
