"""Inbox throughput: signed Create{Note} activities from simulated remote actors (their keys
fetched once by the node, then cached), posted by 64 concurrent senders to a group's inbox:
accepted/s and p50/p99 latency, beside a bare aiohttp handler's req/s in the same run.

    python -m bench.inbox                      # a Cove node on SQLite, started here
    python -m bench.inbox --databases sqlite,postgresql --profile
    python -m bench.inbox --target http://127.0.0.1:8080/g/demo/inbox [--pid PID]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlmodel import col

from bench.actors import ActorServer
from bench.ceilings import ServerCeilings, measure_servers
from bench.followers import count_rows
from bench.loadgen import Load, run_process, write_requests
from bench.meter import CpuWindow, ProcessMeter
from bench.nodes import Backend, NodeUnderTest
from bench.presign import signed_creates
from bench.profiling import Profiler, write_summary
from bench.report import RESULTS, Figure
from bench.run import Run, add_arguments, finish, guarded, open_run
from node.store.states import ActivityState, Direction
from node.store.tables import Activity

SCENARIO = "inbox"
TARGET = ">= 2,000 accepted/s (SQLite)"
TARGET_RATE = 2000.0
GROUP = "bench"
ACTORS = 32
ACTOR_HOSTS = 4
WARMUP_SECONDS = 60.0
DRAIN_SECONDS = 5.0


@dataclass
class InboxLoad:
    """The simulated actors (served while the load runs) and the signed requests, built once
    and replayed against every database (each node starts from an empty one)."""

    actors: ActorServer
    inbox: str
    group: str
    requests_file: Path
    count: int


async def prepare_load(run: Run, inbox: str, group: str, pool: int, actors: int) -> InboxLoad:
    server = await ActorServer.create(actors, ACTOR_HOSTS)
    await server.start()
    requests = await signed_creates(
        inbox, group, [a.signer for a in server.actors], pool, secrets.token_hex(4)
    )
    path = run.workdir / "inbox-requests.bin"
    write_requests(path, requests)
    return InboxLoad(server, inbox, group, path, len(requests))


def node_inbox(run: Run) -> tuple[str, str]:
    group = f"http://127.0.0.1:{run.node_port}/g/{GROUP}"
    return f"{group}/inbox", group


async def warm_up(load: InboxLoad, target: str) -> Load:
    """One activity per actor, so the node fetches (and caches) every key before the clock
    starts."""
    actors = len(load.actors.actors)
    return await run_process(
        target, load.requests_file, senders=8, seconds=WARMUP_SECONDS, limit=actors
    )


async def _load(run: Run, load: InboxLoad, target: str) -> Load:
    return await run_process(
        target,
        load.requests_file,
        senders=run.senders,
        seconds=run.seconds,
        skip=len(load.actors.actors),
    )


def _describe(result: Load, ceiling: ServerCeilings | None) -> tuple[str, str, float | None]:
    text = f"{result.rate:,.0f} accepted/s, p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms"
    if ceiling is None:
        return text, "-", None
    bare = ceiling.bare_post.rate
    return text, f"bare aiohttp {bare:,.0f} req/s", round(result.rate / bare, 3) if bare else None


async def measure(
    run: Run, backend: Backend, load: InboxLoad, ceiling: ServerCeilings | None
) -> list[Figure]:
    node = NodeUnderTest(SCENARIO, backend, run.node_port, run.workdir, run.postgres, run.log_level)
    await node.prepare([(GROUP, "anyone")])
    fetches_before = sum(load.actors.fetches.values())
    try:
        await node.start()
        profile_path = run.profile_path(SCENARIO, backend)
        async with ProcessMeter(node.pid) as meter:
            warm = await warm_up(load, node_inbox(run)[0])
            cpu = CpuWindow(node.pid, node.postgres_database)
            cpu.start()
            profiler = Profiler(node.pid, profile_path) if run.profile else None
            async with profiler or contextlib.nullcontext():
                result = await _load(run, load, node_inbox(run)[0])
            cpu.stop()
            stored, applied = await _stored_and_applied(node.database_url)
            # Once the senders stop, how fast the node's workers apply the backlog.
            await asyncio.sleep(drain := min(DRAIN_SECONDS, run.seconds / 2))
            _, applied_after = await _stored_and_applied(node.database_url)
    finally:
        await node.stop()
        await node.drop()
    text, ceiling_text, ratio = _describe(result, ceiling)
    details = {
        **asdict(result),
        "warmup_ok": warm.ok,
        "warmup_seconds": warm.seconds,
        "requests_built": load.count,
        "key_fetches": sum(load.actors.fetches.values()) - fetches_before,
        "stored_inbound": stored,
        "applied_by_end": applied,
        "applied_per_s_under_load": round(applied / result.seconds, 1) if result.seconds else None,
        "applied_per_s_after_load": round((applied_after - applied) / drain, 1),
        "node_cpu_core_share": round(cpu.core_share, 2),
        "background_cores": round(cpu.background_cores(result.client_cpu_seconds), 2),
        "postgres_cores": round(cpu.postgres_cores, 2),
        "client_cpu_core_share": round(result.client_core_share, 2),
        "client_ceiling_req_s": ceiling.client_post.rate if ceiling else None,
        "node_log": str(node.log),
    }
    if profiler is not None:
        details["profile"] = _profile_details(profiler, profile_path)
    met = result.rate >= TARGET_RATE if backend == Backend.SQLITE else None
    return [
        Figure(
            SCENARIO,
            backend.value,
            text,
            result.rate,
            "accepted/s",
            ceiling_text,
            ratio,
            round(meter.peak_mib, 1),
            TARGET,
            met,
            details,
        )
    ]


def _profile_details(profiler: Profiler, path: Path) -> dict[str, object]:
    if profiler.problem is not None:
        return {"problem": profiler.problem}
    return write_summary(path)


async def _stored_and_applied(database_url: str) -> tuple[int, int]:
    inbound = col(Activity.direction) == Direction.INBOUND
    stored = await count_rows(database_url, select(func.count()).where(inbound))
    applied = await count_rows(
        database_url,
        select(func.count()).where(inbound, col(Activity.state) != ActivityState.RECEIVED),
    )
    return stored, applied


async def measure_target(
    run: Run, load: InboxLoad, ceiling: ServerCeilings | None, pid: int | None
) -> Figure:
    """The same load against a server the bench did not start (RSS only with its pid)."""
    rss: float | None = None
    async with contextlib.AsyncExitStack() as stack:
        meter = await stack.enter_async_context(ProcessMeter(pid)) if pid is not None else None
        await warm_up(load, load.inbox)
        result = await _load(run, load, load.inbox)
    if meter is not None:
        rss = round(meter.peak_mib, 1)
    text, ceiling_text, ratio = _describe(result, ceiling)
    details = {
        **asdict(result),
        "target": load.inbox,
        "key_fetches": sum(load.actors.fetches.values()),
    }
    return Figure(
        SCENARIO,
        "target",
        text,
        result.rate,
        "accepted/s",
        ceiling_text,
        ratio,
        rss,
        TARGET,
        None,
        details,
    )


def pool_size(run: Run, given: int | None, actors: int) -> int:
    """Enough distinct activities for a node accepting 3,000/s for the whole measurement."""
    return given or int(3000 * run.seconds) + actors


async def _main(args: argparse.Namespace) -> int:
    run = await open_run(args)
    if args.target:
        inbox, group = args.target, args.group or args.target.removesuffix("/inbox")
    else:
        inbox, group = node_inbox(run)
    count = pool_size(run, args.pool, args.actors)
    print(f"signing {count:,} activities from {args.actors} actors...")
    load = await prepare_load(run, inbox, group, count, args.actors)
    figures: list[Figure] = []
    try:
        print("measuring the ceilings (bare aiohttp, the load generator's own)...")
        ceiling = await measure_servers(
            load.requests_file, run.senders, run.seconds, run.workdir / "ceilings"
        )
        if args.target:
            figures.append(await measure_target(run, load, ceiling, args.pid))
        for backend in [] if args.target else run.backends:
            print(f"inbox on {backend.value}...")
            figures += await guarded(
                SCENARIO, backend, TARGET, measure(run, backend, load, ceiling)
            )
    finally:
        await load.actors.stop()
    finish(run, figures, args.json or RESULTS / "inbox.json", {})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.inbox",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, databases_default="sqlite")
    parser.add_argument("--target", help="an inbox URL on loopback to load instead of a node")
    parser.add_argument("--group", help="the group the activities address (default: target's)")
    parser.add_argument("--pid", type=int, help="the target server's pid, for its RSS")
    parser.add_argument("--actors", type=int, default=ACTORS, help="simulated remote actors")
    parser.add_argument("--pool", type=int, help="distinct activities to sign ahead")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
