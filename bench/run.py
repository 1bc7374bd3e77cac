"""What the scenarios of one bench run share: the work folder, the node's port, the PostgreSQL
server, durations and concurrency, profiling, and the command-line options that set them."""

from __future__ import annotations

import argparse
import shutil
import tempfile
import traceback
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.loopback import free_port
from bench.nodes import DEFAULT_POSTGRES, Backend, postgres_problem
from bench.report import RESULTS, Figure, table, write_json


@dataclass
class Run:
    """One run's choices; its work folder (node folders, logs, request files) is removed at
    the end unless `keep`."""

    workdir: Path
    node_port: int
    seconds: float = 10.0
    senders: int = 64
    postgres: str = DEFAULT_POSTGRES
    backends: list[Backend] = field(default_factory=list)
    profile: bool = False
    keep: bool = False
    log_level: str = "info"
    skipped: dict[str, str] = field(default_factory=dict)  # backend -> why

    def profile_path(self, scenario: str, backend: Backend) -> Path:
        return RESULTS / f"profile-{scenario}-{backend.value}.txt"

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def add_arguments(parser: argparse.ArgumentParser, *, databases_default: str) -> None:
    parser.add_argument("--seconds", type=float, default=10.0, help="each measurement's length")
    parser.add_argument("--senders", type=int, default=64, help="concurrent connections")
    parser.add_argument(
        "--databases",
        default=databases_default,
        help="comma-separated: sqlite, postgresql (default: %(default)s)",
    )
    parser.add_argument(
        "--postgres",
        default=DEFAULT_POSTGRES,
        help="a PostgreSQL database to connect to as admin; each node gets its own database",
    )
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the node during the measurement"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (node logs, databases)"
    )
    parser.add_argument("--log-level", default="info", help="the node's log level")
    parser.add_argument("--json", type=Path, help="where to write the figures as JSON")


async def open_run(args: argparse.Namespace) -> Run:
    wanted = [Backend(name.strip()) for name in args.databases.split(",") if name.strip()]
    run = Run(
        workdir=Path(tempfile.mkdtemp(prefix="cove-bench-")),
        node_port=free_port(),
        seconds=args.seconds,
        senders=args.senders,
        postgres=args.postgres,
        profile=args.profile,
        keep=args.keep,
        log_level=args.log_level,
    )
    for backend in dict.fromkeys(wanted):
        problem = await postgres_problem(run.postgres) if backend == Backend.POSTGRESQL else None
        if problem is None:
            run.backends.append(backend)
        else:
            run.skipped[backend.value] = f"PostgreSQL unreachable: {problem}"
    return run


async def guarded(
    scenario: str,
    backend: Backend,
    target: str,
    measure: Awaitable[Sequence[Figure]],
) -> list[Figure]:
    """A scenario's figures, or one failed row with the reason: one failure does not stop
    the rest of the run."""
    try:
        return list(await measure)
    except Exception as e:  # reported in the table and with its trace on stderr
        traceback.print_exc()
        return [Figure.failed(scenario, backend.value, target, f"{type(e).__name__}: {e}")]


def finish(run: Run, figures: Sequence[Figure], json_path: Path, extra: dict[str, object]) -> None:
    print()
    print(table(figures))
    for backend, reason in run.skipped.items():
        print(f"\n{backend}: skipped ({reason})")
    written = write_json(json_path, figures, {"skipped": run.skipped, **extra})
    print(f"\nfigures written to {written}")
    if run.keep:
        print(f"work folder kept: {run.workdir}")
    run.close()
