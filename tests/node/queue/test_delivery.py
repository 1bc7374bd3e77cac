"""Delivery as peers see it: one POST per distinct inbox, retries with backoff over about two
days, final 4xx, Retry-After, a cap per host, a breaker for dead hosts, and a slow host that
holds up nobody else. Real sink servers on loopback receive real signed POSTs."""

from __future__ import annotations

import asyncio
import dataclasses
import random
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from aiohttp import web
from sqlmodel import select

from federation.client import FederationClient
from node.groups.groups import GroupInfo, NewGroup, create_group
from node.queue import delivery
from node.queue.sender import PER_HOST, Sender
from node.runtime import Node
from node.store.states import ActivityState, DeliveryState, Direction, Software, Visibility
from node.store.tables import Activity, Delivery, PeerServer
from tests.conftest import (
    MovableClock,
    add_follower,
    client_for,
    eventually,
    free_port,
    serving_app,
)

pytestmark = pytest.mark.storage

Answer = Callable[[web.Request], tuple[int, dict[str, str]]]


@dataclass
class Sink:
    """A peer server that records what reaches it and answers as told."""

    base: str
    answer: Answer = lambda _request: (202, {})
    delay: float = 0.0
    gate: asyncio.Event | None = None  # when given, answers wait until it is set
    received: list[str] = field(default_factory=list)  # paths, in arrival order
    bodies: list[dict[str, Any]] = field(default_factory=list)
    signed: int = 0
    now: int = 0
    most_at_once: int = 0

    @property
    def host(self) -> str:
        return self.base.split("//", 1)[1]


@asynccontextmanager
async def sink_server(**options: Any) -> AsyncIterator[Sink]:
    port = free_port()
    sink = Sink(f"http://127.0.0.1:{port}", **options)

    async def inbox(request: web.Request) -> web.Response:
        sink.now += 1
        sink.most_at_once = max(sink.most_at_once, sink.now)
        try:
            sink.bodies.append(await request.json())
            if sink.delay:
                await asyncio.sleep(sink.delay)
            if sink.gate is not None:
                await sink.gate.wait()
            sink.received.append(request.path)
            sink.signed += "Signature" in request.headers or "Signature-Input" in request.headers
            status, headers = sink.answer(request)
            return web.Response(status=status, headers=headers)
        finally:
            sink.now -= 1

    app = web.Application()
    app.router.add_post("/{tail:.*}", inbox)
    async with serving_app(app, port):
        yield sink


async def add_followers(
    node: Node, group: GroupInfo, base: str, people: int, *, shared: bool
) -> None:
    """`people` followers of the group on the server at `base` (a Lemmy, so it gets the
    Announce of the activity), with or without a shared inbox."""
    now = node.clock()
    host = base.split("//", 1)[1]
    async with node.store.transaction() as session:
        session.add(
            PeerServer(host=host, software_name="lemmy", kind=Software.GROUP_AWARE, checked_at=now)
        )
        for i in range(people):
            shared_inbox = f"{base}/inbox" if shared else None
            uri = f"{base}/u/p{i}"
            await add_follower(session, group.id, uri, f"{uri}/inbox", shared_inbox, now)


async def grief(node: Node) -> GroupInfo:
    return await create_group(node, NewGroup(name="grief", title="Grief"))


async def announce(node: Node, client: FederationClient, group: GroupInfo, n: int = 1) -> None:
    """What the group sends when a post arrives: Announces to its followers' inboxes."""
    from node.groups.announcing import announce as group_announce

    note = {
        "id": f"https://elsewhere.example/create/{n}",
        "type": "Create",
        "actor": "https://elsewhere.example/u/ann",
        "object": {"id": f"https://elsewhere.example/note/{n}", "type": "Note"},
    }
    await group_announce(node, client, group, note, None)


async def states(node: Node) -> Counter[str]:
    async with node.store.session() as session:
        rows = await session.exec(select(Delivery.state))
        return Counter(str(s) for s in rows.all())


async def deliveries(node: Node) -> list[Delivery]:
    async with node.store.session() as session:
        return list((await session.exec(select(Delivery).order_by(Delivery.id))).all())


async def peer_server(node: Node, host: str) -> PeerServer:
    async with node.store.session() as session:
        return (await session.exec(select(PeerServer).where(PeerServer.host == host))).one()


async def rounds(sender: Sender) -> int:
    """Deliver until a round finds nothing due; how many rows were sent."""
    sent = 0
    while claimed := await sender.deliver_round():
        sent += claimed
    return sent


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def timed(node: Node, clock: MovableClock) -> Node:
    return dataclasses.replace(node, clock=clock)


async def test_one_post_per_distinct_inbox_and_the_shared_inbox_when_there_is_one(
    node: Node,
) -> None:
    async with sink_server() as shared, sink_server() as personal, client_for(node) as client:
        group = await grief(node)
        await add_followers(node, group, shared.base, 5, shared=True)
        await add_followers(node, group, personal.base, 3, shared=False)
        await announce(node, client, group)
        assert await rounds(Sender(node, client, random.Random(1))) == 4
        assert shared.received == ["/inbox"]
        assert sorted(personal.received) == [f"/u/p{i}/inbox" for i in range(3)]
        assert shared.signed == 1 and personal.signed == 3
        assert {b["type"] for b in shared.bodies + personal.bodies} == {"Announce"}
        assert await states(node) == Counter({"delivered": 4})


async def test_a_5xx_is_retried_after_a_backoff_and_then_delivered(
    timed: Node, clock: MovableClock
) -> None:
    answers = iter([503, 202])
    async with (
        sink_server(answer=lambda _r: (next(answers), {})) as sink,
        client_for(timed) as client,
    ):
        group = await grief(timed)
        await add_followers(timed, group, sink.base, 1, shared=True)
        await announce(timed, client, group)
        sender = Sender(timed, client, random.Random(1))
        sent_at = clock()
        assert await sender.deliver_round() == 1
        (row,) = await deliveries(timed)
        assert (row.state, row.attempts, row.last_status) == (DeliveryState.PENDING, 1, 503)
        wait = row.next_attempt_at - sent_at
        assert timedelta(seconds=24) <= wait <= timedelta(seconds=37)  # 30 s, +-20% jitter
        assert await sender.deliver_round() == 0  # not due yet
        clock.advance(timedelta(seconds=40))
        assert await sender.deliver_round() == 1
        assert sink.received == ["/inbox", "/inbox"]
        assert await states(timed) == Counter({"delivered": 1})


@pytest.mark.parametrize(
    ("status", "final"),
    [(400, True), (403, True), (404, True), (410, True), (401, False), (408, False), (429, False)],
)
async def test_a_4xx_is_final_except_401_408_and_429(node: Node, status: int, final: bool) -> None:
    async with sink_server(answer=lambda _r: (status, {})) as sink, client_for(node) as client:
        group = await grief(node)
        await add_followers(node, group, sink.base, 1, shared=True)
        await announce(node, client, group)
        await Sender(node, client, random.Random(1)).deliver_round()
        (row,) = await deliveries(node)
        assert row.state == (DeliveryState.FAILED if final else DeliveryState.PENDING)
        # 401 is answered by trying the other signature spec once: two POSTs.
        assert len(sink.received) == (2 if status == 401 else 1)


async def test_retry_after_is_honoured(timed: Node, clock: MovableClock) -> None:
    answer = (429, {"Retry-After": "3600"})
    async with sink_server(answer=lambda _r: answer) as sink, client_for(timed) as client:
        group = await grief(timed)
        await add_followers(timed, group, sink.base, 1, shared=True)
        await announce(timed, client, group)
        sender = Sender(timed, client, random.Random(1))
        sent_at = clock()
        await sender.deliver_round()
        (row,) = await deliveries(timed)
        assert row.next_attempt_at - sent_at >= timedelta(seconds=3599)
        clock.advance(timedelta(minutes=30))
        assert await sender.deliver_round() == 0  # the backoff alone would have retried
        clock.advance(timedelta(minutes=31))
        assert await sender.deliver_round() == 1


async def test_retries_go_on_for_about_two_days_then_stop(timed: Node, clock: MovableClock) -> None:
    async with sink_server(answer=lambda _r: (503, {})) as sink, client_for(timed) as client:
        group = await grief(timed)
        await add_followers(timed, group, sink.base, 1, shared=True)
        await announce(timed, client, group)
        sender = Sender(timed, client, random.Random(7))
        first = clock()
        for _ in range(delivery.MAX_ATTEMPTS * 2):  # bounded: it must end well before
            await sender.deliver_round()
            (row,) = await deliveries(timed)
            if row.state != DeliveryState.PENDING:
                break
            server = await peer_server(timed, sink.host)
            due = max(row.next_attempt_at, server.dead_until or row.next_attempt_at)
            clock.advance(due - clock() + timedelta(seconds=1))
        assert row.state == DeliveryState.FAILED
        assert row.attempts == delivery.MAX_ATTEMPTS == len(sink.received)
        assert timedelta(hours=40) <= row.updated_at - first <= timedelta(hours=66)


async def test_at_most_a_few_posts_at_once_go_to_one_host(node: Node) -> None:
    async with sink_server(delay=0.1) as sink, client_for(node) as client:
        group = await grief(node)
        await add_followers(node, group, sink.base, 16, shared=False)
        await announce(node, client, group)
        assert await rounds(Sender(node, client, random.Random(1))) == 16
        assert len(sink.received) == 16
        assert 2 <= sink.most_at_once <= PER_HOST


async def test_a_failing_host_is_left_alone_until_one_probe_gets_an_answer(
    timed: Node, clock: MovableClock
) -> None:
    healthy = False
    async with (
        sink_server(answer=lambda _r: (202 if healthy else 503, {})) as sink,
        client_for(timed) as client,
    ):
        group = await grief(timed)
        await add_followers(timed, group, sink.base, 6, shared=False)
        await announce(timed, client, group)
        sender = Sender(timed, client, random.Random(1))
        assert await sender.deliver_round() == 6  # six failures in a row: the breaker opens
        server = await peer_server(timed, sink.host)
        assert server.consecutive_failures == 6 and server.dead_until is not None
        clock.advance(timedelta(seconds=40))  # every retry is due, but the host waits
        assert await sender.deliver_round() == 0
        assert len(sink.received) == 6
        clock.advance(server.dead_until - clock() + timedelta(seconds=1))
        healthy = True
        assert await sender.deliver_round() == 1  # one probe only
        assert len(sink.received) == 7
        server = await peer_server(timed, sink.host)
        assert server.consecutive_failures == 0 and server.dead_until is None
        assert await rounds(sender) == 5
        assert await states(timed) == Counter({"delivered": 6})


async def test_a_host_that_does_not_answer_holds_up_no_other_host(node: Node) -> None:
    gate = asyncio.Event()
    async with (
        sink_server(gate=gate) as slow,
        sink_server() as fast,
        client_for(node) as client,
    ):
        group = await grief(node)
        await add_followers(node, group, slow.base, 1, shared=True)
        await add_followers(node, group, fast.base, 3, shared=False)
        sender = Sender(node, client, random.Random(1))
        stop = asyncio.Event()
        running = asyncio.create_task(sender.run(stop))
        try:
            for n in range(3):
                await announce(node, client, group, n)
                sender.wake.set()

            async def fast_has_all() -> bool:
                return len(fast.received) == 9

            await eventually(fast_has_all, within=10)
            assert slow.received == []  # its first POST is still waiting for an answer
        finally:
            stop.set()
            await asyncio.wait_for(running, 10)
            gate.set()
        # Each follower's inbox got the three announces in the order they were written.
        by_inbox: dict[str, list[str]] = {}
        for path, body in zip(fast.received, fast.bodies, strict=True):
            by_inbox.setdefault(path, []).append(body["object"]["id"])
        assert all(
            ids == [f"https://elsewhere.example/create/{n}" for n in range(3)]
            for ids in by_inbox.values()
        )
        # Stopping gave the slow host's rows back, unsent and free for any worker.
        left = [d for d in await deliveries(node) if d.host == slow.host]
        assert [(d.state, d.lease_until) for d in left] == [(DeliveryState.PENDING, None)] * 3


def _activity(n: int, direction: Direction, state: ActivityState, at: datetime) -> Activity:
    host = "here.example" if direction == Direction.OUTBOUND else "far.example"
    return Activity(
        uri=f"https://{host}/a/{n}",
        type="Create",
        direction=direction,
        state=state,
        actor_uri=f"https://{host}/u/someone",
        host=host,
        visibility=Visibility.PUBLIC,
        document={},
        created_at=at,
    )


async def test_the_queue_figures_count_each_state_with_its_oldest_and_what_is_due(
    node: Node,
) -> None:
    now = node.clock()
    async with node.store.transaction() as session:
        sent = _activity(0, Direction.OUTBOUND, ActivityState.FANNED_OUT, now)
        session.add(sent)
        for n, ago in enumerate((3, 9, 1)):  # received, not yet applied: the oldest 9 min ago
            at = now - timedelta(minutes=ago)
            session.add(_activity(n, Direction.INBOUND, ActivityState.RECEIVED, at))
        await session.flush()
        assert sent.id is not None
        for n, (state, due_in, age) in enumerate(
            (
                (DeliveryState.PENDING, -5, 30),  # due, and the oldest pending
                (DeliveryState.PENDING, -1, 10),  # due
                (DeliveryState.PENDING, 60, 20),  # waits for its retry
                (DeliveryState.FAILED, -90, 120),  # older, but not pending
                (DeliveryState.DELIVERED, -90, 90),
            )
        ):
            session.add(
                Delivery(
                    activity_id=sent.id,
                    inbox=f"https://far{n}.example/inbox",
                    host="far.example",
                    state=state,
                    next_attempt_at=now + timedelta(minutes=due_in),
                    created_at=now - timedelta(minutes=age),
                    updated_at=now,
                )
            )
    figures = await delivery.queue_status(node)
    assert figures.inbound == {"received": 3}
    assert figures.deliveries == {"pending": 3, "failed": 1, "delivered": 1}
    assert figures.due_now == 2
    assert figures.oldest_pending == now - timedelta(minutes=30)
    assert figures.oldest_received == now - timedelta(minutes=9)
