"""Accounts on the web: an account's state, email, password, agreed rules and two-factor
secret; mailed single-use links, web sessions, failed sign-ins, recovery codes, invites and
the node's own rules.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "node_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_node_rule")),
    )
    op.create_table(
        "email_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "confirm",
                "reset",
                name="email_token_purpose",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_email_token_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_email_token")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_email_token_token_digest")),
    )
    with op.batch_alter_table("email_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_email_token_account_id"), ["account_id"], unique=False)

    op.create_table(
        "invite",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("expires_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["account.id"], name=op.f("fk_invite_created_by_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invite")),
        sa.UniqueConstraint("code", name=op.f("uq_invite_code")),
    )
    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_login_failure_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failure")),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_account", ["account_id", "at"], unique=False)
        batch_op.create_index("ix_login_failure_ip", ["ip", "at"], unique=False)

    op.create_table(
        "recovery_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_recovery_code_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_code")),
    )
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recovery_code_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "web_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("csrf_secret", sa.String(length=64), nullable=False),
        sa.Column("user_agent", sa.String(length=500), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_web_session_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_session")),
        sa.UniqueConstraint("secret_digest", name=op.f("uq_web_session_secret_digest")),
    )
    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_session_account_id"), ["account_id"], unique=False)

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sa.Enum(
                    "unconfirmed",
                    "awaiting_approval",
                    "active",
                    "rejected",
                    "suspended",
                    name="account_state",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="active",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("email", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("email_key", sa.String(length=320), nullable=True))
        batch_op.add_column(
            sa.Column(
                "email_confirmed_at", node.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("password_hash", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("approval_required", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("sign_up_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("language", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("rules_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("totp_secret", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("totp_enabled_at", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("totp_last_step", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_account_email_key"), ["email_key"])


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_account_email_key"), type_="unique")
        batch_op.drop_column("totp_last_step")
        batch_op.drop_column("totp_enabled_at")
        batch_op.drop_column("totp_secret")
        batch_op.drop_column("rules_version")
        batch_op.drop_column("language")
        batch_op.drop_column("sign_up_reason")
        batch_op.drop_column("approval_required")
        batch_op.drop_column("password_hash")
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("email_key")
        batch_op.drop_column("email")
        batch_op.drop_constraint(op.f("ck_account_account_state"), type_="check")
        batch_op.drop_column("state")

    with op.batch_alter_table("web_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_session_account_id"))

    op.drop_table("web_session")
    with op.batch_alter_table("recovery_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_code_account_id"))

    op.drop_table("recovery_code")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_ip")
        batch_op.drop_index("ix_login_failure_account")

    op.drop_table("login_failure")
    op.drop_table("invite")
    with op.batch_alter_table("email_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_email_token_account_id"))

    op.drop_table("email_token")
    op.drop_table("node_rule")
