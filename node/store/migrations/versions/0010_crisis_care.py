"""Crisis care: assessments, moderators on duty, webhooks and their deliveries, the crisis
services table, care messages, professionals' credentials; a group's hold and care settings,
a member's opt-out, a professional's note, held posts, and the inbox's crisis triage.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

POST_STATES = ("live", "removed", "deleted", "held")
revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crisis_resource",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("verify", sa.Boolean(), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_resource")),
    )
    with op.batch_alter_table("crisis_resource", schema=None) as batch_op:
        batch_op.create_index("ix_crisis_resource_place", ["country", "language"], unique=False)

    op.create_table(
        "care_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_uri", sa.String(length=2048), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "detected",
                "worried",
                "held",
                name="care_reason",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note_uri", sa.String(length=2048), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_care_message_group_id_community_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_message")),
    )
    with op.batch_alter_table("care_message", schema=None) as batch_op:
        batch_op.create_index("ix_care_message_person", ["person_uri", "created_at"], unique=False)

    op.create_table(
        "credential",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("checked_by", sa.String(length=200), nullable=False),
        sa.Column("checked_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_credential_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential")),
    )
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_account_id"), ["account_id"], unique=False)

    op.create_table(
        "crisis_webhook",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_crisis_webhook_group_id_community_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_webhook")),
    )
    with op.batch_alter_table("crisis_webhook", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crisis_webhook_group_id"), ["group_id"], unique=False)

    op.create_table(
        "moderator_duty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "on", "off", name="duty_state", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("changed_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["account.id"], name=op.f("fk_moderator_duty_account_id_account")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_moderator_duty_group_id_community_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_moderator_duty")),
    )
    with op.batch_alter_table("moderator_duty", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_moderator_duty_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index("ix_moderator_duty_scope", ["group_id", "state"], unique=False)

    op.create_table(
        "crisis_assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_uri", sa.String(length=2048), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("person_uri", sa.String(length=2048), nullable=False),
        sa.Column(
            "level",
            sa.Enum(
                "acute",
                "concern",
                "none",
                name="crisis_level",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reasons", node.store.types.JSONDocument, nullable=False),
        sa.Column("lowered", node.store.types.JSONDocument, nullable=False),
        sa.Column("languages", node.store.types.JSONDocument, nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column(
            "escalation",
            sa.Enum(
                "on_duty",
                "moderators",
                "staff",
                name="escalation_stage",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("escalated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_crisis_assessment_group_id_community_group"),
        ),
        sa.ForeignKeyConstraint(
            ["report_id"], ["report.id"], name=op.f("fk_crisis_assessment_report_id_report")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crisis_assessment")),
    )
    with op.batch_alter_table("crisis_assessment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crisis_assessment_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            "ix_crisis_assessment_escalation", ["escalation", "escalated_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crisis_assessment_group_id"), ["group_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crisis_assessment_person_uri"), ["person_uri"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crisis_assessment_report_id"), ["report_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_crisis_assessment_subject_uri"), ["subject_uri"], unique=False
        )

    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("body", node.store.types.JSONDocument, nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                "cancelled",
                name="webhook_delivery_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["crisis_assessment.id"],
            name=op.f("fk_webhook_delivery_assessment_id_crisis_assessment"),
        ),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["crisis_webhook.id"],
            name=op.f("fk_webhook_delivery_webhook_id_crisis_webhook"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
    )
    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_webhook_delivery_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_webhook_delivery_webhook_id"), ["webhook_id"], unique=False
        )

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("care_opt_out", sa.Boolean(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_activity_triage", ["direction", "state", "priority"], unique=False
        )

    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("hold_acute", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("page_professionals", sa.Boolean(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("care_template", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("hold_template", sa.Text(), nullable=True))

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("professional_note", sa.Boolean(), server_default="0", nullable=False)
        )

    _post_states(POST_STATES)


def _post_states(states: Sequence[str]) -> None:
    listed = ", ".join(f"'{s}'" for s in states)
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_post_post_state"), type_="check")
        batch_op.create_check_constraint(op.f("ck_post_post_state"), f"state IN ({listed})")


def downgrade() -> None:
    op.execute("UPDATE post SET state = 'removed' WHERE state = 'held'")
    _post_states(POST_STATES[:-1])
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("professional_note")

    with op.batch_alter_table("community_group", schema=None) as batch_op:
        batch_op.drop_column("hold_template")
        batch_op.drop_column("care_template")
        batch_op.drop_column("page_professionals")
        batch_op.drop_column("hold_acute")

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_triage")
        batch_op.drop_column("priority")

    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("care_opt_out")

    with op.batch_alter_table("webhook_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_delivery_webhook_id"))
        batch_op.drop_index("ix_webhook_delivery_due")

    op.drop_table("webhook_delivery")
    with op.batch_alter_table("crisis_assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_assessment_subject_uri"))
        batch_op.drop_index(batch_op.f("ix_crisis_assessment_report_id"))
        batch_op.drop_index(batch_op.f("ix_crisis_assessment_person_uri"))
        batch_op.drop_index(batch_op.f("ix_crisis_assessment_group_id"))
        batch_op.drop_index("ix_crisis_assessment_escalation")
        batch_op.drop_index(batch_op.f("ix_crisis_assessment_created_at"))

    op.drop_table("crisis_assessment")
    with op.batch_alter_table("moderator_duty", schema=None) as batch_op:
        batch_op.drop_index("ix_moderator_duty_scope")
        batch_op.drop_index(batch_op.f("ix_moderator_duty_account_id"))

    op.drop_table("moderator_duty")
    with op.batch_alter_table("crisis_webhook", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crisis_webhook_group_id"))

    op.drop_table("crisis_webhook")
    with op.batch_alter_table("credential", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_account_id"))

    op.drop_table("credential")
    with op.batch_alter_table("care_message", schema=None) as batch_op:
        batch_op.drop_index("ix_care_message_person")

    op.drop_table("care_message")
    with op.batch_alter_table("crisis_resource", schema=None) as batch_op:
        batch_op.drop_index("ix_crisis_resource_place")

    op.drop_table("crisis_resource")
