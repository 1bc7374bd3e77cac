"""A post's state in one column (live, removed by a moderator, deleted), read from the
moments that said it before: deleted_at first, then removed_at.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sa.Enum(
                    "live",
                    "removed",
                    "deleted",
                    name="post_state",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="live",
                nullable=False,
            )
        )
    op.execute("UPDATE post SET state = 'deleted' WHERE deleted_at IS NOT NULL")
    op.execute(
        "UPDATE post SET state = 'removed' WHERE deleted_at IS NULL AND removed_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        # The enum's CHECK goes first: SQLite's table copy would keep it, naming a lost column.
        batch_op.drop_constraint(op.f("ck_post_post_state"), type_="check")
        batch_op.drop_column("state")
