"""Deliveries, peer servers, local members' memberships of remote groups, post group URI.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "peer_server",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("software_name", sa.String(length=64), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "group_aware",
                "microblog",
                "unknown",
                name="software_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("checked_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_peer_server")),
        sa.UniqueConstraint("host", name=op.f("uq_peer_server_host")),
    )
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("activity_id", sa.Integer(), nullable=False),
        sa.Column("inbox", sa.String(length=2048), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                "cancelled",
                name="delivery_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_id"], ["activity.id"], name=op.f("fk_delivery_activity_id_activity")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("activity_id", "inbox", name=op.f("uq_delivery_activity_id_inbox")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_activity_id"), ["activity_id"], unique=False)
        batch_op.create_index("ix_delivery_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_host"), ["host"], unique=False)

    op.create_table(
        "remote_membership",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("group_uri", sa.String(length=2048), nullable=False),
        sa.Column("remote_actor_id", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "accepted",
                "rejected",
                "left",
                name="remote_membership_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("follow_uri", sa.String(length=2048), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_remote_membership_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["remote_actor.id"],
            name=op.f("fk_remote_membership_remote_actor_id_remote_actor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_membership")),
        sa.UniqueConstraint(
            "account_id", "group_uri", name=op.f("uq_remote_membership_account_id_group_uri")
        ),
    )
    with op.batch_alter_table("remote_membership", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_remote_membership_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_remote_membership_group_uri"), ["group_uri"], unique=False
        )

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_uri", sa.String(length=2048), nullable=True))
        batch_op.create_index(batch_op.f("ix_post_group_uri"), ["group_uri"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_post_group_uri"))
        batch_op.drop_column("group_uri")

    with op.batch_alter_table("remote_membership", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_membership_group_uri"))
        batch_op.drop_index(batch_op.f("ix_remote_membership_account_id"))

    op.drop_table("remote_membership")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_host"))
        batch_op.drop_index("ix_delivery_due")
        batch_op.drop_index(batch_op.f("ix_delivery_activity_id"))

    op.drop_table("delivery")
    op.drop_table("peer_server")
