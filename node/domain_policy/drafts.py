"""Drafts the subscriptions leave for an admin (accepted as proposed, or rejected for good) and
excludes that keep a domain out of one source's reach or every source's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from federation.errors import Conflict, NotFound
from federation.vocabulary import iso8601
from moderation.domains import normalise_domain
from node.domain_policy.cuts import Impact, cut_off
from node.domain_policy.publishing import publish_changes
from node.domain_policy.reconciling import Reconciled, apply_merged, proposed_entry, reconcile
from node.domain_policy.sources import find_source
from node.moderators.roles import Acting, require_federation_admin
from node.runtime import Node
from node.store.states import DraftState, PolicyOrigin, advance
from node.store.tables import DomainBlock, DomainDraft, DomainExclude


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


async def list_drafts(node: Node, limit: int | None = None) -> list[DraftInfo]:
    """The drafts waiting, oldest first (the first `limit` of them, when given: a source in
    draft mode can leave thousands)."""
    async with node.store.session() as session:
        rows = await session.exec(
            select(DomainDraft)
            .where(DomainDraft.state == DraftState.PENDING)
            .order_by(col(DomainDraft.id))
            .limit(limit)
        )
        return [_draft_info(r) for r in rows.all()]


async def drafts_waiting(node: Node) -> int:
    async with node.store.session() as session:
        found = await session.exec(
            select(func.count())
            .select_from(DomainDraft)
            .where(DomainDraft.state == DraftState.PENDING)
        )
        return int(found.one())


async def _pending(session: AsyncSession, draft_id: int) -> DomainDraft:
    row = await session.get(DomainDraft, draft_id)
    if row is None:
        raise NotFound("no draft {draft_id}", draft_id=draft_id)
    if row.state != DraftState.PENDING:
        raise Conflict(
            "draft {draft_id} is {state} already",
            draft_id=draft_id,
            state=DraftState(row.state).value,
        )
    return row


async def waiting_draft(node: Node, draft_id: int) -> DraftInfo:
    """A draft still waiting for an admin (NotFound, or Conflict once decided)."""
    async with node.store.session() as session:
        return _draft_info(await _pending(session, draft_id))


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
            raise Conflict(
                "{domain} has an entry an admin made by hand: it stays", domain=draft.domain
            )
        cut = Impact()
        if draft.proposed is None:
            if row is not None:
                await session.delete(row)
        else:
            entry = proposed_entry(draft.domain, draft.proposed)
            if apply_merged(session, node, rows, entry, tuple(draft.source_ids or ())):
                await session.flush()
                cut = await cut_off(session, node, [draft.domain])
        await session.flush()
        await publish_changes(session, node, [draft.domain])
        advance(draft, DraftState.ACCEPTED)
        draft.decided_by, draft.decided_at = acting.uri, now
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
        advance(draft, DraftState.REJECTED)
        draft.decided_by, draft.decided_at = acting.uri, now
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
        if not found and source:
            raise NotFound("{name} is not excluded from {source}", name=name, source=source)
        if not found:
            raise NotFound("{name} is not excluded", name=name)
        for row in found:
            await session.delete(row)
        await session.flush()
        return await reconcile(session, node)


async def list_excludes(node: Node) -> list[ExcludeInfo]:
    async with node.store.session() as session:
        rows = await session.exec(select(DomainExclude).order_by(col(DomainExclude.domain)))
        return [ExcludeInfo(r.domain, r.source_id, r.reason) for r in rows.all()]
