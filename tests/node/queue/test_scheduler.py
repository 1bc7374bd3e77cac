"""Periodic jobs: one process at a time runs each (a PostgreSQL advisory lock), the delivery
pruning job forgets only what is done and old, the ban and domain block expiry jobs end them on
time, and the blocklist sync job is on the schedule."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from federation.errors import Unanswered
from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from moderation.modlog import ModAction
from node.actors.instance import ensure_instance
from node.config import Config
from node.domain_policy import blocks
from node.groups import groups
from node.groups.groups import NewGroup
from node.moderators import bans
from node.moderators.roles import Acting
from node.queue import job_runs
from node.queue.delivery import queue
from node.queue.scheduler import JOBS, periodic_jobs, prune_deliveries, run_job
from node.runtime import Node, open_node
from node.store.states import BanState, DeliveryState, JobOutcome, Visibility
from node.store.tables import Ban, Delivery, ModLogEntry
from tests.conftest import MovableClock, client_for


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


async def test_a_ban_is_marked_expired_by_the_scheduled_job_once_its_time_is_up(
    node: Node,
) -> None:
    clock = MovableClock()
    node = dataclasses.replace(node, clock=clock)
    await groups.create_group(node, NewGroup(name="calm", title="Calm"))
    banned = "http://127.0.0.1:9/users/troll"
    async with client_for(node) as client:
        await bans.ban(
            node, client, Acting.operator(node), "calm", banned, "spam", clock() + timedelta(days=1)
        )
    assert "expire_bans" in {job.id for job in periodic_jobs(node).get_jobs()}
    [(name, expire, every)] = [j for j in JOBS if j[0] == "expire_bans"]
    assert every <= timedelta(minutes=5)

    assert await run_job(node, name, expire) == 0  # not yet
    clock.advance(timedelta(days=1, seconds=1))
    assert await run_job(node, name, expire) == 1
    assert await run_job(node, name, expire) == 0  # once only
    async with node.store.session() as session:
        ban = (await session.exec(select(Ban))).one()
        log = (await session.exec(select(ModLogEntry).order_by(col(ModLogEntry.id)))).all()
    assert ban.state == BanState.EXPIRED
    assert [(e.action, e.target_uri) for e in log] == [
        (ModAction.BAN, banned),
        (ModAction.BAN_EXPIRED, banned),
    ]
    assert await bans.list_bans(node, Acting.operator(node), "calm") == []


async def test_domain_blocks_expire_on_the_schedule_beside_the_blocklist_sync(node: Node) -> None:
    scheduled = {job.id for job in periodic_jobs(node).get_jobs()}
    assert {"sync_blocklists", "expire_domain_blocks"} <= scheduled
    clock = MovableClock()
    timed = dataclasses.replace(node, clock=clock)
    entry = BlockEntry("brief.example", Severity.SUSPEND)
    await blocks.set_block(timed, Acting.operator(timed), entry, clock() + timedelta(hours=1))
    [(name, expire, _)] = [j for j in JOBS if j[0] == "expire_domain_blocks"]
    assert await run_job(timed, name, expire) == 0
    clock.advance(timedelta(hours=2))
    assert await run_job(timed, name, expire) == 1
    assert await blocks.list_blocks(timed) == []


async def test_each_jobs_last_run_is_kept_with_its_outcome(node: Node) -> None:
    clock = MovableClock()
    timed = dataclasses.replace(node, clock=clock)

    async def counts(who: Node) -> int:
        clock.advance(timedelta(seconds=3))  # the run takes a while
        return 4

    async def peer_away(who: Node) -> int:
        raise Unanswered("no answer from lists.example")

    async def bug(who: Node) -> int:
        raise KeyError("oops")

    assert await run_job(timed, "counting", counts) == 4
    assert await run_job(timed, "syncing", peer_away) is None
    with pytest.raises(KeyError):
        await run_job(timed, "buggy", bug)
    runs = await job_runs.last_runs(timed)
    assert set(runs) == {"counting", "syncing", "buggy"}
    counted = runs["counting"]
    assert (counted.outcome, counted.result, counted.error) == (JobOutcome.DONE, 4, None)
    assert counted.ended_at is not None
    assert counted.ended_at - counted.started_at >= timedelta(seconds=3)
    assert runs["syncing"].outcome == JobOutcome.PUT_OFF
    assert runs["syncing"].error == "Unanswered: no answer from lists.example"
    assert runs["buggy"].outcome == JobOutcome.FAILED and "KeyError" in str(runs["buggy"].error)

    # The next run starts afresh: while it runs, it is running, with no end.
    seen: list[job_runs.LastRun] = []

    async def looks(who: Node) -> int:
        seen.append((await job_runs.last_runs(who))["counting"])
        return 0

    assert await run_job(timed, "counting", looks) == 0
    assert seen[0].outcome == JobOutcome.RUNNING and seen[0].ended_at is None
    assert seen[0].result is None and seen[0].started_at > counted.started_at
    assert (await job_runs.last_runs(timed))["counting"].outcome == JobOutcome.DONE
