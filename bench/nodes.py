"""A Cove node under test as a real process: a fresh SQLite folder or PostgreSQL database,
`cove init`, its groups, `cove serve` on loopback, and a stop that drops the database."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import delete, insert

from bench.loopback import NODE_ADDRESS
from bench.process import Child, ChildFailed, clean_environment, log_tail, python_module, run_to_end
from node.config import DatabaseSettings
from node.store.db import Store, open_store
from node.store.states import PolicyOrigin
from node.store.tables import DomainBlock

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
CLI_TIMEOUT = 120.0


@asynccontextmanager
async def store_beside(database_url: str, pool_size: int = 1) -> AsyncIterator[Store]:
    """The node's store opened from the bench process (as another `cove` would), closed after."""
    store = open_store(DatabaseSettings(url=database_url, pool_size=pool_size))
    try:
        yield store
    finally:
        await store.close()


class Backend(StrEnum):
    SQLITE = "sqlite"
    POSTGRESQL = "postgresql"


def _plain_postgres(url: str) -> str:
    """asyncpg wants postgresql://, SQLAlchemy URLs say postgresql+asyncpg://."""
    scheme, sep, rest = url.partition("://")
    return f"postgresql{sep}{rest}" if scheme.startswith("postgres") else url


async def postgres_problem(admin_url: str) -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        connection = await asyncpg.connect(_plain_postgres(admin_url), timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError) as e:
        return f"{type(e).__name__}: {e}"
    await connection.close()
    return None


class NodeUnderTest:
    """One node for one scenario on one backend, in its own folder (and database)."""

    def __init__(
        self,
        label: str,
        backend: Backend,
        port: int,
        workdir: Path,
        postgres: str = DEFAULT_POSTGRES,
        log_level: str = "info",
    ) -> None:
        self.label = label
        self.backend = backend
        self.port = port
        self.workdir = workdir / f"{label}-{backend.value}"
        self.postgres = postgres
        self.log_level = log_level
        self.database_name = f"bench_{label}_{os.getpid()}"
        self.child: Child | None = None

    @property
    def base(self) -> str:
        return f"http://{NODE_ADDRESS}:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "node.log"

    @property
    def database_url(self) -> str:
        if self.backend == Backend.SQLITE:
            return f"sqlite+aiosqlite:///{self.workdir / 'data' / 'cove.db'}"
        admin = _plain_postgres(self.postgres)
        server = admin.split("://", 1)[1].rsplit("/", 1)[0]
        return f"postgresql+asyncpg://{server}/{self.database_name}"

    @property
    def postgres_database(self) -> str | None:
        return self.database_name if self.backend == Backend.POSTGRESQL else None

    @property
    def pid(self) -> int:
        assert self.child is not None
        return self.child.pid

    def environment(self) -> dict[str, str]:
        return clean_environment(
            {
                "COVE_NODE__DATA_DIR": str(self.workdir / "data"),
                "COVE_HTTP__HOST": NODE_ADDRESS,
                "COVE_HTTP__PORT": str(self.port),
                "COVE_DATABASE__URL": self.database_url,
                # Every peer of the bench lives on loopback.
                "COVE_FEDERATION__ALLOW_PRIVATE_ADDRESSES": "true",
                "COVE_LOG__LEVEL": self.log_level,
                # The simulated senders all live on one loopback host: the per-sender limits
                # are raised past what the bench sends, so it measures the inbox, not them
                # (their checks still run on every request).
                "COVE_INBOX__ACTOR_PER_MINUTE": "1000000",
                "COVE_INBOX__HOST_PER_MINUTE": "1000000",
                "COVE_INBOX__HOST_PENDING": "10000000",
            }
        )

    def cove(self, *args: str) -> list[str]:
        return python_module("node.cli.main", "--config", str(self.workdir / "cove.toml"), *args)

    async def prepare(self, groups: Sequence[tuple[str, str]]) -> None:
        """A fresh database with the instance actor and the groups (name, posting policy)."""
        if self.workdir.exists():
            shutil.rmtree(self.workdir)
        self.workdir.mkdir(parents=True)
        if self.backend == Backend.POSTGRESQL:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')
            await self._admin(f'CREATE DATABASE "{self.database_name}"')
        env = self.environment()
        await run_to_end(
            "cove init", self.cove("init", "--no-demo"), self.log, env, self.workdir, CLI_TIMEOUT
        )
        for name, posting in groups:
            await run_to_end(
                "cove group create",
                self.cove("group", "create", name, "--title", name.title(), "--posting", posting),
                self.log,
                env,
                self.workdir,
                CLI_TIMEOUT,
            )

    async def seed_domain_blocks(self, count: int) -> None:
        """`count` suspensions of domains no sender is on, written straight into the store
        (a 20,000-entry blocklist, loaded)."""
        now = datetime.now(UTC)
        rows = [
            {
                "domain": f"spam{n}.blocked.example",
                "by_digest": False,
                "severity": "suspend",
                "reject_media": False,
                "reject_reports": False,
                "obfuscate": False,
                "public_comment": "",
                "private_comment": "",
                "labels": [],
                "origin": PolicyOrigin.MANUAL,
                "created_by": "bench",
                "source_ids": [],
                "created_at": now,
                "updated_at": now,
            }
            for n in range(count)
        ]
        async with store_beside(self.database_url) as store, store.transaction() as session:
            for start in range(0, len(rows), 1000):
                await session.exec(insert(DomainBlock), params=rows[start : start + 1000])

    async def drop_domain_blocks(self) -> None:
        """Every domain block taken away, from this process (as another `cove` would)."""
        async with store_beside(self.database_url) as store, store.transaction() as session:
            await session.exec(delete(DomainBlock))

    async def start(self) -> None:
        self.child = await Child.start(
            f"cove serve ({self.label}, {self.backend.value})",
            self.cove("serve"),
            self.log,
            self.environment(),
            self.workdir,
        )
        await self.child.wait_port(NODE_ADDRESS, self.port)

    async def stop(self) -> None:
        """Stop the node (Ctrl-C); ChildFailed if it had ended by itself before."""
        if self.child is None:
            return
        child, self.child = self.child, None
        crashed = child.process.returncode
        await child.stop()
        if crashed is not None:
            raise ChildFailed(f"{child.name} ended early ({crashed}):\n{log_tail(self.log)}")

    async def drop(self) -> None:
        """Drop the node's PostgreSQL database (its folder stays, with the log, until the run's
        work folder is removed)."""
        if self.backend == Backend.POSTGRESQL:
            await self._admin(f'DROP DATABASE IF EXISTS "{self.database_name}" WITH (FORCE)')

    async def _admin(self, statement: str) -> None:
        connection = await asyncpg.connect(_plain_postgres(self.postgres), timeout=10)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()
