"""A group's kind and topics (for people choosing a support community), and the moment a
member deleted their account.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUP_KINDS = ("general", "condition-specific", "demographic", "lifestyle")


def upgrade() -> None:
    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    *GROUP_KINDS,
                    name="group_kind",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="general",
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("topics", node.store.types.JSONDocument, server_default="[]", nullable=False)
        )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("deleted_at", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")
    with op.batch_alter_table("community_group", schema=None) as batch_op:
        # The enum's CHECK goes first: SQLite's table copy would keep it, naming a lost column.
        batch_op.drop_constraint(op.f("ck_community_group_group_kind"), type_="check")
        batch_op.drop_column("topics")
        batch_op.drop_column("kind")
