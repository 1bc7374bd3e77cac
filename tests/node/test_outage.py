"""The infrastructure failing is not the activity's fault: cut database connections, a full disk
and a peer that does not answer put work off and lose nothing; meanwhile the inbox answers 503
with Retry-After, the outage is logged once, and the admins hear how it went when it ends."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import random
import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientSession, web
from sqlalchemy import event, exc, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool
from sqlmodel import select

from federation.errors import FetchError, Invalid, PolicyRefused, Refused, Unanswered
from federation.keys import generate_rsa_keypair, load_private_key
from node.actors.instance import ensure_instance
from node.config import Config
from node.faults import Fault, fault_of, summary
from node.groups import groups
from node.groups.groups import NewGroup, get_group
from node.members import accounts
from node.members.notifications import NotificationKind
from node.outage import OutageTracker
from node.queue.inbox import Inbound, record_inbound
from node.queue.processing import process_pending
from node.runtime import Node
from node.store.states import (
    AccountRole,
    ActivityState,
    Direction,
    MembershipState,
    PostingPolicy,
    Software,
)
from node.store.tables import Activity, Membership, Notification, PeerServer, Post
from tests.conftest import (
    MovableClock,
    add_follower,
    client_for,
    eventually,
    free_port,
    make_config,
    postgres_url,
    serving,
    serving_app,
)
from tests.node.queue.test_durability import Sink, running_sink, signed_create

pytestmark = pytest.mark.storage


AP = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
def config(tmp_path: Path, database_url: str, port: int) -> Config:
    # One stand-in actor pours hundreds of Creates a second, far over the inbox's rate limits.
    unlimited = {"actor_per_minute": 1_000_000, "host_per_minute": 1_000_000}
    return make_config(tmp_path, database_url, port, inbox=unlimited)


# Telling the faults apart ------------------------------------------------------------------


def _wrapped(orig: Exception) -> exc.DBAPIError:
    # As SQLAlchemy hands a driver's error on: the statement and its parameters beside it.
    statement = "INSERT INTO post (content_html) VALUES (?)"
    return exc.DBAPIError.instance(statement, ("a members-only secret",), orig, sqlite3.Error)


def test_infrastructure_faults_are_told_apart_from_the_activitys_own() -> None:
    store_faults = [
        _wrapped(sqlite3.OperationalError("database or disk is full")),
        _wrapped(sqlite3.OperationalError("database is locked")),
        _wrapped(sqlite3.OperationalError("disk I/O error")),
        exc.DBAPIError("SELECT 1", None, Exception("gone"), connection_invalidated=True),
        exc.InterfaceError("SELECT 1", None, Exception("connection is closed")),
        exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
        ConnectionResetError("reset by peer"),
        TimeoutError(),
    ]
    peer_faults = [
        Unanswered("peer.example did not answer in time"),
        FetchError("https://peer.example/u/a answered 503", 503),
        FetchError("https://peer.example/u/a answered 429", 429),
    ]
    own_faults = [
        _wrapped(sqlite3.OperationalError("no such table: post")),
        _wrapped(sqlite3.IntegrityError("UNIQUE constraint failed: post.uri")),
        FetchError("https://peer.example/u/a answered 410", 410),
        FetchError("https://peer.example/u/a did not return JSON"),
        PolicyRefused("peer.example is suspended"),
        Refused("only members of grief may post there"),
        Invalid("the body is not JSON"),
        KeyError("a bug"),
    ]
    assert [fault_of(e) for e in store_faults] == [Fault.STORE] * len(store_faults)
    assert [fault_of(e) for e in peer_faults] == [Fault.PEER] * len(peer_faults)
    assert [fault_of(e) for e in own_faults] == [None] * len(own_faults)
    # What is logged and stored is the driver's one line, never the statement's parameters.
    line = summary(store_faults[0])
    assert line == "OperationalError: database or disk is full"


# The worker --------------------------------------------------------------------------------


def actor_document(uri: str, public_pem: str) -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": uri,
        "type": "Person",
        "preferredUsername": uri.rsplit("/", 1)[1],
        "inbox": f"{uri}/inbox",
        "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": public_pem},
    }


async def inbound_rows(node: Node) -> dict[str, Activity]:
    async with node.store.session() as session:
        rows = await session.exec(select(Activity).where(Activity.direction == Direction.INBOUND))
        return {row.actor_uri.rsplit("/", 1)[1]: row for row in rows.all()}


async def test_a_peer_that_does_not_answer_puts_an_activity_off_and_a_gone_one_rejects_it(
    node: Node,
) -> None:
    clock = MovableClock()
    timed = dataclasses.replace(node, clock=clock)
    await ensure_instance(timed)
    await groups.create_group(timed, NewGroup(name="grief", title="Grief"))
    group = timed.urls.group("grief")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    keys = generate_rsa_keypair()
    carol_answers = [False]  # carol's server is down until told

    async def carol(request: web.Request) -> web.Response:
        if not carol_answers[0]:
            return web.Response(status=503)
        return web.json_response(
            actor_document(f"{base}/u/carol", keys.public_pem), content_type=AP
        )

    async def dave(request: web.Request) -> web.Response:
        return web.Response(status=410)  # gone for good: the Follow is dave's own fault

    app = web.Application()
    app.router.add_get("/u/carol", carol)
    app.router.add_get("/u/dave", dave)
    outage, rng = OutageTracker(timed), random.Random(1)
    async with serving_app(app, port), client_for(timed) as client:
        for name in ("carol", "dave"):
            actor = f"{base}/u/{name}"
            follow = {"id": f"{actor}/follow", "type": "Follow", "actor": actor, "object": group}
            await record_inbound(timed, Inbound(follow, follow["id"], "Follow", actor, group, None))
        assert await process_pending(timed, client, outage, rng) == 2
        rows = await inbound_rows(timed)
        assert rows["dave"].state == ActivityState.REJECTED
        assert "answered 410" in (rows["dave"].error or "")
        put_off = rows["carol"]
        assert (put_off.state, put_off.attempts) == (ActivityState.RECEIVED, 1)
        assert put_off.lease_until is not None and put_off.lease_until > clock()
        assert "answered 503" in (put_off.error or "")
        assert await process_pending(timed, client, outage, rng) == 0  # not before its time

        carol_answers[0] = True
        clock.advance(timedelta(seconds=10))
        assert await process_pending(timed, client, outage, rng) == 1
    applied = (await inbound_rows(timed))["carol"]
    assert (applied.state, applied.error) == (ActivityState.PROCESSED, None)
    async with timed.store.session() as session:
        member = (
            await session.exec(select(Membership).where(Membership.actor_uri == f"{base}/u/carol"))
        ).one()
    assert member.state == MembershipState.ACCEPTED
    assert not outage.ongoing  # a peer's trouble is no database outage


# Signed Creates poured into a group's inbox -------------------------------------------------


@dataclass(frozen=True)
class Answer:
    n: int
    status: int
    at: float  # loop time of the answer
    retry_after: str | None
    error: str | None


def met_in_flight(record: logging.LogRecord) -> bool:
    return record.name.startswith("node") and "event=database_unavailable" in record.getMessage()


async def pour(
    sink: Sink, group: str, stop: asyncio.Event, senders: int = 6, pause: float = 0.05
) -> list[Answer]:
    """Signed Creates from the sink's actor until `stop`: `senders` at a time, each waiting
    `pause` between two (about 100 a second: what one worker applies, on 2 cores)."""
    key = load_private_key(sink.keys.private_pem)
    numbers = itertools.count()
    answers: list[Answer] = []
    loop = asyncio.get_running_loop()

    async def sender(client: ClientSession) -> None:
        while not stop.is_set():
            n = next(numbers)
            body, headers = signed_create(sink, group, n, key)
            async with client.post(f"{group}/inbox", data=body, headers=headers) as r:
                error = (await r.json())["error"] if r.status >= 400 else None
                answers.append(
                    Answer(n, r.status, loop.time(), r.headers.get("Retry-After"), error)
                )
            await asyncio.sleep(pause)

    async with ClientSession() as client:
        await asyncio.gather(*(sender(client) for _ in range(senders)))
    return answers


async def group_with_followers(node: Node, sink: Sink, followers: int) -> str:
    await groups.create_group(
        node, NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE)
    )
    now = node.clock()
    host = sink.base.split("//")[1]
    async with node.store.transaction() as session:
        group = await get_group(session, "grief")
        session.add(
            PeerServer(host=host, software_name="lemmy", kind=Software.GROUP_AWARE, checked_at=now)
        )
        for i in range(followers):
            uri, inbox = f"{sink.base}/u/f{i}", f"{sink.base}/inboxes/{i}"
            await add_follower(session, group.id, uri, inbox, None, now)
    return node.urls.group("grief")


async def applied_and_announced_once(node: Node, sink: Sink, accepted: set[int]) -> None:
    """Every accepted Create is applied (its post stored) and announced exactly once, and the
    followers' server got each Announce."""
    notes = {f"{sink.base}/notes/{n}" for n in accepted}
    creates = {f"{sink.base}/activities/{n}" for n in accepted}

    async def all_applied() -> bool:
        async with node.store.session() as session:
            waiting = await session.exec(
                select(Activity.id).where(Activity.state == ActivityState.RECEIVED)
            )
            stored = set((await session.exec(select(Post.uri))).all())
        return not waiting.all() and notes <= stored

    await eventually(all_applied, within=30)
    async with node.store.session() as session:
        inbound = await session.exec(
            select(Activity.uri, Activity.state, Activity.error).where(
                Activity.direction == Direction.INBOUND
            )
        )
        states = {uri: (state, error) for uri, state, error in inbound.all()}
        announces = await session.exec(
            select(Activity.uri, Activity.document).where(
                Activity.direction == Direction.OUTBOUND, Activity.type == "Announce"
            )
        )
        announced = Counter[str]()
        announce_ids = set()
        for uri, document in announces.all():
            announced[document["object"]["id"]] += 1
            announce_ids.add(uri)
    assert {uri: states[uri] for uri in creates} == dict.fromkeys(
        creates, (ActivityState.PROCESSED, None)
    )
    assert {uri: announced[uri] for uri in creates} == dict.fromkeys(creates, 1)

    async def all_delivered() -> bool:
        return announce_ids <= {activity_id for _, activity_id in sink.received}

    await eventually(all_delivered, within=30)


# PostgreSQL: every connection cut, several times ---------------------------------------------


@pytest.mark.skipif(
    postgres_url() is None, reason="PostgreSQL run skipped: COVE_TEST_POSTGRES_URL is not set"
)
@pytest.mark.parametrize("backend", ["postgresql"])
async def test_cut_database_connections_lose_no_accepted_create(
    node: Node, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    admin = create_async_engine(database_url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    cut = text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    loop = asyncio.get_running_loop()
    async with running_sink() as sink, serving(node) as served:
        group = await group_with_followers(served.node, sink, followers=2)
        stop = asyncio.Event()
        pouring = asyncio.create_task(pour(sink, group, stop))
        cuts: list[int] = []
        async with admin.connect() as connection:
            await asyncio.sleep(0.8)
            # A restart or failover, again and again, under load: five cuts, and up to five
            # more until one meets work in flight (on a busy machine the node's connections
            # may all sit idle in the pool at a cut, and come back unharmed).
            for n in range(10):
                cuts.append(int((await connection.execute(cut)).scalar_one()))
                last_cut = loop.time()
                await asyncio.sleep(0.5)
                if n >= 4 and any(met_in_flight(r) for r in caplog.records):
                    break
        await asyncio.sleep(2.0)
        stop.set()
        answers = await pouring
        await admin.dispose()

        assert all(cuts), "a cut found no connection of the node to cut"
        assert {a.status for a in answers} <= {202, 503}, Counter(a.status for a in answers)
        for refused in (a for a in answers if a.status == 503):
            assert refused.retry_after is not None and int(refused.retry_after) > 0
            assert refused.error == "the node's database is not answering; try again shortly"
        back = min(a.at for a in answers if a.status == 202 and a.at > last_cut)
        assert back - last_cut < 2.0  # answering again within moments of the last cut
        accepted = {a.n for a in answers if a.status == 202}
        await applied_and_announced_once(served.node, sink, accepted)
    # The cuts met work in flight, and the node said so the one way: no traceback, no
    # rejection, only the outage's own line.
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and r.name.startswith("node")]
    assert errors and all("event=database_unavailable" in r.getMessage() for r in errors)
    assert not [r for r in caplog.records if "event=activity_rejected" in r.getMessage()]


# SQLite: the disk full for a while ----------------------------------------------------------


def cap_pages(node: Node) -> list[int | None]:
    """A full disk, as SQLite sees one: the database may not grow past `cap[0]` pages (None:
    no cap), set on every connection as it is taken from the pool."""
    cap: list[int | None] = [None]

    def on_checkout(dbapi_connection: DBAPIConnection, _r: ConnectionPoolEntry, _p: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Below the current size means "the current size": no page may be added.
        cursor.execute(f"PRAGMA max_page_count = {cap[0] or 4294967294}")
        cursor.close()

    event.listen(node.store.engine.sync_engine, "checkout", on_checkout)
    return cap


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_full_disk_is_answered_503_logged_once_and_told_to_the_admins(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    cap = cap_pages(node)
    admin = await accounts.create_account(node, "ada", role=AccountRole.ADMIN)
    await accounts.create_account(node, "ann")  # no admin: hears nothing
    async with running_sink() as sink, serving(node) as served:
        group = await group_with_followers(served.node, sink, followers=1)
        stop = asyncio.Event()
        pouring = asyncio.create_task(pour(sink, group, stop))
        await asyncio.sleep(0.5)
        cap[0] = 1
        await asyncio.sleep(2.5)
        cap[0] = None
        await asyncio.sleep(1.0)
        stop.set()
        answers = await pouring
        refused = [a for a in answers if a.status == 503]
        assert {a.status for a in answers} == {202, 503}, Counter(a.status for a in answers)
        assert all(a.retry_after and int(a.retry_after) > 0 for a in refused)
        await applied_and_announced_once(
            served.node, sink, {a.n for a in answers if a.status == 202}
        )

        async def notified() -> list[Notification]:
            async with served.node.store.session() as session:
                found = await session.exec(
                    select(Notification).where(
                        Notification.kind == NotificationKind.DATABASE_OUTAGE
                    )
                )
                return list(found.all())

        notes = await eventually(notified, within=10)
    assert isinstance(notes, list) and [n.account_id for n in notes] == [admin.id]
    assert f"{len(refused)} requests were answered 503" in notes[0].text
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].startswith("event=database_unavailable"), errors
    assert "database or disk is full" in errors[0]
    back = [r.getMessage() for r in caplog.records if "event=database_back" in r.getMessage()]
    assert len(back) == 1 and f"answered_503={len(refused)}" in back[0]
