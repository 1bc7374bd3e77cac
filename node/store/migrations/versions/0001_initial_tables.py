"""Initial tables: local actors and keys, instance, accounts, groups, memberships,
remote actors, posts and the activity log.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "local_actor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "application",
                "group",
                "person",
                name="actor_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("username", sa.String(length=64), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_actor")),
        sa.UniqueConstraint("username", name=op.f("uq_local_actor_username")),
    )
    op.create_table(
        "remote_actor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("username", sa.String(length=255), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("inbox", sa.String(length=2048), nullable=False),
        sa.Column("shared_inbox", sa.String(length=2048), nullable=True),
        sa.Column("outbox", sa.String(length=2048), nullable=True),
        sa.Column("followers", sa.String(length=2048), nullable=True),
        sa.Column("key_id", sa.String(length=2048), nullable=True),
        sa.Column("public_key_pem", sa.Text(), nullable=True),
        sa.Column("software", sa.String(length=64), nullable=True),
        sa.Column("document", node.store.types.JSONDocument, nullable=False),
        sa.Column("fetched_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_actor")),
        sa.UniqueConstraint("uri", name=op.f("uq_remote_actor_uri")),
    )
    with op.batch_alter_table("remote_actor", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remote_actor_domain"), ["domain"], unique=False)

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin",
                "moderator",
                "member",
                name="account_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["local_actor.id"], name=op.f("fk_account_actor_id_local_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account")),
        sa.UniqueConstraint("actor_id", name=op.f("uq_account_actor_id")),
    )
    op.create_table(
        "activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "inbound",
                "outbound",
                name="direction",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "received",
                "processed",
                "rejected",
                "queued",
                "fanned_out",
                name="activity_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("actor_uri", sa.String(length=2048), nullable=False),
        sa.Column("object_uri", sa.String(length=2048), nullable=True),
        sa.Column("local_actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "visibility",
            sa.Enum(
                "public",
                "unlisted",
                "members_only",
                "direct",
                name="visibility",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("document", node.store.types.JSONDocument, nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["local_actor_id"],
            ["local_actor.id"],
            name=op.f("fk_activity_local_actor_id_local_actor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
        sa.UniqueConstraint("uri", name=op.f("uq_activity_uri")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_outbox", ["local_actor_id", "direction", "id"], unique=False
        )

    op.create_table(
        "community_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("members_only", sa.Boolean(), nullable=False),
        sa.Column("approves_members", sa.Boolean(), nullable=False),
        sa.Column(
            "posting_policy",
            sa.Enum(
                "anyone",
                "members",
                "moderators",
                name="posting_policy",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("discoverable", sa.Boolean(), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["local_actor.id"], name=op.f("fk_community_group_actor_id_local_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_group")),
        sa.UniqueConstraint("actor_id", name=op.f("uq_community_group_actor_id")),
    )
    op.create_table(
        "instance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("base_url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["local_actor.id"], name=op.f("fk_instance_actor_id_local_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_instance")),
        sa.UniqueConstraint("actor_id", name=op.f("uq_instance_actor_id")),
    )
    op.create_table(
        "signing_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "active",
                "retired",
                name="key_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("algorithm", sa.String(length=32), nullable=False),
        sa.Column("public_key_pem", sa.Text(), nullable=False),
        sa.Column("private_key_pem", sa.Text(), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["local_actor.id"], name=op.f("fk_signing_key_actor_id_local_actor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signing_key")),
    )
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signing_key_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("actor_uri", sa.String(length=2048), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("remote_actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "role",
            sa.Enum(
                "owner",
                "moderator",
                "member",
                name="group_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "accepted",
                "rejected",
                "left",
                name="membership_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("follow_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_membership_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_membership_group_id_community_group"),
        ),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["remote_actor.id"],
            name=op.f("fk_membership_remote_actor_id_remote_actor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_membership")),
        sa.UniqueConstraint("group_id", "actor_uri", name=op.f("uq_membership_group_id_actor_uri")),
    )
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_membership_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_membership_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_membership_remote_actor_id"), ["remote_actor_id"], unique=False
        )

    op.create_table(
        "post",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uri", sa.String(length=2048), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("author_uri", sa.String(length=2048), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("remote_actor_id", sa.Integer(), nullable=True),
        sa.Column("in_reply_to_uri", sa.String(length=2048), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "page",
                "note",
                name="post_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column(
            "visibility",
            sa.Enum(
                "public",
                "unlisted",
                "members_only",
                "direct",
                name="visibility",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("sensitive", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("local", sa.Boolean(), nullable=False),
        sa.Column("pinned_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_post_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["community_group.id"], name=op.f("fk_post_group_id_community_group")
        ),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["remote_actor.id"],
            name=op.f("fk_post_remote_actor_id_remote_actor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post")),
        sa.UniqueConstraint("uri", name=op.f("uq_post_uri")),
    )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_post_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_author_uri"), ["author_uri"], unique=False)
        batch_op.create_index(batch_op.f("ix_post_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_post_in_reply_to_uri"), ["in_reply_to_uri"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_post_remote_actor_id"), ["remote_actor_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_remote_actor_id"))
        batch_op.drop_index(batch_op.f("ix_post_in_reply_to_uri"))
        batch_op.drop_index(batch_op.f("ix_post_group_id"))
        batch_op.drop_index(batch_op.f("ix_post_author_uri"))
        batch_op.drop_index(batch_op.f("ix_post_account_id"))

    op.drop_table("post")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_membership_remote_actor_id"))
        batch_op.drop_index(batch_op.f("ix_membership_group_id"))
        batch_op.drop_index(batch_op.f("ix_membership_account_id"))

    op.drop_table("membership")
    with op.batch_alter_table("signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signing_key_actor_id"))

    op.drop_table("signing_key")
    op.drop_table("instance")
    op.drop_table("community_group")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_outbox")

    op.drop_table("activity")
    op.drop_table("account")
    with op.batch_alter_table("remote_actor", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_actor_domain"))

    op.drop_table("remote_actor")
    op.drop_table("local_actor")
