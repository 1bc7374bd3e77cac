"""Allowlist mode: only allowed domains federate, on every path; switching to it with data
present says first what it cuts, then cuts it. A changed federation.mode is in force nowhere
until an admin switches: the node serves on in the mode last applied, and says so."""

from __future__ import annotations

import asyncio
import contextlib
import io
from pathlib import Path

import pytest
from sqlmodel import select

from federation.errors import PolicyRefused
from moderation.domains import FederationMode
from node.cli.serve import say_pending_mode
from node.config import Config, load_config
from node.domain_policy import blocks, mode
from node.groups.groups import NewGroup, create_group
from node.moderators.roles import Acting
from node.runtime import Node, open_node
from node.store.states import MembershipState
from node.store.tables import Instance, Membership
from tests.conftest import add_follower, client_for, cove_in_process, make_config
from tests.node.cli.test_cli import ok

pytestmark = pytest.mark.storage


@pytest.fixture
def config(tmp_path: Path, database_url: str, port: int) -> Config:
    return make_config(tmp_path, database_url, port, federation={"mode": "allowlist"})


async def test_switching_to_allowlist_mode_says_what_it_cuts_then_cuts_it(node: Node) -> None:
    admin = Acting.operator(node)
    from node.actors.instance import ensure_instance

    await ensure_instance(node)
    async with node.store.transaction() as session:  # it ran in blocklist mode until now
        instance = (await session.exec(select(Instance))).one()
        instance.federation_mode = FederationMode.BLOCKLIST
    assert (await node.policy.decide("strangers.example", node.clock())).federates
    group = await create_group(node, NewGroup(name="grief", title="Grief"))
    async with node.store.transaction() as session:
        for uri in ("https://friends.example/u/a", "https://strangers.example/u/b"):
            await add_follower(session, group.id, uri, f"{uri}/inbox", None, node.clock())
    await blocks.allow(node, admin, "friends.example")

    pending = await mode.mode_mismatch(node)
    assert pending is not None and pending.domains == ["strangers.example"]
    assert pending.impact.describe() == "1 follower of 1 group, 0 posts"
    preview = await mode.switch_mode(node, admin, dry_run=True)
    assert not preview.applied and preview.domains == ["strangers.example"]
    done = await mode.switch_mode(node, admin, dry_run=False)
    assert done.applied and done.previous.value == "blocklist"
    assert await mode.mode_mismatch(node) is None
    async with node.store.session() as session:
        states = {m.actor_uri: m.state for m in (await session.exec(select(Membership))).all()}
    assert states == {
        "https://friends.example/u/a": MembershipState.ACCEPTED,
        "https://strangers.example/u/b": MembershipState.LEFT,
    }
    now = node.clock()
    assert (await node.policy.decide("www.friends.example", now)).federates
    assert (await node.policy.decide("anywhere.example", now)).suspended
    async with client_for(node) as client:
        with pytest.raises(PolicyRefused, match="allowlist mode"):
            await client.get_json("https://anywhere.example/u/x", None)


def test_a_changed_mode_waits_until_an_admin_switches(tmp_path: Path) -> None:
    ok(cove_in_process(tmp_path, "init"))  # the demo group
    ok(cove_in_process(tmp_path, "blocks", "allow", "friends.example"))
    import sqlite3

    with sqlite3.connect(tmp_path / "data" / "cove.db") as db:
        db.execute(
            "INSERT INTO remote_actor (uri, type, domain, inbox, document, fetched_at, created_at)"
            " VALUES ('https://strangers.example/u/b', 'Person', 'strangers.example',"
            " 'https://strangers.example/inbox', '{}', '2026-01-01', '2026-01-01')"
        )
        db.execute(
            "INSERT INTO membership (group_id, actor_uri, remote_actor_id, role, state,"
            " created_at, updated_at) VALUES (1, 'https://strangers.example/u/b', 1, 'member',"
            " 'accepted', '2026-01-01', '2026-01-01')"
        )
    asked = ok(cove_in_process(tmp_path, "blocks", "switch-mode", "--dry-run", "--to", "allowlist"))
    assert "would switch from blocklist to allowlist" in asked and "strangers.example" in asked
    config = tmp_path / "cove.toml"
    allowlist = config.read_text().replace("[federation]\n", '[federation]\nmode = "allowlist"\n')
    config.write_text(allowlist)

    said = asyncio.run(_starting(config))  # what `cove serve` and `cove worker` do at start
    assert "runs in blocklist mode until an admin switches" in said
    assert "switching cuts 1 servers (1 follower of 1 group, 0 posts)" in said
    preview = ok(cove_in_process(tmp_path, "blocks", "switch-mode", "--dry-run"))
    assert "would switch from blocklist to allowlist" in preview and "strangers.example" in preview
    ok(cove_in_process(tmp_path, "blocks", "switch-mode"))
    again = cove_in_process(tmp_path, "blocks", "switch-mode", "--dry-run")
    assert "cuts 0 domains" in again.stdout
    refused = cove_in_process(tmp_path, "blocks", "switch-mode", "--to", "blocklist")
    assert refused.returncode != 0 and "--to only goes with --dry-run" in refused.stderr


async def _starting(config: Path) -> str:
    """What a process starting on `config` says; and the mode last applied stays in force."""
    node = open_node(load_config(config, {}))
    try:
        with contextlib.redirect_stderr(io.StringIO()) as said:
            await say_pending_mode(node)
        assert (await node.policy.decide("strangers.example", node.clock())).federates
    finally:
        await node.store.close()
    return said.getvalue()
