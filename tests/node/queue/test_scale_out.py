"""Scale-out on PostgreSQL: two `cove worker` processes share one database and deliver 1,000
activities to a sink, and each reaches its inbox exactly once."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import postgres_url, truncate_all
from tests.node.queue.test_durability import NodeProcess, add_followers, running_sink, until

pytestmark = pytest.mark.skipif(
    postgres_url() is None, reason="PostgreSQL run skipped: COVE_TEST_POSTGRES_URL is not set"
)


def start_worker(node: NodeProcess, n: int) -> subprocess.Popen[str]:
    with (node.folder / f"worker{n}.log").open("a") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "node.cli.main", "worker"],
            cwd=node.folder,
            env=node.env,
            text=True,
            stdout=log,
            stderr=log,
        )


async def test_two_workers_deliver_each_activity_to_each_inbox_once(
    tmp_path: Path, postgres_database: str | None
) -> None:
    assert postgres_database is not None
    await truncate_all(postgres_database)
    followers = 1000
    node = NodeProcess(tmp_path)
    node.env["COVE_DATABASE__URL"] = postgres_database
    node.cove("init", "--no-demo")
    node.cove("group", "create", "grief", "--title", "Grief", "--posting", "anyone")
    node.cove("account", "create", "writer")
    try:
        async with running_sink() as sink:
            await add_followers(node.config(), sink, followers)
            node.cove("member", "join", "writer", f"{node.base}/g/grief")
            node.cove("member", "post", "writer", f"{node.base}/g/grief", "--text", "to all")
            workers = [start_worker(node, 1), start_worker(node, 2)]
            try:

                async def all_arrived() -> bool:
                    return len({path for path, _ in sink.received}) >= followers

                await until(all_arrived, 120, "1,000 deliveries by two workers")
                await asyncio.sleep(1.0)  # anything sent twice would have arrived by now
            finally:
                for process in workers:
                    process.send_signal(signal.SIGTERM)
                for process in workers:
                    process.wait(timeout=20)
        per_inbox = Counter(path for path, _ in sink.received)
        assert len(per_inbox) == followers
        assert set(per_inbox.values()) == {1}
        for process in workers:
            assert process.returncode == 0  # both ran and stopped cleanly on SIGTERM
    finally:
        await truncate_all(postgres_database)
