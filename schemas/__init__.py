"""Documents the node reads: offline JSON-LD contexts, Cove's context and vocabulary, schemas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """The path of a document shipped in schemas/."""
    return ROOT.joinpath(*parts)


def context_files() -> dict[str, Path]:
    """Context URL -> local copy, from schemas/contexts/index.json."""
    index: dict[str, str] = json.loads(path("contexts", "index.json").read_text("utf-8"))
    return {url: path("contexts", name) for url, name in index.items()}


def openapi_document() -> dict[str, Any]:
    """The OpenAPI description of the node's JSON API (a fresh copy: callers may change it)."""
    document: dict[str, Any] = json.loads(path("openapi", "cove-api.json").read_text("utf-8"))
    return document
