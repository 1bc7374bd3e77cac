"""SQLite in one trip a statement. aiosqlite runs each call on its connection's own thread and
wakes the event loop with the answer; the database layer asks it four times a statement
(open a cursor, execute, fetch the rows, close), so a query paid four crossings of threads for
microseconds of SQLite work. Here a statement is executed, its rows fetched and its cursor
closed in one crossing: a page's queries cost a third of what they did. Everything else
(transactions, the connection's thread, its errors) is aiosqlite's own."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import aiosqlite
from aiosqlite.context import contextmanager
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

Description = tuple[tuple[Any, ...], ...] | None
Trip = tuple[list[Any], Description, int, int | None]


def _run(connection: sqlite3.Connection, sql: str, parameters: Any, many: bool) -> Trip:
    """On the connection's thread: the statement, all its rows, and what the cursor said."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(sql, parameters)
        else:
            cursor.execute(sql, parameters)
        rows = cursor.fetchall() if cursor.description else []
        return rows, cursor.description, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _Cursor(aiosqlite.Cursor):
    """A cursor whose statement crosses to the connection's thread once, rows and all."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__(conn, None)  # type: ignore[arg-type]  # made on the thread, per statement
        self._rows: list[Any] = []
        self._description: Description = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    async def _trip(self, sql: str, parameters: Any, many: bool) -> _Cursor:
        crossing = self._conn._execute
        trip = await crossing(_run, self._conn._conn, sql, parameters, many)  # type: ignore[no-untyped-call]
        self._rows, self._description, self._rowcount, self._lastrowid = trip
        return self

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> _Cursor:
        return await self._trip(sql, () if parameters is None else parameters, False)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> _Cursor:
        return await self._trip(sql, parameters, True)

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        taken = self._rows[: size or self._arraysize]
        del self._rows[: len(taken)]
        return taken

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []  # the sqlite3 cursor was closed on the thread, with its statement

    @property
    def description(self) -> Description:  # type: ignore[override]
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value


class _Connection(aiosqlite.Connection):
    @contextmanager
    async def cursor(self) -> aiosqlite.Cursor:
        return _Cursor(self)


def _connect(database: Any, **kwargs: Any) -> aiosqlite.Connection:
    """aiosqlite.connect, with the cursors above."""
    location = database.decode() if isinstance(database, bytes) else str(database)
    return _Connection(lambda: sqlite3.connect(location, **kwargs), 64)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The database layer's adapter for aiosqlite (as its aiosqlite dialect makes it), over
    aiosqlite with these cursors: pass as create_async_engine's `module`."""
    names = {n: getattr(aiosqlite, n) for n in dir(aiosqlite) if not n.startswith("_")}
    names |= {"connect": _connect, "Connection": _Connection}
    return AsyncAdapt_aiosqlite_dbapi(SimpleNamespace(**names), sqlite3)  # type: ignore[arg-type]
