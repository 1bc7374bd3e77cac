"""Keyset paging over id columns, newest first, with cursors that stay stable under inserts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Invalid
from node.store.tables import MAX_ID

T = TypeVar("T")
PAGE_SIZE = 20


@dataclass(frozen=True, slots=True)
class Cursor:
    """max_id: items older than this id; min_id: items newer than it. Neither: the newest."""

    max_id: int | None = None
    min_id: int | None = None

    @classmethod
    def parse(cls, max_id: str | None, min_id: str | None) -> Cursor:
        return cls(max_id=_cursor_id("max_id", max_id), min_id=_cursor_id("min_id", min_id))


def _cursor_id(name: str, value: str | None) -> int | None:
    if value is None:
        return None
    # isdigit() alone admits "¹" and other digits int() refuses; ids are 32-bit on PostgreSQL.
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > MAX_ID:
        raise Invalid("{name} must be a positive integer", name=name)
    return int(value)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items newest first, each with its cursor id, and whether more exist either side."""

    items: Sequence[tuple[int, T]]
    has_older: bool
    has_newer: bool

    @property
    def oldest_id(self) -> int | None:
        return self.items[-1][0] if self.items else None

    @property
    def newest_id(self) -> int | None:
        return self.items[0][0] if self.items else None


async def keyset_page(
    session: AsyncSession,
    query: Select[Any],
    id_column: InstrumentedAttribute[Any],
    cursor: Cursor,
    limit: int = PAGE_SIZE,
) -> Page[Any]:
    """Run `query` (which selects (id, value) rows) for one page around `cursor`."""
    if cursor.min_id is not None:
        stmt = query.where(id_column > cursor.min_id).order_by(id_column.asc()).limit(limit + 1)
        rows = await _rows(session, stmt)
        has_newer = len(rows) > limit
        items = list(reversed(rows[:limit]))
        return Page(items=items, has_older=True, has_newer=has_newer)
    stmt = query
    if cursor.max_id is not None:
        stmt = stmt.where(id_column < cursor.max_id)
    stmt = stmt.order_by(id_column.desc()).limit(limit + 1)
    rows = await _rows(session, stmt)
    return Page(
        items=rows[:limit], has_older=len(rows) > limit, has_newer=cursor.max_id is not None
    )


async def _rows(session: AsyncSession, stmt: Select[Any]) -> list[tuple[int, Any]]:
    result = await session.exec(stmt)  # type: ignore[call-overload]
    return [(row[0], row[1]) for row in result.all()]
