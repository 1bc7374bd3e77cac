"""Deliveries: an outbound activity is written with one delivery row per distinct inbox in
the same transaction as the change that caused it; a worker then signs and POSTs each row,
retrying with backoff, until it is delivered or given up."""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from node.domain.outbox import record_outbound
from node.store.states import ActivityState, DeliveryState, Visibility, check_transition
from node.store.tables import Activity, Delivery, RemoteActor

log = logging.getLogger(__name__)

BATCH = 50
MAX_ATTEMPTS = 12  # 30 s doubling, capped at 12 h: about two days in all
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=12)
# A 4xx is final, except these: the peer may accept a retry (Mastodon's and Lemmy's rule).
RETRYABLE_4XX = frozenset({401, 408, 429})


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
    """Record an outbound activity and a delivery to each distinct inbox (caller commits)."""
    activity = await record_outbound(session, local_actor_id, document, visibility, now)
    assert activity.id is not None
    for inbox in dict.fromkeys(inboxes):
        session.add(
            Delivery(
                activity_id=activity.id,
                inbox=inbox,
                host=(urlsplit(inbox).netloc or "")[:255].lower(),
                state=DeliveryState.PENDING,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    check_transition(activity.state, ActivityState.FANNED_OUT)
    activity.state = ActivityState.FANNED_OUT
    return activity


@dataclass(frozen=True, slots=True)
class Due:
    delivery_id: int
    inbox: str
    host: str
    attempts: int
    body: bytes
    actor_uri: str


async def due(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[Due]:
    rows = await session.exec(
        select(Delivery, Activity)
        .join(Activity, col(Activity.id) == col(Delivery.activity_id))
        .where(Delivery.state == DeliveryState.PENDING, col(Delivery.next_attempt_at) <= now)
        .order_by(col(Delivery.next_attempt_at), col(Delivery.id))
        .limit(limit)
    )
    return [
        Due(
            delivery_id=d.id or 0,
            inbox=d.inbox,
            host=d.host,
            attempts=d.attempts,
            body=json.dumps(a.document, separators=(",", ":")).encode(),
            actor_uri=a.actor_uri,
        )
        for d, a in rows.all()
    ]


def backoff(attempts: int, rng: random.Random) -> timedelta:
    """Exponential, with jitter so a recovering host is not hit by every node at once."""
    wait: timedelta = min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)
    return wait * rng.uniform(0.8, 1.2)


async def record_attempt(
    session: AsyncSession,
    delivery_id: int,
    status: int | None,
    error: str | None,
    now: datetime,
    rng: random.Random,
    retry_after: timedelta | None = None,
) -> DeliveryState:
    """Apply the outcome of one POST: delivered, retry later, or give up."""
    delivery = await session.get(Delivery, delivery_id)
    assert delivery is not None
    delivery.attempts += 1
    delivery.last_status = status
    delivery.last_error = error[:1000] if error else None
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
            retry_after or timedelta(0), backoff(delivery.attempts, rng)
        )
    if target != delivery.state:
        check_transition(delivery.state, target)
        delivery.state = target
    return target
