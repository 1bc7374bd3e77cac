"""Actors: the ones this node hosts and their signing keys, the instance itself, and actors
elsewhere as fetched."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from moderation.domains import FederationMode
from node.store.states import (
    ActorKind,
    KeyState,
)
from node.store.tables.columns import URI_LENGTH, enum_type, moment
from node.store.types import JSONDocument


class LocalActor(SQLModel, table=True):
    """Every actor this node hosts; usernames share one namespace (WebFinger acct: handles)."""

    __tablename__ = "local_actor"

    id: int | None = Field(default=None, primary_key=True)
    kind: ActorKind = Field(sa_type=enum_type(ActorKind, "actor_kind"))
    # None for the instance actor, whose preferredUsername is the node's domain.
    username: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = moment()


class SigningKey(SQLModel, table=True):
    """An actor's key pair. One active key per actor; rotated keys stay, marked retired."""

    __tablename__ = "signing_key"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", index=True)
    state: KeyState = Field(sa_type=enum_type(KeyState, "key_state"))
    algorithm: str = Field(max_length=32)
    public_key_pem: str = Field(sa_type=sa.Text)
    private_key_pem: str = Field(sa_type=sa.Text)
    created_at: datetime = moment()
    retired_at: datetime | None = moment(nullable=True)


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
        sa_type=enum_type(FederationMode, "federation_mode"),
        sa_column_kwargs={"server_default": "blocklist"},
    )
    created_at: datetime = moment()


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
    fetched_at: datetime = moment()
    created_at: datetime = moment()
