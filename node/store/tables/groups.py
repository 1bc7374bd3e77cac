"""Groups and what they hold: the groups, memberships (here and elsewhere), posts and rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from node.store.states import (
    GroupKind,
    GroupRole,
    MembershipState,
    PostingPolicy,
    PostKind,
    PostState,
    Visibility,
)
from node.store.tables.columns import URI_LENGTH, enum_type, moment
from node.store.types import JSONDocument


class CommunityGroup(SQLModel, table=True):
    """A community group (a Group actor) with its membership and posting rules."""

    __tablename__ = "community_group"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int = Field(foreign_key="local_actor.id", unique=True)
    title: str = Field(max_length=100)
    summary: str = Field(default="", sa_type=sa.Text)
    members_only: bool = False
    approves_members: bool = False
    posting_policy: PostingPolicy = Field(sa_type=enum_type(PostingPolicy, "posting_policy"))
    discoverable: bool = False
    # What the group gathers around (node.groups.kinds), as a person choosing one looks for it.
    kind: GroupKind = Field(
        default=GroupKind.GENERAL,
        sa_type=enum_type(GroupKind, "group_kind"),
        sa_column_kwargs={"server_default": "general"},
    )
    topics: list[str] = Field(
        default_factory=list, sa_type=JSONDocument, sa_column_kwargs={"server_default": "[]"}
    )
    # Whether members here may post through the group as the group (node.groups.anonymous_posts).
    anonymous_posts: bool = Field(default=True, sa_column_kwargs={"server_default": "1"})
    # Lemmy's hide_modlog_mod_names: the public log says "a moderator", not who.
    hide_modlog_names: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    # Crisis care: an acute post waits unannounced for a moderator; professionals are paged
    # on acute items; the group's own words for its care and hold messages (None: Cove's).
    hold_acute: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    page_professionals: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    care_template: str | None = Field(default=None, sa_type=sa.Text)
    hold_template: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = moment()


class Membership(SQLModel, table=True):
    """An actor's place in a group: a follow (pending or accepted) and a group role."""

    __tablename__ = "membership"
    __table_args__ = (sa.UniqueConstraint("group_id", "actor_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="community_group.id", index=True)
    actor_uri: str = Field(max_length=URI_LENGTH)
    account_id: int | None = Field(default=None, foreign_key="account.id", index=True)
    remote_actor_id: int | None = Field(default=None, foreign_key="remote_actor.id", index=True)
    role: GroupRole = Field(sa_type=enum_type(GroupRole, "group_role"))
    state: MembershipState = Field(sa_type=enum_type(MembershipState, "membership_state"))
    follow_uri: str | None = Field(default=None, max_length=URI_LENGTH)
    # The version of the group's rules a local member accepted (remote followers are sent
    # them in a welcome note instead).
    rules_accepted: int | None = None
    created_at: datetime = moment()
    updated_at: datetime = moment()


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
    kind: PostKind = Field(sa_type=enum_type(PostKind, "post_kind"))
    title: str | None = Field(default=None, max_length=300)
    content_html: str = Field(sa_type=sa.Text)
    visibility: Visibility = Field(sa_type=enum_type(Visibility, "visibility"))
    sensitive: bool = False
    content_warning: str | None = Field(default=None, max_length=500)  # Mastodon's summary
    anonymous: bool = False
    local: bool
    # What the post attaches, as links ({type, url, media_type, name}); never fetched here,
    # and left out altogether for a domain whose media the policy rejects.
    attachments: list[dict[str, Any]] = Field(
        default_factory=list, sa_type=JSONDocument, sa_column_kwargs={"server_default": "[]"}
    )
    # Live, removed by a moderator, or deleted; the moments below say when.
    state: PostState = Field(
        default=PostState.LIVE,
        sa_type=enum_type(PostState, "post_state"),
        sa_column_kwargs={"server_default": "live"},
    )
    pinned_at: datetime | None = moment(nullable=True)
    published: datetime = moment()
    updated_at: datetime | None = moment(nullable=True)
    deleted_at: datetime | None = moment(nullable=True)
    # A moderator's removal: hidden from everyone but the moderators, kept until purged, and
    # undone by a restore.
    removed_at: datetime | None = moment(nullable=True)
    removal_reason: str | None = Field(default=None, sa_type=sa.Text)
    locked_at: datetime | None = moment(nullable=True)  # no new replies in the thread
    # A verified professional's note on the post it answers (shown first under it).
    professional_note: bool = Field(default=False, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = moment()


class RemoteMembership(SQLModel, table=True):
    """A local member's follow of a group on another server."""

    __tablename__ = "remote_membership"
    __table_args__ = (sa.UniqueConstraint("account_id", "group_uri"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="account.id", index=True)
    group_uri: str = Field(max_length=URI_LENGTH, index=True)
    remote_actor_id: int = Field(foreign_key="remote_actor.id")
    state: MembershipState = Field(sa_type=enum_type(MembershipState, "remote_membership_state"))
    follow_uri: str = Field(max_length=URI_LENGTH)
    created_at: datetime = moment()
    updated_at: datetime = moment()


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
    created_at: datetime = moment()
