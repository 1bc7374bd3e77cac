"""Optional profiles of the node under load: py-spy attached to its pid while a measurement runs,
the raw stacks kept, and a summary of where the samples fell (functions and packages)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import signal
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLES_PER_SECOND = 100
STOP_TIMEOUT = 30.0
_FRAME = re.compile(r"^(?P<name>.*) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")
# py-spy names files by their path below sys.path ("sqlalchemy/orm/session.py"): the first
# part is the package. Frames run in a greenlet (SQLAlchemy's async bridge) start their own
# stacks, so "with callees" undercounts the callers of database work.
_BUCKETS = {
    "sqlalchemy": "sqlalchemy",
    "sqlmodel": "sqlmodel",
    "aiosqlite": "aiosqlite",
    "asyncpg": "asyncpg",
    "aiohttp": "aiohttp",
    "multidict": "aiohttp",
    "yarl": "aiohttp",
    "cryptography": "cryptography",
    "pyld": "pyld",
    "node": "cove node/",
    "federation": "cove federation/",
    "logging": "stdlib logging",
    "json": "stdlib json",
    "asyncio": "stdlib asyncio",
    "selectors.py": "stdlib asyncio",
    "threading.py": "stdlib threading",
}


def py_spy() -> str | None:
    found = shutil.which("py-spy")
    if found:
        return found
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else None


class Profiler:
    """py-spy recording one process until stopped (`async with`)."""

    def __init__(self, pid: int, output: Path) -> None:
        self.pid = pid
        self.output = output
        self._process: asyncio.subprocess.Process | None = None
        self.problem: str | None = None

    async def __aenter__(self) -> Profiler:
        tool = py_spy()
        if tool is None:
            self.problem = "py-spy is not installed (pip install py-spy)"
            return self
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._process = await asyncio.create_subprocess_exec(
            tool,
            "record",
            "--pid",
            str(self.pid),
            "--rate",
            str(SAMPLES_PER_SECOND),
            "--format",
            "raw",
            "--gil",  # only the thread holding the GIL: where the process's Python CPU goes
            "--output",
            str(self.output),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            _, err = await asyncio.wait_for(process.communicate(), STOP_TIMEOUT)
        except TimeoutError:
            process.kill()
            await process.wait()
            self.problem = "py-spy did not stop in time"
            return
        if not self.output.exists():
            self.problem = f"py-spy wrote nothing: {err.decode(errors='replace')[-500:]}"


@dataclass
class Summary:
    samples: int = 0
    own: list[tuple[str, float]] = field(default_factory=list)  # function, % of samples
    total: list[tuple[str, float]] = field(default_factory=list)
    packages: list[tuple[str, float]] = field(default_factory=list)  # by leaf frame
    # Each sample charged to the innermost Cove function on its stack (library time to the
    # Cove code that called it); SQLAlchemy work run in a greenlet has no Cove frame.
    cove: list[tuple[str, float]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "samples": self.samples,
            "own_percent": self.own,
            "total_percent": self.total,
            "package_percent": self.packages,
            "innermost_cove_percent": self.cove,
        }

    def text(self, top: int = 15) -> str:
        lines = [f"{self.samples} samples (py-spy --gil, {SAMPLES_PER_SECOND}/s: GIL holder only)"]
        lines.append("  own time (leaf frames):")
        lines += [f"    {pct:5.1f}%  {name}" for name, pct in self.own[:top]]
        lines.append("  with callees:")
        lines += [f"    {pct:5.1f}%  {name}" for name, pct in self.total[:top]]
        lines.append("  own time by package:")
        lines += [f"    {pct:5.1f}%  {name}" for name, pct in self.packages]
        lines.append("  charged to the innermost Cove function (with the library code it called):")
        lines += [f"    {pct:5.1f}%  {name}" for name, pct in self.cove[:top]]
        return "\n".join(lines)


def _function(frame: str) -> tuple[str, str]:
    match = _FRAME.match(frame.strip())
    if match is None:
        return frame.strip(), ""
    path = match.group("file")
    short = "/".join(path.split("/")[-2:])
    return f"{match.group('name')} ({short})", path


def _bucket(path: str) -> str:
    return _BUCKETS.get(path.lstrip("/").split("/", 1)[0], "other (stdlib, C)")


def summarise(raw: Path, top: int = 40) -> Summary:
    """Where the samples fell, from py-spy's raw (collapsed stacks) output."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    cove: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_function(f) for f in stack.split(";") if f]
        if not frames:
            continue
        samples += count
        leaf_name, leaf_path = frames[-1]
        own[leaf_name] += count
        packages[_bucket(leaf_path)] += count
        for name in {name for name, _ in frames}:
            total[name] += count
        cove[_innermost_cove(frames)] += count

    def percent(counter: Counter[str], limit: int) -> list[tuple[str, float]]:
        return [(k, round(100 * v / samples, 1)) for k, v in counter.most_common(limit)]

    if samples == 0:
        return Summary()
    return Summary(
        samples,
        percent(own, top),
        percent(total, top),
        percent(packages, 20),
        percent(cove, top),
    )


def _innermost_cove(frames: list[tuple[str, str]]) -> str:
    for name, path in reversed(frames):
        if _bucket(path).startswith("cove ") and "node/cli/" not in path:
            return name
    root = frames[0][0]
    if root.startswith(("Session.", "TransactionalContext", "Connection.")):
        return "(SQLAlchemy run in a greenlet: caller not on the stack)"
    return "(no Cove frame: event loop, aiohttp, threads)"


def write_summary(raw: Path) -> dict[str, Any]:
    """Summarise a recorded profile beside it (.summary.txt) and return the figures."""
    if not raw.exists():
        return {"problem": f"no profile at {raw}"}
    summary = summarise(raw)
    summary_path = raw.with_suffix(".summary.txt")
    summary_path.write_text(summary.text(25) + "\n")
    return {"raw": str(raw), "summary": str(summary_path), **summary.as_dict()}
