"""End-to-end latency at idle: a member's post arriving at the group's inbox until the last
follower host has the group's Announce, p50/p99 over posts sent one at a time, beside a bare
aiohttp client's fan-out of the same activity to the same hosts.

    python -m bench.endtoend [--posts 30 --hosts 10 --per-host 10] [--databases ...]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

from bench.actors import ActorServer, SimulatedActor
from bench.ceilings import bare_fanout
from bench.fanout import poster_key, sample_announce
from bench.followers import seed
from bench.loadgen import percentile, send_once
from bench.loopback import shared_free_port, sink_hosts
from bench.meter import CpuWindow, ProcessMeter
from bench.nodes import Backend, NodeUnderTest
from bench.presign import signed_create
from bench.report import RESULTS, Figure
from bench.run import Run, add_arguments, finish, guarded, open_run
from bench.sinks import SinkServers

SCENARIO = "end-to-end"
TARGET = "p99 <= 500 ms at idle"
TARGET_P99_MS = 500.0
GROUP = "bench"
SETTLE_SECONDS = 1.0
POST_TIMEOUT = 30.0
# Idle time between posts is drawn at random, so posts do not fall into step with the node's
# 0.2 s idle poll and always meet the same phase of it.
GAP_SPREAD = 2.0


async def measure_ceiling(hosts: int, repeats: int) -> list[float]:
    """Milliseconds for a bare client to sign and POST an Announce to every host, `repeats`
    times: the least work any fan-out does after a post arrives."""
    poster = await ActorServer.create(1, 1)
    actor = poster.actors[0]
    addresses = sink_hosts(hosts)
    timings: list[float] = []
    async with SinkServers(addresses, shared_free_port(addresses)) as sinks:
        inboxes = [sinks.inbox(h) for h in sinks.hosts]
        key = poster_key(actor)
        for _ in range(repeats):
            announce = sample_announce(actor, "http://127.0.0.1:1/g/x")
            timings.append(1000 * await bare_fanout(inboxes, announce, key, actor.key_id))
    return sorted(timings)


async def _post_and_wait(
    sinks: SinkServers, group: str, actor: SimulatedActor, key: rsa.RSAPrivateKey, hosts: int
) -> tuple[float, float | None]:
    """Post once and wait for every host: seconds until the inbox answered, and until the
    last host had the Announce (None if not all did in time)."""
    token = secrets.token_hex(6)
    raw = signed_create(f"{group}/inbox", group, actor.signer, key, token, datetime.now(UTC))
    activity_id = f"{actor.uri}/activities/{token}"
    sent = time.monotonic()
    await send_once(f"{group}/inbox", raw)
    answered = time.monotonic() - sent
    if not await sinks.wait_for(activity_id, hosts, POST_TIMEOUT):
        return answered, None
    return answered, max(sinks.arrivals[activity_id].values()) - sent


async def measure(
    run: Run,
    backend: Backend,
    ceiling_ms: list[float],
    posts: int,
    hosts: int,
    per_host: int,
    gap: float,
) -> list[Figure]:
    """Posts one at a time, each after an idle pause of `gap` to `gap * GAP_SPREAD` seconds.
    The node's first post after starting (connections opened, signing key loaded) is
    reported apart and not counted."""
    rng = random.Random(5)
    poster_server = await ActorServer.create(1, 1)
    actor = poster_server.actors[0]
    key = poster_key(actor)
    addresses = sink_hosts(hosts)
    sinks = SinkServers(addresses, shared_free_port(addresses))
    node = NodeUnderTest("e2e", backend, run.node_port, run.workdir, run.postgres, run.log_level)
    await node.prepare([(GROUP, "anyone")])
    await seed(node.database_url, GROUP, sinks.hosts, sinks.port, per_host, [actor])
    group = f"{node.base}/g/{GROUP}"
    latencies: list[float] = []
    accepted: list[float] = []
    missed = 0
    try:
        async with poster_server, sinks:
            await node.start()
            await asyncio.sleep(SETTLE_SECONDS)
            async with ProcessMeter(node.pid) as meter:
                _, cold = await _post_and_wait(sinks, group, actor, key, hosts)
                await asyncio.sleep(gap)
                cpu = CpuWindow(node.pid, node.postgres_database)
                cpu.start()
                for _ in range(posts):
                    answered, latency = await _post_and_wait(sinks, group, actor, key, hosts)
                    accepted.append(answered)
                    if latency is None:
                        missed += 1
                        continue
                    latencies.append(latency)
                    await asyncio.sleep(rng.uniform(gap, gap * GAP_SPREAD))
                cpu.stop()
    finally:
        await node.stop()
        await node.drop()
    ordered = sorted(latencies)
    p50, p99 = percentile(ordered, 0.5) * 1000, percentile(ordered, 0.99) * 1000
    bare = percentile(ceiling_ms, 0.5)
    text = f"p50 {p50:.0f} ms, p99 {p99:.0f} ms ({len(ordered)} posts, {hosts} hosts)"
    details: dict[str, Any] = {
        "posts": posts,
        "completed": len(ordered),
        "missed": missed,
        "hosts": hosts,
        "followers": hosts * per_host,
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
        "latencies_ms": [round(v * 1000, 1) for v in latencies],
        "first_post_after_start_ms": round(cold * 1000, 1) if cold is not None else None,
        "accepted_p50_ms": round(percentile(sorted(accepted), 0.5) * 1000, 2),
        "idle_gap_s": [gap, gap * GAP_SPREAD],
        "background_cores": round(cpu.background_cores(), 2),
        "postgres_cores": round(cpu.postgres_cores, 2),
        "bare_client_ms": [round(v, 1) for v in ceiling_ms],
        "node_log": str(node.log),
    }
    met = bool(ordered) and missed == 0 and p99 <= TARGET_P99_MS
    return [
        Figure(
            SCENARIO,
            backend.value,
            text,
            round(p99, 1),
            "ms (p99)",
            f"bare client to {hosts} hosts p50 {bare:.1f} ms",
            round(bare / p50, 3) if p50 else None,
            round(meter.peak_mib, 1),
            TARGET,
            met,
            details,
        )
    ]


async def _main(args: argparse.Namespace) -> int:
    run = await open_run(args)
    print(f"measuring the ceiling (bare client to {args.hosts} hosts)...")
    ceiling = await measure_ceiling(args.hosts, 10)
    figures: list[Figure] = []
    for backend in run.backends:
        print(f"end-to-end on {backend.value}...")
        figures += await guarded(
            SCENARIO,
            backend,
            TARGET,
            measure(run, backend, ceiling, args.posts, args.hosts, args.per_host, args.gap),
        )
    finish(run, figures, args.json or RESULTS / "endtoend.json", {})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.endtoend",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, databases_default="sqlite")
    parser.add_argument("--posts", type=int, default=30, help="posts, sent one at a time")
    parser.add_argument("--hosts", type=int, default=10, help="follower hosts")
    parser.add_argument("--per-host", type=int, default=10, help="followers on each host")
    parser.add_argument("--gap", type=float, default=0.25, help="least idle seconds between posts")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
