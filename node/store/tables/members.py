"""Local members: accounts, their API tokens and their notifications; signing in on the web
(sessions, failed attempts, mailed links, two-factor recovery codes), invites and node rules;
the people members block or mute, and the people elsewhere who block them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from node.store.states import AccountRole, AccountState, EmailTokenPurpose, PersonBlockKind
from node.store.tables.columns import URI_LENGTH, enum_type, moment


class Account(SQLModel, table=True):
    """A local member (a Person actor) and their node role."""

    __tablename__ = "account"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", unique=True)
    display_name: str = Field(max_length=100)
    summary: str = Field(default="", sa_type=sa.Text)
    role: AccountRole = Field(sa_type=enum_type(AccountRole, "account_role"))
    # Support-community default: not listed in directories or search (Mastodon's flags).
    discoverable: bool = False
    # The member asked not to be sent care messages.
    care_opt_out: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # Accounts made before web sign-up existed are in use (the migration's default).
    state: AccountState = Field(
        default=AccountState.ACTIVE,
        sa_type=enum_type(AccountState, "account_state"),
        sa_column_kwargs={"server_default": "active"},
    )
    # Only admins ever see it. `email_key` is its case-folded form: one account per address.
    email: str | None = Field(default=None, max_length=320)
    email_key: str | None = Field(default=None, max_length=320, unique=True)
    email_confirmed_at: datetime | None = moment(nullable=True)
    password_hash: str | None = Field(default=None, max_length=255)  # None: no web sign-in
    # Set at sign-up: staff approve the account once its email is confirmed.
    approval_required: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    sign_up_reason: str | None = Field(default=None, sa_type=sa.Text)
    language: str | None = Field(default=None, max_length=16)
    rules_version: int | None = None  # the version of the node's rules they agreed to
    totp_secret: str | None = Field(default=None, max_length=64)
    totp_enabled_at: datetime | None = moment(nullable=True)  # None: begun, not confirmed
    totp_last_step: int | None = None  # the last code's time step: a code works once
    created_at: datetime = moment()
    # The member deleted their account (node.members.deletion): their personal data is wiped,
    # their actor answers 410 Gone, and the row stays so nobody else takes the name.
    deleted_at: datetime | None = moment(nullable=True)


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
    expires_at: datetime | None = moment(nullable=True)
    revoked_at: datetime | None = moment(nullable=True)
    last_used_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment()


class Notification(SQLModel, table=True):
    """Something a local account should hear about (node.members.notifications owns them)."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    kind: str = Field(max_length=32)
    report_id: int | None = Field(default=None, foreign_key="report.id")
    text: str = Field(sa_type=sa.Text)
    # The person it is about, if any: hidden from an account that blocks or mutes them.
    actor_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    read_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment()


class EmailToken(SQLModel, table=True):
    """A single-use link mailed to an account (confirm the address, reset the password); only
    a digest of its secret is kept."""

    __tablename__ = "email_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    purpose: EmailTokenPurpose = Field(sa_type=enum_type(EmailTokenPurpose, "email_token_purpose"))
    token_digest: str = Field(max_length=64, unique=True)
    expires_at: datetime = moment()
    used_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment()


class WebSession(SQLModel, table=True):
    """A signed-in browser: a digest of its cookie's secret, the secret its forms carry
    (CSRF), and what the account holder sees in their list of sessions."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    secret_digest: str = Field(max_length=64, unique=True)
    csrf_secret: str = Field(max_length=64)
    user_agent: str = Field(default="", max_length=500)
    ip: str = Field(default="", max_length=64)
    created_at: datetime = moment()
    last_seen_at: datetime = moment()  # updated at most once a minute
    revoked_at: datetime | None = moment(nullable=True)


class LoginFailure(SQLModel, table=True):
    """A failed sign-in, counted per account and per address for the rate limit (in the
    database, so that every web process counts the same); pruned once out of the window."""

    __tablename__ = "login_failure"
    __table_args__ = (
        sa.Index("ix_login_failure_account", "account_id", "at"),
        sa.Index("ix_login_failure_ip", "ip", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int | None = Field(default=None, foreign_key="account.id")
    ip: str = Field(max_length=64)
    at: datetime = moment()


class RecoveryCode(SQLModel, table=True):
    """A two-factor recovery code (a digest of it), usable once."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    code_digest: str = Field(max_length=64)
    used_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment()


class Invite(SQLModel, table=True):
    """An invite link: lets a person sign up when sign-up is closed, with no approval."""

    __tablename__ = "invite"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    created_by_id: int | None = Field(default=None, foreign_key="account.id")  # None: operator
    max_uses: int | None = None  # None: no limit
    uses: int = 0
    expires_at: datetime | None = moment(nullable=True)
    revoked_at: datetime | None = moment(nullable=True)
    created_at: datetime = moment()


class NodeRule(SQLModel, table=True):
    """One of the node's own rules, which everyone signing up agrees to. A removed rule is
    kept (marked), so the version an account agreed to stays meaningful."""

    __tablename__ = "node_rule"

    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_type=sa.Text)
    created_at: datetime = moment()
    removed_at: datetime | None = moment(nullable=True)


class PersonBlock(SQLModel, table=True):
    """A local account's block or mute of a person, here or elsewhere (node.members.
    person_blocks owns them)."""

    __tablename__ = "person_block"
    __table_args__ = (sa.UniqueConstraint("account_id", "person_uri", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    person_uri: str = Field(max_length=URI_LENGTH)
    kind: PersonBlockKind = Field(sa_type=enum_type(PersonBlockKind, "person_block_kind"))
    # The Block sent for it (a block of a person elsewhere), which its Undo embeds.
    activity_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    created_at: datetime = moment()


class RemoteBlock(SQLModel, table=True):
    """A person elsewhere blocks a local account (their Block reached us): nothing of the
    account's is addressed or delivered to them directly until their Undo."""

    __tablename__ = "remote_block"
    __table_args__ = (sa.UniqueConstraint("blocker_uri", "account_id"),)

    id: int | None = Field(default=None, primary_key=True)
    blocker_uri: str = Field(max_length=URI_LENGTH)
    account_id: int = Field(foreign_key="account.id", index=True)
    activity_uri: str = Field(max_length=URI_LENGTH)
    created_at: datetime = moment()
