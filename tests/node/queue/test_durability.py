"""Crashes lose nothing: a real `cove serve` process is killed with SIGKILL in the middle of
applying received activities, and in the middle of a fan-out; after a restart every accepted
activity is applied exactly once and every follower's inbox gets what it is owed."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web
from sqlalchemy import func
from sqlmodel import select

from federation.httpsig import cavage
from federation.httpsig.message import Headers, HttpMessage
from federation.keys import KeyPair, generate_rsa_keypair, load_private_key
from node.config import Config, load_config
from node.runtime import open_node
from node.store.states import ActivityState, Direction, Software
from node.store.tables import Activity, PeerServer, Post
from tests.conftest import add_follower, cove_in_process, free_port, serving_app

AP = "application/activity+json"


@dataclass
class Sink:
    """A server on loopback: one actor who posts, and inboxes that count what arrives."""

    base: str
    keys: KeyPair
    delay: float = 0.0
    received: list[tuple[str, str]] = field(default_factory=list)  # (path, activity id)

    @property
    def actor(self) -> str:
        return f"{self.base}/u/alice"


@asynccontextmanager
async def running_sink(delay: float = 0.0) -> AsyncIterator[Sink]:
    port = free_port()
    sink = Sink(f"http://127.0.0.1:{port}", generate_rsa_keypair(), delay)

    async def actor(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "@context": [
                    "https://www.w3.org/ns/activitystreams",
                    "https://w3id.org/security/v1",
                ],
                "id": sink.actor,
                "type": "Person",
                "preferredUsername": "alice",
                "inbox": f"{sink.actor}/inbox",
                "publicKey": {
                    "id": f"{sink.actor}#main-key",
                    "owner": sink.actor,
                    "publicKeyPem": sink.keys.public_pem,
                },
            },
            content_type=AP,
        )

    async def inbox(request: web.Request) -> web.Response:
        document = json.loads(await request.read())
        if sink.delay:
            await asyncio.sleep(sink.delay)
        sink.received.append((request.path, str(document.get("id"))))
        return web.Response(status=202)

    app = web.Application()
    app.router.add_get("/u/alice", actor)
    app.router.add_post("/{tail:.*}", inbox)
    async with serving_app(app, port):
        yield sink


class NodeProcess:
    """`cove serve` as a person runs it, in its own folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("COVE_")}
        self.env.update({"COVE_HTTP__PORT": str(self.port), "COVE_LOG__LEVEL": "warning"})
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[str] | None = None

    def cove(self, *args: str) -> str:
        """A command that sets the node up, run in this process (the processes under test are
        `serve` and `worker`): in a thread, as its event loop cannot be the test's."""
        settings = {k: v for k, v in self.env.items() if k.startswith("COVE_")}
        with ThreadPoolExecutor(1) as thread:
            result = thread.submit(cove_in_process, self.folder, *args, env=settings).result()
        assert result.returncode == 0, result.stderr
        return result.stdout

    def config(self) -> Config:
        overrides = {k: v for k, v in self.env.items() if k.startswith("COVE_")}
        return load_config(self.folder / "cove.toml", overrides)

    def spawn(self) -> None:
        # Output to a file: a pipe nobody reads would fill up and stall the server.
        with (self.folder / "serve.log").open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "node.cli.main", "serve"],
                cwd=self.folder,
                env=self.env,
                text=True,
                stdout=log,
                stderr=log,
            )

    async def start(self) -> None:
        self.spawn()
        deadline = time.monotonic() + 30
        async with ClientSession() as client:
            while time.monotonic() < deadline:
                try:
                    async with client.get(f"{self.base}/nodeinfo/2.1") as r:
                        if r.status == 200:
                            return
                except OSError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("cove serve did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(timeout=20)


async def count(config: Config, query: Any) -> int:
    node = open_node(config)
    try:
        async with node.store.session() as session:
            return int((await session.exec(query)).one())
    finally:
        await node.store.close()


async def add_followers(config: Config, sink: Sink, followers: int) -> None:
    """Followers of the group `grief`, each with its own inbox on the sink's host."""
    from node.groups.groups import get_group

    node = open_node(config)
    now = datetime.now(UTC)
    host = sink.base.split("//")[1]
    try:
        async with node.store.transaction() as session:
            group = await get_group(session, "grief")
            session.add(
                PeerServer(
                    host=host, software_name="lemmy", kind=Software.GROUP_AWARE, checked_at=now
                )
            )
            for i in range(followers):
                uri, inbox = f"{sink.base}/u/f{i}", f"{sink.base}/inboxes/{i}"
                await add_follower(session, group.id, uri, inbox, None, now)
    finally:
        await node.store.close()


def prepared(folder: Path) -> NodeProcess:
    node = NodeProcess(folder)
    node.cove("init", "--no-demo")
    node.cove("group", "create", "grief", "--title", "Grief", "--posting", "anyone")
    return node


async def until(check: Callable[[], Awaitable[bool]], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await check():
            return
        await asyncio.sleep(0.2)
    raise AssertionError(f"{what}: not done within {within} s")


def signed_create(sink: Sink, group: str, n: int, key: Any = None) -> tuple[bytes, dict[str, str]]:
    """A Create{Note} by the sink's actor for `group`, signed as Mastodon signs: the body and
    the headers to POST it with (`key`: the sink's private key, loaded once by the caller)."""
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sink.base}/activities/{n}",
        "type": "Create",
        "actor": sink.actor,
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "cc": [group],
        "audience": group,
        "object": {
            "id": f"{sink.base}/notes/{n}",
            "type": "Note",
            "attributedTo": sink.actor,
            "to": ["https://www.w3.org/ns/activitystreams#Public", group],
            "audience": group,
            "content": f"<p>note {n}</p>",
        },
    }
    url = f"{group}/inbox"
    message = HttpMessage(
        "POST",
        url,
        Headers([("Host", url.split("/")[2]), ("Content-Type", AP)]),
        json.dumps(activity).encode(),
    )
    key = key or load_private_key(sink.keys.private_pem)
    cavage.sign(message, f"{sink.actor}#main-key", key, datetime.now(UTC))
    return message.body, message.headers.as_dict()


async def test_sigkill_mid_processing_then_restart_applies_every_activity_exactly_once(
    tmp_path: Path,
) -> None:
    total = 300
    node = prepared(tmp_path)
    async with running_sink() as sink:
        await add_followers(node.config(), sink, 1)
        await node.start()
        try:
            async with ClientSession() as client:
                limit = asyncio.Semaphore(16)
                key = load_private_key(sink.keys.private_pem)

                async def send(n: int) -> int:
                    # Signed when its turn comes: signing all 300 first, one after another,
                    # held up the first requests' connections past their timeout on a
                    # busy machine (the event loop signs while they wait to connect).
                    async with limit:
                        body, headers = signed_create(sink, f"{node.base}/g/grief", n, key)
                        inbox = f"{node.base}/g/grief/inbox"
                        async with client.post(inbox, data=body, headers=headers) as r:
                            return r.status

                statuses = await asyncio.gather(*(send(n) for n in range(total)))
            node.kill()  # at once, while the worker is still applying what came in
        finally:
            node.stop()
        assert statuses == [202] * total
        config = node.config()
        inbound = (
            select(func.count())
            .select_from(Activity)
            .where(Activity.direction == Direction.INBOUND)
        )
        waiting = inbound.where(Activity.state == ActivityState.RECEIVED)
        assert await count(config, inbound) == total  # every 202 was committed
        left = await count(config, waiting)
        assert left > 0, "the kill came too late to test anything: raise `total`"

        await node.start()
        try:

            async def applied() -> bool:
                return await count(config, waiting) == 0

            await until(applied, 60, "applying after the restart")
            announced = (
                select(func.count())
                .select_from(Activity)
                .where(Activity.direction == Direction.OUTBOUND, Activity.type == "Announce")
            )

            async def delivered() -> bool:
                return len({i for _, i in sink.received}) >= total

            await until(delivered, 60, "delivering the announces")
        finally:
            node.stop()
        assert await count(config, select(func.count()).select_from(Post)) == total
        assert await count(config, announced) == total  # none applied twice
        rejected = inbound.where(Activity.state == ActivityState.REJECTED)
        assert await count(config, rejected) == 0


async def test_sigkill_mid_fan_out_then_restart_delivers_every_remaining_item(
    tmp_path: Path,
) -> None:
    followers = 300
    node = prepared(tmp_path)
    node.cove("account", "create", "writer")
    async with running_sink(delay=0.01) as sink:
        await add_followers(node.config(), sink, followers)
        node.cove("member", "join", "writer", f"{node.base}/g/grief")
        node.cove(
            "member",
            "post",
            "writer",
            f"{node.base}/g/grief",
            "--text",
            "hello all",
            "--title",
            "Hello",
        )
        await node.start()
        try:

            async def some_arrived() -> bool:
                return len(sink.received) >= 20

            await until(some_arrived, 30, "the fan-out starting")
            node.kill()
        finally:
            node.stop()
        before = len({path for path, _ in sink.received})
        assert before < followers, "the fan-out finished before the kill: raise `followers`"
        await node.start()
        try:

            async def all_arrived() -> bool:
                return len({path for path, _ in sink.received}) == followers

            await until(all_arrived, 90, "the fan-out after the restart")
        finally:
            node.stop()
    paths = {path for path, _ in sink.received}
    assert paths == {f"/inboxes/{i}" for i in range(followers)}
