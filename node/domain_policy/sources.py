"""Subscribed blocklists: sources (a file at a URL, or another node's instance actor) with the
trust each is given (a severity cap, drafts or applied); subscribe, unsubscribe, list."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound
from federation.vocabulary import iso8601
from moderation.blocklists import FileFormat
from moderation.domains import Severity
from node.domain_policy.reconciling import Reconciled, reconcile
from node.moderators.roles import Acting, require_federation_admin
from node.runtime import Node
from node.store.states import SourceKind, SourceState
from node.store.tables import BlocklistSource, DomainExclude, SourceEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    id: int
    kind: SourceKind
    location: str
    format: str
    max_severity: Severity
    drafts: bool
    state: SourceState
    entries: int
    fetched_at: datetime | None
    last_ok_at: datetime | None
    last_error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind.value,
            "location": self.location,
            "format": self.format,
            "max_severity": self.max_severity.value,
            "mode": "draft" if self.drafts else "apply",
            "state": self.state.value,
            "entries": self.entries,
            "fetched_at": iso8601(self.fetched_at) if self.fetched_at else None,
            "last_ok_at": iso8601(self.last_ok_at) if self.last_ok_at else None,
            "last_error": self.last_error,
        }


def source_info(row: BlocklistSource, entries: int) -> SourceInfo:
    return SourceInfo(
        id=row.id or 0,
        kind=SourceKind(row.kind),
        location=row.location,
        format=row.format,
        max_severity=Severity(row.max_severity),
        drafts=row.drafts,
        state=SourceState(row.state),
        entries=entries,
        fetched_at=row.fetched_at,
        last_ok_at=row.last_ok_at,
        last_error=row.last_error,
    )


def _checked_location(kind: SourceKind, location: str) -> str:
    value = location.strip()
    if not value.startswith(("https://", "http://")):
        raise Invalid("a source is an http(s) URL, not {location!r}", location=location)
    if kind == SourceKind.URL and len(value) > 2000:
        raise Invalid("the URL is too long")
    return value


async def add_source(
    node: Node,
    acting: Acting,
    location: str,
    *,
    kind: SourceKind = SourceKind.URL,
    file_format: str = "auto",
    max_severity: Severity = Severity.SUSPEND,
    drafts: bool = True,
) -> SourceInfo:
    require_federation_admin(acting)
    url = _checked_location(kind, location)
    if file_format != "auto" and kind == SourceKind.URL:
        FileFormat(file_format)  # ValueError below
    now = node.clock()
    async with node.store.transaction() as session:
        found = await session.exec(select(BlocklistSource).where(BlocklistSource.location == url))
        if found.first() is not None:
            raise Conflict("{url} is subscribed already", url=url)
        row = BlocklistSource(
            kind=kind,
            location=url,
            format=file_format,
            max_severity=max_severity,
            drafts=drafts,
            state=SourceState.OK,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        info = source_info(row, 0)
    log.info("event=blocklist_subscribed source=%s location=%s", info.id, url)
    return info


def parse_format(text: str) -> str:
    if text == "auto":
        return text
    try:
        return FileFormat(text).value
    except ValueError:
        raise Invalid(
            "unknown format {text!r}: use auto, mastodon, gotosocial or plain", text=text
        ) from None


async def find_source(session: AsyncSession, key: str) -> BlocklistSource:
    """A source by its id or its location."""
    if key.isascii() and key.isdigit() and len(key) <= 9:
        row = await session.get(BlocklistSource, int(key))
    else:
        row = (
            await session.exec(select(BlocklistSource).where(BlocklistSource.location == key))
        ).first()
    if row is None:
        raise NotFound("no subscription {key}", key=key)
    return row


async def remove_source(node: Node, acting: Acting, key: str) -> tuple[SourceInfo, Reconciled]:
    """Unsubscribe: the source's entries go, and what only it held is retracted (unless an
    admin made it by hand)."""
    require_federation_admin(acting)
    async with node.store.transaction() as session:
        row = await find_source(session, key)
        info = source_info(row, 0)
        await session.exec(delete(SourceEntry).where(col(SourceEntry.source_id) == row.id))
        await session.exec(delete(DomainExclude).where(col(DomainExclude.source_id) == row.id))
        await session.delete(row)
        await session.flush()
        done = await reconcile(session, node)
    log.info("event=blocklist_unsubscribed source=%s did=%r", info.id, done.describe())
    return info, done


async def list_sources(node: Node) -> list[SourceInfo]:
    async with node.store.session() as session:
        rows = (await session.exec(select(BlocklistSource).order_by(col(BlocklistSource.id)))).all()
        counts = dict(
            (
                await session.exec(
                    select(SourceEntry.source_id, func.count()).group_by(col(SourceEntry.source_id))
                )
            ).all()
        )
        return [source_info(r, int(counts.get(r.id or 0, 0))) for r in rows]
