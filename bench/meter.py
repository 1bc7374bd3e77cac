"""What a process costs while a scenario runs, read from /proc: its peak resident memory (the
kernel's high-water mark VmHWM, and the highest VmRSS sampled) and its CPU seconds."""

from __future__ import annotations

import asyncio
import contextlib
import os
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


class CpuWindow:
    """CPU seconds a process spends between `start()` and `stop()`, and the share of one core."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._cpu0 = 0.0
        self._wall0 = 0.0
        self.cpu = 0.0
        self.wall = 0.0

    def start(self) -> None:
        self._cpu0 = cpu_seconds(self.pid) or 0.0
        self._wall0 = asyncio.get_running_loop().time()

    def stop(self) -> None:
        self.cpu = (cpu_seconds(self.pid) or self._cpu0) - self._cpu0
        self.wall = asyncio.get_running_loop().time() - self._wall0

    @property
    def core_share(self) -> float:
        return self.cpu / self.wall if self.wall > 0 else 0.0
