"""JSON-LD expansion with an offline document loader: contexts come from schemas/, never the net."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from pyld import jsonld

import schemas

DocumentLoader = Callable[[str, dict[str, Any]], dict[str, Any]]


class UnknownContext(Exception):
    """A document names a context we hold no local copy of; nothing is fetched."""


@lru_cache(maxsize=1)
def _preloaded() -> Mapping[str, Any]:
    return {url: json.loads(p.read_text("utf-8")) for url, p in schemas.context_files().items()}


def _normalise_url(url: str) -> str:
    # Peers spell the same context with and without a trailing slash or fragment, and over http.
    url = url.split("#", 1)[0]
    if url.startswith("http://"):
        url = "https://" + url[len("http://") :]
    return url.rstrip("/")


def offline_loader(extra: Mapping[str, Any] | None = None) -> DocumentLoader:
    """A pyld document loader over the local copies (plus `extra`, e.g. this node's context)."""
    known: dict[str, Any] = {}
    for url, document in {**_preloaded(), **(extra or {})}.items():
        known[_normalise_url(url)] = document

    def load(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        document = known.get(_normalise_url(url))
        if document is None:
            raise UnknownContext(f"no local copy of JSON-LD context {url}")
        return {"contextUrl": None, "documentUrl": url, "document": document}

    return load


def expand(document: Mapping[str, Any], loader: DocumentLoader) -> list[dict[str, Any]]:
    """Expand a document with pyld using only the given loader."""
    result: list[dict[str, Any]] = jsonld.expand(dict(document), {"documentLoader": loader})
    return result
