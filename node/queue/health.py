"""How the node is doing, as its admins' health page shows it: the delivery queue, the hosts
that fail and their breakers, the inbox backlog, the periodic jobs' last runs, the version and
the database in use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import col, select

from node import __version__
from node.moderators.roles import Acting, require_node_admin
from node.queue import job_runs
from node.queue.delivery import BREAKER_THRESHOLD, QueueFigures, queue_figures
from node.queue.scheduler import JOBS
from node.runtime import Node
from node.store.states import ActivityState, DeliveryState
from node.store.tables import Activity, Delivery, PeerServer

MOST_HOSTS = 50  # failing hosts and backlogged servers shown, the worst first


class Breaker(StrEnum):
    """A host's dead-host breaker (node.queue.delivery): closed while it fails fewer times in
    a row than the threshold, open until its wait is over, then letting one probe through."""

    CLOSED = "closed"
    OPEN = "open"
    PROBING = "probing"


@dataclass(frozen=True, slots=True)
class FailingHost:
    host: str
    failures: int  # in a row
    breaker: Breaker
    until: datetime | None  # the breaker's open until then
    pending: int  # deliveries to it still owed


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    name: str
    every: timedelta
    last: job_runs.LastRun | None  # None: it has not run since the node began keeping runs


@dataclass(frozen=True, slots=True)
class Health:
    queue: QueueFigures
    failing_hosts: list[FailingHost]
    backlog: list[tuple[str, int]]  # servers with activities received and not yet applied
    jobs: list[ScheduledJob]
    version: str
    database: str  # "sqlite" or "postgresql"
    database_at: str  # its file, or its server and name: never a password


def breaker_of(failures: int, until: datetime | None, now: datetime) -> Breaker:
    if failures < BREAKER_THRESHOLD:
        return Breaker.CLOSED
    return Breaker.OPEN if until is not None and until > now else Breaker.PROBING


async def health(node: Node, acting: Acting) -> Health:
    """The figures, read now: the node's admins only, as the admins' pages show them (where
    the database is, the version, which servers fail). Node moderators read the queue's
    counts alone (`cove queue status`, the queue API's `queue_figures`)."""
    require_node_admin(acting, "the node's health figures")
    now = node.clock()
    async with node.store.session() as session:
        figures = await queue_figures(session, now)
        pending = (
            select(Delivery.host, sa.func.count().label("n"))
            .where(Delivery.state == DeliveryState.PENDING)
            .group_by(col(Delivery.host))
            .subquery()
        )
        hosts = await session.exec(
            select(
                PeerServer.host,
                PeerServer.consecutive_failures,
                PeerServer.dead_until,
                sa.func.coalesce(pending.c.n, 0),
            )
            .outerjoin(pending, pending.c.host == col(PeerServer.host))
            .where(PeerServer.consecutive_failures > 0)
            .order_by(col(PeerServer.consecutive_failures).desc(), col(PeerServer.host))
            .limit(MOST_HOSTS)
        )
        received = (Activity.direction == "inbound", Activity.state == ActivityState.RECEIVED)
        backlog = await session.exec(
            select(Activity.host, sa.func.count())
            .where(*received)
            .group_by(col(Activity.host))
            .order_by(sa.func.count().desc(), col(Activity.host))
            .limit(MOST_HOSTS)
        )
        failing = [
            FailingHost(h, int(f), breaker_of(int(f), u, now), u, int(n))
            for h, f, u, n in hosts.all()
        ]
        waiting = [(h or "", int(n)) for h, n in backlog.all()]
    runs = await job_runs.last_runs(node)
    return Health(
        queue=figures,
        failing_hosts=failing,
        backlog=waiting,
        jobs=[ScheduledJob(name, every, runs.get(name)) for name, _, every in JOBS],
        version=__version__,
        database=node.store.dialect,
        database_at=node.config.database.where,
    )
