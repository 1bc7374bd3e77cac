"""The store as a queue: the activity log (received and sent, and every actor's outbox),
deliveries, what is known of peer servers, the change counters, and the periodic jobs' last
runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from node.store.states import (
    ActivityState,
    DeliveryState,
    Direction,
    JobOutcome,
    Software,
    Visibility,
)
from node.store.tables.columns import URI_LENGTH, enum_type, moment
from node.store.types import JSONDocument


class Activity(SQLModel, table=True):
    """Every activity received or sent, stored whole. Outbound rows are the actors' outboxes
    and the source of deliveries (a transactional outbox: written with the change itself)."""

    __tablename__ = "activity"
    __table_args__ = (
        sa.Index("ix_activity_outbox", "local_actor_id", "direction", "id"),
        # The workers' queue (received, oldest first), and what one server has waiting.
        sa.Index("ix_activity_queue", "direction", "state", "id"),
        sa.Index("ix_activity_host_state", "host", "state"),
        sa.Index("ix_activity_triage", "direction", "state", "priority"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=URI_LENGTH, unique=True)
    type: str = Field(max_length=32)
    direction: Direction = Field(sa_type=enum_type(Direction, "direction"))
    state: ActivityState = Field(sa_type=enum_type(ActivityState, "activity_state"))
    actor_uri: str = Field(max_length=URI_LENGTH)
    object_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    # The local actor whose outbox (outbound) or inbox (inbound, when addressed) it belongs to.
    local_actor_id: int | None = Field(default=None, foreign_key="local_actor.id")
    visibility: Visibility = Field(sa_type=enum_type(Visibility, "visibility"))
    document: dict[str, Any] = Field(sa_type=JSONDocument)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = moment()
    processed_at: datetime | None = moment(nullable=True)
    # A worker that took the row to apply it holds it until then; past it, another may. A row
    # put off by an infrastructure fault is held until its next try.
    lease_until: datetime | None = moment(nullable=True)
    # Tries put off by an infrastructure fault (the database, a peer): it is given up after
    # about a day of them.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The sender's server (host[:port], received activities only): its inbox allowance.
    host: str | None = Field(default=None, max_length=255)
    # When a received activity's body was pruned to its skeleton (inbox.keep_received_days).
    pruned_at: datetime | None = moment(nullable=True)
    # Crisis triage of a received activity (None: not yet read): 2 acute, 1 concern, 0 none;
    # the workers apply the higher first, so a backlog never holds a person in crisis back.
    priority: int | None = None


class Delivery(SQLModel, table=True):
    """One outbound activity owed to one inbox (a shared inbox where the peer has one)."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "inbox"),
        sa.Index("ix_delivery_due", "state", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    activity_id: int = Field(foreign_key="activity.id", index=True)
    inbox: str = Field(max_length=URI_LENGTH)
    host: str = Field(max_length=255, index=True)
    state: DeliveryState = Field(sa_type=enum_type(DeliveryState, "delivery_state"))
    attempts: int = 0
    next_attempt_at: datetime = moment()
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    # A worker that took the row to send it holds it until then; past it, another may.
    lease_until: datetime | None = moment(nullable=True)
    created_at: datetime = moment()
    updated_at: datetime = moment()


class PeerServer(SQLModel, table=True):
    """What software another server runs (its NodeInfo), which decides the Announce shape."""

    __tablename__ = "peer_server"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255, unique=True)
    software_name: str | None = Field(default=None, max_length=64)
    kind: Software = Field(sa_type=enum_type(Software, "software_kind"))
    checked_at: datetime = moment()
    # The dead-host breaker: after enough failures in a row, deliveries to the host wait
    # until dead_until, when one probe is let through; a success closes the breaker.
    consecutive_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    dead_until: datetime | None = moment(nullable=True)


class ChangeCounter(SQLModel, table=True):
    """How often the tables behind one kind of served document (a topic) have changed: bumped
    in the transaction that changes them, polled by every process to drop stale caches."""

    __tablename__ = "change_counter"

    topic: str = Field(primary_key=True, max_length=32)
    serial: int = Field(default=0)


class JobRun(SQLModel, table=True):
    """The last run of one periodic job, written by whichever process ran it: on PostgreSQL
    several worker processes share the jobs, so only the database knows them all."""

    __tablename__ = "job_run"

    name: str = Field(primary_key=True, max_length=64)
    started_at: datetime = moment()
    ended_at: datetime | None = moment(nullable=True)
    outcome: JobOutcome = Field(sa_type=enum_type(JobOutcome, "job_outcome"))
    result: int | None = None  # what the job counted (deliveries pruned, bans expired...)
    error: str | None = Field(default=None, max_length=500)
