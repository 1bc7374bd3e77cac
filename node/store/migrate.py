"""Alembic migrations run from code (`cove db upgrade`), the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from node.store.db import Store

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the database to `revision`, creating it if new."""
    await _run(store, command.upgrade, revision)


async def downgrade(store: Store, revision: str) -> None:
    await _run(store, command.downgrade, revision)


async def _run(
    store: Store, alembic_command: Callable[[AlembicConfig, str], None], revision: str
) -> None:
    # Alembic is synchronous: hand it the connection of our async engine for the duration.
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        alembic_command(config, revision)

    async with store.engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(store: Store) -> str | None:
    """The revision the database is at; None for an empty database."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with store.engine.connect() as connection:
        return await connection.run_sync(read)
