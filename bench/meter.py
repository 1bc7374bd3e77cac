"""What a process costs while a scenario runs, read from /proc: its peak resident memory (the
kernel's high-water mark VmHWM, and the highest VmRSS sampled) and its CPU seconds."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
from types import TracebackType

TICKS = os.sysconf("SC_CLK_TCK")
MAX_SAMPLING_SECONDS = 3600.0


def _status_kib(pid: int, field: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of the process so far."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


class ProcessMeter:
    """Samples a process's RSS every `interval` seconds while in use (`async with`)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_rss_kib = 0
        self.high_water_kib = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ProcessMeter:
        self.sample()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.sample()

    def sample(self) -> None:
        rss = _status_kib(self.pid, "VmRSS")
        hwm = _status_kib(self.pid, "VmHWM")
        if rss is not None:
            self.peak_rss_kib = max(self.peak_rss_kib, rss)
        if hwm is not None:
            self.high_water_kib = max(self.high_water_kib, hwm)

    @property
    def peak_mib(self) -> float:
        return max(self.peak_rss_kib, self.high_water_kib) / 1024

    async def _run(self) -> None:
        # Cancelled when the meter is left; bounded anyway, to an hour of samples.
        for _ in range(int(MAX_SAMPLING_SECONDS / self.interval)):
            await asyncio.sleep(self.interval)
            self.sample()


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent running processes since boot (/proc/stat: user,
    nice, system; interrupt time, loopback networking's included, is left out)."""
    try:
        with open("/proc/stat") as f:
            fields = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0
    return (fields[0] + fields[1] + fields[2]) / TICKS


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def database_backends(database: str) -> dict[int, float]:
    """CPU seconds of the PostgreSQL backends serving `database` (found by process title)."""
    found: dict[int, float] = {}
    marker = f" {database} ".encode()
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                title = f.read(300)
        except OSError:
            continue
        if title.startswith(b"postgres:") and marker in title:
            seconds = cpu_seconds(int(entry.name))
            if seconds is not None:
                found[int(entry.name)] = seconds
    return found


class CpuWindow:
    """CPU a process spends between `start()` and `stop()` (as a share of one core), beside
    the whole machine's, this bench process's and the node's PostgreSQL backends': what is
    left is other work on the machine, which makes the figures pessimistic."""

    def __init__(self, pid: int, database: str | None = None) -> None:
        self.pid = pid
        self.database = database
        self._start = (0.0, 0.0, 0.0, 0.0)
        self._backends: dict[int, float] = {}
        self.cpu = 0.0
        self.wall = 0.0
        self.machine = 0.0
        self.bench = 0.0
        self.postgres = 0.0

    def _now(self) -> tuple[float, float, float, float]:
        return (
            cpu_seconds(self.pid) or 0.0,
            asyncio.get_running_loop().time(),
            machine_busy_seconds(),
            own_cpu_seconds(),
        )

    def start(self) -> None:
        self._start = self._now()
        self._backends = database_backends(self.database) if self.database else {}

    def stop(self) -> None:
        end = self._now()
        self.cpu, self.wall, self.machine, self.bench = (
            b - a for a, b in zip(self._start, end, strict=True)
        )
        if self.database:
            now = database_backends(self.database)
            self.postgres = sum(v - self._backends.get(pid, 0.0) for pid, v in now.items())

    @property
    def core_share(self) -> float:
        return self.cpu / self.wall if self.wall > 0 else 0.0

    @property
    def postgres_cores(self) -> float:
        return self.postgres / self.wall if self.wall > 0 else 0.0

    def background_cores(self, client_cpu: float = 0.0) -> float:
        """Cores busy with none of: the node, its PostgreSQL backends, this process, the load
        generator."""
        if self.wall <= 0:
            return 0.0
        ours = self.cpu + self.postgres + self.bench + client_cpu
        return max(0.0, (self.machine - ours) / self.wall)
