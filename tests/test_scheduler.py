"""Periodic jobs: one process at a time runs each (a PostgreSQL advisory lock), and the
delivery pruning job forgets only what is done and old."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from node.config import Config
from node.domain.delivery import queue
from node.domain.instance import ensure_instance
from node.runtime import Node, open_node
from node.scheduler import prune_deliveries, run_job
from node.store.states import DeliveryState, Visibility
from node.store.tables import Delivery


async def test_a_job_runs_in_one_process_at_a_time(node: Node, config: Config) -> None:
    other = open_node(config)  # a second process's engine on the same database
    ran: list[str] = []

    async def slow(who: Node) -> int:
        ran.append("job")
        await asyncio.sleep(0.5)
        return 1

    try:
        results = await asyncio.gather(
            run_job(node, "test-job", slow), run_job(other, "test-job", slow)
        )
    finally:
        await other.store.close()
    if node.store.dialect == "postgresql":
        assert sorted(results, key=str) == [1, None] and ran == ["job"]
    else:  # one process by design: nothing to exclude
        assert results == [1, 1]
    # Once it is done, the lock is free again.
    assert await run_job(node, "test-job", slow) == 1


async def test_pruning_forgets_old_finished_deliveries_only(node: Node) -> None:
    info, _ = await ensure_instance(node)
    now = datetime.now(UTC)
    ages = {
        "new-delivered": (DeliveryState.DELIVERED, 1),
        "old-delivered": (DeliveryState.DELIVERED, 8),
        "old-failed": (DeliveryState.FAILED, 31),
        "recent-failed": (DeliveryState.FAILED, 10),
        "old-pending": (DeliveryState.PENDING, 40),
    }
    async with node.store.transaction() as session:
        for name, (state, days) in ages.items():
            activity = await queue(
                session,
                info.actor_id,
                {
                    "id": node.urls.activity(name),
                    "type": "Announce",
                    "actor": node.urls.instance_actor(),
                },
                Visibility.DIRECT,
                [f"https://peer.example/{name}"],
                now,
            )
            row = (
                await session.exec(select(Delivery).where(Delivery.activity_id == activity.id))
            ).one()
            row.state, row.updated_at = state, now - timedelta(days=days)
    assert await prune_deliveries(node) == 2
    async with node.store.session() as session:
        left = sorted(
            d.inbox.rsplit("/", 1)[1] for d in (await session.exec(select(Delivery))).all()
        )
    assert left == ["new-delivered", "old-pending", "recent-failed"]
