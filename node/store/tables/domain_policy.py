"""The domain policy: blocks and allows, subscribed sources with their entries, drafts and
excludes, groups' own domain blocks, and the policy's followers and published entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from moderation.domains import Severity
from node.store.states import (
    DraftState,
    PolicyOrigin,
    SourceKind,
    SourceState,
)
from node.store.tables.columns import DOMAIN_LENGTH, URI_LENGTH, enum_type, moment
from node.store.types import JSONDocument


class DomainBlock(SQLModel, table=True):
    """A domain policy entry in force (it covers the domain's subdomains too). An entry known
    only by the SHA-256 of its domain (shared obfuscated by another node) has `by_digest`."""

    __tablename__ = "domain_block"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, unique=True)
    by_digest: bool = False
    severity: Severity = Field(sa_type=enum_type(Severity, "domain_severity"))
    reject_media: bool = False
    reject_reports: bool = False
    obfuscate: bool = False
    public_comment: str = Field(default="", sa_type=sa.Text)
    private_comment: str = Field(default="", sa_type=sa.Text)
    labels: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    expires_at: datetime | None = moment(nullable=True)
    origin: PolicyOrigin = Field(sa_type=enum_type(PolicyOrigin, "policy_origin"))
    created_by: str = Field(max_length=URI_LENGTH)
    # The subscribed sources that hold a subscription-made entry (retractions go by them).
    source_ids: list[int] = Field(default_factory=list, sa_type=JSONDocument)
    created_at: datetime = moment()
    updated_at: datetime = moment()


class DomainAllow(SQLModel, table=True):
    """A domain explicitly allowed: it federates in allowlist mode, and overrides a block in
    blocklist mode."""

    __tablename__ = "domain_allow"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, unique=True)
    comment: str = Field(default="", sa_type=sa.Text)
    created_by: str = Field(max_length=URI_LENGTH)
    created_at: datetime = moment()


class BlocklistSource(SQLModel, table=True):
    """A subscribed blocklist: a file fetched on a schedule, or another node's instance actor
    whose signed Add/Remove of policy entries arrive here. Its last good list is kept."""

    __tablename__ = "blocklist_source"

    id: int | None = Field(default=None, primary_key=True)
    kind: SourceKind = Field(sa_type=enum_type(SourceKind, "source_kind"))
    location: str = Field(max_length=URI_LENGTH, unique=True)  # the URL, or the actor's id
    format: str = Field(max_length=32)
    max_severity: Severity = Field(sa_type=enum_type(Severity, "source_max_severity"))
    drafts: bool  # True: its changes wait for an admin; False: applied at once
    state: SourceState = Field(sa_type=enum_type(SourceState, "source_state"))
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    follow_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    fetched_at: datetime | None = moment(nullable=True)
    last_ok_at: datetime | None = moment(nullable=True)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = moment()


class SourceEntry(SQLModel, table=True):
    """One entry of a source's last good list, as the source gave it (before trust caps)."""

    __tablename__ = "source_entry"
    __table_args__ = (sa.UniqueConstraint("source_id", "domain"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="blocklist_source.id", index=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, index=True)
    by_digest: bool = False
    severity: Severity = Field(sa_type=enum_type(Severity, "entry_severity"))
    reject_media: bool = False
    reject_reports: bool = False
    obfuscate: bool = False
    public_comment: str = Field(default="", sa_type=sa.Text)
    labels: list[str] = Field(default_factory=list, sa_type=JSONDocument)


class DomainDraft(SQLModel, table=True):
    """A change the subscriptions propose, waiting for an admin: `proposed` is the entry as it
    would be (None: the entry would be removed, a retraction)."""

    __tablename__ = "domain_draft"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, index=True)
    proposed: dict[str, Any] | None = Field(default=None, sa_type=JSONDocument, nullable=True)
    source_ids: list[int] = Field(default_factory=list, sa_type=JSONDocument)
    state: DraftState = Field(sa_type=enum_type(DraftState, "draft_state"))
    decided_by: str | None = Field(default=None, max_length=URI_LENGTH)
    created_at: datetime = moment()
    decided_at: datetime | None = moment(nullable=True)


class DomainExclude(SQLModel, table=True):
    """A domain the subscriptions may not touch: from one source, or (no source) from all."""

    __tablename__ = "domain_exclude"
    __table_args__ = (sa.UniqueConstraint("domain", "source_id"),)

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, index=True)
    source_id: int | None = Field(default=None, foreign_key="blocklist_source.id")
    reason: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = moment()


class GroupDomainBlock(SQLModel, table=True):
    """A domain a group's moderators keep out of their group only (its subdomains too)."""

    __tablename__ = "group_domain_block"
    __table_args__ = (sa.UniqueConstraint("group_id", "domain"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="community_group.id", index=True)
    domain: str = Field(max_length=DOMAIN_LENGTH)
    reason: str = Field(default="", sa_type=sa.Text)
    created_by: str = Field(max_length=URI_LENGTH)
    created_at: datetime = moment()


class PolicyFollower(SQLModel, table=True):
    """A node following this node's instance actor for its domain policy (signed updates)."""

    __tablename__ = "policy_follower"

    id: int | None = Field(default=None, primary_key=True)
    actor_uri: str = Field(max_length=URI_LENGTH, unique=True)
    remote_actor_id: int = Field(foreign_key="remote_actor.id")
    inbox: str = Field(max_length=URI_LENGTH)
    follow_uri: str = Field(max_length=URI_LENGTH)
    created_at: datetime = moment()


class PolicyPublished(SQLModel, table=True):
    """Each policy entry as last published on the instance actor (keyed by the domain's
    digest), so that only what changed is sent to the followers."""

    __tablename__ = "policy_published"

    digest: str = Field(primary_key=True, max_length=64)
    document: dict[str, Any] = Field(sa_type=JSONDocument)
    published_at: datetime = moment()
