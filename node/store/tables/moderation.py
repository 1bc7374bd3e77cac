"""Moderation: reports and their history, bans and suspensions, and the moderation log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from node.store.states import (
    BanState,
    ReportCategory,
    ReportDirection,
    ReportState,
)
from node.store.tables.columns import URI_LENGTH, enum_type, moment
from node.store.types import JSONDocument


class Report(SQLModel, table=True):
    """A report of one post or one account: received (for moderators here) or sent (a member's
    report of something elsewhere, whose outcome comes back)."""

    __tablename__ = "report"
    __table_args__ = (
        sa.UniqueConstraint("flag_uri", "target_uri"),
        sa.Index("ix_report_queue", "direction", "state", "urgent", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    direction: ReportDirection = Field(sa_type=enum_type(ReportDirection, "report_direction"))
    # The Flag it came in (received) or the first one sent; one report per thing it names.
    flag_uri: str = Field(max_length=URI_LENGTH, index=True)
    # None when a remote server reported without saying who (Mastodon's instance actor).
    reporter_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    reporter_account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    reporter_host: str = Field(max_length=255)
    # The actor to answer with the outcome: whoever sent the Flag (an instance actor, maybe).
    flag_actor_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    target_uri: str = Field(max_length=URI_LENGTH)
    target_is_post: bool
    target_account_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    # The local group whose moderators handle it; None: node moderators (reports of members).
    group_id: int | None = Field(default=None, foreign_key="community_group.id", index=True)
    group_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    category: ReportCategory = Field(sa_type=enum_type(ReportCategory, "report_category"))
    rule_numbers: list[int] = Field(default_factory=list, sa_type=JSONDocument)
    comment: str = Field(default="", sa_type=sa.Text)
    state: ReportState = Field(sa_type=enum_type(ReportState, "report_state"))
    urgent: bool = False
    anonymous: bool = False  # sent: the reporter hidden behind the instance actor
    outcome: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = moment()
    updated_at: datetime = moment()


class ReportEvent(SQLModel, table=True):
    """A report's history: opened, resolved, dismissed, reopened, an outcome heard back."""

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    action: str = Field(max_length=32)
    actor_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = moment()


class Ban(SQLModel, table=True):
    """An actor banned from a group (here or elsewhere: a remote group's ban of our member),
    or, with no group, suspended from the whole node."""

    __tablename__ = "ban"
    __table_args__ = (sa.Index("ix_ban_in_force", "actor_uri", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    group_uri: str | None = Field(default=None, max_length=URI_LENGTH, index=True)
    group_id: int | None = Field(default=None, foreign_key="community_group.id")
    actor_uri: str = Field(max_length=URI_LENGTH)
    state: BanState = Field(sa_type=enum_type(BanState, "ban_state"))
    reason: str = Field(default="", sa_type=sa.Text)
    expires_at: datetime | None = moment(nullable=True, index=True)
    remove_data: bool = False
    moderator_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    # The Block activity that made it (sent by us, or received from the remote group).
    block_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    created_at: datetime = moment()
    updated_at: datetime = moment()


class ModLogEntry(SQLModel, table=True):
    """One line of a group's public moderation log (no group: a node-level action)."""

    __tablename__ = "mod_log"
    __table_args__ = (sa.Index("ix_mod_log_group", "group_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int | None = Field(default=None, foreign_key="community_group.id")
    action: str = Field(max_length=32)
    moderator_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    target_uri: str = Field(max_length=URI_LENGTH)
    reason: str | None = Field(default=None, sa_type=sa.Text)
    expires_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment()
