"""Domain policy at scale: the inbox load with 20,000 policy entries loaded against the same
load without them (the lookup is per host label, never a scan: at least 95% of the rate is the
target), and how long a block made by another process (a `cove blocks add`) takes to be in
force at the node's inbox, on each database (PostgreSQL: several processes share one).

    python -m bench.policy [--databases sqlite,postgresql] [--entries 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench import inbox
from bench.loadgen import read_requests, run_process
from bench.meter import ProcessMeter
from bench.nodes import Backend, NodeUnderTest
from bench.report import RESULTS, Figure
from bench.run import Run, add_arguments, finish, guarded, open_run

SCENARIO = "policy"
ENTRIES = 20_000
RATE_TARGET = 0.95
IN_FORCE_TARGET = 5.0  # seconds
PROBE_EVERY = 0.05
ROUNDS = 2
RUN_SECONDS = 6.0
SETTLE = 2.0
PROBE_FOR = 30.0


async def _rates(run: Run, backend: Backend, load: inbox.InboxLoad, entries: int) -> Rates:
    """The inbox rate in one node process, its entries loaded and taken away again by another
    process between runs (ABBA order): the node's own start and this machine's drift count
    for both sides alike."""
    node = NodeUnderTest("policy-rate", backend, run.node_port, run.workdir, run.postgres)
    await node.prepare([(inbox.GROUP, "anyone")])
    actors = len(load.actors.actors)
    budget = (load.count - actors) // (2 * ROUNDS)  # distinct activities for each run
    rates = Rates()
    try:
        await node.start()
        async with ProcessMeter(node.pid) as meter:
            target = inbox.node_inbox(run)[0]
            await inbox.warm_up(load, target)
            loaded = False
            for n, want in enumerate(_order()):
                if want != loaded:
                    await (node.seed_domain_blocks(entries) if want else node.drop_domain_blocks())
                    loaded = want
                    await asyncio.sleep(SETTLE)  # the node's change poll, then its reload
                result = await run_process(
                    target,
                    load.requests_file,
                    senders=run.senders,
                    seconds=min(run.seconds, RUN_SECONDS),
                    skip=actors + n * budget,
                    limit=budget,
                )
                (rates.loaded if want else rates.empty).append(result.rate)
        rates.peak_mib = meter.peak_mib
    finally:
        await node.stop()
        await node.drop()
    return rates


def _order() -> list[bool]:
    """Without, with, with, without...: True for a run with the entries loaded."""
    return [
        want for n in range(ROUNDS) for want in ((False, True) if n % 2 == 0 else (True, False))
    ]


@dataclass
class Rates:
    empty: list[float] = field(default_factory=list)
    loaded: list[float] = field(default_factory=list)
    peak_mib: float = 0.0


async def _in_force(run: Run, backend: Backend, load: inbox.InboxLoad) -> float:
    """Seconds from another process committing a block until the inbox answers 403."""
    import aiohttp

    node = NodeUnderTest(
        "policy-change", backend, run.node_port, run.workdir, run.postgres, run.log_level
    )
    await node.prepare([(inbox.GROUP, "anyone")])
    actor = load.actors.actors[0].uri
    host = actor.split("/")[2].split(":")[0]
    # Only the first actor's requests: its host is the one blocked.
    requests = [r for r in read_requests(load.requests_file) if actor.encode() in r]
    try:
        await node.start()
        target = f"{node.base}/g/{inbox.GROUP}/inbox"
        async with aiohttp.ClientSession() as client:
            status = await _send(client, target, requests[0])
            if status != 202:
                raise RuntimeError(f"the node answered {status} before the block")
            # This bench process is the other process: it writes the block as any `cove`
            # command or worker would, and the clock starts at its commit.
            await _block_from_here(node, host)
            committed = time.monotonic()
            for n in range(1, int(PROBE_FOR / PROBE_EVERY)):
                if await _send(client, target, requests[n % len(requests)]) == 403:
                    return time.monotonic() - committed
                await asyncio.sleep(PROBE_EVERY)
        raise RuntimeError(f"the block was not in force after {PROBE_FOR} s")
    finally:
        await node.stop()
        await node.drop()


async def _block_from_here(node: NodeUnderTest, host: str) -> None:
    from moderation.blocklists import BlockEntry
    from node.config import load_config
    from node.domain_policy import blocks
    from node.moderators.roles import Acting
    from node.runtime import open_node

    config = load_config(node.workdir / "cove.toml", node.environment())
    here = open_node(config)
    try:
        await blocks.set_block(here, Acting.operator(here), BlockEntry(domain=host))
    finally:
        await here.store.close()


async def _send(client: object, target: str, raw: bytes) -> int:
    """Replay one pre-signed request (its headers and body) and return the status."""
    import aiohttp

    assert isinstance(client, aiohttp.ClientSession)
    head, body = raw.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")[1:]
    headers = {k: v.strip() for k, v in (line.split(":", 1) for line in lines)}
    headers.pop("Content-Length", None)
    async with client.post(target, data=body, headers=headers) as response:
        return response.status


async def measure(run: Run, backend: Backend, load: inbox.InboxLoad, entries: int) -> list[Figure]:
    rates = await _rates(run, backend, load, entries)
    # The mean of each side of an ABBA sequence cancels a steady drift over the runs (a node
    # whose backlog grows as the runs go on, say); the best of each would not.
    without = sum(rates.empty) / len(rates.empty)
    loaded = sum(rates.loaded) / len(rates.loaded)
    ratio = loaded / without if without else 0.0
    seconds = await _in_force(run, backend, load)
    return [
        Figure(
            f"{SCENARIO}: inbox with {entries:,} entries",
            backend.value,
            f"{loaded:,.0f} accepted/s with, {without:,.0f} without ({ratio:.0%};"
            f" one node, mean of {ROUNDS} runs each, ABBA order)",
            round(ratio, 3),
            "ratio",
            f"the same node without entries: {without:,.0f}/s",
            round(ratio, 3),
            round(rates.peak_mib, 1),
            ">= 95% of the rate without",
            ratio >= RATE_TARGET,
            {"with": rates.loaded, "without": rates.empty},
        ),
        Figure(
            f"{SCENARIO}: a block from another process",
            backend.value,
            f"in force at the inbox {seconds:.2f} s after another process committed it",
            round(seconds, 2),
            "s",
            "the change poll: 0.5 s",
            None,
            None,
            f"<= {IN_FORCE_TARGET:.0f} s",
            seconds <= IN_FORCE_TARGET,
            {},
        ),
    ]


async def _main(args: argparse.Namespace) -> int:
    run = await open_run(args)
    count = inbox.pool_size(run, None, inbox.ACTORS)
    print(f"signing {count:,} activities from {inbox.ACTORS} actors...")
    load = await inbox.prepare_load(run, *inbox.node_inbox(run), count, inbox.ACTORS)
    figures: list[Figure] = []
    try:
        for backend in run.backends:
            print(f"policy on {backend.value}...")
            figures += await guarded(
                SCENARIO,
                backend,
                ">= 95%; <= 5 s",
                measure(run, backend, load, args.entries),
            )
    finally:
        await load.actors.stop()
    finish(run, figures, args.json or RESULTS / "policy.json", {})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.policy",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser, databases_default="sqlite,postgresql")
    parser.add_argument("--entries", type=int, default=ENTRIES, help="policy entries to load")
    return asyncio.run(_main(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
