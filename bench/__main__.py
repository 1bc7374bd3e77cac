"""`make bench`: every scenario (inbox, fan-out, end-to-end, reads, pages, policy) on SQLite
and, when it answers, PostgreSQL, with the ceilings measured first in the same run; one table,
and the figures as JSON in bench/results/latest.json."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from bench import endtoend, fanout, inbox, pages, policy, reads
from bench.ceilings import measure_servers
from bench.report import RESULTS, Figure
from bench.run import Run, add_arguments, finish, guarded, open_run

SCENARIOS = ("inbox", "fanout", "e2e", "reads", "pages", "policy")


class Progress:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def say(self, text: str) -> None:
        print(f"[{time.monotonic() - self.started:6.1f} s] {text}", flush=True)


async def _ceilings(
    run: Run, args: argparse.Namespace, wanted: Sequence[str], progress: Progress
) -> tuple[dict[str, Any], inbox.InboxLoad | None]:
    load = None
    if "inbox" in wanted or "policy" in wanted:
        count = inbox.pool_size(run, None, inbox.ACTORS)
        progress.say(f"signing {count:,} inbox activities from {inbox.ACTORS} simulated actors")
        load = await inbox.prepare_load(run, *inbox.node_inbox(run), count, inbox.ACTORS)
    progress.say("ceilings: bare aiohttp and the load generator's own rate (POST, GET)")
    servers = await measure_servers(
        load.requests_file if load else None, run.senders, run.seconds, run.workdir / "ceilings"
    )
    found: dict[str, Any] = {"servers": servers}
    if "fanout" in wanted:
        progress.say(f"ceilings: RSA sign rate, bare client to {args.hosts:,} hosts")
        found["fanout"] = await fanout.measure_ceiling(args.hosts)
    if "e2e" in wanted:
        progress.say(f"ceilings: bare client to {args.e2e_hosts} hosts")
        found["e2e_ms"] = await endtoend.measure_ceiling(args.e2e_hosts, 10)
    return found, load


async def _main(args: argparse.Namespace) -> int:
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = set(wanted) - set(SCENARIOS)
    if unknown:
        print(f"unknown scenarios: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    progress = Progress()
    run = await open_run(args)
    for backend, reason in run.skipped.items():
        progress.say(f"{backend} skipped: {reason}")
    ceilings, load = await _ceilings(run, args, wanted, progress)
    servers = ceilings["servers"]
    figures: list[Figure] = []
    try:
        for backend in run.backends:
            if load is not None and "inbox" in wanted:
                progress.say(f"inbox on {backend.value}")
                figures += await guarded(
                    "inbox",
                    backend,
                    inbox.TARGET,
                    inbox.measure(run, backend, load, servers),
                )
            if "fanout" in wanted:
                progress.say(f"fan-out on {backend.value}")
                figures += await guarded(
                    "fan-out",
                    backend,
                    fanout.TARGET,
                    fanout.measure(
                        run, backend, ceilings["fanout"], args.hosts, args.per_host, args.timeout
                    ),
                )
            if "e2e" in wanted:
                progress.say(f"end-to-end on {backend.value}")
                figures += await guarded(
                    "end-to-end",
                    backend,
                    endtoend.TARGET,
                    endtoend.measure(
                        run,
                        backend,
                        ceilings["e2e_ms"],
                        args.posts,
                        args.e2e_hosts,
                        args.e2e_per_host,
                        args.gap,
                    ),
                )
            if load is not None and "policy" in wanted:
                progress.say(f"policy (20,000 entries, a change elsewhere) on {backend.value}")
                figures += await guarded(
                    "policy",
                    backend,
                    ">= 95%; <= 5 s",
                    policy.measure(run, backend, load, policy.ENTRIES),
                )
            if "reads" in wanted:
                progress.say(f"reads on {backend.value}")
                figures += await guarded(
                    "reads",
                    backend,
                    reads.TARGET,
                    reads.measure(run, backend, servers),
                )
            if "pages" in wanted:
                progress.say(f"pages on {backend.value}")
                figures += await guarded(
                    "pages",
                    backend,
                    pages.LOGGED_OUT_TARGET,
                    pages.measure(run, backend, servers),
                )
    finally:
        if load is not None:
            await load.actors.stop()
    progress.say("done")
    extra = {
        "ceilings": {
            key: asdict(value) if hasattr(value, "__dataclass_fields__") else value
            for key, value in ceilings.items()
        },
        "options": {k: str(v) for k, v in vars(args).items()},
        "total_seconds": round(time.monotonic() - progress.started, 1),
    }
    finish(run, figures, args.json or RESULTS / "latest.json", extra)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    add_arguments(parser, databases_default="sqlite,postgresql")
    parser.add_argument(
        "--scenarios", default=",".join(SCENARIOS), help="comma-separated (default: %(default)s)"
    )
    parser.add_argument("--hosts", type=int, default=1000, help="fan-out: follower hosts")
    parser.add_argument("--per-host", type=int, default=10, help="fan-out: followers per host")
    parser.add_argument("--timeout", type=float, default=120.0, help="fan-out: give up after (s)")
    parser.add_argument("--posts", type=int, default=30, help="end-to-end: posts")
    parser.add_argument("--e2e-hosts", type=int, default=10, help="end-to-end: follower hosts")
    parser.add_argument("--e2e-per-host", type=int, default=10, help="end-to-end: per host")
    parser.add_argument("--gap", type=float, default=0.25, help="end-to-end: least idle gap (s)")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
