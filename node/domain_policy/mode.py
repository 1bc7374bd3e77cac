"""The federation mode (blocklist or allowlist): the one in force is the one last applied here
(the database); federation.mode in the configuration names the one the admins want, and a
switch to it says first the domains it no longer federates with and what cutting them
removes, then does it (from `cove blocks switch-mode` or the federation page)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, NotFound
from moderation import domains as policy
from moderation.domains import FederationMode, host_of
from node.domain_policy.cuts import Impact, cut_off, would_cut
from node.moderators.roles import Acting, require_federation_admin
from node.runtime import Node
from node.store.tables import Delivery, DomainAllow, Instance, RemoteActor

log = logging.getLogger(__name__)


async def applied_mode(session: AsyncSession) -> FederationMode:
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


async def mode_in_force(node: Node) -> FederationMode:
    async with node.store.session() as session:
        return await applied_mode(session)


async def preview(node: Node, wanted: FederationMode) -> ModeSwitch:
    """What switching to `wanted` would cut now, said without changing anything (for either
    mode, whatever the configuration names: an admin reads it before changing it)."""
    async with node.store.session() as session:
        previous = await applied_mode(session)
        domains = await not_federating(node, session, wanted)
        found = await would_cut(session, node, domains)
    return ModeSwitch(wanted, previous, sorted(found.by_domain), found, applied=False)


async def switch_mode(
    node: Node, acting: Acting, *, dry_run: bool, expect: list[str] | None = None
) -> ModeSwitch:
    """Bring the database to the configured federation mode: first say what it cuts (the
    domains no longer federating, their followers, posts and deliveries), then, unless a dry
    run, cut it and record the mode, which every process then applies. With `expect` (the
    domains a dry run showed), Conflict instead when the switch is not pending any more or
    would now cut other domains than those."""
    require_federation_admin(acting)
    wanted = node.config.federation.mode
    if dry_run:
        return await preview(node, wanted)
    async with node.store.transaction() as session:
        previous = await applied_mode(session)
        if expect is not None and previous == wanted:
            raise Conflict("this node runs in {mode} mode already", mode=wanted.value)
        found = await cut_off(session, node, await not_federating(node, session, wanted))
        domains = sorted(found.by_domain)
        if expect is not None and domains != sorted(expect):
            # Raised inside the transaction: what was cut is put back.
            raise Conflict(
                "since you read what the switch cuts, it changed: nothing was switched; "
                "read it again"
            )
        row = (await session.exec(select(Instance))).first()
        if row is None:
            raise NotFound("the node is not set up: run `cove init` first")
        row.federation_mode = wanted
    log.warning("event=federation_mode mode=%s cut=%s", wanted.value, found.describe())
    return ModeSwitch(wanted, previous, domains, found, applied=True)


async def mode_mismatch(node: Node) -> ModeSwitch | None:
    """At start: a configured mode that differs from the applied one, with what switching
    would cut (None when they agree, or when switching cuts nothing, which is then recorded)."""
    wanted = node.config.federation.mode
    async with node.store.transaction() as session:
        previous = await applied_mode(session)
        if previous == wanted:
            return None
        domains = await not_federating(node, session, wanted)
        found = await would_cut(session, node, domains)
        if found.anything:
            return ModeSwitch(wanted, previous, sorted(found.by_domain), found, applied=False)
        row = (await session.exec(select(Instance))).first()
        if row is not None:
            row.federation_mode = wanted
    return None
