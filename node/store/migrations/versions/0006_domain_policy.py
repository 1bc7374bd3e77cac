"""Domain policy: blocks and allows, subscribed blocklists with their last good entries,
drafts and excludes, groups' own domain blocks, and the federation mode last applied.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import node.store.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "blocklist_source",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "url",
                "actor",
                name="source_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("location", sa.String(length=2048), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column(
            "max_severity",
            sa.Enum(
                "noop",
                "silence",
                "suspend",
                name="source_max_severity",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("drafts", sa.Boolean(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "ok",
                "failing",
                name="source_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("etag", sa.String(length=500), nullable=True),
        sa.Column("last_modified", sa.String(length=100), nullable=True),
        sa.Column("follow_uri", sa.String(length=2048), nullable=True),
        sa.Column("fetched_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_ok_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocklist_source")),
        sa.UniqueConstraint("location", name=op.f("uq_blocklist_source_location")),
    )
    op.create_table(
        "domain_allow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=2048), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_allow")),
        sa.UniqueConstraint("domain", name=op.f("uq_domain_allow_domain")),
    )
    op.create_table(
        "domain_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("by_digest", sa.Boolean(), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "noop",
                "silence",
                "suspend",
                name="domain_severity",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reject_media", sa.Boolean(), nullable=False),
        sa.Column("reject_reports", sa.Boolean(), nullable=False),
        sa.Column("obfuscate", sa.Boolean(), nullable=False),
        sa.Column("public_comment", sa.Text(), nullable=False),
        sa.Column("private_comment", sa.Text(), nullable=False),
        sa.Column("labels", node.store.types.JSONDocument, nullable=False),
        sa.Column("expires_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "origin",
            sa.Enum(
                "manual",
                "subscription",
                name="policy_origin",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.String(length=2048), nullable=False),
        sa.Column("source_ids", node.store.types.JSONDocument, nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_block")),
        sa.UniqueConstraint("domain", name=op.f("uq_domain_block_domain")),
    )
    op.create_table(
        "domain_draft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("proposed", node.store.types.JSONDocument, nullable=True),
        sa.Column("source_ids", node.store.types.JSONDocument, nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending",
                "accepted",
                "rejected",
                "superseded",
                name="draft_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("decided_by", sa.String(length=2048), nullable=True),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", node.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_draft")),
    )
    with op.batch_alter_table("domain_draft", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domain_draft_domain"), ["domain"], unique=False)

    op.create_table(
        "domain_exclude",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["blocklist_source.id"],
            name=op.f("fk_domain_exclude_source_id_blocklist_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_domain_exclude")),
        sa.UniqueConstraint("domain", "source_id", name=op.f("uq_domain_exclude_domain_source_id")),
    )
    with op.batch_alter_table("domain_exclude", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_domain_exclude_domain"), ["domain"], unique=False)

    op.create_table(
        "source_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("by_digest", sa.Boolean(), nullable=False),
        sa.Column(
            "severity",
            sa.Enum(
                "noop",
                "silence",
                "suspend",
                name="entry_severity",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reject_media", sa.Boolean(), nullable=False),
        sa.Column("reject_reports", sa.Boolean(), nullable=False),
        sa.Column("obfuscate", sa.Boolean(), nullable=False),
        sa.Column("public_comment", sa.Text(), nullable=False),
        sa.Column("labels", node.store.types.JSONDocument, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["blocklist_source.id"],
            name=op.f("fk_source_entry_source_id_blocklist_source"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_entry")),
        sa.UniqueConstraint("source_id", "domain", name=op.f("uq_source_entry_source_id_domain")),
    )
    with op.batch_alter_table("source_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_source_entry_domain"), ["domain"], unique=False)
        batch_op.create_index(batch_op.f("ix_source_entry_source_id"), ["source_id"], unique=False)

    op.create_table(
        "group_domain_block",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("domain", sa.String(length=253), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=2048), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["community_group.id"],
            name=op.f("fk_group_domain_block_group_id_community_group"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_domain_block")),
        sa.UniqueConstraint(
            "group_id", "domain", name=op.f("uq_group_domain_block_group_id_domain")
        ),
    )
    with op.batch_alter_table("group_domain_block", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_group_domain_block_group_id"), ["group_id"], unique=False
        )

    op.create_table(
        "policy_follower",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor_uri", sa.String(length=2048), nullable=False),
        sa.Column("remote_actor_id", sa.Integer(), nullable=False),
        sa.Column("inbox", sa.String(length=2048), nullable=False),
        sa.Column("follow_uri", sa.String(length=2048), nullable=False),
        sa.Column("created_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["remote_actor_id"],
            ["remote_actor.id"],
            name=op.f("fk_policy_follower_remote_actor_id_remote_actor"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_follower")),
        sa.UniqueConstraint("actor_uri", name=op.f("uq_policy_follower_actor_uri")),
    )
    op.create_table(
        "policy_published",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", node.store.types.JSONDocument, nullable=False),
        sa.Column("published_at", node.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_policy_published")),
    )

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "attachments",
                node.store.types.JSONDocument,
                server_default="[]",
                nullable=False,
            )
        )

    with op.batch_alter_table("instance", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "federation_mode",
                sa.Enum(
                    "blocklist",
                    "allowlist",
                    name="federation_mode",
                    native_enum=False,
                    create_constraint=True,
                    length=20,
                ),
                server_default="blocklist",
                nullable=False,
            )
        )


def downgrade() -> None:
    op.drop_table("policy_published")
    op.drop_table("policy_follower")

    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("attachments")

    with op.batch_alter_table("instance", schema=None) as batch_op:
        # The enum's CHECK goes first: SQLite's table copy would keep it, naming a lost column.
        batch_op.drop_constraint(op.f("ck_instance_federation_mode"), type_="check")
        batch_op.drop_column("federation_mode")

    with op.batch_alter_table("group_domain_block", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_group_domain_block_group_id"))

    op.drop_table("group_domain_block")
    with op.batch_alter_table("source_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_source_entry_source_id"))
        batch_op.drop_index(batch_op.f("ix_source_entry_domain"))

    op.drop_table("source_entry")
    with op.batch_alter_table("domain_exclude", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_exclude_domain"))

    op.drop_table("domain_exclude")
    with op.batch_alter_table("domain_draft", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_domain_draft_domain"))

    op.drop_table("domain_draft")
    op.drop_table("domain_block")
    op.drop_table("domain_allow")
    op.drop_table("blocklist_source")
