"""Organizers and a group's choice about anonymous posts: the node role `organizer` (people
an admin trusts to start groups), and whether a group takes anonymous posts (as every group
did until now, so existing groups keep taking them).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT_ROLES = ("admin", "moderator", "organizer", "member")


def upgrade() -> None:
    _account_roles(ACCOUNT_ROLES)
    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymous_posts", sa.Boolean(), server_default="1", nullable=False)
        )


def _account_roles(roles: Sequence[str]) -> None:
    # The role is text with a CHECK listing its values (node.store.tables.columns.enum_type),
    # on SQLite and PostgreSQL alike: a new value is a new CHECK.
    listed = ", ".join(f"'{r}'" for r in roles)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_account_account_role"), type_="check")
        batch_op.create_check_constraint(op.f("ck_account_account_role"), f"role IN ({listed})")


def downgrade() -> None:
    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.drop_column("anonymous_posts")
    # An organizer goes back to being a member: the groups they own stay theirs.
    op.execute("UPDATE account SET role = 'member' WHERE role = 'organizer'")
    _account_roles(tuple(r for r in ACCOUNT_ROLES if r != "organizer"))
