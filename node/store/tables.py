"""The tables: local actors and their keys, the instance, accounts, groups, memberships,
remote actors, posts and the activity log (which is also every actor's outbox)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from moderation.domains import FederationMode, Severity
from node.store.states import (
    AccountRole,
    ActivityState,
    ActorKind,
    BanState,
    DeliveryState,
    Direction,
    DraftState,
    GroupRole,
    KeyState,
    MembershipState,
    PolicyOrigin,
    PostingPolicy,
    PostKind,
    ReportCategory,
    ReportDirection,
    ReportState,
    Software,
    SourceKind,
    SourceState,
    Visibility,
)
from node.store.types import JSONDocument, UTCDateTime

# Stable constraint names, so migrations can alter tables on SQLite (batch mode) and PostgreSQL.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

URI_LENGTH = 2048
MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: larger ones are refused early


def _enum(enum: type[StrEnum], name: str) -> Any:
    # Stored as text with a CHECK constraint on both backends (no native PostgreSQL enum types,
    # which would need their own migrations for every new value).
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def _when(nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


class LocalActor(SQLModel, table=True):
    """Every actor this node hosts; usernames share one namespace (WebFinger acct: handles)."""

    __tablename__ = "local_actor"

    id: int | None = Field(default=None, primary_key=True)
    kind: ActorKind = Field(sa_type=_enum(ActorKind, "actor_kind"))
    # None for the instance actor, whose preferredUsername is the node's domain.
    username: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = _when()


class SigningKey(SQLModel, table=True):
    """An actor's key pair. One active key per actor; rotated keys stay, marked retired."""

    __tablename__ = "signing_key"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True)
    state: KeyState = Field(sa_type=_enum(KeyState, "key_state"))
    algorithm: str = Field(max_length=32)
    public_key_pem: str = Field(sa_type=sa.Text)
    private_key_pem: str = Field(sa_type=sa.Text)
    created_at: datetime = _when()
    retired_at: datetime | None = _when(nullable=True)


class Instance(SQLModel, table=True):
    """The node itself: one row, made by `cove init`."""

    __tablename__ = "instance"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", unique=True)
    # The base URL the node was set up with; a different one later breaks every federated id.
    base_url: str = Field(max_length=URI_LENGTH)
    # The federation mode last applied here (config federation.mode): a change of mode with
    # data present is applied by `cove blocks switch-mode`, which says what it cuts first.
    federation_mode: FederationMode = Field(
        default=FederationMode.BLOCKLIST,
        sa_type=_enum(FederationMode, "federation_mode"),
        sa_column_kwargs={"server_default": "blocklist"},
    )
    created_at: datetime = _when()


class Account(SQLModel, table=True):
    """A local member (a Person actor) and their node role."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", unique=True)
    display_name: str = Field(max_length=100)
    summary: str = Field(default="", sa_type=sa.Text)
    role: AccountRole = Field(sa_type=_enum(AccountRole, "account_role"))
    # Support-community default: not listed in directories or search (Mastodon's flags).
    discoverable: bool = False
    created_at: datetime = _when()


class CommunityGroup(SQLModel, table=True):
    """A community group (a Group actor) with its membership and posting rules."""

    __tablename__ = "community_group"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", unique=True)
    title: str = Field(max_length=100)
    summary: str = Field(default="", sa_type=sa.Text)
    members_only: bool = False
    approves_members: bool = False
    posting_policy: PostingPolicy = Field(sa_type=_enum(PostingPolicy, "posting_policy"))
    discoverable: bool = False
    # Lemmy's hide_modlog_mod_names: the public log says "a moderator", not who.
    hide_modlog_names: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = _when()


class RemoteActor(SQLModel, table=True):
    """An actor on another server, as last fetched."""

    __tablename__ = "remote_actor"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=URI_LENGTH, unique=True)
    type: str = Field(max_length=32)
    username: str | None = Field(default=None, max_length=255)
    domain: str = Field(max_length=255, index=True)
    name: str | None = Field(default=None, max_length=255)
    inbox: str = Field(max_length=URI_LENGTH)
    shared_inbox: str | None = Field(default=None, max_length=URI_LENGTH)
    outbox: str | None = Field(default=None, max_length=URI_LENGTH)
    followers: str | None = Field(default=None, max_length=URI_LENGTH)
    key_id: str | None = Field(default=None, max_length=URI_LENGTH)
    public_key_pem: str | None = Field(default=None, sa_type=sa.Text)
    # NodeInfo software.name of the actor's server: decides which Announce shape it gets.
    software: str | None = Field(default=None, max_length=64)
    document: dict[str, Any] = Field(sa_type=JSONDocument)
    fetched_at: datetime = _when()
    created_at: datetime = _when()


class Membership(SQLModel, table=True):
    """An actor's place in a group: a follow (pending or accepted) and a group role."""

    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("group_id", "actor_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="community_group.id", index=True)
    actor_uri: str = Field(max_length=URI_LENGTH)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    remote_actor_id: int | None = Field(default=None, foreign_key="remote_actor.id", index=True)
    role: GroupRole = Field(sa_type=_enum(GroupRole, "group_role"))
    state: MembershipState = Field(sa_type=_enum(MembershipState, "membership_state"))
    follow_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    # The version of the group's rules a local member accepted (remote followers are sent
    # them in a welcome note instead).
    rules_accepted: int | None = None
    created_at: datetime = _when()
    updated_at: datetime = _when()


class Post(SQLModel, table=True):
    """A post or comment in a group, local or remote, with its visibility."""

    __tablename__ = "post"

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=URI_LENGTH, unique=True)
    group_id: int | None = Field(default=None, foreign_key="community_group.id", index=True)
    # The group actor a post belongs to, on this node or another (local members read remote
    # groups' posts too).
    group_uri: str | None = Field(default=None, max_length=URI_LENGTH, index=True)
    # The real author. For an anonymous post only moderators see it; the world sees the group.
    author_uri: str = Field(max_length=URI_LENGTH, index=True)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    remote_actor_id: int | None = Field(default=None, foreign_key="remote_actor.id", index=True)
    in_reply_to_uri: str | None = Field(default=None, max_length=URI_LENGTH, index=True)
    kind: PostKind = Field(sa_type=_enum(PostKind, "post_kind"))
    title: str | None = Field(default=None, max_length=300)
    content_html: str = Field(sa_type=sa.Text)
    visibility: Visibility = Field(sa_type=_enum(Visibility, "visibility"))
    sensitive: bool = False
    anonymous: bool = False
    local: bool
    # What the post attaches, as links ({type, url, media_type, name}); never fetched here,
    # and left out altogether for a domain whose media the policy rejects.
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSONDocument, sa_column_kwargs={"server_default": "[]"}
    )
    pinned_at: datetime | None = _when(nullable=True)
    published: datetime = _when()
    updated_at: datetime | None = _when(nullable=True)
    deleted_at: datetime | None = _when(nullable=True)
    # A moderator's removal: hidden from everyone but the moderators, kept until purged, and
    # undone by a restore.
    removed_at: datetime | None = _when(nullable=True)
    removal_reason: str | None = Field(default=None, sa_type=sa.Text)
    locked_at: datetime | None = _when(nullable=True)  # no new replies in the thread
    created_at: datetime = _when()


class Activity(SQLModel, table=True):
    """Every activity received or sent, stored whole. Outbound rows are the actors' outboxes
    and the source of deliveries (a transactional outbox: written with the change itself)."""

    __tablename__ = "activity"
    __table_args__ = (
        sa.Index("ix_activity_outbox", "local_actor_id", "direction", "id"),
        # The workers' queue (received, oldest first), and what one server has waiting.
        sa.Index("ix_activity_queue", "direction", "state", "id"),
        sa.Index("ix_activity_host_state", "host", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    uri: str = Field(max_length=URI_LENGTH, unique=True)
    type: str = Field(max_length=32)
    direction: Direction = Field(sa_type=_enum(Direction, "direction"))
    state: ActivityState = Field(sa_type=_enum(ActivityState, "activity_state"))
    actor_uri: str = Field(max_length=URI_LENGTH)
    object_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    # The local actor whose outbox (outbound) or inbox (inbound, when addressed) it belongs to.
    local_actor_id: int | None = Field(default=None, foreign_key="local_actor.id")
    visibility: Visibility = Field(sa_type=_enum(Visibility, "visibility"))
    document: dict[str, Any] = Field(sa_type=JSONDocument)
    error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _when()
    processed_at: datetime | None = _when(nullable=True)
    # A worker that took the row to apply it holds it until then; past it, another may. A row
    # put off by an infrastructure fault is held until its next try.
    lease_until: datetime | None = _when(nullable=True)
    # Tries put off by an infrastructure fault (the database, a peer): it is given up after
    # about a day of them.
    attempts: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The sender's server (host[:port], received activities only): its inbox allowance.
    host: str | None = Field(default=None, max_length=255)
    # When a received activity's body was pruned to its skeleton (inbox.keep_received_days).
    pruned_at: datetime | None = _when(nullable=True)


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
    state: DeliveryState = Field(sa_type=_enum(DeliveryState, "delivery_state"))
    attempts: int = 0
    next_attempt_at: datetime = _when()
    last_status: int | None = None
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    # A worker that took the row to send it holds it until then; past it, another may.
    lease_until: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class PeerServer(SQLModel, table=True):
    """What software another server runs (its NodeInfo), which decides the Announce shape."""

    __tablename__ = "peer_server"

    id: int | None = Field(default=None, primary_key=True)
    host: str = Field(max_length=255, unique=True)
    software_name: str | None = Field(default=None, max_length=64)
    kind: Software = Field(sa_type=_enum(Software, "software_kind"))
    checked_at: datetime = _when()
    # The dead-host breaker: after enough failures in a row, deliveries to the host wait
    # until dead_until, when one probe is let through; a success closes the breaker.
    consecutive_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    dead_until: datetime | None = _when(nullable=True)


class RemoteMembership(SQLModel, table=True):
    """A local member's follow of a group on another server."""

    __tablename__ = "remote_membership"
    __table_args__ = (sa.UniqueConstraint("account_id", "group_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    group_uri: str = Field(max_length=URI_LENGTH, index=True)
    remote_actor_id: int = Field(foreign_key="remote_actor.id")
    state: MembershipState = Field(sa_type=_enum(MembershipState, "remote_membership_state"))
    follow_uri: str = Field(max_length=URI_LENGTH)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class RuleSet(SQLModel, table=True):
    """One version of a group's rules, numbered in order; the newest is in force."""

    __tablename__ = "rule_set"
    __table_args__ = (sa.UniqueConstraint("group_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="community_group.id", index=True)
    version: int
    rules: list[dict[str, Any]] = Field(sa_type=JSONDocument)  # [{number, title, text}]
    # Members must accept this version before they post again.
    needs_acceptance: bool = False
    author_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    created_at: datetime = _when()


class Report(SQLModel, table=True):
    """A report of one post or one account: received (for moderators here) or sent (a member's
    report of something elsewhere, whose outcome comes back)."""

    __tablename__ = "report"
    __table_args__ = (
        sa.UniqueConstraint("flag_uri", "target_uri"),
        sa.Index("ix_report_queue", "direction", "state", "urgent", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    direction: ReportDirection = Field(sa_type=_enum(ReportDirection, "report_direction"))
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
    category: ReportCategory = Field(sa_type=_enum(ReportCategory, "report_category"))
    rule_numbers: list[int] = Field(default_factory=list, sa_type=JSONDocument)
    comment: str = Field(default="", sa_type=sa.Text)
    state: ReportState = Field(sa_type=_enum(ReportState, "report_state"))
    urgent: bool = False
    anonymous: bool = False  # sent: the reporter hidden behind the instance actor
    outcome: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class ReportEvent(SQLModel, table=True):
    """A report's history: opened, resolved, dismissed, reopened, an outcome heard back."""

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    action: str = Field(max_length=32)
    actor_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    note: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _when()


class Ban(SQLModel, table=True):
    """An actor banned from a group (here or elsewhere: a remote group's ban of our member),
    or, with no group, suspended from the whole node."""

    __tablename__ = "ban"
    __table_args__ = (sa.Index("ix_ban_in_force", "actor_uri", "state"),)

    id: int | None = Field(default=None, primary_key=True)
    group_uri: str | None = Field(default=None, max_length=URI_LENGTH, index=True)
    group_id: int | None = Field(default=None, foreign_key="community_group.id")
    actor_uri: str = Field(max_length=URI_LENGTH)
    state: BanState = Field(sa_type=_enum(BanState, "ban_state"))
    reason: str = Field(default="", sa_type=sa.Text)
    expires_at: datetime | None = _when(nullable=True, index=True)
    remove_data: bool = False
    moderator_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    # The Block activity that made it (sent by us, or received from the remote group).
    block_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    created_at: datetime = _when()
    updated_at: datetime = _when()


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
    expires_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class ApiToken(SQLModel, table=True):
    """A bearer token for the HTTP API, with Mastodon's scope names. Laid out as OAuth access
    tokens are (owner, application, scopes, expiry, revocation) so OAuth can issue them later;
    only a digest of the token is kept."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    application_id: int | None = None
    token_digest: str = Field(max_length=64, unique=True)
    scopes: str = Field(max_length=1000)  # space-separated, as OAuth writes them
    name: str = Field(default="", max_length=100)
    expires_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)
    last_used_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class Notification(SQLModel, table=True):
    """Something a local account should hear about (node.members.notifications owns them)."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: str = Field(max_length=32)
    report_id: int | None = Field(default=None, foreign_key="report.id")
    text: str = Field(sa_type=sa.Text)
    read_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class ChangeCounter(SQLModel, table=True):
    """How often the tables behind one kind of served document (a topic) have changed: bumped
    in the transaction that changes them, polled by every process to drop stale caches."""

    __tablename__ = "change_counter"

    topic: str = Field(primary_key=True, max_length=32)
    serial: int = Field(default=0)


DOMAIN_LENGTH = 253


class DomainBlock(SQLModel, table=True):
    """A domain policy entry in force (it covers the domain's subdomains too). An entry known
    only by the SHA-256 of its domain (shared obfuscated by another node) has `by_digest`."""

    __tablename__ = "domain_block"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, unique=True)
    by_digest: bool = False
    severity: Severity = Field(sa_type=_enum(Severity, "domain_severity"))
    reject_media: bool = False
    reject_reports: bool = False
    obfuscate: bool = False
    public_comment: str = Field(default="", sa_type=sa.Text)
    private_comment: str = Field(default="", sa_type=sa.Text)
    labels: list[str] = Field(default_factory=list, sa_type=JSONDocument)
    expires_at: datetime | None = _when(nullable=True)
    origin: PolicyOrigin = Field(sa_type=_enum(PolicyOrigin, "policy_origin"))
    created_by: str = Field(max_length=URI_LENGTH)
    # The subscribed sources that hold a subscription-made entry (retractions go by them).
    source_ids: list[int] = Field(default_factory=list, sa_type=JSONDocument)
    created_at: datetime = _when()
    updated_at: datetime = _when()


class DomainAllow(SQLModel, table=True):
    """A domain explicitly allowed: it federates in allowlist mode, and overrides a block in
    blocklist mode."""

    __tablename__ = "domain_allow"

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, unique=True)
    comment: str = Field(default="", sa_type=sa.Text)
    created_by: str = Field(max_length=URI_LENGTH)
    created_at: datetime = _when()


class BlocklistSource(SQLModel, table=True):
    """A subscribed blocklist: a file fetched on a schedule, or another node's instance actor
    whose signed Add/Remove of policy entries arrive here. Its last good list is kept."""

    __tablename__ = "blocklist_source"

    id: int | None = Field(default=None, primary_key=True)
    kind: SourceKind = Field(sa_type=_enum(SourceKind, "source_kind"))
    location: str = Field(max_length=URI_LENGTH, unique=True)  # the URL, or the actor's id
    format: str = Field(max_length=32)
    max_severity: Severity = Field(sa_type=_enum(Severity, "source_max_severity"))
    drafts: bool  # True: its changes wait for an admin; False: applied at once
    state: SourceState = Field(sa_type=_enum(SourceState, "source_state"))
    etag: str | None = Field(default=None, max_length=500)
    last_modified: str | None = Field(default=None, max_length=100)
    follow_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    fetched_at: datetime | None = _when(nullable=True)
    last_ok_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _when()


class SourceEntry(SQLModel, table=True):
    """One entry of a source's last good list, as the source gave it (before trust caps)."""

    __tablename__ = "source_entry"
    __table_args__ = (sa.UniqueConstraint("source_id", "domain"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: int = Field(foreign_key="blocklist_source.id", index=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, index=True)
    by_digest: bool = False
    severity: Severity = Field(sa_type=_enum(Severity, "entry_severity"))
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
    state: DraftState = Field(sa_type=_enum(DraftState, "draft_state"))
    decided_by: str | None = Field(default=None, max_length=URI_LENGTH)
    created_at: datetime = _when()
    decided_at: datetime | None = _when(nullable=True)


class DomainExclude(SQLModel, table=True):
    """A domain the subscriptions may not touch: from one source, or (no source) from all."""

    __tablename__ = "domain_exclude"
    __table_args__ = (sa.UniqueConstraint("domain", "source_id"),)

    id: int | None = Field(default=None, primary_key=True)
    domain: str = Field(max_length=DOMAIN_LENGTH, index=True)
    source_id: int | None = Field(default=None, foreign_key="blocklist_source.id")
    reason: str = Field(default="", sa_type=sa.Text)
    created_at: datetime = _when()


class GroupDomainBlock(SQLModel, table=True):
    """A domain a group's moderators keep out of their group only (its subdomains too)."""

    __tablename__ = "group_domain_block"
    __table_args__ = (sa.UniqueConstraint("group_id", "domain"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="community_group.id", index=True)
    domain: str = Field(max_length=DOMAIN_LENGTH)
    reason: str = Field(default="", sa_type=sa.Text)
    created_by: str = Field(max_length=URI_LENGTH)
    created_at: datetime = _when()


class PolicyFollower(SQLModel, table=True):
    """A node following this node's instance actor for its domain policy (signed updates)."""

    __tablename__ = "policy_follower"

    id: int | None = Field(default=None, primary_key=True)
    actor_uri: str = Field(max_length=URI_LENGTH, unique=True)
    remote_actor_id: int = Field(foreign_key="remote_actor.id")
    inbox: str = Field(max_length=URI_LENGTH)
    follow_uri: str = Field(max_length=URI_LENGTH)
    created_at: datetime = _when()


class PolicyPublished(SQLModel, table=True):
    """Each policy entry as last published on the instance actor (keyed by the domain's
    digest), so that only what changed is sent to the followers."""

    __tablename__ = "policy_published"

    digest: str = Field(primary_key=True, max_length=64)
    document: dict[str, Any] = Field(sa_type=JSONDocument)
    published_at: datetime = _when()
