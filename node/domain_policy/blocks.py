"""Domain blocks and allows as admins keep them, made by hand or by the API: add, change (a
suspension cuts in the same transaction, or says first what it would), remove, expire, list."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound
from federation.vocabulary import iso8601
from moderation import domains as policy
from moderation.blocklists import BlockEntry
from moderation.domains import Severity, digest
from node.domain_policy.cuts import Impact, cut_off, would_cut
from node.domain_policy.publishing import publish_changes
from node.moderators.roles import Acting, require_federation_admin
from node.runtime import Node
from node.store.states import PolicyOrigin
from node.store.tables import DomainAllow, DomainBlock, SourceEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BlockInfo:
    id: int
    domain: str
    by_digest: bool
    severity: Severity
    reject_media: bool
    reject_reports: bool
    obfuscate: bool
    public_comment: str
    private_comment: str
    labels: tuple[str, ...]
    expires_at: datetime | None
    origin: PolicyOrigin
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def digest(self) -> str:
        return self.domain if self.by_digest else digest(self.domain)

    def entry(self) -> BlockEntry:
        return BlockEntry(
            domain=self.domain,
            severity=self.severity,
            reject_media=self.reject_media,
            reject_reports=self.reject_reports,
            obfuscate=self.obfuscate,
            public_comment=self.public_comment,
            private_comment=self.private_comment,
            labels=self.labels,
            by_digest=self.by_digest,
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "domain": self.domain,
            "digest": self.digest,
            "severity": self.severity.value,
            "reject_media": self.reject_media,
            "reject_reports": self.reject_reports,
            "obfuscate": self.obfuscate,
            "public_comment": self.public_comment,
            "private_comment": self.private_comment,
            "labels": list(self.labels),
            "expires_at": iso8601(self.expires_at) if self.expires_at else None,
            "origin": self.origin.value,
            "created_by": self.created_by,
            "created_at": iso8601(self.created_at),
        }


def entry_of(row: DomainBlock | SourceEntry) -> BlockEntry:
    """A stored entry (in force, or as a source gave it) as the lists read and write it."""
    return BlockEntry(
        domain=row.domain,
        severity=Severity(row.severity),
        reject_media=row.reject_media,
        reject_reports=row.reject_reports,
        obfuscate=row.obfuscate,
        public_comment=row.public_comment,
        private_comment=getattr(row, "private_comment", ""),
        labels=tuple(row.labels or ()),
        by_digest=row.by_digest,
    )


def block_info(row: DomainBlock) -> BlockInfo:
    assert row.id is not None
    return BlockInfo(
        id=row.id,
        domain=row.domain,
        by_digest=row.by_digest,
        severity=Severity(row.severity),
        reject_media=row.reject_media,
        reject_reports=row.reject_reports,
        obfuscate=row.obfuscate,
        public_comment=row.public_comment,
        private_comment=row.private_comment,
        labels=tuple(row.labels or ()),
        expires_at=row.expires_at,
        origin=PolicyOrigin(row.origin),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


@dataclass(frozen=True, slots=True)
class AllowInfo:
    id: int
    domain: str
    comment: str
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "domain": self.domain, "created_at": iso8601(self.created_at)}


# Reading ------------------------------------------------------------------------------------


async def list_blocks(node: Node) -> list[BlockInfo]:
    async with node.store.session() as session:
        rows = await session.exec(select(DomainBlock).order_by(col(DomainBlock.domain)))
        return [block_info(r) for r in rows.all()]


async def blocks_page(node: Node, page: int, per_page: int) -> tuple[list[BlockInfo], int]:
    """One page of the blocks in force, by domain (a node may hold 20,000), and how many
    there are in all."""
    async with node.store.session() as session:
        total = int((await session.exec(select(func.count()).select_from(DomainBlock))).one())
        rows = await session.exec(
            select(DomainBlock)
            .order_by(col(DomainBlock.domain))
            .offset((page - 1) * per_page)
            .limit(per_page)
        )
        return [block_info(r) for r in rows.all()], total


async def get_block(node: Node, block_id: int) -> BlockInfo:
    async with node.store.session() as session:
        row = await session.get(DomainBlock, block_id)
    if row is None:
        raise NotFound("no domain block {block_id}", block_id=block_id)
    return block_info(row)


async def find_block(node: Node, domain: str) -> BlockInfo | None:
    async with node.store.session() as session:
        row = await _block_row(session, policy.normalise_domain(domain))
    return block_info(row) if row is not None else None


async def _block_row(session: AsyncSession, domain: str) -> DomainBlock | None:
    return (await session.exec(select(DomainBlock).where(DomainBlock.domain == domain))).first()


async def list_allows(node: Node) -> list[AllowInfo]:
    async with node.store.session() as session:
        rows = await session.exec(select(DomainAllow).order_by(col(DomainAllow.domain)))
        return [AllowInfo(r.id or 0, r.domain, r.comment, r.created_at) for r in rows.all()]


# Writing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Applied:
    block: BlockInfo
    impact: Impact
    created: bool


async def set_block(
    node: Node,
    acting: Acting,
    entry: BlockEntry,
    expires_at: datetime | None = None,
    *,
    dry_run: bool = False,
) -> Applied:
    """Block a domain (or change its block). A suspension cuts what the node holds of the
    domain in the same transaction; `dry_run` says what it would cut and changes nothing."""
    require_federation_admin(acting)
    now = node.clock()
    if expires_at is not None and expires_at <= now:
        raise Invalid("the block's expiry is in the past")
    domain = entry.domain
    if dry_run:
        async with node.store.session() as session:
            row = await _block_row(session, domain)
            found = Impact()
            if _newly_suspends(row, entry):
                found = await would_cut(session, node, [domain])
        preview = _preview(entry, expires_at, acting.uri, now) if row is None else block_info(row)
        return Applied(preview, found, row is None)
    async with node.store.transaction() as session:
        row = await _block_row(session, domain)
        created = row is None
        cuts = _newly_suspends(row, entry)
        row = row or DomainBlock(
            domain=domain,
            severity=entry.severity,
            origin=PolicyOrigin.MANUAL,
            created_by=acting.uri,
            created_at=now,
            updated_at=now,
        )
        fill_block(row, entry, expires_at, now)
        row.origin = PolicyOrigin.MANUAL  # edited by hand: a retraction leaves it alone
        session.add(row)
        found = await cut_off(session, node, [domain]) if cuts else Impact()
        await session.flush()
        await publish_changes(session, node, [domain])
        info = block_info(row)
    log.info(
        "event=domain_block domain=%s severity=%s by=%s cut=%r",
        domain,
        entry.severity.value,
        acting.uri,
        found.describe() if found.anything else "",
    )
    return Applied(info, found, created)


def _newly_suspends(row: DomainBlock | None, entry: BlockEntry) -> bool:
    return entry.severity == Severity.SUSPEND and (row is None or row.severity != Severity.SUSPEND)


def fill_block(
    row: DomainBlock, entry: BlockEntry, expires_at: datetime | None, now: datetime
) -> None:
    row.severity = entry.severity
    row.by_digest = entry.by_digest
    row.reject_media = entry.reject_media
    row.reject_reports = entry.reject_reports
    row.obfuscate = entry.obfuscate
    row.public_comment = entry.public_comment
    if entry.private_comment:
        row.private_comment = entry.private_comment
    row.labels = list(entry.labels)
    row.expires_at = expires_at
    row.updated_at = now


def _preview(entry: BlockEntry, expires_at: datetime | None, by: str, now: datetime) -> BlockInfo:
    return BlockInfo(
        0,
        entry.domain,
        entry.by_digest,
        entry.severity,
        entry.reject_media,
        entry.reject_reports,
        entry.obfuscate,
        entry.public_comment,
        entry.private_comment,
        entry.labels,
        expires_at,
        PolicyOrigin.MANUAL,
        by,
        now,
        now,
    )


async def remove_block(node: Node, acting: Acting, domain: str) -> BlockInfo:
    require_federation_admin(acting)
    async with node.store.transaction() as session:
        row = await _block_row(session, policy.normalise_domain(domain))
        if row is None:
            raise NotFound("{domain} is not blocked", domain=domain)
        info = block_info(row)
        await session.delete(row)
        await session.flush()
        await publish_changes(session, node, [info.domain])
    log.info("event=domain_unblock domain=%s by=%s", info.domain, acting.uri)
    return info


async def expire_blocks(node: Node) -> int:
    """Take away domain blocks past their expiry (the periodic job); they had stopped
    counting at their expiry already: this keeps the list and what is published true."""
    now = node.clock()
    async with node.store.transaction() as session:
        found = await session.exec(
            select(DomainBlock).where(
                col(DomainBlock.expires_at).is_not(None), col(DomainBlock.expires_at) <= now
            )
        )
        rows = found.all()
        for row in rows:
            await session.delete(row)
            log.info("event=domain_block_expired domain=%s", row.domain)
        if rows:
            await session.flush()
            await publish_changes(session, node, [r.domain for r in rows])
    return len(rows)


async def remove_block_by_id(node: Node, acting: Acting, block_id: int) -> BlockInfo:
    return await remove_block(node, acting, (await get_block(node, block_id)).domain)


async def allow(node: Node, acting: Acting, domain: str, comment: str = "") -> AllowInfo:
    require_federation_admin(acting)
    name = policy.normalise_domain(domain)
    now = node.clock()
    async with node.store.transaction() as session:
        found = await session.exec(select(DomainAllow).where(DomainAllow.domain == name))
        if found.first() is not None:
            raise Conflict("{name} is allowed already", name=name)
        row = DomainAllow(domain=name, comment=comment, created_by=acting.uri, created_at=now)
        session.add(row)
        await session.flush()
        return AllowInfo(row.id or 0, row.domain, row.comment, row.created_at)


async def disallow(node: Node, acting: Acting, domain: str) -> None:
    require_federation_admin(acting)
    name = policy.normalise_domain(domain)
    async with node.store.transaction() as session:
        row = (await session.exec(select(DomainAllow).where(DomainAllow.domain == name))).first()
        if row is None:
            raise NotFound("{name} is not allowed", name=name)
        await session.delete(row)


async def allow_by_id(node: Node, block_id: int) -> AllowInfo:
    async with node.store.session() as session:
        row = await session.get(DomainAllow, block_id)
    if row is None:
        raise NotFound("no domain allow {block_id}", block_id=block_id)
    return AllowInfo(row.id or 0, row.domain, row.comment, row.created_at)
