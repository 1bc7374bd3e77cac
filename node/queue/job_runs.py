"""The periodic jobs' last runs: when each last started and ended, and how it went, kept in
the store (one row a job) since on PostgreSQL several worker processes share the jobs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select

from node.faults import summary
from node.runtime import Node
from node.store.states import JobOutcome
from node.store.tables import JobRun

log = logging.getLogger(__name__)

MAX_ERROR = 500


@dataclass(frozen=True, slots=True)
class LastRun:
    name: str
    started_at: datetime
    ended_at: datetime | None
    outcome: JobOutcome
    result: int | None
    error: str | None


async def started(node: Node, name: str) -> None:
    """The job `name` starts now (its earlier run's end and outcome are cleared)."""
    async with node.store.transaction() as session:
        await session.exec(
            _upsert(
                node,
                name=name,
                started_at=node.clock(),
                ended_at=None,
                outcome=JobOutcome.RUNNING,
                result=None,
                error=None,
            )
        )


async def ended(
    node: Node,
    name: str,
    outcome: JobOutcome,
    result: int | None = None,
    error: BaseException | None = None,
) -> None:
    """The job `name` ended as `outcome`. Never raises: a record that cannot be written (the
    database being away is the usual reason) must not turn a job's run into another failure."""
    now = node.clock()
    try:
        async with node.store.transaction() as session:
            await session.exec(
                _upsert(
                    node,
                    name=name,
                    started_at=now,  # only where no start was recorded
                    ended_at=now,
                    outcome=outcome,
                    result=result,
                    error=summary(error)[:MAX_ERROR] if error is not None else None,
                    keep=("started_at",),
                )
            )
    except Exception as e:  # logged here; the run itself is told by run_job
        log.warning("event=job_run_not_recorded job=%s error=%s", name, summary(e))


def _upsert(node: Node, keep: tuple[str, ...] = (), **values: Any) -> Any:
    """Insert the job's row, or update the one there (two processes may both write it on an
    SQLite node run by hand beside its server); the `keep` columns of a row there stay."""
    statement = node.store.insert_or_else(JobRun).values(**values)
    changed = {k: statement.excluded[k] for k in values if k != "name" and k not in keep}
    return statement.on_conflict_do_update(index_elements=["name"], set_=changed)


async def last_runs(node: Node) -> dict[str, LastRun]:
    """Each job's last run, by the job's name (a job that never ran has none)."""
    async with node.store.session() as session:
        rows = (await session.exec(select(JobRun))).all()
    return {
        r.name: LastRun(r.name, r.started_at, r.ended_at, r.outcome, r.result, r.error)
        for r in rows
    }
