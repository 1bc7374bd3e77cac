"""Change counters: one row per topic of served documents, bumped by the writes that change
them, so that every process drops its stale caches.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_counter",
        sa.Column("topic", sa.String(length=32), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_change_counter")),
    )


def downgrade() -> None:
    op.drop_table("change_counter")
