"""Served documents are cached in each process and stay true: a write to the tables they are
built from clears them at once in the writing process and within a poll in every other."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from moderation.rules import Rule
from node.config import Config
from node.groups import groups, rules
from node.groups.groups import NewGroup
from node.moderators.roles import Acting
from node.runtime import Node, open_node
from node.store.changes import ACTORS, POLL_SECONDS, read_counters
from node.store.tables import CommunityGroup, LoginFailure
from tests.conftest import ServedNode, eventually

pytestmark = pytest.mark.storage

ACTIVITY_JSON = {"Accept": "application/activity+json"}


async def counters(node: Node) -> dict[str, int]:
    async with node.store.session() as session:
        return await read_counters(session)


async def test_a_group_write_bumps_the_actors_counter_once_per_transaction(node: Node) -> None:
    before = (await counters(node)).get(ACTORS, 0)
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    after_create = (await counters(node)).get(ACTORS, 0)
    assert after_create == before + 1  # actor, key and group rows: one transaction, one bump
    async with node.store.transaction() as session:
        row = (await session.exec(select(CommunityGroup))).one()
        row.title = "Grief and loss"
    assert (await counters(node))[ACTORS] == after_create + 1


async def test_writes_to_other_tables_leave_the_counter_alone(node: Node) -> None:
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    before = await counters(node)
    now = datetime.now(UTC)
    async with node.store.transaction() as session:
        # A failed sign-in: no served document is built from it.
        session.add(LoginFailure(account_id=None, ip="127.0.0.1", at=now))
    assert await counters(node) == before


async def test_a_rolled_back_write_bumps_nothing(node: Node) -> None:
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    before = await counters(node)
    with pytest.raises(RuntimeError):
        async with node.store.transaction() as session:
            row = (await session.exec(select(CommunityGroup))).one()
            row.title = "Never"
            await session.flush()
            raise RuntimeError("changed my mind")
    assert await counters(node) == before


async def _summary(served: ServedNode, name: str) -> str:
    async with served.client.get(f"{served.base}/g/{name}", headers=ACTIVITY_JSON) as response:
        assert response.status == 200
        return str((await response.json()).get("summary", ""))


async def test_the_serving_process_sees_its_own_change_at_once(served: ServedNode) -> None:
    node = served.node
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    assert "Be kind" not in await _summary(served, "grief")  # now cached
    rule = Rule(1, "Be kind", "No one is judged here.")
    await rules.set_rules(node, Acting.operator(node), "grief", (rule,), needs_acceptance=False)
    assert "Be kind" in await _summary(served, "grief")


async def test_another_process_change_reaches_the_served_actor_within_a_poll(
    served: ServedNode, config: Config
) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    assert "Be kind" not in await _summary(served, "grief")
    other = open_node(config)  # its own engine and feed, as a `cove` command or worker has
    try:
        rule = Rule(1, "Be kind", "No one is judged here.")
        await rules.set_rules(
            other, Acting.operator(other), "grief", (rule,), needs_acceptance=False
        )
        changed = time.monotonic()

        async def shows_rule() -> bool:
            return "Be kind" in await _summary(served, "grief")

        await eventually(shows_rule, within=5)
        assert time.monotonic() - changed < POLL_SECONDS * 4
    finally:
        await other.store.close()


async def test_a_group_created_elsewhere_is_found_at_once(
    served: ServedNode, config: Config
) -> None:
    finger = f"{served.base}/.well-known/webfinger?resource=acct:grief@{served.urls.domain}"
    async with served.client.get(finger) as response:
        assert response.status == 404  # unknown names are never cached
    other = open_node(config)
    try:
        await groups.create_group(other, NewGroup(name="grief", title="Grief"))
    finally:
        await other.store.close()
    async with served.client.get(finger) as response:
        assert response.status == 200
    assert await _summary(served, "grief") == ""
