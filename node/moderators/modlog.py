"""The moderation log: written with every moderator action, read as a group's public log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Unauthorized
from moderation.modlog import ModAction
from node.groups.groups import GroupInfo, get_group, hides_modlog_names
from node.moderators.roles import Acting, moderates_in, require_log_reader
from node.runtime import Node
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


@dataclass(frozen=True, slots=True)
class GroupLog:
    """One page of a group's log as one reader may read it."""

    group: GroupInfo
    hide_names: bool  # the moderators' names are not for this reader
    page: Page[ModLogEntry]
    # The group hides its moderators' names from others, though this reader sees them.
    names_shown_to_moderators: bool = False


async def log_total(node: Node, group_id: int) -> int:
    async with node.store.session() as session:
        return await log_count(session, group_id)


async def public_log(
    node: Node, group_name: str, cursor: Cursor, limit: int = PAGE_SIZE
) -> GroupLog:
    """A page of a group's log as anyone reads it: no moderator named when the group hides
    their names (whether anyone may read it at all is the caller's rule)."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        hide = await hides_modlog_names(session, group.id)
        page = await log_page(session, group.id, cursor, limit)
    return GroupLog(group, hide, page)


async def log_read_by(
    node: Node,
    reader: Acting | None,
    group_name: str,
    cursor: Cursor,
    *,
    names_scope: bool,
    limit: int = PAGE_SIZE,
) -> GroupLog:
    """A page of a group's log as `reader` may read it (None: someone not signed in, or
    without a token). Public for a public group (names hidden when the group hides them); a
    members-only group's needs a member (`require_log_reader`, as `cove modlog` asks); a
    moderator of the group (or of the node) with `names_scope` (a token that carries it, a
    web session) always sees who did what."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        if reader is None and group.members_only:
            raise Unauthorized(
                "the log of {group} is for its members: send a token", group=group.name
            )
        if reader is not None:
            await require_log_reader(session, reader, group)
        names = reader is not None and names_scope and await moderates_in(session, reader, group)
        hidden = await hides_modlog_names(session, group.id)
        page = await log_page(session, group.id, cursor, limit)
    return GroupLog(group, hidden and not names, page, names_shown_to_moderators=hidden and names)
