"""The domain policy as admins keep it: blocks (suspend, silence, noop, with their flags) and
allows, made by hand, by import or by the API; what a suspension cuts, said before it is
applied (a dry run) and then applied: follows and memberships ended, the domain's posts taken
down, deliveries owed to it cancelled, its unapplied activities refused."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound
from federation.vocabulary import iso8601
from moderation import domains as policy
from moderation.blocklists import BlockEntry, Diff, FileFormat, Parsed, diff, parse, write
from moderation.domains import FederationMode, Severity, covering, digest, host_of
from node.domain_policy.publishing import publish_changes
from node.moderators.roles import Acting, require_federation_admin
from node.runtime import Node
from node.store.states import (
    ActivityState,
    DeliveryState,
    Direction,
    MembershipState,
    PolicyOrigin,
    check_transition,
)
from node.store.tables import (
    Activity,
    CommunityGroup,
    Delivery,
    DomainAllow,
    DomainBlock,
    LocalActor,
    Membership,
    Post,
    RemoteActor,
    RemoteMembership,
    SourceEntry,
)

log = logging.getLogger(__name__)

SUSPENDED_REASON = "the server was suspended from this node"


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


def _info(row: DomainBlock) -> BlockInfo:
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
        return [_info(r) for r in rows.all()]


async def get_block(node: Node, block_id: int) -> BlockInfo:
    async with node.store.session() as session:
        row = await session.get(DomainBlock, block_id)
    if row is None:
        raise NotFound(f"no domain block {block_id}")
    return _info(row)


async def find_block(node: Node, domain: str) -> BlockInfo | None:
    async with node.store.session() as session:
        row = await _block_row(session, policy.normalise_domain(domain))
    return _info(row) if row is not None else None


async def _block_row(session: AsyncSession, domain: str) -> DomainBlock | None:
    return (await session.exec(select(DomainBlock).where(DomainBlock.domain == domain))).first()


async def list_allows(node: Node) -> list[AllowInfo]:
    async with node.store.session() as session:
        rows = await session.exec(select(DomainAllow).order_by(col(DomainAllow.domain)))
        return [AllowInfo(r.id or 0, r.domain, r.comment, r.created_at) for r in rows.all()]


# What a suspension cuts ---------------------------------------------------------------------


@dataclass
class Impact:
    """What cutting some domains off removes (counted before, then done)."""

    followers: Counter[str] = field(default_factory=Counter)  # group name -> followers cut
    memberships: int = 0  # members here in groups on those domains
    posts: int = 0
    deliveries: int = 0
    activities: int = 0  # received from them, not applied yet
    by_domain: Counter[str] = field(default_factory=Counter)  # domain -> things held of it

    def describe(self) -> str:
        groups = len(self.followers)
        followers = sum(self.followers.values())
        parts = [
            f"{followers} {'follower' if followers == 1 else 'followers'} of {groups}"
            f" {'group' if groups == 1 else 'groups'}",
            f"{self.posts} {'post' if self.posts == 1 else 'posts'}",
        ]
        if self.memberships:
            parts.append(f"{self.memberships} memberships of members here in their groups")
        if self.deliveries:
            parts.append(f"{self.deliveries} deliveries owed")
        if self.activities:
            parts.append(f"{self.activities} activities not yet applied")
        return ", ".join(parts)

    @property
    def anything(self) -> bool:
        return bool(
            self.followers or self.memberships or self.posts or self.deliveries or self.activities
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "followers": dict(self.followers),
            "memberships": self.memberships,
            "posts": self.posts,
            "deliveries": self.deliveries,
            "activities": self.activities,
            "text": self.describe(),
        }


Covered = Callable[[str], str | None]  # a URL or host -> the cut domain covering it, or None


def covered_by(domains: Iterable[str]) -> Covered:
    cut = set(domains)
    digests = {d for d in cut if len(d) == 64 and all(c in "0123456789abcdef" for c in d)}

    def match(url_or_host: str) -> str | None:
        netloc = urlsplit(url_or_host).netloc if "://" in url_or_host else url_or_host
        host = host_of(netloc)
        if host is None:
            return None
        for candidate in covering(host):
            if candidate in cut or (digests and digest(candidate) in digests):
                return candidate
        return None

    return match


async def impact(node: Node, domains: Iterable[str]) -> Impact:
    """What suspending `domains` would remove, said without changing anything."""
    async with node.store.session() as session:
        return await _cut(session, node, covered_by(domains), apply=False)


@dataclass(frozen=True, slots=True)
class _Held:
    """One kind of thing the node holds of other servers: the rows that may be cut, the
    URL or host each belongs to, how it counts, and what cutting it does."""

    query: Callable[[], Any]
    where: Callable[[Any], str]
    count: Callable[[Impact, Any], None]
    cut: Callable[[Any, datetime], None]


def _leave(membership: Membership | RemoteMembership, now: datetime) -> None:
    check_transition(membership.state, MembershipState.LEFT)
    membership.state, membership.updated_at = MembershipState.LEFT, now


def _take_down(post: Post, now: datetime) -> None:
    post.removed_at, post.removal_reason = now, SUSPENDED_REASON


def _cancel(delivery: Delivery, now: datetime) -> None:
    check_transition(delivery.state, DeliveryState.CANCELLED)
    delivery.state, delivery.updated_at = DeliveryState.CANCELLED, now
    delivery.last_error, delivery.lease_until = SUSPENDED_REASON, None


def _refuse(activity: Activity, now: datetime) -> None:
    check_transition(activity.state, ActivityState.REJECTED)
    activity.state, activity.error = ActivityState.REJECTED, SUSPENDED_REASON
    activity.processed_at = now


OPEN_MEMBERSHIP = (MembershipState.ACCEPTED, MembershipState.PENDING)

HELD = (
    _Held(  # followers of our groups: (membership, their URI, the group's name)
        lambda: (
            select(Membership, RemoteActor.uri, LocalActor.username)
            .join(RemoteActor, col(RemoteActor.id) == col(Membership.remote_actor_id))
            .join(CommunityGroup, col(CommunityGroup.id) == col(Membership.group_id))
            .join(LocalActor, col(LocalActor.id) == col(CommunityGroup.actor_id))
            .where(col(Membership.state).in_(OPEN_MEMBERSHIP))
        ),
        lambda row: str(row[1]),
        lambda found, row: found.followers.update([str(row[2])]),
        lambda row, now: _leave(row[0], now),
    ),
    _Held(  # members here in groups there
        lambda: select(RemoteMembership).where(col(RemoteMembership.state).in_(OPEN_MEMBERSHIP)),
        lambda row: row.group_uri,
        lambda found, _row: setattr(found, "memberships", found.memberships + 1),
        _leave,
    ),
    _Held(
        lambda: select(Post).where(col(Post.local).is_(False), col(Post.removed_at).is_(None)),
        lambda row: row.author_uri,
        lambda found, _row: setattr(found, "posts", found.posts + 1),
        _take_down,
    ),
    _Held(
        lambda: select(Delivery).where(Delivery.state == DeliveryState.PENDING),
        lambda row: row.host,
        lambda found, _row: setattr(found, "deliveries", found.deliveries + 1),
        _cancel,
    ),
    _Held(
        lambda: select(Activity).where(
            Activity.direction == Direction.INBOUND, Activity.state == ActivityState.RECEIVED
        ),
        lambda row: row.actor_uri,
        lambda found, _row: setattr(found, "activities", found.activities + 1),
        _refuse,
    ),
)


async def _cut(session: AsyncSession, node: Node, covered: Covered, *, apply: bool) -> Impact:
    found = Impact()
    now = node.clock()
    for held in HELD:
        for row in (await session.exec(held.query())).all():
            domain = covered(held.where(row))
            if domain is None:
                continue
            held.count(found, row)
            found.by_domain[domain] += 1
            if apply:
                held.cut(row, now)
    return found


async def cut_off(session: AsyncSession, node: Node, domains: Iterable[str]) -> Impact:
    """Apply a suspension's effects in the caller's transaction (the entries go with it)."""
    cut = list(domains)
    if not cut:
        return Impact()
    done = await _cut(session, node, covered_by(cut), apply=True)
    if done.anything:
        log.warning("event=domains_cut domains=%s what=%s", len(cut), done.describe())
    return done


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
                found = await _cut(session, node, covered_by([domain]), apply=False)
        preview = _preview(entry, expires_at, acting.uri, now) if row is None else _info(row)
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
        _fill(row, entry, expires_at, now)
        row.origin = PolicyOrigin.MANUAL  # edited by hand: a retraction leaves it alone
        session.add(row)
        found = await cut_off(session, node, [domain]) if cuts else Impact()
        await session.flush()
        await publish_changes(session, node, [domain])
        info = _info(row)
    log.info(
        "event=domain_block domain=%s severity=%s by=%s cut=%r",
        domain,
        entry.severity.value,
        acting.uri,
        found.describe() if found.anything else "",
    )
    return Applied(info, found, created)


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


def _newly_suspends(row: DomainBlock | None, entry: BlockEntry) -> bool:
    return entry.severity == Severity.SUSPEND and (row is None or row.severity != Severity.SUSPEND)


def _fill(row: DomainBlock, entry: BlockEntry, expires_at: datetime | None, now: datetime) -> None:
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
            raise NotFound(f"{domain} is not blocked")
        info = _info(row)
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
            raise Conflict(f"{name} is allowed already")
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
            raise NotFound(f"{name} is not allowed")
        await session.delete(row)


async def allow_by_id(node: Node, block_id: int) -> AllowInfo:
    async with node.store.session() as session:
        row = await session.get(DomainAllow, block_id)
    if row is None:
        raise NotFound(f"no domain allow {block_id}")
    return AllowInfo(row.id or 0, row.domain, row.comment, row.created_at)


# Files ----------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    parsed: Parsed
    diff: Diff
    impact: Impact
    watched: dict[str, int]  # domain -> followers and members here (what the admin should know)
    applied: bool


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
) -> ImportReport:
    """Import a blocklist file: the diff it makes (added, changed, unchanged, skipped with the
    line and why, and which domains have followers or members here), applied in one
    transaction unless `dry_run`."""
    require_federation_admin(acting)
    parsed = parse(text, file_format)
    now = node.clock()
    if dry_run:
        async with node.store.session() as session:
            changes, suspended, _ = await _import_diff(session, parsed)
            found = await _cut(session, node, covered_by(suspended), apply=False)
        return ImportReport(parsed, changes, found, dict(found.by_domain), applied=False)
    async with node.store.transaction() as session:
        changes, newly_suspended, rows = await _import_diff(session, parsed)
        watched = await _cut(session, node, covered_by(newly_suspended), apply=False)
        total = len(changes.add) + len(changes.change)
        for _, entry in changes.change:
            row = rows[entry.domain]
            _fill(row, entry, row.expires_at, now)
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


# The mode --------------------------------------------------------------------------------------


async def applied_mode(session: AsyncSession) -> FederationMode:
    from node.store.tables import Instance

    row = (await session.exec(select(Instance))).first()
    return FederationMode(row.federation_mode) if row is not None else FederationMode.BLOCKLIST


async def not_federating(node: Node, session: AsyncSession, mode: FederationMode) -> list[str]:
    """The domains the node holds anything of that `mode` would cut off (for allowlist mode:
    every remote domain with followers, memberships, posts or deliveries, not allowed)."""
    if mode == FederationMode.BLOCKLIST:
        return []
    allows = set((await session.exec(select(col(DomainAllow.domain)))).all())
    table = policy.PolicyTable.build([], allows, mode, [host_of(node.urls.domain) or ""])
    hosts: set[str] = set()
    for uri in (await session.exec(select(col(RemoteActor.uri)))).all():
        hosts.add(urlsplit(str(uri)).netloc)
    for host in (await session.exec(select(col(Delivery.host)).distinct())).all():
        hosts.add(str(host))
    now = node.clock()
    cut = {h for raw in hosts if (h := host_of(raw)) and table.decide(h, now).suspended}
    return sorted(cut)


@dataclass(frozen=True, slots=True)
class ModeSwitch:
    mode: FederationMode
    previous: FederationMode
    domains: list[str]
    impact: Impact
    applied: bool


async def switch_mode(node: Node, acting: Acting, *, dry_run: bool) -> ModeSwitch:
    """Bring the database to the configured federation mode: first say what it cuts (the
    domains no longer federating, their followers, posts and deliveries), then, unless a dry
    run, cut it and record the mode."""
    from node.store.tables import Instance

    require_federation_admin(acting)
    wanted = node.config.federation.mode
    if dry_run:
        async with node.store.session() as session:
            previous = await applied_mode(session)
            domains = await not_federating(node, session, wanted)
            found = await _cut(session, node, covered_by(domains), apply=False)
        return ModeSwitch(wanted, previous, sorted(found.by_domain), found, applied=False)
    async with node.store.transaction() as session:
        previous = await applied_mode(session)
        domains = await not_federating(node, session, wanted)
        found = await cut_off(session, node, domains)
        domains = sorted(found.by_domain)
        row = (await session.exec(select(Instance))).first()
        if row is None:
            raise NotFound("the node is not set up: run `cove init` first")
        row.federation_mode = wanted
    log.warning("event=federation_mode mode=%s cut=%s", wanted.value, found.describe())
    return ModeSwitch(wanted, previous, domains, found, applied=True)


async def mode_mismatch(node: Node) -> ModeSwitch | None:
    """At start: a configured mode that differs from the applied one, with what switching
    would cut (None when they agree, or when switching cuts nothing, which is then recorded)."""
    from node.store.tables import Instance

    wanted = node.config.federation.mode
    async with node.store.transaction() as session:
        previous = await applied_mode(session)
        if previous == wanted:
            return None
        domains = await not_federating(node, session, wanted)
        found = await _cut(session, node, covered_by(domains), apply=False)
        if found.anything:
            return ModeSwitch(wanted, previous, sorted(found.by_domain), found, applied=False)
        row = (await session.exec(select(Instance))).first()
        if row is not None:
            row.federation_mode = wanted
    return None


def summarise(entries: Sequence[BlockEntry]) -> Counter[str]:
    return Counter(e.severity.value for e in entries)


# Why ----------------------------------------------------------------------------------------


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
    from node.store.states import DraftState
    from node.store.tables import BlocklistSource, DomainDraft, DomainExclude, SourceEntry

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
    return Why(
        name,
        decision,
        _info(block) if block is not None else None,
        allowed,
        sources,
        waiting,
        node.config.federation.mode,
    )
