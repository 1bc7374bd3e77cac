"""Fan-out: a group with 10,000 followers on 1,000 hosts (sink servers on loopback addresses)
announces one post; seconds until every host has it and deliveries/s, beside the raw RSA-2048
sign rate and a bare aiohttp client's fan-out to the same hosts, measured in the same run.

    python -m bench.fanout [--hosts 1000 --per-host 10] [--databases sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import func, select
from sqlmodel import col

from bench.actors import ActorServer, SimulatedActor
from bench.ceilings import bare_fanout, rsa_sign_rate
from bench.followers import count_rows, seed
from bench.loadgen import send_once
from bench.loopback import shared_free_port, sink_hosts
from bench.meter import CpuWindow, ProcessMeter
from bench.nodes import Backend, NodeUnderTest
from bench.presign import create_note, private_key, signed_create
from bench.profiling import Profiler, write_summary
from bench.report import RESULTS, Figure
from bench.run import Run, add_arguments, finish, guarded, open_run
from bench.sinks import SinkServers, check_signatures
from federation.builders import announce_activity
from federation.vocabulary import iso8601
from node.store.states import DeliveryState
from node.store.tables import Delivery

SCENARIO = "fan-out"
TARGET = "1,000 hosts in <= 2 s"
TARGET_SECONDS = 2.0
GROUP = "bench"
SETTLE_SECONDS = 1.0  # after start, so the node's workers are idle when the post arrives


@dataclass
class FanoutCeiling:
    sign_rate: float  # RSA-2048 signatures a second, one core
    bare_seconds: float  # a plain aiohttp client signing and POSTing to every host
    hosts: int

    def text(self) -> str:
        return (
            f"RSA sign {self.sign_rate:,.0f}/s; bare client {self.hosts:,} hosts "
            f"in {self.bare_seconds:.2f} s"
        )


def poster_key(actor: SimulatedActor) -> rsa.RSAPrivateKey:
    return private_key(actor.keys.private_pem)


def sample_announce(actor: SimulatedActor, group: str) -> dict[str, Any]:
    """An Announce the size of the node's, for the bare client to send."""
    now = iso8601(datetime.now(UTC))
    inner = create_note(actor.uri, group, secrets.token_hex(6), "bare fan-out", now)
    return announce_activity(
        f"{group}/activities/bare-{secrets.token_hex(4)}",
        group,
        inner,
        f"{group}/followers",
        public=True,
    )


async def measure_ceiling(hosts: int, repeats: int = 1) -> FanoutCeiling:
    """The sign rate, and the best of `repeats` bare fan-outs to `hosts` sink hosts."""
    sign_rate = rsa_sign_rate()
    poster = await ActorServer.create(1, 1)
    actor = poster.actors[0]
    addresses = sink_hosts(hosts)
    async with SinkServers(addresses, shared_free_port(addresses)) as sinks:
        inboxes = [sinks.inbox(h) for h in sinks.hosts]
        timings = [
            await bare_fanout(
                inboxes,
                sample_announce(actor, "http://127.0.0.1:1/g/x"),
                poster_key(actor),
                actor.key_id,
            )
            for _ in range(repeats)
        ]
    return FanoutCeiling(sign_rate, min(timings), hosts)


async def _delivery_states(database_url: str) -> dict[str, int]:
    states: dict[str, int] = {}
    for state in DeliveryState:
        states[state.value] = await count_rows(
            database_url, select(func.count()).where(col(Delivery.state) == state)
        )
    return states


async def measure(
    run: Run,
    backend: Backend,
    ceiling: FanoutCeiling,
    hosts: int,
    per_host: int,
    give_up_after: float,
) -> list[Figure]:
    poster_server = await ActorServer.create(1, 1)
    actor = poster_server.actors[0]
    addresses = sink_hosts(hosts)
    sinks = SinkServers(addresses, shared_free_port(addresses))
    node = NodeUnderTest("fanout", backend, run.node_port, run.workdir, run.postgres, run.log_level)
    await node.prepare([(GROUP, "anyone")])
    seeding = time.monotonic()
    followers = await seed(node.database_url, GROUP, sinks.hosts, sinks.port, per_host, [actor])
    seeding = time.monotonic() - seeding
    group = f"{node.base}/g/{GROUP}"
    token = secrets.token_hex(6)
    raw = signed_create(
        f"{group}/inbox", group, actor.signer, poster_key(actor), token, datetime.now(UTC)
    )
    activity_id = f"{actor.uri}/activities/{token}"
    profile_path = run.profile_path("fanout", backend)
    try:
        async with poster_server, sinks:
            await node.start()
            await asyncio.sleep(SETTLE_SECONDS)
            async with ProcessMeter(node.pid) as meter:
                cpu = CpuWindow(node.pid, node.postgres_database)
                profiler = Profiler(node.pid, profile_path) if run.profile else None
                async with profiler or contextlib.nullcontext():
                    cpu.start()
                    sent = time.monotonic()
                    status = await send_once(f"{group}/inbox", raw)
                    acknowledged = time.monotonic()
                    complete = await sinks.wait_for(activity_id, hosts, give_up_after)
                    cpu.stop()
            arrivals = dict(sinks.arrivals.get(activity_id, {}))
            signatures = await check_signatures(sinks.samples)
            deliveries = await _delivery_states(node.database_url)
    finally:
        await node.stop()
        await node.drop()
    reached = len(arrivals)
    last = max(arrivals.values(), default=sent) - sent
    first = min(arrivals.values(), default=sent) - sent
    rate = reached / last if last > 0 else 0.0
    if complete:
        text = f"{hosts:,} hosts in {last:.2f} s (first {first:.2f} s), {rate:,.0f} deliveries/s"
    else:
        text = f"{reached:,}/{hosts:,} hosts in {give_up_after:.0f} s (timed out)"
    details: dict[str, Any] = {
        "followers": followers,
        "hosts": hosts,
        "hosts_reached": reached,
        "inbox_status": status,
        "accepted_after_s": round(acknowledged - sent, 4),
        "first_host_s": round(first, 3),
        "last_host_s": round(last, 3) if complete else None,
        "deliveries_per_s": round(rate, 1),
        "posts_received_by_sinks": sinks.posts,
        "delivery_rows": deliveries,
        "signatures_checked": asdict(signatures),
        "node_cpu_seconds": round(cpu.cpu, 2),
        "node_cpu_core_share": round(cpu.core_share, 2),
        "background_cores": round(cpu.background_cores(), 2),
        "postgres_cores": round(cpu.postgres_cores, 2),
        "seeding_s": round(seeding, 2),
        "ceiling": asdict(ceiling),
        "node_log": str(node.log),
    }
    if profiler is not None:
        details["profile"] = profiler.problem or write_summary(profile_path)
    return [
        Figure(
            SCENARIO,
            backend.value,
            text,
            round(last, 3) if complete else None,
            "s",
            ceiling.text(),
            round(rate / ceiling.sign_rate, 3) if complete else None,
            round(meter.peak_mib, 1),
            TARGET,
            complete and last <= TARGET_SECONDS,
            details,
        )
    ]


async def _main(args: argparse.Namespace) -> int:
    run = await open_run(args)
    print(f"measuring the ceilings (RSA sign rate, bare client to {args.hosts:,} hosts)...")
    ceiling = await measure_ceiling(args.hosts)
    figures: list[Figure] = []
    for backend in run.backends:
        print(f"fan-out on {backend.value}...")
        figures += await guarded(
            SCENARIO,
            backend,
            TARGET,
            measure(run, backend, ceiling, args.hosts, args.per_host, args.timeout),
        )
    finish(run, figures, args.json or RESULTS / "fanout.json", {})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, databases_default="sqlite")
    parser.add_argument("--hosts", type=int, default=1000, help="follower hosts")
    parser.add_argument("--per-host", type=int, default=10, help="followers on each host")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after (s)")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
