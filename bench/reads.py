"""Reads: WebFinger lookups and group actor GETs (application/activity+json) from 64 concurrent
senders, req/s and p50/p99, beside a bare aiohttp handler's GET req/s in the same run.

    python -m bench.reads [--databases sqlite,postgresql] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

from bench.ceilings import ServerCeilings, measure_servers
from bench.loadgen import Load, run_process, write_requests
from bench.meter import CpuWindow, ProcessMeter
from bench.nodes import Backend, NodeUnderTest
from bench.presign import get_request
from bench.profiling import Profiler, write_summary
from bench.report import RESULTS, Figure
from bench.run import Run, add_arguments, finish, guarded, open_run
from federation.media import ACTIVITY_JSON, JRD_JSON

SCENARIO = "reads"
TARGET = ">= 5,000 req/s"
TARGET_RATE = 5000.0
GROUP = "bench"
POOL = 100
WARMUP = 200


def request_files(run: Run) -> dict[str, Path]:
    """The two kinds of read, as request files for the node's port."""
    base = f"http://127.0.0.1:{run.node_port}"
    host = base.split("://", 1)[1]
    kinds = {
        "webfinger": get_request(
            f"{base}/.well-known/webfinger?resource=acct:{GROUP}@{host}", JRD_JSON
        ),
        "actor": get_request(f"{base}/g/{GROUP}", ACTIVITY_JSON),
    }
    files: dict[str, Path] = {}
    for kind, raw in kinds.items():
        files[kind] = run.workdir / f"reads-{kind}.bin"
        write_requests(files[kind], [raw] * POOL)
    return files


async def measure(run: Run, backend: Backend, ceiling: ServerCeilings | None) -> list[Figure]:
    node = NodeUnderTest(SCENARIO, backend, run.node_port, run.workdir, run.postgres, run.log_level)
    await node.prepare([(GROUP, "anyone")])
    files = request_files(run)
    loads: dict[str, Load] = {}
    shares: dict[str, float] = {}
    background: dict[str, float] = {}
    postgres: dict[str, float] = {}
    profiles: dict[str, dict[str, object]] = {}
    try:
        await node.start()
        async with ProcessMeter(node.pid) as meter:
            for kind, path in files.items():
                cpu = CpuWindow(node.pid, node.postgres_database)
                cpu.start()
                profile = run.profile_path(f"reads-{kind}", backend)
                async with Profiler(node.pid, profile) if run.profile else nullcontext():
                    loads[kind] = await run_process(
                        f"{node.base}/",
                        path,
                        senders=run.senders,
                        seconds=run.seconds,
                        cycle=True,
                        warmup=WARMUP,
                    )
                cpu.stop()
                if run.profile:
                    profiles[kind] = write_summary(profile)
                shares[kind] = round(cpu.core_share, 2)
                background[kind] = round(cpu.background_cores(loads[kind].client_cpu_seconds), 2)
                postgres[kind] = round(cpu.postgres_cores, 2)
    finally:
        await node.stop()
        await node.drop()
    bare = ceiling.bare_get.rate if ceiling is not None else None
    figures = []
    for kind, load in loads.items():
        failures = load.sent - load.ok
        text = f"{kind} {load.rate:,.0f} req/s, p50 {load.p50_ms:.0f} ms, p99 {load.p99_ms:.0f} ms"
        if failures:
            text += f" ({failures} not 2xx)"
        details = {
            **asdict(load),
            "node_cpu_core_share": shares[kind],
            "background_cores": background[kind],
            "postgres_cores": postgres[kind],
            "profile": profiles.get(kind),
            "client_ceiling_req_s": ceiling.client_get.rate if ceiling else None,
            "node_log": str(node.log),
        }
        figures.append(
            Figure(
                f"{SCENARIO}: {kind}",
                backend.value,
                text,
                load.rate,
                "req/s",
                f"bare aiohttp GET {bare:,.0f} req/s" if bare else "-",
                round(load.rate / bare, 3) if bare else None,
                round(meter.peak_mib, 1),
                TARGET,
                load.rate >= TARGET_RATE and failures == 0,
                details,
            )
        )
    return figures


async def _main(args: argparse.Namespace) -> int:
    run = await open_run(args)
    print("measuring the ceilings (bare aiohttp, the load generator's own)...")
    ceiling = await measure_servers(None, run.senders, run.seconds, run.workdir / "ceilings")
    figures: list[Figure] = []
    for backend in run.backends:
        print(f"reads on {backend.value}...")
        figures += await guarded(SCENARIO, backend, TARGET, measure(run, backend, ceiling))
    finish(run, figures, args.json or RESULTS / "reads.json", {})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reads",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, databases_default="sqlite")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
