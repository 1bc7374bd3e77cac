"""The health page: an admin sees the delivery queue, the failing servers with their
breakers, the inbox backlog, each periodic job's last run, the version and where the database
is (never its password); a moderator is refused with a 403 page that shows none of it, and by
the domain function itself (the figures are the admins' on every path)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from federation.errors import Refused
from node import __version__
from node.config_sections import DatabaseSettings
from node.moderators.roles import Acting
from node.queue import health
from node.queue.scheduler import run_job
from node.runtime import Node
from node.store.states import AccountRole, ActivityState, Direction, Software, Visibility
from node.store.tables import Activity, PeerServer
from tests.conftest import serving
from tests.node.members.conftest import NodeFactory, member
from tests.support.browsing import browser, signed_in

HEALTH = "/admin/health"


async def failing(node: Node, host: str, failures: int, dead_for: timedelta | None) -> None:
    now = node.clock()
    async with node.store.transaction() as session:
        session.add(
            PeerServer(
                host=host,
                kind=Software.MICROBLOG,
                checked_at=now,
                consecutive_failures=failures,
                dead_until=now + dead_for if dead_for is not None else None,
            )
        )


async def received(node: Node, host: str, count: int) -> None:
    """`count` activities from `host`, stored and not yet applied."""
    async with node.store.transaction() as session:
        for i in range(count):
            uri = f"https://{host}/activities/{i}"
            session.add(
                Activity(
                    uri=uri,
                    type="Create",
                    direction=Direction.INBOUND,
                    state=ActivityState.RECEIVED,
                    actor_uri=f"https://{host}/u/someone",
                    host=host,
                    visibility=Visibility.PUBLIC,
                    document={"id": uri},
                    created_at=node.clock(),
                )
            )


async def test_an_admin_sees_how_the_node_is_doing(make_node: NodeFactory) -> None:
    node = await make_node()
    await member(node, "ada", AccountRole.ADMIN)
    mo = await member(node, "mo", AccountRole.MODERATOR)
    # The figures are the admins', whoever reads them: the page and any other way in.
    with pytest.raises(Refused, match="mo is not an admin of this node"):
        await health.health(node, Acting.member(node, mo))
    await failing(node, "down.example", 7, timedelta(minutes=30))
    await failing(node, "back-soon.example", 5, timedelta(minutes=-1))
    await failing(node, "flaky.example", 2, None)
    await failing(node, "fine.example", 0, None)

    async def prune(who: Node) -> int:
        return 3

    assert await run_job(node, "prune_deliveries", prune) == 3
    await received(node, "busy.example", 2)
    async with serving(node, workers=False) as served:
        async with browser(served.base) as mo:
            await signed_in(mo, "mo")
            refused = await mo.get(HEALTH)
            assert refused.status == 403 and "down.example" not in refused.text
            assert __version__ not in refused.text and "prune_deliveries" not in refused.text
        async with browser(served.base) as ada:
            await signed_in(ada, "ada")
            page = await ada.get(HEALTH)
    assert page.status == 200
    text = page.text
    breakers = {
        "down.example": "paused",
        "back-soon.example": "trying once more",
        "flaky.example": "still trying",
    }
    for host, breaker in breakers.items():
        shown = text[text.index(host) :][:300]
        assert f'<span class="badge">{breaker}</span>' in shown, shown
    assert "7 failures in a row" in text and "fine.example" not in text
    # The pruning job's run, counted; a job that has not run says so.
    pruning = text[text.index("Forgets deliveries that are done") :][:600]
    assert '<span class="badge">done</span>' in pruning and "counted 3" in pruning
    assert "Not run yet." in text[text.index("Fetches the subscribed blocklists") :][:400]
    assert f"Cove version {__version__}" in text
    if node.store.dialect == "sqlite":
        assert f"Database: SQLite, the file {node.config.database.where}" in text
        assert node.config.database.where.endswith(".db")
    else:
        assert "Database: PostgreSQL, 127.0.0.1:5432/" in text
    backlog = text[text.index("Waiting to be applied, by server") :][:400]
    assert '<span class="handle">busy.example</span>: 2' in backlog
    received_at = node.clock().strftime("%Y-%m-%d %H:%M")
    assert f"Oldest waiting since: {received_at}" in text  # the oldest received, from the queue


def test_the_database_is_told_without_its_user_or_password() -> None:
    url = "postgresql+asyncpg://cove:s3cret@db.example:6543/community"
    assert DatabaseSettings(url, 5).where == "db.example:6543/community"
    assert DatabaseSettings("sqlite+aiosqlite:////var/lib/cove/cove.db", 5).where == (
        "/var/lib/cove/cove.db"
    )
