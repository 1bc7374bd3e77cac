"""Crisis care: assessments of what entered a group, who is on duty, the webhooks that page
people, the crisis services table, the care messages sent, and professionals' credentials."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from moderation.crisis.levels import Level as CrisisLevel
from node.store.states import CareReason, DeliveryState, DutyState, EscalationStage
from node.store.tables.columns import URI_LENGTH, enum_type, moment
from node.store.types import JSONDocument


class CrisisAssessment(SQLModel, table=True):
    """A post, reply, private message or report that read as acute or concern: why (the
    phrases, never the text), the report that put it in the queue, and who has been told.
    Seen by the group's moderators and node staff only; purged after `crisis.keep_days`."""

    __tablename__ = "crisis_assessment"
    __table_args__ = (sa.Index("ix_crisis_assessment_escalation", "escalation", "escalated_at"),)

    id: int | None = Field(default=None, primary_key=True)
    subject_uri: str = Field(max_length=URI_LENGTH, index=True)  # the post, or the Flag
    subject_kind: str = Field(max_length=16)  # post, reply, message, report
    group_id: int | None = Field(default=None, foreign_key="community_group.id", index=True)
    person_uri: str = Field(max_length=URI_LENGTH, index=True)  # whose distress it may be
    level: CrisisLevel = Field(sa_type=enum_type(CrisisLevel, "crisis_level"))
    reasons: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    lowered: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    languages: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    escalation: EscalationStage = Field(sa_type=enum_type(EscalationStage, "escalation_stage"))
    escalated_at: datetime = moment()
    created_at: datetime = moment(index=True)


class ModeratorDuty(SQLModel, table=True):
    """Whether a moderator is on duty for a group (or a staff member for the node: no group)."""

    __tablename__ = "moderator_duty"
    __table_args__ = (sa.Index("ix_moderator_duty_scope", "group_id", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    group_id: int | None = Field(default=None, foreign_key="community_group.id")
    state: DutyState = Field(sa_type=enum_type(DutyState, "duty_state"))
    changed_at: datetime = moment()


class CrisisWebhook(SQLModel, table=True):
    """Where to page people about crisis items: a URL an organizer set for a group (or an
    admin for the node), with the secret each delivery is signed with."""

    __tablename__ = "crisis_webhook"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int | None = Field(default=None, foreign_key="community_group.id", index=True)
    url: str = Field(max_length=URI_LENGTH)
    secret: str = Field(max_length=128)
    created_at: datetime = moment()


class WebhookDelivery(SQLModel, table=True):
    """One page to one webhook, retried with backoff; failures are shown to admins."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_due", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: int = Field(foreign_key="crisis_webhook.id", index=True)
    assessment_id: int | None = Field(default=None, foreign_key="crisis_assessment.id")
    body: dict[str, Any] = Field(sa_type=JSONDocument)
    state: DeliveryState = Field(sa_type=enum_type(DeliveryState, "webhook_delivery_state"))
    attempts: int = 0
    next_attempt_at: datetime = moment()
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = moment()
    updated_at: datetime = moment()


class CrisisResource(SQLModel, table=True):
    """A crisis line or service, for a country ("*": anywhere) and a language ("*": any)."""

    __tablename__ = "crisis_resource"
    __table_args__ = (sa.Index("ix_crisis_resource_place", "country", "language"),)

    id: int | None = Field(default=None, primary_key=True)
    country: str = Field(max_length=8)
    language: str = Field(max_length=16)
    name: str = Field(max_length=200)
    contact: str = Field(max_length=200)  # a number to call or text, or how to reach it
    url: str | None = Field(default=None, max_length=URI_LENGTH)
    description: str = Field(default="", sa_type=sa.Text)
    # Widely known entries shipped with Cove: an admin should check them for their region.
    verify: bool = False
    created_at: datetime = moment()
    updated_at: datetime = moment()


class CareMessage(SQLModel, table=True):
    """A care message a group sent a person (at most one a day each), and why."""

    __tablename__ = "care_message"
    __table_args__ = (sa.Index("ix_care_message_person", "person_uri", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    person_uri: str = Field(max_length=URI_LENGTH)
    group_id: int | None = Field(default=None, foreign_key="community_group.id")
    reason: CareReason = Field(sa_type=enum_type(CareReason, "care_reason"))
    note_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    created_at: datetime = moment()


class Credential(SQLModel, table=True):
    """A member's professional credential, as an admin checked it."""

    __tablename__ = "credential"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    title: str = Field(max_length=200)  # what: "Registered mental health nurse"
    checked_by: str = Field(max_length=200)  # who checked it, and how
    checked_at: datetime = moment()
    expires_at: datetime | None = moment(nullable=True)
    revoked_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment()
