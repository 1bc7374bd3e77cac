"""The moderation log: written with every moderator action, read as a group's public log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from moderation.modlog import ModAction
from node.store.paging import PAGE_SIZE, Cursor, Page, keyset_page
from node.store.tables import ModLogEntry


def record(
    session: AsyncSession,
    group_id: int | None,
    action: ModAction,
    moderator_uri: str | None,
    target_uri: str,
    now: datetime,
    *,
    reason: str | None = None,
    expires_at: datetime | None = None,
) -> None:
    session.add(
        ModLogEntry(
            group_id=group_id,
            action=action.value,
            moderator_uri=moderator_uri,
            target_uri=target_uri,
            reason=reason or None,
            expires_at=expires_at,
            created_at=now,
        )
    )


async def log_page(
    session: AsyncSession, group_id: int, cursor: Cursor, limit: int = PAGE_SIZE
) -> Page[ModLogEntry]:
    """A group's log, newest first."""
    query = select(ModLogEntry.id, ModLogEntry).where(ModLogEntry.group_id == group_id)
    return await keyset_page(session, query, ModLogEntry.id, cursor, limit)  # type: ignore[arg-type]


async def log_count(session: AsyncSession, group_id: int) -> int:
    found = await session.exec(
        select(func.count()).select_from(ModLogEntry).where(ModLogEntry.group_id == group_id)
    )
    return int(found.one())


async def recent(session: AsyncSession, group_id: int, limit: int = 50) -> list[ModLogEntry]:
    found = await session.exec(
        select(ModLogEntry)
        .where(ModLogEntry.group_id == group_id)
        .order_by(col(ModLogEntry.id).desc())
        .limit(limit)
    )
    return list(found.all())
