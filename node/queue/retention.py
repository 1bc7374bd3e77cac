"""How long received activities keep their bodies: once applied (or refused) and older than
`inbox.keep_received_days`, a received activity is pruned to its id, type, actor and object.
Its id stays for good, which keeps a redelivery recognised; what this node sent (the actors'
outboxes) is never pruned."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlmodel import col, select

from node.runtime import Node
from node.store.states import ActivityState, Direction
from node.store.tables import Activity

log = logging.getLogger(__name__)

BATCH = 1000  # rows a transaction prunes: short transactions, whatever the backlog


def skeleton(row: Activity) -> dict[str, object]:
    """What is kept of a pruned activity: enough to answer for it, nothing anyone wrote."""
    kept: dict[str, object] = {"id": row.uri, "type": row.type, "actor": row.actor_uri}
    if row.object_uri is not None:
        kept["object"] = row.object_uri
    return kept


async def prune_received(node: Node, most: int = 100 * BATCH) -> int:
    """Prune the bodies of received activities past their keeping time (the periodic job);
    how many were pruned."""
    cutoff = node.clock() - timedelta(days=node.config.inbox.keep_received_days)
    pruned = 0
    while pruned < most:
        async with node.store.transaction() as session:
            rows = list(
                await session.exec(
                    select(Activity)
                    .where(
                        Activity.direction == Direction.INBOUND,
                        col(Activity.state).in_((ActivityState.PROCESSED, ActivityState.REJECTED)),
                        col(Activity.pruned_at).is_(None),
                        col(Activity.created_at) < cutoff,
                    )
                    .order_by(col(Activity.id))
                    .limit(BATCH)
                )
            )
            now = node.clock()
            for row in rows:
                row.document, row.pruned_at = skeleton(row), now
        pruned += len(rows)
        if len(rows) < BATCH:
            break
    if pruned:
        log.info("event=received_pruned count=%s older_than=%s", pruned, cutoff.isoformat())
    return pruned
