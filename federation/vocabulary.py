"""Context URLs, Cove's own JSON-LD context and vocabulary (Turtle via rdflib), and date format."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import rdflib

import schemas

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
SECURITY_CONTEXT = "https://w3id.org/security/v1"
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"

# The vocabulary documents in schemas/cove/ are written against this placeholder URL. Each node
# is authoritative for its own copy and serves it at its vocabulary URL (<base_url>/ns, the
# namespace being that URL plus "#"), so the placeholder is replaced when a document is loaded.
PLACEHOLDER_VOCABULARY_URL = "https://cove.invalid/ns"


def iso8601(moment: datetime) -> str:
    """xsd:dateTime in UTC with a Z, to the second, as Mastodon and Lemmy write it."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _read_for(name: str, vocabulary_url: str) -> str:
    text = schemas.path("cove", name).read_text(encoding="utf-8")
    return text.replace(PLACEHOLDER_VOCABULARY_URL, vocabulary_url)


@lru_cache(maxsize=8)
def _context_text(vocabulary_url: str) -> str:
    return _read_for("context.jsonld", vocabulary_url)


def cove_context(vocabulary_url: str) -> dict[str, Any]:
    """The term definitions of Cove's context (the inner object of its @context)."""
    context: dict[str, Any] = json.loads(_context_text(vocabulary_url))["@context"]
    return context


def cove_context_document(vocabulary_url: str) -> dict[str, Any]:
    """Cove's whole JSON-LD context document, as served at the namespace URL."""
    document: dict[str, Any] = json.loads(_context_text(vocabulary_url))
    return document


@lru_cache(maxsize=8)
def vocabulary_graph(vocabulary_url: str) -> rdflib.Graph:
    """Cove's vocabulary as an RDF graph (classes and properties with labels and comments)."""
    graph = rdflib.Graph()
    graph.parse(data=_read_for("vocab.ttl", vocabulary_url), format="turtle")
    return graph


@lru_cache(maxsize=16)
def vocabulary_serialized(vocabulary_url: str, rdf_format: str) -> str:
    """The vocabulary serialised as "turtle" or "json-ld"."""
    graph = vocabulary_graph(vocabulary_url)
    if rdf_format == "json-ld":
        return graph.serialize(format="json-ld", context=cove_context(vocabulary_url), indent=2)
    return graph.serialize(format="turtle")
