"""On SQLite a statement crosses to the connection's thread once, with its rows, and says what
the database layer asks afterwards (rows changed, the new row's id) as aiosqlite would."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from node.runtime import Node


@pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL's driver is asyncio's own
async def test_a_statement_is_one_trip_with_its_rows_and_counts(node: Node) -> None:
    async with node.store.transaction() as session:
        connection = await session.connection()
        driver: Any = (await connection.get_raw_connection()).driver_connection
        trips: list[str] = []
        crossing = driver._execute

        async def counted(fn: Any, *args: Any, **kwargs: Any) -> Any:
            trips.append(getattr(fn, "__name__", "?"))
            return await crossing(fn, *args, **kwargs)

        driver._execute = counted
        try:
            await connection.execute(sa.text("CREATE TEMP TABLE t (id INTEGER PRIMARY KEY, v)"))
            trips.clear()
            added = await connection.execute(sa.text("INSERT INTO t (v) VALUES ('a')"))
            assert added.lastrowid == 1 and trips == ["_run"]
            await connection.execute(
                sa.text("INSERT INTO t (v) VALUES (:v)"), [{"v": "b"}, {"v": "c"}]
            )
            changed = await connection.execute(sa.text("UPDATE t SET v = 'z' WHERE id > 1"))
            assert changed.rowcount == 2
            trips.clear()
            rows = (await connection.execute(sa.text("SELECT id, v FROM t ORDER BY id"))).all()
            assert [tuple(r) for r in rows] == [(1, "a"), (2, "z"), (3, "z")]
            assert trips == ["_run"]  # not four: a cursor, the statement, its rows, a close
            none = await connection.execute(sa.text("SELECT v FROM t WHERE id = 9"))
            assert none.first() is None
        finally:
            driver._execute = crossing
