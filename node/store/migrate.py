"""Alembic migrations run from code (`cove db upgrade`), the same on SQLite and PostgreSQL;
and the cheap check every `cove` command makes that the database is at the newest revision
(Alembic itself is imported only to migrate)."""

from __future__ import annotations

import ast
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from node.store.db import Store

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@cache
def head_revision() -> str | None:
    """The newest revision: the one no other revision names as its `down_revision`, read from
    the migration files' own declarations (Alembic would import every migration to say it;
    a test checks both agree)."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        declared = _declarations(path.read_text("utf-8"))
        if "revision" in declared:
            revisions[str(declared["revision"])] = declared.get("down_revision")
    downs = set(revisions.values())
    heads = [r for r in revisions if r not in downs]
    if len(heads) > 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads: {sorted(heads)}")
    return heads[0] if heads else None


def _declarations(source: str) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for statement in ast.parse(source).body:
        if isinstance(statement, ast.AnnAssign | ast.Assign):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names and names[0] in ("revision", "down_revision") and statement.value is not None:
                value = ast.literal_eval(statement.value)
                found[names[0]] = value if isinstance(value, str) else None
    return found


async def upgrade(store: Store, revision: str = "head") -> None:
    """Bring the database to `revision`, creating it if new."""
    from alembic import command

    await _run(store, command.upgrade, revision)


async def downgrade(store: Store, revision: str) -> None:
    from alembic import command

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
    """The revision the database is at; None for an empty database. Read from Alembic's own
    table with one query (the table Alembic keeps, version_num its one column)."""

    def read(connection: Connection) -> str | None:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        found = connection.execute(sa.text("SELECT version_num FROM alembic_version")).first()
        return str(found[0]) if found is not None else None

    async with store.engine.connect() as connection:
        return await connection.run_sync(read)
