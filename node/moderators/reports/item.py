"""One report as its page shows a moderator: the report and why it was raised, where its post
and its person stand now (removed, locked, pinned, held; banned, their server kept out), the
other reports about them, and everything that happened to them and who did it, from the
report's history and the moderation log together."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from moderation.modlog import ModAction
from moderation.reports import ReportCategory, ReportState
from node.crisis.readings import CrisisReading, readings_of
from node.groups.bylines import Byline, people
from node.groups.groups import GroupInfo, get_group_by_id
from node.moderators.bans import BanInfo, ban_in_force, ban_info, group_domain_block
from node.moderators.reports import decisions
from node.moderators.reports.info import ReportInfo
from node.moderators.reports.queue import rule_titles
from node.moderators.roles import Acting
from node.moderators.thread_moderation import server_elsewhere, thread_start
from node.runtime import Node
from node.store.states import PostState, ReportDirection
from node.store.tables import ModLogEntry, Post, Report

RELATED = 10  # other reports about the same post or person, newest first


@dataclass(frozen=True, slots=True)
class PostStanding:
    """Where a reported post stands now."""

    uri: str
    page: str | None  # its thread's page here, while everyone may read it
    thread_uri: str  # the post its thread starts with: what locking locks
    reply: bool
    anonymous: bool
    removed: bool
    held: bool
    gone: bool  # deleted by its author, or purged
    locked: bool  # its thread takes no new replies
    pinned: bool


@dataclass(frozen=True, slots=True)
class HistoryLine:
    at: datetime
    action: str  # a report's event (opened, resolved, released...) or a log action (ban...)
    by: str | None
    note: str | None
    target: str | None  # what a log line touched; None for the report's own events
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Related:
    id: int
    category: ReportCategory
    state: ReportState
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ReportItem:
    report: ReportInfo  # its post's words only when asked for
    words_kept_back: bool  # the post has words, not shown until asked
    raised_by_node: bool  # Cove raised it (a crisis reading): no reporter to hear the outcome
    group: GroupInfo | None  # None: a report for the node's staff
    reading: CrisisReading | None
    rules: dict[int, str]  # the titles of the rules it cites, by number, as they read now
    post: PostStanding | None
    person: str | None  # whom it is about: a post's real author, or the account reported
    person_server: str | None  # their server when it is another one (a group can keep it out)
    ban: BanInfo | None  # their ban from the group, in force
    server_kept_out: bool
    history: tuple[HistoryLine, ...]  # oldest first
    related: tuple[Related, ...]
    names: dict[str, Byline]  # who everyone named above is


async def report_item(node: Node, acting: Acting, report_id: int, *, words: bool) -> ReportItem:
    """The report (refused to whoever may not see it, as `get_report` refuses), its post's
    words only when `words` asks for them: what a moderator reads is theirs to choose."""
    async with node.store.session() as session:
        shown = await decisions.report_shown(session, acting, report_id)
        row, info = shown.row, shown.info
        has_words = info.post is not None and bool(info.post.content_html or info.post.title)
        if not (words and has_words):  # a purged post has none left to show
            info = replace(info, post=None, text_hidden=has_words)
        group = await get_group_by_id(session, row.group_id) if row.group_id else None
        post = await _standing(session, node, group, shown.post) if shown.post else None
        person = info.target_account_uri
        ban, kept_out, server = None, False, server_elsewhere(node, person)
        titles = await rule_titles(session, group.id) if group is not None else {}
        if group is not None and person is not None:
            found = await ban_in_force(session, node.urls.group(group.name), person, node.clock())
            ban = ban_info(found) if found is not None else None
            kept_out = await group_domain_block(session, group.id, person) is not None
        history = await _history(session, row, info, post, server)
        related = await _related(session, row)
        readings = await readings_of(session, [report_id])
        names = await people(
            session,
            node,
            {u for u in (person, info.reporter_uri, *(h.by for h in history)) if u},
        )
    # What Cove does of itself (a crisis reading, a report it raised) is said as Cove's.
    names[node.urls.instance_actor()] = Byline("Cove", None, None)
    return ReportItem(
        info,
        has_words and not words,
        info.reporter_uri == node.urls.instance_actor(),
        group,
        readings.get(report_id),
        {n: titles[n] for n in info.rule_numbers if n in titles},
        post,
        person,
        server,
        ban,
        kept_out,
        history,
        related,
        names,
    )


async def _standing(
    session: AsyncSession, node: Node, group: GroupInfo | None, post: Post
) -> PostStanding:
    root = await thread_start(session, post)
    gone, live = post.state == PostState.DELETED, post.state == PostState.LIVE
    return PostStanding(
        uri=post.uri,
        page=node.urls.thread(group.name, post.id) if group and post.id and live else None,
        thread_uri=root.uri,
        reply=post.in_reply_to_uri is not None,
        anonymous=post.anonymous,
        removed=post.state == PostState.REMOVED,
        held=post.state == PostState.HELD,
        gone=gone,
        locked=root.locked_at is not None,
        pinned=post.pinned_at is not None,
    )


LOCKING = (ModAction.LOCK_POST.value, ModAction.UNLOCK_POST.value)


async def _history(
    session: AsyncSession,
    row: Report,
    info: ReportInfo,
    post: PostStanding | None,
    server: str | None,
) -> tuple[HistoryLine, ...]:
    """The report's own events, and the log's lines about its post, its thread's lock, its
    person (their bans, suspensions) and their server, oldest first."""
    lines = [HistoryLine(e.at, e.action, e.actor_uri, e.note, None) for e in info.history]
    about = {u for u in (info.target_uri, info.target_account_uri, server) if u}
    query = select(ModLogEntry).where(
        or_(col(ModLogEntry.group_id) == row.group_id, col(ModLogEntry.group_id).is_(None))
    )
    touching: list[ColumnElement[bool]] = [col(ModLogEntry.target_uri).in_(tuple(about))]
    if post is not None and post.thread_uri != post.uri:
        thread = col(ModLogEntry.target_uri) == post.thread_uri
        touching.append(thread & col(ModLogEntry.action).in_(LOCKING))
    found = await session.exec(query.where(or_(*touching)).order_by(col(ModLogEntry.id)))
    lines += [
        HistoryLine(e.created_at, e.action, e.moderator_uri, e.reason, e.target_uri, e.expires_at)
        for e in found.all()
    ]
    return tuple(sorted(lines, key=lambda line: line.at))


async def _related(session: AsyncSession, row: Report) -> tuple[Related, ...]:
    """The other reports about the same post or person, handled by the same moderators."""
    about = [col(Report.target_uri) == row.target_uri]
    if row.target_account_uri:
        about.append(col(Report.target_account_uri) == row.target_account_uri)
    scope = (
        col(Report.group_id).is_(None) if row.group_id is None else Report.group_id == row.group_id
    )
    found = await session.exec(
        select(Report)
        .where(Report.direction == ReportDirection.RECEIVED, Report.id != row.id, scope)
        .where(or_(*about))
        .order_by(col(Report.id).desc())
        .limit(RELATED)
    )
    return tuple(
        Related(r.id, r.category, r.state, r.created_at) for r in found.all() if r.id is not None
    )
