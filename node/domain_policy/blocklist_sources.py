"""Subscribed blocklists: sources (a file fetched on a schedule with ETag and
If-Modified-Since, or another node's instance actor), the last good list of each, and their
reconciliation into the policy in force: per-source trust caps, a threshold by count or
share of sources, a max or min merge, excludes, drafts for an admin, and retractions. A
failed or empty fetch keeps the last good list and raises an alert; it never unblocks."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from federation.client import FederationClient
from federation.errors import Conflict, CoveError, FetchError, Invalid, NotFound
from federation.vocabulary import iso8601
from moderation.blocklists import (
    MAX_FILE_BYTES,
    BlockEntry,
    FileFormat,
    SourceList,
    merge,
    parse,
)
from moderation.domains import Severity, digest, normalise_domain
from node.domain_policy.domain_policy import Impact, cut_off, entry_of
from node.domain_policy.publishing import publish_changes
from node.members.notifications import NotificationKind, notify_admins
from node.moderators.roles import Acting, require_federation_admin
from node.runtime import Node
from node.store.states import (
    DraftState,
    PolicyOrigin,
    SourceKind,
    SourceState,
    check_transition,
)
from node.store.tables import (
    BlocklistSource,
    DomainBlock,
    DomainDraft,
    DomainExclude,
    SourceEntry,
)

log = logging.getLogger(__name__)

SUBSCRIBER = "subscriptions"  # created_by of the entries the subscriptions make


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


@dataclass
class Reconciled:
    """What a reconciliation did to the policy (or left as drafts)."""

    applied: list[tuple[str, str, str]] = field(default_factory=list)  # action, domain, sev.
    drafted: list[tuple[str, str]] = field(default_factory=list)  # action, domain
    cut: Impact = field(default_factory=Impact)

    def describe(self) -> str:
        parts = [f"{a} {d} ({s})" for a, d, s in self.applied[:20]]
        if len(self.applied) > 20:
            parts.append(f"... {len(self.applied) - 20} more")
        parts += [f"draft: {a} {d}" for a, d in self.drafted[:20]]
        if len(self.drafted) > 20:
            parts.append(f"... {len(self.drafted) - 20} more drafts")
        return "; ".join(parts) or "no change"


@dataclass(frozen=True, slots=True)
class Synced:
    source: SourceInfo
    status: str  # "updated", "unchanged" (304 or the same list) or "failed"
    reason: str | None
    reconciled: Reconciled


def _info(row: BlocklistSource, entries: int) -> SourceInfo:
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


# Sources ----------------------------------------------------------------------------------


def _checked_location(kind: SourceKind, location: str) -> str:
    value = location.strip()
    if not value.startswith(("https://", "http://")):
        raise Invalid(f"a source is an http(s) URL, not {location!r}")
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
            raise Conflict(f"{url} is subscribed already")
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
        info = _info(row, 0)
    log.info("event=blocklist_subscribed source=%s location=%s", info.id, url)
    return info


def parse_format(text: str) -> str:
    if text == "auto":
        return text
    try:
        return FileFormat(text).value
    except ValueError:
        raise Invalid(f"unknown format {text!r}: use auto, mastodon, gotosocial or plain") from None


async def find_source(session: AsyncSession, key: str) -> BlocklistSource:
    """A source by its id or its location."""
    if key.isascii() and key.isdigit() and len(key) <= 9:
        row = await session.get(BlocklistSource, int(key))
    else:
        row = (
            await session.exec(select(BlocklistSource).where(BlocklistSource.location == key))
        ).first()
    if row is None:
        raise NotFound(f"no subscription {key}")
    return row


async def remove_source(node: Node, acting: Acting, key: str) -> tuple[SourceInfo, Reconciled]:
    """Unsubscribe: the source's entries go, and what only it held is retracted (unless an
    admin made it by hand)."""
    require_federation_admin(acting)
    async with node.store.transaction() as session:
        row = await find_source(session, key)
        info = _info(row, 0)
        await session.exec(delete(SourceEntry).where(col(SourceEntry.source_id) == row.id))
        await session.exec(delete(DomainExclude).where(col(DomainExclude.source_id) == row.id))
        await session.delete(row)
        await session.flush()
        done = await reconcile(session, node)
    log.info("event=blocklist_unsubscribed source=%s did=%r", info.id, done.describe())
    return info, done


async def list_sources(node: Node) -> list[SourceInfo]:
    from sqlalchemy import func

    async with node.store.session() as session:
        rows = (await session.exec(select(BlocklistSource).order_by(col(BlocklistSource.id)))).all()
        counts = dict(
            (
                await session.exec(
                    select(SourceEntry.source_id, func.count()).group_by(col(SourceEntry.source_id))
                )
            ).all()
        )
        return [_info(r, int(counts.get(r.id or 0, 0))) for r in rows]


# Syncing ----------------------------------------------------------------------------------


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
            raise NotFound(f"no subscription {source_id}")
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
        info = _info(row, len(entries))
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
            raise NotFound(f"no subscription {source_id}")
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
    if row.state != SourceState.OK:
        check_transition(SourceState(row.state), SourceState.OK)
        row.state = SourceState.OK
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
        info = _info(row, count)
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
            check_transition(SourceState.OK, SourceState.FAILING)
            row.state = SourceState.FAILING
            await _alert_admins(session, f"The blocklist {row.location} failed: {said}.", now)
        row.fetched_at, row.last_error = now, said[:1000]
        count = len(await _entries(session, source_id))
        info = _info(row, count)
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


# Reconciling ---------------------------------------------------------------------------------


async def reconcile(session: AsyncSession, node: Node) -> Reconciled:
    """Bring the subscription-made entries to what the sources, merged, say (in the caller's
    transaction): changes from sources in draft mode wait as drafts; entries an admin made by
    hand are never touched; an entry no source holds any more is retracted."""
    settings = node.config.blocklists
    sources = {s.id: s for s in (await session.exec(select(BlocklistSource))).all()}
    lists: dict[int, dict[str, BlockEntry]] = {i: {} for i in sources if i is not None}
    for held in (await session.exec(select(SourceEntry))).all():
        lists.setdefault(held.source_id, {})[held.domain] = entry_of(held)
    excluded: dict[str, set[int | None]] = {}
    for ex in (await session.exec(select(DomainExclude))).all():
        excluded.setdefault(ex.domain, set()).add(ex.source_id)
    merged = merge(
        [
            SourceList(i, Severity(sources[i].max_severity), entries)
            for i, entries in lists.items()
            if i in sources
        ],
        plan=settings.merge,
        threshold=settings.threshold,
        threshold_type=settings.threshold_type,
        excluded=excluded,
    )
    rows = {r.domain: r for r in (await session.exec(select(DomainBlock))).all()}
    done = Reconciled()
    suspended: list[str] = []
    for domain, m in sorted(merged.items()):
        row = rows.get(domain)
        if row is not None and row.origin == PolicyOrigin.MANUAL:
            continue  # an admin's own entry wins over every list
        if row is not None and entry_of(row).same_policy(m.entry):
            row.source_ids = list(m.source_ids)
            continue
        if any(sources[i].drafts for i in m.source_ids if i in sources):
            if await _draft(session, node, domain, m.entry, m.source_ids):
                done.drafted.append(("add" if row is None else "change", domain))
            continue
        if _apply(session, node, rows, m.entry, m.source_ids):
            suspended.append(domain)
        done.applied.append(("add" if row is None else "change", domain, m.entry.severity.value))
    for domain, row in sorted(rows.items()):
        if row.origin != PolicyOrigin.SUBSCRIPTION or domain in merged:
            continue
        holders = [sources[i] for i in (row.source_ids or []) if i in sources]
        if any(s.drafts for s in holders):
            if await _draft(session, node, domain, None, tuple(s.id or 0 for s in holders)):
                done.drafted.append(("remove", domain))
            continue
        await session.delete(row)
        done.applied.append(("remove", domain, Severity(row.severity).value))
    await session.flush()
    done.cut = await cut_off(session, node, suspended)
    await publish_changes(session, node, [d for _, d, _ in done.applied])
    return done


def _apply(
    session: AsyncSession,
    node: Node,
    rows: dict[str, DomainBlock],
    entry: BlockEntry,
    source_ids: tuple[int, ...],
) -> bool:
    """Write a merged entry; True when it newly suspends the domain."""
    now = node.clock()
    row = rows.get(entry.domain)
    newly = entry.severity == Severity.SUSPEND and (row is None or row.severity != Severity.SUSPEND)
    if row is None:
        row = DomainBlock(
            domain=entry.domain,
            severity=entry.severity,
            origin=PolicyOrigin.SUBSCRIPTION,
            created_by=SUBSCRIBER,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        rows[entry.domain] = row
    row.severity = entry.severity
    row.by_digest = entry.by_digest
    row.reject_media, row.reject_reports = entry.reject_media, entry.reject_reports
    row.obfuscate, row.public_comment = entry.obfuscate, entry.public_comment
    row.labels, row.source_ids, row.updated_at = list(entry.labels), list(source_ids), now
    return newly


def _proposal(entry: BlockEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {
        "severity": entry.severity.value,
        "reject_media": entry.reject_media,
        "reject_reports": entry.reject_reports,
        "obfuscate": entry.obfuscate,
        "public_comment": entry.public_comment,
        "labels": list(entry.labels),
        "by_digest": entry.by_digest,
    }


def _from_proposal(domain: str, proposed: dict[str, Any]) -> BlockEntry:
    return BlockEntry(
        domain=domain,
        severity=Severity(proposed["severity"]),
        reject_media=bool(proposed["reject_media"]),
        reject_reports=bool(proposed["reject_reports"]),
        obfuscate=bool(proposed["obfuscate"]),
        public_comment=str(proposed["public_comment"]),
        labels=tuple(proposed["labels"]),
        by_digest=bool(proposed.get("by_digest", False)),
    )


async def _draft(
    session: AsyncSession,
    node: Node,
    domain: str,
    entry: BlockEntry | None,
    source_ids: tuple[int, ...],
) -> bool:
    """A draft of the change, unless the same one waits already or an admin rejected it;
    a waiting draft of another change is superseded. True when a draft was made."""
    proposed = _proposal(entry)
    found = await session.exec(
        select(DomainDraft).where(
            DomainDraft.domain == domain,
            col(DomainDraft.state).in_((DraftState.PENDING, DraftState.REJECTED)),
        )
    )
    for draft in found.all():
        if draft.proposed == proposed:
            return False  # waiting already, or rejected once for good
        if draft.state == DraftState.PENDING:
            check_transition(DraftState.PENDING, DraftState.SUPERSEDED)
            draft.state = DraftState.SUPERSEDED
    session.add(
        DomainDraft(
            domain=domain,
            proposed=proposed,
            source_ids=list(source_ids),
            state=DraftState.PENDING,
            created_at=node.clock(),
        )
    )
    return True


# Drafts and excludes -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DraftInfo:
    id: int
    domain: str
    proposed: dict[str, Any] | None
    source_ids: tuple[int, ...]
    state: DraftState
    created_at: datetime

    def text(self) -> str:
        if self.proposed is None:
            return f"{self.id}: remove {self.domain} (no source holds it any more)"
        flags = [k for k in ("reject_media", "reject_reports", "obfuscate") if self.proposed[k]]
        extra = f", {', '.join(flags)}" if flags else ""
        severity = self.proposed["severity"]
        return f"{self.id}: {self.domain} {severity}{extra} (sources {list(self.source_ids)})"

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "domain": self.domain,
            "proposed": self.proposed,
            "sources": list(self.source_ids),
            "state": self.state.value,
            "created_at": iso8601(self.created_at),
        }


def _draft_info(row: DomainDraft) -> DraftInfo:
    return DraftInfo(
        row.id or 0,
        row.domain,
        row.proposed,
        tuple(row.source_ids or ()),
        DraftState(row.state),
        row.created_at,
    )


async def list_drafts(node: Node) -> list[DraftInfo]:
    async with node.store.session() as session:
        rows = await session.exec(
            select(DomainDraft)
            .where(DomainDraft.state == DraftState.PENDING)
            .order_by(col(DomainDraft.id))
        )
        return [_draft_info(r) for r in rows.all()]


async def _pending(session: AsyncSession, draft_id: int) -> DomainDraft:
    row = await session.get(DomainDraft, draft_id)
    if row is None:
        raise NotFound(f"no draft {draft_id}")
    if row.state != DraftState.PENDING:
        raise Conflict(f"draft {draft_id} is {DraftState(row.state).value} already")
    return row


async def accept_draft(node: Node, acting: Acting, draft_id: int) -> tuple[DraftInfo, Impact]:
    """Apply a draft as it was proposed."""
    require_federation_admin(acting)
    now = node.clock()
    async with node.store.transaction() as session:
        draft = await _pending(session, draft_id)
        rows = {
            r.domain: r
            for r in (
                await session.exec(select(DomainBlock).where(DomainBlock.domain == draft.domain))
            ).all()
        }
        row = rows.get(draft.domain)
        if row is not None and row.origin == PolicyOrigin.MANUAL:
            raise Conflict(f"{draft.domain} has an entry an admin made by hand: it stays")
        cut = Impact()
        if draft.proposed is None:
            if row is not None:
                await session.delete(row)
        else:
            entry = _from_proposal(draft.domain, draft.proposed)
            if _apply(session, node, rows, entry, tuple(draft.source_ids or ())):
                await session.flush()
                cut = await cut_off(session, node, [draft.domain])
        await session.flush()
        await publish_changes(session, node, [draft.domain])
        check_transition(DraftState.PENDING, DraftState.ACCEPTED)
        draft.state, draft.decided_by, draft.decided_at = DraftState.ACCEPTED, acting.uri, now
        info = _draft_info(draft)
    return info, cut


async def reject_draft(
    node: Node, acting: Acting, draft_id: int, *, exclude: bool = False
) -> DraftInfo:
    """Reject a draft; the same proposal is not drafted again. With `exclude`, its sources
    may never touch the domain again."""
    require_federation_admin(acting)
    now = node.clock()
    async with node.store.transaction() as session:
        draft = await _pending(session, draft_id)
        check_transition(DraftState.PENDING, DraftState.REJECTED)
        draft.state, draft.decided_by, draft.decided_at = DraftState.REJECTED, acting.uri, now
        if exclude:
            for source_id in draft.source_ids or []:
                await _exclude(session, draft.domain, source_id, f"draft {draft_id} rejected", now)
        info = _draft_info(draft)
    return info


@dataclass(frozen=True, slots=True)
class ExcludeInfo:
    domain: str
    source_id: int | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "source": self.source_id, "reason": self.reason}


def _excludes_of(domain: str, source_id: int | None) -> SelectOfScalar[DomainExclude]:
    """The exclude of a domain from one source, or (no source) from every source."""
    return select(DomainExclude).where(
        DomainExclude.domain == domain,
        col(DomainExclude.source_id).is_(None)
        if source_id is None
        else DomainExclude.source_id == source_id,
    )


async def _exclude(
    session: AsyncSession, domain: str, source_id: int | None, reason: str, now: datetime
) -> None:
    found = await session.exec(_excludes_of(domain, source_id))
    if found.first() is None:
        session.add(
            DomainExclude(domain=domain, source_id=source_id, reason=reason, created_at=now)
        )


async def exclude(
    node: Node, acting: Acting, domain: str, source: str | None, reason: str = ""
) -> tuple[ExcludeInfo, Reconciled]:
    """Keep a domain out of the subscriptions' reach: from one source, or from all."""
    require_federation_admin(acting)
    name = normalise_domain(domain)
    async with node.store.transaction() as session:
        source_id = (await find_source(session, source)).id if source else None
        await _exclude(session, name, source_id, reason, node.clock())
        await session.flush()
        done = await reconcile(session, node)
    return ExcludeInfo(name, source_id, reason), done


async def unexclude(node: Node, acting: Acting, domain: str, source: str | None) -> Reconciled:
    require_federation_admin(acting)
    name = normalise_domain(domain)
    async with node.store.transaction() as session:
        source_id = (await find_source(session, source)).id if source else None
        found = (await session.exec(_excludes_of(name, source_id))).all()
        if not found:
            raise NotFound(f"{name} is not excluded" + (f" from {source}" if source else ""))
        for row in found:
            await session.delete(row)
        await session.flush()
        return await reconcile(session, node)


async def list_excludes(node: Node) -> list[ExcludeInfo]:
    async with node.store.session() as session:
        rows = await session.exec(select(DomainExclude).order_by(col(DomainExclude.domain)))
        return [ExcludeInfo(r.domain, r.source_id, r.reason) for r in rows.all()]
