"""The subscribed lists reconciled into the policy in force: per-source trust caps, a
threshold by count or share of sources, a max or min merge, excludes, drafts for an admin
(sources in draft mode), and retractions; an admin's own entries are never touched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from moderation.blocklists import BlockEntry, SourceList, merge
from moderation.domains import Severity
from node.domain_policy.blocks import entry_of
from node.domain_policy.cuts import Impact, cut_off
from node.domain_policy.publishing import publish_changes
from node.runtime import Node
from node.store.states import DraftState, PolicyOrigin, advance
from node.store.tables import BlocklistSource, DomainBlock, DomainDraft, DomainExclude, SourceEntry

SUBSCRIBER = "subscriptions"  # created_by of the entries the subscriptions make


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
        if apply_merged(session, node, rows, m.entry, m.source_ids):
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


def apply_merged(
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


def proposed_entry(domain: str, proposed: dict[str, Any]) -> BlockEntry:
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
            advance(draft, DraftState.SUPERSEDED)
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
