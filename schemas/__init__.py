"""Documents the node reads: offline JSON-LD contexts, Cove's context and vocabulary, schemas."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """The path of a document shipped in schemas/."""
    return ROOT.joinpath(*parts)


def context_files() -> dict[str, Path]:
    """Context URL -> local copy, from schemas/contexts/index.json."""
    index: dict[str, str] = json.loads(path("contexts", "index.json").read_text("utf-8"))
    return {url: path("contexts", name) for url, name in index.items()}
