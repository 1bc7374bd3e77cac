"""Blocklist files: an import says the diff it makes (and what it would cut) and applies it in
one transaction unless a dry run, or refuses when the diff is no longer the one a dry run
showed; an export writes the entries in force."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict
from moderation.blocklists import BlockEntry, Diff, FileFormat, Parsed, diff, parse, write
from moderation.domains import Severity
from node.domain_policy.blocks import entry_of, fill_block, list_blocks
from node.domain_policy.cuts import Impact, cut_off, would_cut
from node.domain_policy.publishing import publish_changes
from node.moderators.roles import Acting, require_federation_admin
from node.runtime import Node
from node.store.states import PolicyOrigin
from node.store.tables import DomainBlock

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    parsed: Parsed
    diff: Diff
    impact: Impact
    watched: dict[str, int]  # domain -> followers and members here (what the admin should know)
    applied: bool

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.diff)


def fingerprint(changes: Diff) -> str:
    """What an import would write, in a few characters: the same for the same diff, so a dry
    run shown to an admin can be applied only while it is still what applying does."""
    said = {
        "add": [_said(e) for e in changes.add],
        "change": [[_said(before), _said(after)] for before, after in changes.change],
    }
    return hashlib.sha256(json.dumps(said, sort_keys=True).encode()).hexdigest()[:32]


def _said(entry: BlockEntry) -> list[Any]:
    return [
        entry.domain,
        entry.by_digest,
        entry.severity.value,
        entry.reject_media,
        entry.reject_reports,
        entry.obfuscate,
        entry.public_comment,
        entry.private_comment,
        list(entry.labels),
    ]


Progress = Callable[[int, int], None]  # done, total
IMPORT_CHUNK = 500


async def import_list(
    node: Node,
    acting: Acting,
    text: str,
    file_format: FileFormat | None = None,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    expect: str | None = None,
) -> ImportReport:
    """Import a blocklist file: the diff it makes (added, changed, unchanged, skipped with the
    line and why, and which domains have followers or members here), applied in one
    transaction unless `dry_run`. With `expect` (a dry run's fingerprint), Conflict instead
    when the blocks in force changed since and the diff is no longer that one."""
    require_federation_admin(acting)
    parsed = parse(text, file_format)
    now = node.clock()
    if dry_run:
        async with node.store.session() as session:
            changes, suspended, _ = await _import_diff(session, parsed)
            found = await would_cut(session, node, suspended)
        return ImportReport(parsed, changes, found, dict(found.by_domain), applied=False)
    async with node.store.transaction() as session:
        changes, newly_suspended, rows = await _import_diff(session, parsed)
        if expect is not None and fingerprint(changes) != expect:
            raise Conflict(
                "the blocks changed since the dry run, so this import would now do something "
                "else: nothing was imported; read the new dry run"
            )
        watched = await would_cut(session, node, newly_suspended)
        total = len(changes.add) + len(changes.change)
        for _, entry in changes.change:
            row = rows[entry.domain]
            fill_block(row, entry, row.expires_at, now)
            row.origin = PolicyOrigin.MANUAL
        await session.flush()
        done = len(changes.change)
        for start in range(0, len(changes.add), IMPORT_CHUNK):
            chunk = changes.add[start : start + IMPORT_CHUNK]
            # One statement a chunk (the ORM's unit of work is slow for 20,000 new rows).
            await session.exec(
                sa.insert(DomainBlock),
                params=[_new_row(e, acting.uri, now) for e in chunk],
            )
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        await session.flush()
        found = await cut_off(session, node, newly_suspended)
        written = [e.domain for e in changes.add] + [e.domain for _, e in changes.change]
        await publish_changes(session, node, written)
    if progress is not None and (done < total or total == 0):
        progress(total, total)
    log.info(
        "event=blocklist_imported added=%s changed=%s unchanged=%s skipped=%s by=%s",
        len(changes.add),
        len(changes.change),
        len(changes.unchanged),
        len(parsed.skipped),
        acting.uri,
    )
    return ImportReport(parsed, changes, found, dict(watched.by_domain), applied=True)


async def _import_diff(
    session: AsyncSession, parsed: Parsed
) -> tuple[Diff, list[str], dict[str, DomainBlock]]:
    """The diff a file makes, the domains it newly suspends, and the rows in force."""
    rows = {r.domain: r for r in (await session.exec(select(DomainBlock))).all()}
    changes = diff({d: entry_of(r) for d, r in rows.items()}, parsed.entries)
    newly = [e.domain for e in changes.add if e.severity == Severity.SUSPEND] + [
        after.domain
        for before, after in changes.change
        if after.severity == Severity.SUSPEND and before.severity != Severity.SUSPEND
    ]
    return changes, newly, rows


async def export_list(node: Node, file_format: FileFormat) -> str:
    return write([b.entry() for b in await list_blocks(node)], file_format)


def _new_row(entry: BlockEntry, by: str, now: datetime) -> dict[str, Any]:
    return {
        "domain": entry.domain,
        "by_digest": entry.by_digest,
        "severity": entry.severity,
        "reject_media": entry.reject_media,
        "reject_reports": entry.reject_reports,
        "obfuscate": entry.obfuscate,
        "public_comment": entry.public_comment,
        "private_comment": entry.private_comment,
        "labels": list(entry.labels),
        "expires_at": None,
        "origin": PolicyOrigin.MANUAL,
        "created_by": by,
        "source_ids": [],
        "created_at": now,
        "updated_at": now,
    }
