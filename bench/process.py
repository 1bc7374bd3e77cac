"""Child processes of a bench run: started with their output in a log file, awaited until their
port answers, and stopped by their own pid (SIGINT first, as Ctrl-C stops `cove serve`)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
READY_TIMEOUT = 60.0
READY_STEP = 0.05
STOP_TIMEOUT = 20.0


class ChildFailed(Exception):
    """A child process exited or never answered; the message carries the end of its log."""


def clean_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without any COVE_ override the caller may have set, plus
    `extra`: a node under test is configured by the bench alone. Children find `bench` (which
    is not installed) from the project folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVE_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


class Child:
    """One child process, its log file, and the port it serves on (if any)."""

    def __init__(self, name: str, process: asyncio.subprocess.Process, log: Path) -> None:
        self.name = name
        self.process = process
        self.log = log

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def start(
        cls, name: str, args: Sequence[str], log: Path, env: Mapping[str, str], cwd: Path
    ) -> Child:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env=dict(env),
                cwd=cwd,
            )
        return cls(name, process, log)

    async def wait_port(self, host: str, port: int, within: float = READY_TIMEOUT) -> None:
        """Wait until the port accepts a connection, or fail with the log's last lines."""
        deadline = time.monotonic() + within
        for _ in range(int(within / READY_STEP) + 1):
            if time.monotonic() >= deadline:
                break
            if self.process.returncode is not None:
                raise ChildFailed(
                    f"{self.name} exited ({self.process.returncode}):\n{self._tail()}"
                )
            with contextlib.suppress(OSError):
                _, writer = await asyncio.open_connection(host, port)
                writer.close()
                await writer.wait_closed()
                return
            await asyncio.sleep(READY_STEP)
        raise ChildFailed(f"{self.name} did not listen on {host}:{port} in {within:.0f} s")

    async def stop(self) -> int | None:
        """SIGINT, then SIGKILL if it does not end in time; the exit status."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        return self.process.returncode

    def _tail(self) -> str:
        return log_tail(self.log)


async def run_to_end(
    name: str, args: Sequence[str], log: Path, env: Mapping[str, str], cwd: Path, within: float
) -> bytes:
    """Run a command to its end and return its stdout; ChildFailed on a non-zero exit."""
    process = await asyncio.create_subprocess_exec(
        *args,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=dict(env),
        cwd=cwd,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise ChildFailed(f"{name} took longer than {within:.0f} s") from None
    with log.open("ab") as f:
        f.write(b"$ " + " ".join(args).encode() + b"\n" + out + err)
    if process.returncode != 0:
        raise ChildFailed(f"{name} exited {process.returncode}: {err.decode(errors='replace')}")
    return out


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]
