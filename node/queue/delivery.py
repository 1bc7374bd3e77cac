"""Deliveries: an outbound activity is written with one delivery row per distinct inbox in
the same transaction as the change that caused it; a worker then signs and POSTs each row,
retrying with backoff, until it is delivered or given up."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from node.queue.outbox import record_outbound
from node.runtime import Node
from node.store.states import (
    ActivityState,
    DeliveryState,
    Software,
    Visibility,
    advance,
)
from node.store.tables import (
    Account,
    Activity,
    Delivery,
    PeerServer,
    RemoteActor,
    RemoteBlock,
)

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 15  # 30 s doubling, capped at 12 h: the last try about 53 h after the first
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=12)
# A 4xx is final, except these: the peer may accept a retry (Mastodon's and Lemmy's rule).
RETRYABLE_4XX = frozenset({401, 408, 429})
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def inbox_of(actor: RemoteActor) -> str:
    """Where to deliver to an actor: its server's shared inbox when it has one."""
    return actor.shared_inbox or actor.inbox


async def queue(
    session: AsyncSession,
    local_actor_id: int,
    document: Mapping[str, Any],
    visibility: Visibility,
    inboxes: Iterable[str],
    now: datetime,
) -> Activity:
    """Record an outbound activity and a delivery to each distinct inbox (caller commits).
    An activity whose id is recorded already is not queued again (ids derived from their
    cause make re-applying a received activity harmless)."""
    existing = (
        await session.exec(select(Activity).where(Activity.uri == str(document["id"])))
    ).first()
    if existing is not None:
        return existing
    activity = await record_outbound(session, local_actor_id, document, visibility, now)
    assert activity.id is not None
    # What takes something back (an Undo, a Delete) or is itself a block reaches a blocker
    # all the same: they are better off told than kept with the member's old words.
    taking_back = document.get("type") in ("Block", "Undo", "Delete")
    refused = set() if taking_back else await _blockers_inboxes(session, local_actor_id)
    rows = [
        {
            "activity_id": activity.id,
            "inbox": inbox,
            "host": (urlsplit(inbox).netloc or "")[:255].lower(),
            "state": DeliveryState.PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for inbox in dict.fromkeys(inboxes)
        if inbox not in refused
    ]
    if rows:  # one statement for a fan-out of any size
        await session.exec(sa.insert(Delivery), params=rows)
    advance(activity, ActivityState.FANNED_OUT)
    return activity


async def _blockers_inboxes(session: AsyncSession, local_actor_id: int) -> set[str]:
    """The own inboxes of people elsewhere who block the member sending (their Block reached
    us: node.inbound.person_blocks): nothing of the member's goes there. Their server's
    shared inbox still gets what a group announces to it; that server filters it."""
    found = await session.exec(
        select(RemoteActor.inbox)
        .join(RemoteBlock, col(RemoteBlock.blocker_uri) == col(RemoteActor.uri))
        .join(Account, col(Account.id) == col(RemoteBlock.account_id))
        .where(Account.actor_id == local_actor_id)
    )
    return set(found.all())


@dataclass(frozen=True, slots=True)
class Due:
    delivery_id: int
    inbox: str
    host: str
    attempts: int
    body: bytes
    actor_uri: str


LEASE = timedelta(minutes=2)
BREAKER_THRESHOLD = 5  # failures in a row before a host counts as dead
BREAKER_LONGEST = timedelta(hours=6)


async def claim_due(
    session: AsyncSession, now: datetime, limit: int = BATCH, busy: Iterable[str] = ()
) -> list[Due]:
    """Take up to `limit` due deliveries for this worker (the caller commits). On PostgreSQL
    several workers claim side by side (FOR UPDATE SKIP LOCKED); a claim is a lease, so a
    worker that dies mid-send leaves its rows to be taken again when the lease runs out.
    Hosts behind an open breaker are skipped, and the `busy` hosts the worker has enough
    rows of already; when a breaker's wait is over, one probe goes."""
    dead = (
        await session.exec(
            select(PeerServer.host, PeerServer.dead_until).where(
                PeerServer.consecutive_failures >= BREAKER_THRESHOLD
            )
        )
    ).all()
    broken = {host for host, _ in dead}
    waiting = {host for host, until in dead if until is not None and until > now}
    waiting.update(busy)
    probing: set[str] = set()
    rows = await session.exec(
        select(Delivery)
        .where(
            Delivery.state == DeliveryState.PENDING,
            col(Delivery.next_attempt_at) <= now,
            col(Delivery.lease_until).is_(None) | (col(Delivery.lease_until) < now),
            col(Delivery.host).not_in(waiting) if waiting else sa.true(),
        )
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    taken: list[Delivery] = []
    for d in rows.all():
        if d.host in broken:
            if d.host in probing:
                continue
            probing.add(d.host)
        d.lease_until = now + LEASE
        taken.append(d)
    if not taken:
        return []
    # A fan-out is one activity to many inboxes: each body is read and encoded once.
    activities = await session.exec(
        select(Activity.id, Activity.document, Activity.actor_uri).where(
            col(Activity.id).in_(sorted({d.activity_id for d in taken}))
        )
    )
    bodies = {
        activity_id: (json.dumps(document, separators=(",", ":")).encode(), actor_uri)
        for activity_id, document, actor_uri in activities.all()
    }
    return [
        Due(
            delivery_id=d.id or 0,
            inbox=d.inbox,
            host=d.host,
            attempts=d.attempts,
            body=bodies[d.activity_id][0],
            actor_uri=bodies[d.activity_id][1],
        )
        for d in taken
    ]


def _breaker(server: PeerServer, status: int | None, now: datetime) -> None:
    """Count a host's failures in a row (no answer, or a 5xx); any answer below 500 closes
    the breaker again."""
    if not _failed(status):
        server.consecutive_failures, server.dead_until = 0, None
        return
    server.consecutive_failures += 1
    over = server.consecutive_failures - BREAKER_THRESHOLD
    if over >= 0:
        wait = min(timedelta(minutes=1) * (2 ** min(over, 16)), BREAKER_LONGEST)
        server.dead_until = now + wait
        log.warning(
            "event=host_breaker_open host=%s failures=%s until=%s",
            server.host,
            server.consecutive_failures,
            server.dead_until.isoformat(),
        )


def _failed(status: int | None) -> bool:
    return status is None or status >= 500


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential, with jitter so a recovering host is not hit by every node at once."""
    wait: timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)
    return wait * rng.uniform(0.8, 1.2)


@dataclass(frozen=True, slots=True)
class Attempt:
    """How one POST of a delivery went: the inbox's status, or no answer and why."""

    delivery_id: int
    host: str
    status: int | None
    error: str | None = None
    retry_after: timedelta | None = None
    cancelled: bool = False  # the domain policy forbids the host: not owed any more


async def record_attempts(
    session: AsyncSession, attempts: Sequence[Attempt], now: datetime, rng: random.Random
) -> list[DeliveryState]:
    """Apply the outcomes of POSTs, in order (the caller commits): each delivery is delivered,
    retried later, or given up, and each host's breaker counts its answers. A batch of any
    size costs two reads."""
    ids = [a.delivery_id for a in attempts]
    found = await session.exec(select(Delivery).where(col(Delivery.id).in_(ids)))
    deliveries = {d.id: d for d in found.all()}
    servers = await _servers(session, {a.host for a in attempts})
    states = []
    for attempt in attempts:
        if attempt.cancelled:
            states.append(_cancel(deliveries[attempt.delivery_id], attempt, now))
            continue
        server = servers.get(attempt.host)
        if server is None and _failed(attempt.status):
            server = PeerServer(host=attempt.host, kind=Software.UNKNOWN, checked_at=EPOCH)
            session.add(server)
            servers[attempt.host] = server
        if server is not None:
            _breaker(server, attempt.status, now)
        states.append(_apply(deliveries[attempt.delivery_id], attempt, now, rng))
    return states


async def _servers(session: AsyncSession, hosts: set[str]) -> dict[str, PeerServer]:
    found = await session.exec(select(PeerServer).where(col(PeerServer.host).in_(sorted(hosts))))
    return {server.host: server for server in found.all()}


def _cancel(delivery: Delivery, attempt: Attempt, now: datetime) -> DeliveryState:
    delivery.lease_until, delivery.updated_at = None, now
    delivery.last_error = (attempt.error or "")[:1000] or None
    if delivery.state != DeliveryState.CANCELLED:
        advance(delivery, DeliveryState.CANCELLED)
    return DeliveryState.CANCELLED


def _apply(
    delivery: Delivery, attempt: Attempt, now: datetime, rng: random.Random
) -> DeliveryState:
    status = attempt.status
    delivery.lease_until = None
    delivery.attempts += 1
    delivery.last_status = status
    delivery.last_error = attempt.error[:1000] if attempt.error else None
    delivery.updated_at = now
    if status is not None and 200 <= status < 300:
        target = DeliveryState.DELIVERED
    elif (
        status is not None and 400 <= status < 500 and status not in RETRYABLE_4XX
    ) or delivery.attempts >= MAX_ATTEMPTS:
        target = DeliveryState.FAILED
    else:
        target = DeliveryState.PENDING
        delivery.next_attempt_at = now + max(
            attempt.retry_after or timedelta(0), backoff(delivery.attempts, rng)
        )
    if target != delivery.state:
        advance(delivery, target)
    return target


async def release(session: AsyncSession, delivery_ids: Iterable[int]) -> None:
    """Give claimed rows back unsent (a worker stopping), for any worker to take at once."""
    ids = sorted(delivery_ids)
    if ids:
        await session.exec(
            sa.update(Delivery).where(col(Delivery.id).in_(ids)).values(lease_until=None)
        )


@dataclass(frozen=True, slots=True)
class QueueFigures:
    inbound: dict[str, int]  # activity state -> count
    deliveries: dict[str, int]  # delivery state -> count
    due_now: int
    oldest_pending: datetime | None
    dead_hosts: list[tuple[str, int, datetime | None]]  # host, failures in a row, until
    oldest_received: datetime | None  # the oldest activity received, not yet applied


async def queue_figures(session: AsyncSession, now: datetime) -> QueueFigures:
    """What `cove queue status` shows: the inbox and delivery queues and the open breakers,
    in three statements (each queue's counts by state carry its oldest, and what is due)."""
    inbound = await session.exec(
        select(Activity.state, sa.func.count(), sa.func.min(Activity.created_at))
        .where(Activity.direction == "inbound")
        .group_by(Activity.state)
    )
    due = sa.case((col(Delivery.next_attempt_at) <= now, 1), else_=0)
    deliveries = await session.exec(
        select(
            Delivery.state, sa.func.count(), sa.func.sum(due), sa.func.min(Delivery.created_at)
        ).group_by(Delivery.state)
    )
    dead = await session.exec(
        select(PeerServer.host, PeerServer.consecutive_failures, PeerServer.dead_until)
        .where(PeerServer.consecutive_failures >= BREAKER_THRESHOLD)
        .order_by(col(PeerServer.host))
    )
    received = {str(state): (int(n), oldest) for state, n, oldest in inbound.all()}
    queued = {str(state): (int(n), int(d or 0), oldest) for state, n, d, oldest in deliveries.all()}
    _, due_now, oldest_pending = queued.get(DeliveryState.PENDING, (0, 0, None))
    oldest_received = received.get(ActivityState.RECEIVED, (0, None))[1]
    return QueueFigures(
        inbound={state: n for state, (n, _) in received.items()},
        deliveries={state: n for state, (n, _, _) in queued.items()},
        due_now=due_now,
        oldest_pending=oldest_pending if isinstance(oldest_pending, datetime) else None,
        dead_hosts=[(h, int(f), u) for h, f, u in dead.all()],
        oldest_received=oldest_received if isinstance(oldest_received, datetime) else None,
    )


async def queue_status(node: Node) -> QueueFigures:
    """`queue_figures` now, read in a session of its own."""
    async with node.store.session() as session:
        return await queue_figures(session, node.clock())
