"""The load generator: replays pre-built HTTP/1.1 requests over N keep-alive connections, in its
own process, as fast as answers come or at a fixed rate, and reports the rate of 2xx answers,
latency percentiles and its own CPU time.

Requests are bytes built (and signed) ahead of time, so a measurement costs the client only a
write and a parse per request: `python -m bench.loadgen --target URL --requests FILE`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import struct
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.loopback import require_loopback
from bench.process import PROJECT, clean_environment

LENGTH = struct.Struct(">I")
REQUEST_TIMEOUT = 30.0
ERROR_PAUSE = 0.05  # after a failed exchange, so a refused connection is not a hot loop
MAX_CHUNKS = 10_000
MAX_CYCLED = 10_000_000  # requests one sender may send when cycling (time bounds it first)


def write_requests(path: Path, requests: Iterable[bytes]) -> int:
    """Store requests as length-prefixed records; how many were written."""
    count = 0
    with path.open("wb") as f:
        for raw in requests:
            f.write(LENGTH.pack(len(raw)))
            f.write(raw)
            count += 1
    return count


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    found: list[bytes] = []
    position = 0
    while position < len(data):
        (size,) = LENGTH.unpack_from(data, position)
        position += LENGTH.size
        found.append(data[position : position + size])
        position += size
    return found


@dataclass
class Load:
    """What one load run measured (only the measured phase, not the warm-up)."""

    senders: int
    sent: int = 0
    ok: int = 0  # 2xx answers
    seconds: float = 0.0
    rate: float = 0.0  # 2xx answers a second
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    statuses: dict[str, int] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    exhausted: bool = False  # every request was sent before the time was up
    warmup_sent: int = 0
    warmup_ok: int = 0
    warmup_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    paced: float = 0.0  # the fixed rate asked for, requests a second (0: as fast as answered)

    @property
    def client_core_share(self) -> float:
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


class Connection:
    """One keep-alive connection, reopened after an error or a `Connection: close`."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def exchange(self, raw: bytes) -> int:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None
        self._writer.write(raw)
        status, close = await read_response(self._reader)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        self._reader = self._writer = None


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status, and whether the server closes the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length: int | None = None
    chunked = close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if chunked:
        await _read_chunked(reader)
    elif length is not None:
        await reader.readexactly(length)
    elif status >= 200 and status not in (204, 304):
        await reader.read()  # no length: the body ends with the connection
        close = True
    return status, close


async def _read_chunked(reader: asyncio.StreamReader) -> None:
    for _ in range(MAX_CHUNKS):
        size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected
            return
        await reader.readexactly(size + 2)
    raise ValueError("too many chunks")


class Cursor:
    """Hands out the requests in order, once each (or round and round with `cycle`)."""

    def __init__(self, requests: Sequence[bytes], cycle: bool) -> None:
        self.requests = requests
        self.cycle = cycle
        self.position = 0
        self.exhausted = False

    def next(self) -> bytes | None:
        if self.position >= len(self.requests):
            if not self.cycle or not self.requests:
                self.exhausted = True
                return None
            self.position = 0
        raw = self.requests[self.position]
        self.position += 1
        return raw


@dataclass
class _Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    last_done: float = 0.0


@dataclass(frozen=True, slots=True)
class Pace:
    """When a paced sender's requests are due: every `every` seconds from `first`. A request
    that is late (its connection still busy) is sent at once and timed from when it was due,
    so a slow answer counts against every request it held up."""

    first: float
    every: float

    def due(self, n: int) -> float:
        return self.first + n * self.every


async def _sender(
    host: str,
    port: int,
    cursor: Cursor,
    deadline: float,
    limit: int,
    tally: _Tally,
    pace: Pace | None = None,
) -> None:
    connection = Connection(host, port)
    try:
        for n in range(limit):
            started = time.perf_counter()
            if pace is not None:
                due = pace.due(n)
                if due > started:
                    await asyncio.sleep(due - started)
                started = due
            if time.perf_counter() >= deadline:
                return
            raw = cursor.next()
            if raw is None:
                return
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    status = await connection.exchange(raw)
            except (OSError, TimeoutError, ValueError, asyncio.IncompleteReadError) as e:
                tally.errors[type(e).__name__] += 1
                connection.close()
                await asyncio.sleep(ERROR_PAUSE)
                continue
            done = time.perf_counter()
            tally.latencies.append(done - started)
            tally.statuses[status] += 1
            tally.last_done = done
    finally:
        connection.close()


def _paces(started: float, senders: int, rate: float | None) -> list[Pace | None]:
    """Each sender's pace for `rate` requests a second in all, their turns interleaved."""
    if not rate:
        return [None] * senders
    every = senders / rate
    return [Pace(started + i / rate, every) for i in range(senders)]


async def _phase(
    host: str, port: int, cursor: Cursor, senders: int, seconds: float, rate: float | None = None
) -> tuple[_Tally, float]:
    tally = _Tally()
    started = time.perf_counter()
    deadline = started + seconds
    limit = MAX_CYCLED if cursor.cycle else max(1, len(cursor.requests))
    await asyncio.gather(
        *(
            _sender(host, port, cursor, deadline, limit, tally, pace)
            for pace in _paces(started, senders, rate)
        )
    )
    elapsed = (tally.last_done or time.perf_counter()) - started
    return tally, elapsed


async def generate(
    target: str,
    requests: Sequence[bytes],
    *,
    senders: int,
    seconds: float,
    cycle: bool = False,
    warmup: int = 0,
    warmup_senders: int = 8,
    rate: float | None = None,
) -> Load:
    """Send the first `warmup` requests (not measured), then the rest for up to `seconds`:
    as fast as they are answered, or at `rate` a second over the `senders` connections."""
    host, port = require_loopback(target)
    load = Load(senders=senders, paced=rate or 0.0)
    warm_requests: Sequence[bytes]
    if cycle:  # the warm-up may reuse requests, and the measurement starts over
        warm_requests = [requests[i % len(requests)] for i in range(warmup)]
        measured = requests
    else:
        warm_requests, measured = requests[:warmup], requests[warmup:]
    if warm_requests:
        warm = Cursor(warm_requests, cycle=False)
        tally, elapsed = await _phase(host, port, warm, warmup_senders, seconds=120.0)
        load.warmup_sent = sum(tally.statuses.values()) + sum(tally.errors.values())
        load.warmup_ok = sum(n for s, n in tally.statuses.items() if 200 <= s < 300)
        load.warmup_seconds = round(elapsed, 3)
    cpu_before = _cpu()
    cursor = Cursor(measured, cycle)
    tally, elapsed = await _phase(host, port, cursor, senders, seconds, rate)
    load.client_cpu_seconds = round(_cpu() - cpu_before, 3)
    latencies = sorted(tally.latencies)
    load.sent = len(latencies) + sum(tally.errors.values())
    load.ok = sum(n for s, n in tally.statuses.items() if 200 <= s < 300)
    load.seconds = round(elapsed, 3)
    load.rate = round(load.ok / elapsed, 1) if elapsed > 0 else 0.0
    load.p50_ms = round(percentile(latencies, 0.50) * 1000, 2)
    load.p99_ms = round(percentile(latencies, 0.99) * 1000, 2)
    load.max_ms = round((latencies[-1] if latencies else 0.0) * 1000, 2)
    load.statuses = {str(s): n for s, n in sorted(tally.statuses.items())}
    load.errors = dict(tally.errors)
    load.exhausted = cursor.exhausted
    return load


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def send_once(target: str, raw: bytes) -> int:
    """One request on a fresh connection; its status."""
    host, port = require_loopback(target)
    connection = Connection(host, port)
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            return await connection.exchange(raw)
    finally:
        connection.close()


# Running it as a separate process -----------------------------------------------------------


async def run_process(
    target: str,
    requests_file: Path,
    *,
    senders: int,
    seconds: float,
    cycle: bool = False,
    warmup: int = 0,
    skip: int = 0,
    limit: int | None = None,
    rate: float | None = None,
) -> Load:
    """Run the load generator in a child process (it must not share a core's time with the
    bench's own servers) and read its result. It uses requests `skip` to `skip + limit` of
    the file."""
    args = [
        sys.executable,
        "-m",
        "bench.loadgen",
        "--target",
        target,
        "--requests",
        str(requests_file),
        "--senders",
        str(senders),
        "--seconds",
        str(seconds),
        "--warmup",
        str(warmup),
        "--skip",
        str(skip),
    ]
    args += ["--cycle"] if cycle else []
    args += ["--limit", str(limit)] if limit is not None else []
    args += ["--rate", str(rate)] if rate else []
    process = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean_environment(),
        cwd=PROJECT,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), seconds + 240)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise RuntimeError("the load generator did not finish in time") from None
    if process.returncode != 0:
        raise RuntimeError(f"the load generator failed: {err.decode(errors='replace')[-2000:]}")
    return Load(**json.loads(out))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen", description=__doc__)
    parser.add_argument("--target", required=True, help="http URL whose host:port to load")
    parser.add_argument("--requests", required=True, type=Path, help="file of built requests")
    parser.add_argument("--senders", type=int, default=64, help="concurrent connections")
    parser.add_argument("--seconds", type=float, default=10.0, help="measured duration")
    parser.add_argument("--warmup", type=int, default=0, help="first N requests, not measured")
    parser.add_argument("--cycle", action="store_true", help="reuse requests when all are sent")
    parser.add_argument("--skip", type=int, default=0, help="leave out the file's first N")
    parser.add_argument("--limit", type=int, help="use at most N requests of the file")
    parser.add_argument("--rate", type=float, help="send at this many requests a second")
    args = parser.parse_args(argv)
    requests = read_requests(args.requests)[args.skip :]
    if args.limit is not None:
        requests = requests[: args.limit]
    load = asyncio.run(
        generate(
            args.target,
            requests,
            senders=args.senders,
            seconds=args.seconds,
            cycle=args.cycle,
            warmup=args.warmup,
            rate=args.rate,
        )
    )
    print(json.dumps(asdict(load)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
