"""`cove queue status`: how the node is doing, as the admins' health page shows it (the same
figures, from the same function): the delivery queue and the servers that fail, the inbox and
its backlog, the periodic jobs' last runs, the version and the database (never its password)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, acting_option, emit, table, with_node

if TYPE_CHECKING:
    from node.queue.health import Health
    from node.runtime import Node

# A host's breaker as the health page says it.
BREAKER_WORDS = {"closed": "still trying", "open": "paused", "probing": "trying once more"}


def add_commands(commands: Any, common: Parser) -> None:
    queue = commands.add_parser(
        "queue", help="the inbox and delivery queues, and the node's health"
    ).add_subparsers(dest="queue_command", metavar="COMMAND", parser_class=Parser)
    queue.required = True
    status = queue.add_parser(
        "status",
        parents=[common],
        help="queues, failing servers, inbox backlog, periodic jobs, version and database",
    )
    acting_option(status)
    status.set_defaults(run=cmd_queue_status)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


def _counts(counts: dict[str, int], none: str) -> str:
    return ", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or none


def health_data(found: Health) -> dict[str, Any]:
    """For --json: the queue figures at the top (as this command gave them before), then the
    rest of the health page."""
    data = asdict(found.queue)
    data["dead_hosts"] = [
        {"host": host, "failures": failures, "dead_until": until}
        for host, failures, until in found.queue.dead_hosts
    ]
    data["failing_hosts"] = [asdict(h) for h in found.failing_hosts]
    data["backlog"] = [{"host": host, "received": n} for host, n in found.backlog]
    data["jobs"] = [
        {
            "name": job.name,
            "every_seconds": int(job.every.total_seconds()),
            "last": asdict(job.last) if job.last is not None else None,
        }
        for job in found.jobs
    ]
    data |= {
        "version": found.version,
        "database": found.database,
        "database_at": found.database_at,
    }
    return data


def health_text(found: Health) -> str:
    queue = found.queue
    database = "PostgreSQL" if found.database == "postgresql" else "SQLite, the file"
    lines = [
        f"Cove {found.version}; database: {database} {found.database_at}",
        "",
        "Deliveries to other servers: " + _counts(queue.deliveries, "none"),
        f"  due now: {queue.due_now}; oldest waiting since: {_when(queue.oldest_pending)}",
        "Servers that fail:",
    ]
    hosts = [
        [
            h.host,
            str(h.failures),
            BREAKER_WORDS.get(h.breaker.value, h.breaker.value),
            _when(h.until) if h.breaker.value == "open" else "-",
            str(h.pending),
        ]
        for h in found.failing_hosts
    ]
    failing = table(["HOST", "FAILURES IN A ROW", "STATE", "NEXT TRY", "WAITING"], hosts)
    lines += _indented(failing if hosts else "every server answers")
    lines += [
        "",
        "Activities received: " + _counts(queue.inbound, "none yet"),
        f"  oldest waiting to be applied since: {_when(queue.oldest_received)}",
    ]
    if found.backlog:
        lines.append("Waiting to be applied, by server:")
        backlog = [[host or "?", str(n)] for host, n in found.backlog]
        lines += _indented(table(["HOST", "ACTIVITIES"], backlog))
    lines += ["", "Scheduled jobs:"]
    lines += _indented(table(["JOB", "EVERY", "LAST STARTED", "ENDED", "OUTCOME"], _jobs(found)))
    lines += [
        f"  {job.name}: {job.last.error}" for job in found.jobs if job.last and job.last.error
    ]
    return "\n".join(lines)


def _jobs(found: Health) -> list[list[str]]:
    rows = []
    for job in found.jobs:
        every = f"{int(job.every.total_seconds())} s"
        last = job.last
        if last is None:
            rows.append([job.name, every, "not run yet", "-", "-"])
            continue
        outcome = last.outcome.value.replace("_", " ")
        if last.result is not None:
            outcome += f" (counted {last.result})"
        rows.append([job.name, every, _when(last.started_at), _when(last.ended_at), outcome])
    return rows


def _indented(text: str) -> list[str]:
    return ["  " + line for line in text.splitlines()]


async def cmd_queue_status(inv: Invocation) -> None:
    from node.moderators.roles import acting_as
    from node.queue import health

    async def work(node: Node) -> None:
        found = await health.health(node, await acting_as(node, inv.args.as_account))
        emit(inv, health_data(found), health_text(found))

    await with_node(inv, work)
