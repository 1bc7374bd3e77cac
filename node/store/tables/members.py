"""Local members: accounts, their API tokens, their notifications, the people they block or
mute, and the people elsewhere who block them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from node.store.states import AccountRole, PersonBlockKind
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
    created_at: datetime = moment()


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
