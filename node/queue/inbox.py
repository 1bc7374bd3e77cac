"""Inbound activities: stored whole, once per id, before the sender hears 202 (processing
then runs from the stored row, so a crash loses nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import SQLModel, select

from federation.httpsig.inbound import authority_of
from node.faults import fault_of
from node.outage import OutageTracker
from node.runtime import Node
from node.store.states import ActivityState, Direction, Visibility
from node.store.tables import Activity

ACTIVITY_TABLE: sa.Table = SQLModel.metadata.tables[Activity.__tablename__]
PUBLIC_ADDRESSES = frozenset(
    {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
)


def _addressed(document: Mapping[str, Any]) -> set[str]:
    found: set[str] = set()
    for key in ("to", "cc", "audience"):
        value = document.get(key)
        values = value if isinstance(value, list) else [value]
        found.update(v for v in values if isinstance(v, str))
    return found


def visibility_of(document: Mapping[str, Any]) -> Visibility:
    # Until the activity is read by its handler, anything not addressed to Public is treated
    # as private: it never shows up in a listing.
    return Visibility.PUBLIC if _addressed(document) & PUBLIC_ADDRESSES else Visibility.DIRECT


@dataclass(frozen=True, slots=True)
class Inbound:
    """An accepted activity, ready to be stored."""

    document: Mapping[str, Any]
    id: str
    type: str
    actor: str
    object_id: str | None
    local_actor_id: int | None

    def row(self, now: datetime) -> dict[str, Any]:
        return {
            "uri": self.id,
            "type": self.type[:32],
            "direction": Direction.INBOUND,
            "state": ActivityState.RECEIVED,
            "actor_uri": self.actor,
            "object_uri": self.object_id,
            "local_actor_id": self.local_actor_id,
            "visibility": visibility_of(self.document),
            "document": dict(self.document),
            "created_at": now,
            "host": self.host,
        }

    @property
    def host(self) -> str:
        return authority_of(self.actor)[:255]


async def store_inbound(node: Node, batch: Sequence[Inbound]) -> set[str]:
    """Store accepted activities in one statement (INSERT ... ON CONFLICT DO NOTHING
    RETURNING); the ids that were new. An id stored before is a redelivery."""
    if not batch:
        return set()
    now = node.clock()
    # One compiled statement for any batch size: executemany ("insertmanyvalues") with the
    # rows as parameters, rather than a VALUES list compiled anew for each size.
    # The table itself, not the ORM class: the ORM's bulk-insert layer costs more than the
    # statement here, and no ORM object is wanted back.
    table = ACTIVITY_TABLE
    statement = (
        node.store.insert_or_else(table)
        .on_conflict_do_nothing(index_elements=["uri"])
        .returning(table.c.uri)
    )
    async with node.store.transaction() as session:
        connection = await session.connection()
        result = await connection.execute(statement, [item.row(now) for item in batch])
        return {str(uri) for (uri,) in result.all()}


async def waiting_from(node: Node, host: str) -> int:
    """How many activities from one server are stored and not yet applied."""
    async with node.store.session() as session:
        found = await session.exec(
            select(func.count())
            .select_from(ACTIVITY_TABLE)
            .where(
                ACTIVITY_TABLE.c.host == host,
                ACTIVITY_TABLE.c.state == ActivityState.RECEIVED,
            )
        )
        return int(found.one())


async def record_inbound(node: Node, inbound: Inbound) -> bool:
    """Store one accepted activity; False when its id was stored before (a redelivery)."""
    return inbound.id in await store_inbound(node, [inbound])


class InboxWriter:
    """Group commit for inboxes: activities arriving together are stored in one statement
    and one commit, and each sender hears 202 only once its activity is committed (or the
    commit's error, which the HTTP layer answers)."""

    MAX_BATCH = 256

    def __init__(
        self,
        node: Node,
        committed: asyncio.Event | None = None,
        outage: OutageTracker | None = None,
    ) -> None:
        self._node = node
        self.committed = committed or asyncio.Event()  # set after each commit
        # Told of each commit: the inbox is where a node hears most often that its database
        # answers again (the failures are told by the requests that hear them).
        self._outage = outage
        self._waiting: list[tuple[Inbound, asyncio.Future[bool]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def store(self, inbound: Inbound) -> bool:
        """Wait until the activity is committed; False when it was a redelivery."""
        if self._task is None or self._task.done():
            fresh = await record_inbound(self._node, inbound)
            self._answered()
            return fresh
        done: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((inbound, done))
        self._wake.set()
        return await done

    async def run(self, stop: asyncio.Event) -> None:
        while not (stop.is_set() and not self._waiting):
            if not self._waiting:
                self._wake.clear()
                waiter = asyncio.create_task(self._wake.wait())
                stopper = asyncio.create_task(stop.wait())
                await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                stopper.cancel()
                continue
            batch, self._waiting = (
                self._waiting[: self.MAX_BATCH],
                self._waiting[self.MAX_BATCH :],
            )
            await self._commit(batch)

    async def _commit(self, batch: list[tuple[Inbound, asyncio.Future[bool]]]) -> None:
        try:
            new = await store_inbound(self._node, [item for item, _ in batch])
        except Exception as e:  # each waiting request answers with the error, not a hang
            if len(batch) > 1 and fault_of(e) is None:
                # Not the database being away: one activity the database will not take. It
                # fails alone; the others of the batch are stored one by one.
                for one in batch:
                    await self._commit([one])
                return
            for _, done in batch:
                if not done.done():
                    done.set_exception(e)
            return
        self._answered()
        if new:
            self.committed.set()
        seen: set[str] = set()
        for item, done in batch:
            # The same id twice in one batch: the first is the one stored.
            fresh = item.id in new and item.id not in seen
            seen.add(item.id)
            if not done.done():
                done.set_result(fresh)

    def _answered(self) -> None:
        if self._outage is not None:
            self._outage.answered()

    def start(self, stop: asyncio.Event) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(stop))
        return self._task
