"""The figures of a bench run: one row per scenario and database, printed as a table (result,
ceiling, ratio, peak RSS, target) and written as JSON under bench/results/."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
RSS_TARGET_MIB = 250.0
BACKGROUND_WARNING = 0.2  # cores busy with processes not of the bench


@dataclass
class Figure:
    """One scenario on one database: its headline figure, the ceiling measured beside it."""

    scenario: str
    database: str
    result: str  # for people: "1,234 accepted/s, p50 20 ms, p99 90 ms"
    value: float | None  # the headline number, in `unit`
    unit: str
    ceiling: str  # for people: "bare aiohttp 24,000 req/s"
    ratio: float | None  # result / ceiling, both read as "higher is better"
    peak_rss_mib: float | None
    target: str
    met: bool | None  # None: no target, or the scenario failed
    details: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None

    @classmethod
    def failed(cls, scenario: str, database: str, target: str, reason: str) -> Figure:
        return cls(scenario, database, "FAILED", None, "", "", None, None, target, None, {}, reason)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table(figures: Sequence[Figure]) -> str:
    headers = [
        "SCENARIO",
        "DB",
        "RESULT",
        "CEILING (same run)",
        "RATIO",
        "PEAK RSS",
        "TARGET",
        "MET",
    ]
    rows = [
        [
            f.scenario,
            f.database,
            f.result,
            f.ceiling or "-",
            _cell(f.ratio),
            f"{f.peak_rss_mib:.0f} MiB" if f.peak_rss_mib is not None else "-",
            f.target,
            _cell(f.met),
        ]
        for f in figures
    ]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    failures = [f"  {f.scenario} on {f.database}: {f.failure}" for f in figures if f.failure]
    if failures:
        lines += ["", "failures:", *failures]
    busy = [float(f.details.get("background_cores") or 0.0) for f in figures]
    if busy and max(busy) >= BACKGROUND_WARNING:
        lines.append(
            f"\nother processes kept up to {max(busy):.1f} of {os.cpu_count()} cores busy during"
            " the measurements: the figures are pessimistic (details: background_cores)"
        )
    rss = [f.peak_rss_mib for f in figures if f.peak_rss_mib is not None]
    if rss:
        verdict = "met" if max(rss) <= RSS_TARGET_MIB else "NOT met"
        lines.append(
            f"\nnode RSS <= {RSS_TARGET_MIB:.0f} MiB throughout: {verdict} "
            f"(highest {max(rss):.0f} MiB)"
        )
    return "\n".join(lines)


def _git(*args: str) -> str | None:
    try:
        found = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=5, cwd=RESULTS.parent
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return found.stdout if found.returncode == 0 else None


def _uncommitted() -> list[str]:
    """Files of Cove (not the bench) changed since the commit measured."""
    status = _git("status", "--porcelain", "--untracked-files=no") or ""
    return [line[3:] for line in status.splitlines() if not line[3:].startswith("bench/")]


def machine() -> dict[str, Any]:
    import aiohttp
    import sqlalchemy

    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cove_commit": (_git("rev-parse", "--short", "HEAD") or "").strip() or None,
        "cove_uncommitted": _uncommitted(),
        "python": platform.python_version(),
        "aiohttp": aiohttp.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def write_json(path: Path, figures: Sequence[Figure], extra: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine(), **extra, "figures": [asdict(f) for f in figures]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
