"""Moderation: group rules, reports and their history, bans, the mod log, API tokens and
notifications; removal and lock marks on posts.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=1000), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("expires_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_api_token_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_api_token_token_digest")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_account_id"), ["account_id"], unique=False)

    op.create_table(
        "ban",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_uri", sa.String(length=2048), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("actor_uri", sa.String(length=2048), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "active",
                "lifted",
                "expired",
                name="ban_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("expires_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("remove_data", sa.Boolean(), nullable=False),
        sa.Column("moderator_uri", sa.String(length=2048), nullable=True),
        sa.Column("block_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["community_group.id"], name=op.f("fk_ban_group_id_community_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ban")),
    )
    with op.batch_alter_table("ban", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ban_expires_at"), ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_ban_group_uri"), ["group_uri"], unique=False)
        batch_op.create_index("ix_ban_in_force", ["actor_uri", "state"], unique=False)

    op.create_table(
        "mod_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("moderator_uri", sa.String(length=2048), nullable=True),
        sa.Column("target_uri", sa.String(length=2048), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("expires_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["community_group.id"], name=op.f("fk_mod_log_group_id_community_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mod_log")),
    )
    with op.batch_alter_table("mod_log", schema=None) as batch_op:
        batch_op.create_index("ix_mod_log_group", ["group_id", "id"], unique=False)

    op.create_table(
        "report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "received",
                "sent",
                name="report_direction",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("flag_uri", sa.String(length=2048), nullable=False),
        sa.Column("reporter_uri", sa.String(length=2048), nullable=True),
        sa.Column("reporter_account_id", sa.Integer(), nullable=True),
        sa.Column("reporter_host", sa.String(length=255), nullable=False),
        sa.Column("flag_actor_uri", sa.String(length=2048), nullable=True),
        sa.Column("target_uri", sa.String(length=2048), nullable=False),
        sa.Column("target_is_post", sa.Boolean(), nullable=False),
        sa.Column("target_account_uri", sa.String(length=2048), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("group_uri", sa.String(length=2048), nullable=True),
        sa.Column(
            "category",
            sa.Enum(
                "spam",
                "harassment",
                "violation",
                "misinformation",
                "self_harm",
                "other",
                name="report_category",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column(
            "rule_numbers",
            node.store.types.JSONDocument,
            nullable=False,
        ),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "resolved",
                "dismissed",
                name="report_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["community_group.id"], name=op.f("fk_report_group_id_community_group")
        ),
        sa.ForeignKeyConstraint(
            ["reporter_account_id"],
            ["account.id"],
            name=op.f("fk_report_reporter_account_id_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report")),
        sa.UniqueConstraint("flag_uri", "target_uri", name=op.f("uq_report_flag_uri_target_uri")),
    )
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_flag_uri"), ["flag_uri"], unique=False)
        batch_op.create_index(batch_op.f("ix_report_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            "ix_report_queue", ["direction", "state", "urgent", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_report_reporter_account_id"), ["reporter_account_id"], unique=False
        )

    op.create_table(
        "rule_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "rules",
            node.store.types.JSONDocument,
            nullable=False,
        ),
        sa.Column("needs_acceptance", sa.Boolean(), nullable=False),
        sa.Column("author_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["community_group.id"], name=op.f("fk_rule_set_group_id_community_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rule_set")),
        sa.UniqueConstraint("group_id", "version", name=op.f("uq_rule_set_group_id_version")),
    )
    with op.batch_alter_table("rule_set", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rule_set_group_id"), ["group_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("read_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_notification_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_notification_report_id_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "report_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor_uri", sa.String(length=2048), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_report_event_report_id_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_event")),
    )
    with op.batch_alter_table("report_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_event_report_id"), ["report_id"], unique=False)

    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hide_modlog_names", sa.Boolean(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rules_accepted", sa.Integer(), nullable=True))

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("removed_at", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("removal_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("locked_at", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("locked_at")
        batch_op.drop_column("removal_reason")
        batch_op.drop_column("removed_at")

    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("rules_accepted")

    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.drop_column("hide_modlog_names")

    with op.batch_alter_table("report_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_event_report_id"))

    op.drop_table("report_event")
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_account_id"))

    op.drop_table("notification")
    with op.batch_alter_table("rule_set", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rule_set_group_id"))

    op.drop_table("rule_set")
    with op.batch_alter_table("report", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_report_reporter_account_id"))
        batch_op.drop_index("ix_report_queue")
        batch_op.drop_index(batch_op.f("ix_report_group_id"))
        batch_op.drop_index(batch_op.f("ix_report_flag_uri"))

    op.drop_table("report")
    with op.batch_alter_table("mod_log", schema=None) as batch_op:
        batch_op.drop_index("ix_mod_log_group")

    op.drop_table("mod_log")
    with op.batch_alter_table("ban", schema=None) as batch_op:
        batch_op.drop_index("ix_ban_in_force")
        batch_op.drop_index(batch_op.f("ix_ban_group_uri"))
        batch_op.drop_index(batch_op.f("ix_ban_expires_at"))

    op.drop_table("ban")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_account_id"))

    op.drop_table("api_token")
