"""Leases on activities and deliveries (several workers), and the dead-host breaker.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lease_until", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )

    with op.batch_alter_table("peer_server", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("consecutive_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("dead_until", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("peer_server", schema=None) as batch_op:
        batch_op.drop_column("dead_until")
        batch_op.drop_column("consecutive_failures")

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("lease_until")

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
