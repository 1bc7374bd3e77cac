"""The inbox against a hostile sender: JSON-LD processing waits for a valid signature, runs
off the event loop and only on small documents; the signer named for the early domain check
is the one the signature check uses; each sender has a rate and a body size; numbers that
PostgreSQL cannot store are refused alone, not with the batch they came in."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from federation.normalise import normalise
from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.domain_policy import blocks
from node.groups import groups
from node.groups.groups import NewGroup
from node.http.activitypub.inbox_limits import Backlog
from node.moderators.roles import Acting
from node.queue import retention
from node.queue.workers import Workers
from node.runtime import Node, open_node
from node.store.states import Direction
from node.store.tables import Activity
from tests.conftest import MovableClock, ServedNode, client_for, free_port, make_config, serving
from tests.support.hostile_peer import AS, PUBLIC, HostilePeer, start_hostile_peer

AP = "application/activity+json"


@pytest.fixture
async def peer() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.3") as started:
        yield started


async def stored_ids(node: Node) -> set[str]:
    async with node.store.session() as session:
        return set((await session.exec(select(Activity.uri))).all())


def redefining(peer: HostilePeer, actor: str, mentions: int) -> dict[str, Any]:
    """A Create whose @context gives `summary` another meaning (so it needs pyld), with many
    mentions to make that expensive."""
    note = peer.note(actor, "hello", to=[PUBLIC])
    note["tag"] = [
        {"type": "Mention", "href": f"{peer.base}/users/u{i}", "name": f"@u{i}"}
        for i in range(mentions)
    ]
    document = peer.activity("Create", actor, note, to=[PUBLIC])
    document["@context"] = [AS, {"summary": "https://evil.example/ns#summary"}]
    return document


async def test_an_unsigned_document_costs_no_json_ld_processing_and_stalls_nothing(
    served: ServedNode, peer: HostilePeer
) -> None:
    actor = peer.actor("flooder")
    heavy = redefining(peer, actor, 4000)
    started = time.perf_counter()
    await asyncio.get_running_loop().run_in_executor(None, normalise, heavy)
    pyld_seconds = time.perf_counter() - started
    worst = 0.0
    done = asyncio.Event()

    async def keep_time() -> None:
        # The node and this test share one event loop: a request that holds the loop shows
        # here as a late wake-up, however the other requests happen to be timed.
        nonlocal worst
        while not done.is_set():
            asked = time.perf_counter()
            await asyncio.sleep(0.01)
            worst = max(worst, time.perf_counter() - asked - 0.01)

    timing = asyncio.create_task(keep_time())
    await asyncio.sleep(0.1)
    body = json.dumps(heavy).encode()
    async with served.client.post(
        served.urls.shared_inbox(), data=body, headers={"Content-Type": AP}
    ) as r:
        assert r.status == 401 and "not signed" in (await r.json())["error"]
    async with served.client.get(f"{served.base}/nodeinfo/2.1") as r:
        assert r.status == 200
    await asyncio.sleep(0.1)
    done.set()
    await timing
    assert worst < pyld_seconds / 3, (worst, pyld_seconds)
    assert heavy["id"] not in await stored_ids(served.node)


async def test_json_ld_processing_is_for_small_signed_documents_only(
    served: ServedNode, peer: HostilePeer
) -> None:
    actor = peer.actor("writer")
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    async with client_for(served.node) as client:
        small = redefining(peer, actor, 3)
        assert await peer.deliver(client, served.urls.shared_inbox(), small, actor) == 202
        large = redefining(peer, actor, 2000)
        assert len(json.dumps(large)) > 64 * 1024
        assert await peer.deliver(client, served.urls.shared_inbox(), large, actor) == 413
    stored = await stored_ids(served.node)
    assert small["id"] in stored and large["id"] not in stored


@pytest.mark.parametrize(
    "signature_headers",
    [
        # A look-alike parameter before the real keyId.
        lambda allowed, cut: {
            "Signature": f'xkeyId="{allowed}",keyId="{cut}",headers="date",signature="AAAA"'
        },
        # Two Signature headers: the first names an allowed server.
        lambda allowed, cut: [
            ("Signature", f'keyId="{allowed}",headers="date",signature="AAAA"'),
            ("Signature", f'keyId="{cut}",headers="date",signature="AAAA"'),
        ],
        # The signature in Authorization, as draft-cavage also allows.
        lambda allowed, cut: {
            "Authorization": f'Signature keyId="{cut}",headers="date",signature="AAAA"'
        },
    ],
)
async def test_the_early_domain_check_reads_the_signer_as_the_signature_check_does(
    served: ServedNode, peer: HostilePeer, signature_headers: Any
) -> None:
    await blocks.set_block(
        served.node,
        Acting.operator(served.node),
        BlockEntry(domain="127.0.0.3", severity=Severity.SUSPEND),
    )
    cut = peer.actor("cut")
    allowed = f"{served.base}/actor#main-key"
    headers = signature_headers(allowed, f"{cut}#main-key")
    pairs = list(headers.items()) if isinstance(headers, dict) else headers
    body = json.dumps(peer.activity("Follow", cut, served.urls.instance_actor())).encode()
    async with served.client.post(
        served.urls.shared_inbox(), data=body, headers=[("Content-Type", AP), *pairs]
    ) as r:
        answer = await r.json()
        assert r.status in (401, 403), answer
        if r.status == 403:
            assert "not federated" in answer["error"]
        else:
            assert "more than once" in answer["error"]
    assert peer.requests == []  # no key was fetched from the suspended server


async def test_a_number_postgresql_cannot_store_is_refused_alone(
    served: ServedNode, peer: HostilePeer
) -> None:
    actor = peer.actor("counter")
    good = [peer.activity("Follow", actor, served.urls.instance_actor()) for _ in range(20)]
    bad = {**peer.activity("Follow", actor, served.urls.instance_actor()), "n": 1e999}
    bodies = [json.dumps(d).encode() for d in good]
    bodies.append(json.dumps(bad).encode().replace(b"Infinity", b"1e999"))
    async with client_for(served.node) as client:
        signer = peer.signer(actor)
        statuses = await asyncio.gather(
            *(client.post(served.urls.shared_inbox(), b, signer) for b in bodies)
        )
    assert statuses == [202] * 20 + [400]
    stored = await stored_ids(served.node)
    assert {d["id"] for d in good} <= stored and bad["id"] not in stored


@asynccontextmanager
async def node_with(tmp_path: Path, database_url: str, **inbox: int) -> AsyncIterator[ServedNode]:
    """A node without workers, with these `[inbox]` settings, on a clock the test moves."""
    config = make_config(tmp_path, database_url, free_port(), inbox=inbox)
    node = dataclasses.replace(open_node(config), clock=MovableClock())
    try:
        async with serving(node, workers=False) as served_node:
            yield served_node
    finally:
        await node.store.close()


@pytest.fixture
async def strict(tmp_path: Path, database_url: str) -> AsyncIterator[ServedNode]:
    """Inboxes that take 5 activities a minute from one actor, 8 from one server, and bodies
    up to 16 KiB."""
    limits = {"actor_per_minute": 5, "host_per_minute": 8, "max_body_kb": 16}
    async with node_with(tmp_path, database_url, **limits) as served_node:
        yield served_node


async def test_each_sender_has_a_rate_and_a_body_size(
    strict: ServedNode, peer: HostilePeer
) -> None:
    one, two = peer.actor("one"), peer.actor("two")
    inbox = strict.urls.shared_inbox()

    async def send(actor: str, extra: str = "") -> tuple[int, str | None]:
        document = peer.activity("Follow", actor, strict.urls.instance_actor(), note=extra)
        async with client_for(strict.node) as client:
            answer = await client.deliver(inbox, json.dumps(document).encode(), peer.signer(actor))
        retry = answer.retry_after
        return answer.status, str(int(retry.total_seconds())) if retry else None

    assert [(await send(one))[0] for _ in range(5)] == [202] * 5
    status, retry_after = await send(one)
    assert status == 429 and retry_after is not None and int(retry_after) >= 1
    # Another actor of the same server, until the server's minute is spent too.
    assert [(await send(two))[0] for _ in range(3)] == [202] * 3
    assert (await send(two))[0] == 429
    status, _ = await send(two, extra="x" * 17 * 1024)
    assert status == 413


@pytest.fixture
async def patient(tmp_path: Path, database_url: str) -> AsyncIterator[ServedNode]:
    """At most 10 unapplied activities from one server; received bodies kept one day."""
    async with node_with(
        tmp_path, database_url, host_pending=10, keep_received_days=1
    ) as served_node:
        yield served_node


async def test_a_server_with_too_much_waiting_is_asked_to_wait(
    patient: ServedNode, peer: HostilePeer
) -> None:
    actor = peer.actor("busy")
    inbox = patient.urls.shared_inbox()

    async def send() -> int:
        document = peer.activity("Follow", actor, patient.urls.instance_actor())
        async with client_for(patient.node) as client:
            return await peer.deliver(client, inbox, document, actor)

    assert [await send() for _ in range(10)] == [202] * 10
    assert await send() == 429
    async with client_for(patient.node) as client:
        await Workers(patient.node, client, random.Random(1)).run_once()
    clock = patient.node.clock
    assert isinstance(clock, MovableClock)
    clock.advance(timedelta(seconds=2))  # the count is read again once a second
    assert await send() == 202


async def test_received_activities_are_pruned_to_their_ids_and_redeliveries_still_known(
    patient: ServedNode, peer: HostilePeer
) -> None:
    actor = peer.actor("talker")
    follows = [peer.activity("Follow", actor, patient.urls.instance_actor()) for _ in range(3)]
    async with client_for(patient.node) as client:
        for document in follows[:2]:
            assert await peer.deliver(client, patient.urls.shared_inbox(), document, actor) == 202
        await Workers(patient.node, client, random.Random(1)).run_once()
    clock = patient.node.clock
    assert isinstance(clock, MovableClock)
    clock.advance(timedelta(days=2))
    async with client_for(patient.node) as client:  # a fresh one, not applied yet
        assert await peer.deliver(client, patient.urls.shared_inbox(), follows[2], actor) == 202
    assert await retention.prune_received(patient.node) == 2
    async with patient.node.store.session() as session:
        rows = {r.uri: r for r in (await session.exec(select(Activity))).all()}
    for old in follows[:2]:
        row = rows[old["id"]]
        assert row.pruned_at is not None and row.document == {
            "id": old["id"],
            "type": "Follow",
            "actor": actor,
            "object": patient.urls.instance_actor(),
        }
    assert rows[follows[2]["id"]].document["id"] == follows[2]["id"]
    assert rows[follows[2]["id"]].pruned_at is None
    outbound = [r for r in rows.values() if r.direction == Direction.OUTBOUND]
    assert outbound and all(r.pruned_at is None and "@context" in r.document for r in outbound)
    # Redelivered, a pruned activity is still recognised: nothing is stored or applied again.
    async with client_for(patient.node) as client:
        assert await peer.deliver(client, patient.urls.shared_inbox(), follows[0], actor) == 202
    async with patient.node.store.session() as session:
        assert len((await session.exec(select(Activity))).all()) == len(rows)
    assert await retention.prune_received(patient.node) == 0


async def test_requests_arriving_together_read_a_servers_backlog_once() -> None:
    reads = 0

    async def count(host: str) -> int:
        nonlocal reads
        reads += 1
        await asyncio.sleep(0.01)
        return 3

    clock = MovableClock()
    backlog = Backlog(5, count, clock)
    answers = await asyncio.gather(
        *(backlog.admit("peer") for _ in range(4)), return_exceptions=True
    )
    assert reads == 1
    assert [type(a).__name__ for a in answers] == ["NoneType", "NoneType", "TooMany", "TooMany"]
    clock.advance(timedelta(seconds=2))
    await asyncio.gather(*(backlog.admit("peer") for _ in range(2)))
    assert reads == 2
