"""Reports as they are shown: to moderators (with their history and the reported post) and to
the member who filed them; the thing a report names here, and a line of a report's history."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.vocabulary import iso8601
from moderation.reports import ReportCategory, ReportState
from node.store.states import ReportDirection
from node.store.tables import Post, Report
from node.store.tables import ReportEvent as ReportEventRow


@dataclass(frozen=True, slots=True)
class ReportEvent:
    action: str
    actor_uri: str | None
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ReportedPost:
    """What a reported post here says, for the moderators deciding: kept after a removal,
    empty once deleted by its author or purged."""

    title: str | None
    content_html: str
    removed: bool
    deleted: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "content": self.content_html,
            "removed": self.removed,
            "deleted": self.deleted,
        }


@dataclass(frozen=True, slots=True)
class ReportInfo:
    id: int
    direction: ReportDirection
    flag_uri: str
    reporter_uri: str | None  # None: a remote server that did not say who
    reporter_host: str
    target_uri: str
    target_is_post: bool
    target_account_uri: str | None
    group_uri: str | None
    category: ReportCategory
    rule_numbers: tuple[int, ...]
    comment: str
    state: ReportState
    urgent: bool
    outcome: str | None
    created_at: datetime
    updated_at: datetime
    history: tuple[ReportEvent, ...] = field(default=())
    post: ReportedPost | None = None  # filled in when one report is shown
    text_hidden: bool = False  # a crisis report's post, kept back until asked for

    def guarded(self, with_text: bool) -> ReportInfo:
        """The report as a moderator first sees it: for a crisis report, the reason and not
        the post's words until they ask (what they read at 3 a.m. is theirs to choose)."""
        if with_text or self.category != ReportCategory.SELF_HARM or self.post is None:
            return self
        return replace(self, post=None, text_hidden=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "direction": self.direction.value,
            "state": self.state.value,
            "urgent": self.urgent,
            "category": self.category.value,
            "rule_ids": [str(n) for n in self.rule_numbers],
            "comment": self.comment,
            "reporter": self.reporter_uri,
            "reporter_server": self.reporter_host,
            "target": self.target_uri,
            "target_is_post": self.target_is_post,
            "target_account": self.target_account_uri,
            "group": self.group_uri,
            "outcome": self.outcome,
            "flag": self.flag_uri,
            "created_at": iso8601(self.created_at),
            "updated_at": iso8601(self.updated_at),
            "history": [
                {"action": e.action, "by": e.actor_uri, "note": e.note, "at": iso8601(e.at)}
                for e in self.history
            ],
            "post": self.post.as_json() if self.post else None,
            "text_hidden": self.text_hidden,
        }


def report_info(
    row: Report, history: tuple[ReportEvent, ...] = (), post: ReportedPost | None = None
) -> ReportInfo:
    assert row.id is not None
    return ReportInfo(
        id=row.id,
        direction=row.direction,
        flag_uri=row.flag_uri,
        reporter_uri=row.reporter_uri,
        reporter_host=row.reporter_host,
        target_uri=row.target_uri,
        target_is_post=row.target_is_post,
        target_account_uri=row.target_account_uri,
        group_uri=row.group_uri,
        category=row.category,
        rule_numbers=tuple(row.rule_numbers),
        comment=row.comment,
        state=row.state,
        urgent=row.urgent,
        outcome=row.outcome,
        created_at=row.created_at,
        updated_at=row.updated_at,
        history=history,
        post=post,
    )


@dataclass(frozen=True, slots=True)
class Target:
    """One reported thing here: a post (with its author) or an account."""

    uri: str
    is_post: bool
    account_uri: str | None
    group_id: int | None
    group_uri: str | None


def record_event(
    session: AsyncSession,
    report_id: int,
    action: str,
    actor: str | None,
    note: str | None,
    now: datetime,
) -> None:
    session.add(
        ReportEventRow(
            report_id=report_id, action=action, actor_uri=actor, note=note, created_at=now
        )
    )


async def as_reporter_sees(session: AsyncSession, row: Report) -> ReportInfo:
    """A report as the member who filed it sees it: an anonymous post's author is the group
    to them, as to everyone but the group's moderators (who see the row as it is)."""
    info = report_info(row)
    if not row.target_is_post:
        return info
    post = (await session.exec(select(Post).where(Post.uri == row.target_uri))).first()
    if post is None or not post.anonymous:
        return info
    return replace(info, target_account_uri=post.group_uri)
