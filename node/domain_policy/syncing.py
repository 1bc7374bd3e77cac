"""Syncing subscribed sources: a file fetched on a schedule with ETag and If-Modified-Since, or
a node's list taken whole or change by change, kept as the last good list and reconciled. A
failed or empty fetch keeps the last good list and raises an alert; it never unblocks."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.client import FederationClient
from federation.errors import CoveError, FetchError, Invalid, NotFound
from moderation.blocklists import MAX_FILE_BYTES, BlockEntry, FileFormat, parse
from moderation.domains import digest
from node.domain_policy.blocks import entry_of
from node.domain_policy.reconciling import Reconciled, reconcile
from node.domain_policy.sources import SourceInfo, find_source, source_info
from node.members.notifications import NotificationKind, notify_admins
from node.runtime import Node
from node.store.states import SourceKind, SourceState, advance
from node.store.tables import BlocklistSource, SourceEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Synced:
    source: SourceInfo
    status: str  # "updated", "unchanged" (304 or the same list) or "failed"
    reason: str | None
    reconciled: Reconciled


async def sync(node: Node, client: FederationClient, key: str) -> Synced:
    """Fetch one URL source now (conditionally), and apply what changed."""
    async with node.store.session() as session:
        row = await find_source(session, key)
    if row.kind != SourceKind.URL:
        raise Invalid("an actor's list arrives by itself (signed Add and Remove)")
    try:
        fetched = await client.get_text(
            row.location,
            etag=row.etag,
            last_modified=row.last_modified,
            max_bytes=MAX_FILE_BYTES,
        )
    except FetchError as e:
        return await failed(node, row.id or 0, e.reason)
    if fetched.status == 304:
        return await _unchanged(node, row.id or 0)
    if fetched.content_type == "text/html":
        return await failed(node, row.id or 0, "it answered an HTML page, not a blocklist")
    chosen = None if row.format == "auto" else FileFormat(row.format)
    try:
        parsed = parse(fetched.text, chosen)
    except Invalid as e:
        return await failed(node, row.id or 0, e.reason)
    if not parsed.entries:
        return await failed(node, row.id or 0, "the list is empty")
    return await take_list(
        node,
        row.id or 0,
        parsed.entries,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )


async def take_list(
    node: Node,
    source_id: int,
    entries: list[BlockEntry],
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> Synced:
    """A source's new list, whole: it replaces the last good one, then the policy follows."""
    now = node.clock()
    async with node.store.transaction() as session:
        row = await session.get(BlocklistSource, source_id)
        if row is None:
            raise NotFound("no subscription {source_id}", source_id=source_id)
        before = await _entries(session, source_id)
        after = {e.domain: e for e in entries}
        same = before.keys() == after.keys() and all(before[d].same_policy(after[d]) for d in after)
        if not same:
            await session.exec(delete(SourceEntry).where(col(SourceEntry.source_id) == source_id))
            session.add_all(_entry_row(source_id, e) for e in entries)
        _ok(row, now)
        row.etag, row.last_modified = etag, last_modified
        await session.flush()
        done = await reconcile(session, node) if not same else Reconciled()
        info = source_info(row, len(entries))
    status = "unchanged" if same else "updated"
    log.info(
        "event=blocklist_synced source=%s status=%s did=%r", source_id, status, done.describe()
    )
    return Synced(info, status, None, done)


async def take_changes(
    node: Node, source_id: int, added: list[BlockEntry], removed: list[str]
) -> Reconciled:
    """Entries a source adds or takes back one at a time (another node's signed Add and
    Remove), then the policy follows."""
    now = node.clock()
    async with node.store.transaction() as session:
        row = await session.get(BlocklistSource, source_id)
        if row is None:
            raise NotFound("no subscription {source_id}", source_id=source_id)
        # Taken back by name or by digest (an entry the source obfuscated since).
        gone = {e.domain for e in added} | set(removed)
        held = (
            await session.exec(select(SourceEntry).where(SourceEntry.source_id == source_id))
        ).all()
        for entry in held:
            if entry.domain in gone or digest(entry.domain) in gone:
                await session.delete(entry)
        await session.flush()
        session.add_all(_entry_row(source_id, e) for e in added)
        _ok(row, now)
        await session.flush()
        return await reconcile(session, node)


def _ok(row: BlocklistSource, now: datetime) -> None:
    advance(row, SourceState.OK)
    row.fetched_at = row.last_ok_at = now
    row.last_error = None


def _entry_row(source_id: int, e: BlockEntry) -> SourceEntry:
    return SourceEntry(
        source_id=source_id,
        domain=e.domain,
        by_digest=e.by_digest,
        severity=e.severity,
        reject_media=e.reject_media,
        reject_reports=e.reject_reports,
        obfuscate=e.obfuscate,
        public_comment=e.public_comment,
        labels=list(e.labels),
    )


async def _entries(session: AsyncSession, source_id: int) -> dict[str, BlockEntry]:
    rows = await session.exec(select(SourceEntry).where(SourceEntry.source_id == source_id))
    return {r.domain: entry_of(r) for r in rows.all()}


async def _unchanged(node: Node, source_id: int) -> Synced:
    async with node.store.transaction() as session:
        row = await session.get(BlocklistSource, source_id)
        assert row is not None
        _ok(row, node.clock())
        count = len(await _entries(session, source_id))
        info = source_info(row, count)
    return Synced(info, "unchanged", None, Reconciled())


async def failed(node: Node, source_id: int, reason: str) -> Synced:
    """The last good list stays in force; the admins hear of it (once, when it starts)."""
    now = node.clock()
    said = f"{reason}; the last good list stays in force"
    async with node.store.transaction() as session:
        row = await session.get(BlocklistSource, source_id)
        assert row is not None
        starts = row.state == SourceState.OK
        if starts:
            advance(row, SourceState.FAILING)
            await _alert_admins(session, f"The blocklist {row.location} failed: {said}.", now)
        row.fetched_at, row.last_error = now, said[:1000]
        count = len(await _entries(session, source_id))
        info = source_info(row, count)
    log.warning("event=blocklist_source_failing source=%s reason=%r", source_id, reason)
    return Synced(info, "failed", said, Reconciled())


async def _alert_admins(session: AsyncSession, text: str, now: datetime) -> None:
    await notify_admins(session, NotificationKind.BLOCKLIST_ALERT, text, now)


async def sync_due(node: Node, client: FederationClient) -> int:
    """Fetch every URL source not fetched for `blocklists.sync_minutes` (the periodic job);
    how many were fetched. One failing source does not stop the others."""
    since = node.clock() - timedelta(minutes=node.config.blocklists.sync_minutes)
    async with node.store.session() as session:
        due = await session.exec(
            select(BlocklistSource.id).where(
                BlocklistSource.kind == SourceKind.URL,
                col(BlocklistSource.fetched_at).is_(None)
                | (col(BlocklistSource.fetched_at) <= since),
            )
        )
        ids = [str(i) for i in due.all()]
    for source_id in ids:
        try:
            await sync(node, client, source_id)
        except CoveError as e:
            log.warning("event=blocklist_sync_failed source=%s reason=%s", source_id, e.reason)
    return len(ids)
