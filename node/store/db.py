"""The async engine and session factory for SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine.interfaces import DBAPIConnection, ExceptionContext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel.ext.asyncio.session import AsyncSession

from node.config import DatabaseSettings
from node.store import sqlite_trips
from node.store.changes import (
    POLL_SECONDS,
    ChangeFeed,
    StoreSession,
    insert_or_else,
    read_counters,
    session_info,
)

log = logging.getLogger(__name__)


class Store:
    """One engine per process; sessions are short and one per unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.changes = ChangeFeed()
        self._watching = False
        self._sessions = async_sessionmaker(
            engine,
            class_=AsyncSession,
            sync_session_class=StoreSession,
            expire_on_commit=False,
            info=session_info(self.changes),
        )
        # SQLite has one writer at a time. Writers from several connections of one process
        # would wait on SQLite's busy handler, which sleeps in steps of up to 100 ms; taking
        # turns in the process instead keeps a busy inbox fast.
        self._write_turn = asyncio.Lock() if engine.dialect.name == "sqlite" else None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads, or for writes the caller commits."""
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session whose work is committed on success and rolled back on any error.
        Never open one inside another (on SQLite they take turns)."""
        if self._write_turn is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._write_turn, self._sessions() as session, session.begin():
            yield session

    async def watch_changes(
        self,
        stop: asyncio.Event,
        interval: float = POLL_SECONDS,
        on_fault: Callable[[BaseException], bool] | None = None,
    ) -> None:
        """Until `stop`: poll the change counters, so that other processes' writes clear this
        process's caches (its own commits clear them at once). One poll per process: a second
        watcher (the web server's and the workers' in one process) only waits. A failed poll
        goes to `on_fault` (the process's outage tracker), and to the log if it declines."""
        if self._watching:
            await stop.wait()
            return
        self._watching = True
        try:
            await self._poll_changes(stop, interval, on_fault)
        finally:
            self._watching = False

    async def _poll_changes(
        self,
        stop: asyncio.Event,
        interval: float,
        on_fault: Callable[[BaseException], bool] | None,
    ) -> None:
        while not stop.is_set():
            try:
                async with self.session() as session:
                    counters = await read_counters(session)
                self.changes.heard(self.changes.compare(counters))
            except (OSError, SQLAlchemyError) as e:  # the database is away: try again later
                if on_fault is None or not on_fault(e):
                    log.warning("event=change_poll_failed error=%s", e)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def insert_or_else(self, table: Any) -> Any:
        """An INSERT that can say what to do on a conflict, in this database's words."""
        return insert_or_else(self.dialect, table)

    async def close(self) -> None:
        await self.engine.dispose()


def open_store(settings: DatabaseSettings) -> Store:
    """Create the engine (no connection is made until first use)."""
    return Store(create_engine(settings))


def create_engine(settings: DatabaseSettings) -> AsyncEngine:
    kwargs: dict[str, Any] = {}
    if settings.is_sqlite:
        _ensure_sqlite_folder(settings.url)
        kwargs["connect_args"] = {"timeout": 30}
        kwargs["module"] = sqlite_trips.dbapi()
    else:
        kwargs["pool_size"] = settings.pool_size
        kwargs["pool_pre_ping"] = True
    engine = create_async_engine(settings.url, **kwargs)
    if settings.is_sqlite:
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "handle_error", _drop_confused_connection)
    return engine


def _drop_confused_connection(context: ExceptionContext) -> None:
    # When the server cuts a connection in the middle of a transaction (a restart, a
    # failover), asyncpg can be left mid-operation: InternalClientError "cannot switch to
    # state ..." (MagicStack/asyncpg#1069, sqlalchemy#13241). SQLAlchemy does not count it as
    # a disconnect, so the connection went back to the pool and failed whoever took it next:
    # it is closed instead, like a connection found dead.
    error: BaseException | None = context.original_exception
    while error is not None:
        if type(error).__name__ == "InternalClientError":
            context.is_disconnect = True
            return
        error = error.__cause__


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
