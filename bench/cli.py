"""The `cove` command's start-up: the median wall time of `cove --help` and of `cove group list`
against a throwaway SQLite node set up by `cove init`, over N runs each (target: under 0.5 s).

    python -m bench.cli [--runs 10]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.process import clean_environment

TARGET_SECONDS = 0.5


def cove_command() -> list[str]:
    """The installed `cove` script beside this interpreter (what people run), else the module."""
    script = Path(sys.executable).with_name("cove")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "node.cli.main"]


def wall_times(command: Sequence[str], runs: int, cwd: Path) -> list[float]:
    env = clean_environment()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--runs", type=int, default=10, help="runs of each command (default 10)")
    args = parser.parse_args(argv)
    cove = cove_command()
    with tempfile.TemporaryDirectory(prefix="cove-bench-cli-") as folder:
        workdir = Path(folder)
        config = str(workdir / "cove.toml")
        subprocess.run(
            [*cove, "--config", config, "init"],
            cwd=workdir,
            env=clean_environment(),
            check=True,
            capture_output=True,
        )
        cases = {
            "cove --help": [*cove, "--help"],
            "cove group list": [*cove, "--config", config, "group", "list"],
        }
        print(f"{'command':<18}{'median':>9}{'min':>9}{'max':>9}  ({args.runs} runs each)")
        for name, command in cases.items():
            times = wall_times(command, args.runs, workdir)
            median = statistics.median(times)
            verdict = "ok" if median < TARGET_SECONDS else f"over {TARGET_SECONDS} s"
            print(f"{name:<18}{median:>8.3f}s{min(times):>8.3f}s{max(times):>8.3f}s  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
