"""Why a domain is treated as it is: the decision, the entry in force, allows, every subscribed
source that lists it (or a parent) with its trust cap, and drafts waiting about it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select

from federation.vocabulary import iso8601
from moderation import domains as policy
from moderation.domains import FederationMode, Severity, covering, digest
from node.domain_policy.blocks import BlockInfo, block_info
from node.domain_policy.mode import applied_mode
from node.runtime import Node
from node.store.states import DraftState
from node.store.tables import (
    BlocklistSource,
    DomainAllow,
    DomainBlock,
    DomainDraft,
    DomainExclude,
    SourceEntry,
)


@dataclass(frozen=True, slots=True)
class SourceView:
    source_id: int
    location: str
    listed: str  # the covering domain the source lists
    severity: Severity  # as the source gives it
    capped: Severity  # after the trust given to the source
    excluded: bool


@dataclass(frozen=True, slots=True)
class Why:
    domain: str
    decision: policy.Decision
    block: BlockInfo | None  # the entry in force that decides, if any
    allowed_by: str | None
    sources: list[SourceView]
    drafts: list[dict[str, Any]]
    mode: FederationMode

    def text(self) -> str:
        d = self.decision
        state = "not federated with" if d.suspended else ("silenced" if d.silenced else "federates")
        flags = [f for f in ("reject_media", "reject_reports") if getattr(d, f)]
        lines = [
            f"{self.domain}: {state}"
            + (f" ({', '.join(flags)})" if flags and not d.suspended else "")
            + f", in {self.mode.value} mode: {d.why}"
        ]
        if self.block is not None:
            b = self.block
            lines.append(
                f"  rule in force: {b.domain} {b.severity.value}, made by {b.origin.value}"
                f" ({b.created_by})" + (f", until {iso8601(b.expires_at)}" if b.expires_at else "")
            )
        if self.allowed_by:
            lines.append(f"  allowed: {self.allowed_by}")
        for s in self.sources:
            capped = f" (capped to {s.capped.value})" if s.capped != s.severity else ""
            barred = ", excluded" if s.excluded else ""
            said = f"{s.listed} {s.severity.value}{capped}{barred}"
            lines.append(f"  source {s.source_id} {s.location}: {said}")
        if not self.sources:
            lines.append("  no subscribed source lists it")
        for draft in self.drafts:
            lines.append(f"  draft {draft['id']} waiting: {draft['proposed'] or 'remove'}")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        d = self.decision
        return {
            "domain": self.domain,
            "mode": self.mode.value,
            "federates": d.federates,
            "silenced": d.silenced,
            "reject_media": d.reject_media,
            "reject_reports": d.reject_reports,
            "why": d.why,
            "block": self.block.as_json() if self.block else None,
            "allowed_by": self.allowed_by,
            "sources": [
                {
                    "id": s.source_id,
                    "location": s.location,
                    "listed": s.listed,
                    "severity": s.severity.value,
                    "capped": s.capped.value,
                    "excluded": s.excluded,
                }
                for s in self.sources
            ],
            "drafts": self.drafts,
        }


async def explain(node: Node, domain: str) -> Why:
    """How a domain is treated and why: the entry in force, allows, every source that lists
    it (or a parent) with the trust cap applied, and drafts waiting about it."""
    name = policy.normalise_domain(domain)
    decision = await node.policy.decide(name, node.clock())
    candidates = covering(name)
    async with node.store.session() as session:
        rows = await session.exec(
            select(DomainBlock).where(
                col(DomainBlock.domain).in_([*candidates, *(digest(c) for c in candidates)])
            )
        )
        by_domain = {r.domain: r for r in rows.all()}
        block = next(
            (
                by_domain.get(c) or by_domain.get(digest(c))
                for c in candidates
                if c in by_domain or digest(c) in by_domain
            ),
            None,
        )
        allows = await session.exec(
            select(DomainAllow.domain).where(col(DomainAllow.domain).in_(candidates))
        )
        allowed = allows.first()
        listed = await session.exec(
            select(SourceEntry, BlocklistSource)
            .join(BlocklistSource, col(BlocklistSource.id) == col(SourceEntry.source_id))
            .where(col(SourceEntry.domain).in_([*candidates, *(digest(c) for c in candidates)]))
            .order_by(col(BlocklistSource.id))
        )
        excludes = await session.exec(
            select(DomainExclude).where(col(DomainExclude.domain).in_(candidates))
        )
        barred = {(e.domain, e.source_id) for e in excludes.all()}
        sources = [
            SourceView(
                source.id or 0,
                source.location,
                entry.domain,
                Severity(entry.severity),
                policy.capped(Severity(entry.severity), Severity(source.max_severity)),
                (entry.domain, source.id) in barred or (entry.domain, None) in barred,
            )
            for entry, source in listed.all()
        ]
        drafts = await session.exec(
            select(DomainDraft).where(
                col(DomainDraft.domain).in_(candidates), DomainDraft.state == DraftState.PENDING
            )
        )
        waiting = [{"id": d.id, "proposed": d.proposed} for d in drafts.all()]
        mode = await applied_mode(session)
    return Why(
        name,
        decision,
        block_info(block) if block is not None else None,
        allowed,
        sources,
        waiting,
        mode,
    )
