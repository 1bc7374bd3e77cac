"""Members' blocks and mutes of people, people elsewhere who block a member, and the person a
notification is about.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "person_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("person_uri", sa.String(length=2048), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "block",
                "mute",
                name="person_block_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("activity_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_person_block_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_block")),
        sa.UniqueConstraint(
            "account_id",
            "person_uri",
            "kind",
            name=op.f("uq_person_block_account_id_person_uri_kind"),
        ),
    )
    with op.batch_alter_table("person_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_block_account_id"), ["account_id"])

    op.create_table(
        "remote_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("blocker_uri", sa.String(length=2048), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("activity_uri", sa.String(length=2048), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_remote_block_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remote_block")),
        sa.UniqueConstraint(
            "blocker_uri", "account_id", name=op.f("uq_remote_block_blocker_uri_account_id")
        ),
    )
    with op.batch_alter_table("remote_block", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_remote_block_account_id"), ["account_id"])

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("actor_uri", sa.String(length=2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_column("actor_uri")

    with op.batch_alter_table("remote_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_remote_block_account_id"))

    op.drop_table("remote_block")
    with op.batch_alter_table("person_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_block_account_id"))

    op.drop_table("person_block")
