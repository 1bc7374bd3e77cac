"""Object integrity proofs and inbox limits: an Ed25519 key for every local actor made before
(FEP-8b32 proofs on what it sends); on received activities, the sender's server (what it has
waiting counts against it) and when the body was pruned; indexes for the workers' queue.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from alembic import op

import node.store.types
from federation.proofs import generate_ed25519_keypair

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNING_KEY = sa.table(
    "signing_key",
    sa.column("actor_id", sa.Integer),
    sa.column("state", sa.String),
    sa.column("algorithm", sa.String),
    sa.column("public_key_pem", sa.Text),
    sa.column("private_key_pem", sa.Text),
    sa.column("created_at", node.store.types.UTCDateTime),
)


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("pruned_at", node.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index("ix_activity_queue", ["direction", "state", "id"], unique=False)
        batch_op.create_index("ix_activity_host_state", ["host", "state"], unique=False)
    _hosts_of_waiting_activities()
    _proof_keys_for_existing_actors()


def _hosts_of_waiting_activities() -> None:
    bind = op.get_bind()
    waiting = bind.execute(
        sa.text(
            "SELECT id, actor_uri FROM activity WHERE direction = 'inbound' AND state = 'received'"
        )
    ).all()
    for row_id, actor in waiting:
        bind.execute(
            sa.text("UPDATE activity SET host = :host WHERE id = :id"),
            {"host": urlsplit(actor).netloc.lower()[:255], "id": row_id},
        )


def _proof_keys_for_existing_actors() -> None:
    bind = op.get_bind()
    without = bind.execute(
        sa.text(
            "SELECT id FROM local_actor WHERE id NOT IN"
            " (SELECT actor_id FROM signing_key WHERE algorithm = 'ed25519')"
        )
    ).all()
    now = datetime.now(UTC)
    rows = []
    for (actor_id,) in without:
        pair = generate_ed25519_keypair()
        rows.append(
            {
                "actor_id": actor_id,
                "state": "active",
                "algorithm": "ed25519",
                "public_key_pem": pair.public_pem,
                "private_key_pem": pair.private_pem,
                "created_at": now,
            }
        )
    if rows:
        bind.execute(SIGNING_KEY.insert(), rows)


def downgrade() -> None:
    op.execute("DELETE FROM signing_key WHERE algorithm = 'ed25519'")
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_host_state")
        batch_op.drop_index("ix_activity_queue")
        batch_op.drop_column("pruned_at")
        batch_op.drop_column("host")
