"""This process's copy of the domain policy in force, read from the store once and again only
when an entry or the federation mode changes (in any process: the change feed), so that every
request's lookup is a few dictionary probes and never a query."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import SQLModel, col, select

from moderation.domains import (
    Decision,
    DomainRule,
    FederationMode,
    PolicyTable,
    Severity,
    host_of,
)
from node.store.changes import DOMAIN_POLICY
from node.store.db import Store
from node.store.tables import DomainAllow, DomainBlock, Instance

log = logging.getLogger(__name__)
BLOCKS: sa.Table = SQLModel.metadata.tables[DomainBlock.__tablename__]


class PolicyCache:
    def __init__(
        self,
        store: Store,
        configured: FederationMode,
        own_host: str,
    ) -> None:
        self._store = store
        self._configured = configured  # in force only before the node is set up
        self._own = host_of(own_host)
        self._table: PolicyTable | None = None
        self._loading: asyncio.Future[PolicyTable] | None = None
        self._generation = 0
        store.changes.subscribe(DOMAIN_POLICY, self.clear)

    def clear(self) -> None:
        self._table = None
        self._generation += 1

    async def table(self) -> PolicyTable:
        if self._table is not None:
            return self._table
        if self._loading is None or self._loading.done():
            # Single flight: a burst of requests after a change reads the entries once.
            self._loading = asyncio.ensure_future(self._load(self._generation))
        return await asyncio.shield(self._loading)

    async def _load(self, generation: int) -> PolicyTable:
        # The table's rows as plain tuples: 20,000 entries load in well under a second.
        async with self._store.session() as session:
            connection = await session.connection()
            blocks = (await connection.execute(sa.select(BLOCKS))).mappings().all()
            allows = (await session.exec(select(col(DomainAllow.domain)))).all()
            # The mode last applied, not the configured one: a change of federation.mode
            # waits until an admin has read what it cuts and switched (node.domain_policy.mode).
            applied = (await session.exec(select(col(Instance.federation_mode)))).first()
        mode = FederationMode(applied) if applied is not None else self._configured
        rules = [
            DomainRule(
                domain=row["domain"],
                by_digest=row["by_digest"],
                severity=Severity(row["severity"]),
                reject_media=row["reject_media"],
                reject_reports=row["reject_reports"],
                obfuscate=row["obfuscate"],
                public_comment=row["public_comment"],
                labels=tuple(row["labels"] or ()),
                expires_at=row["expires_at"],
            )
            for row in blocks
        ]
        table = PolicyTable.build(rules, allows, mode, [self._own] if self._own else [])
        log.info("event=domain_policy_loaded entries=%s allows=%s", len(table), len(allows))
        if generation == self._generation:
            self._table = table  # not when cleared meanwhile: what was read may be stale
        return table

    async def decide(self, host: str | None, now: datetime) -> Decision:
        """The policy for a host (any spelling, with or without a port)."""
        table = await self.table()
        return table.decide(host_of(host) if host else None, now)

    async def decide_url(self, url: str, now: datetime) -> Decision:
        return await self.decide(urlsplit(url).netloc, now)

    async def refusal(self, url: str, now: datetime) -> str | None:
        """Why the node must not contact `url`'s server (None: it may): what the outbound
        client asks before every request."""
        decision = await self.decide_url(url, now)
        if decision.federates:
            return None
        return f"{urlsplit(url).hostname} is not federated with: {decision.why}"
