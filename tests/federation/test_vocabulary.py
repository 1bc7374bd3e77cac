"""Cove's context and vocabulary: every context term is defined, and the vocabulary is served
at its namespace URL as Turtle or JSON-LD, the same graph either way."""

from __future__ import annotations

import rdflib
from pyld import jsonld
from rdflib.compare import isomorphic
from rdflib.namespace import OWL, RDF

from federation.jsonld import offline_loader
from federation.vocabulary import cove_context, cove_context_document, vocabulary_graph
from tests.conftest import ServedNode

VOCAB_URL = "https://node.example/ns"


def defined_terms(vocabulary_url: str) -> set[str]:
    graph = vocabulary_graph(vocabulary_url)
    return {str(s) for s in graph.subjects(RDF.type, RDF.Property)} | {
        str(s) for s in graph.subjects(RDF.type, OWL.Class)
    }


def test_every_term_of_coves_context_is_defined_in_the_vocabulary() -> None:
    context = cove_context(VOCAB_URL)
    terms = [t for t, v in context.items() if not (isinstance(v, str) and v.endswith(("#", "/")))]
    assert terms, "the context defines no terms"
    # Expand each term through the real context (pyld, offline) to the IRI it stands for.
    loader = offline_loader()
    defined = defined_terms(VOCAB_URL)
    for term in terms:
        expanded = jsonld.expand(
            {"@context": context, term: "x" if term != "membersOnly" else True},
            {"documentLoader": loader},
        )
        (iri,) = [k for k in expanded[0] if k.startswith("http")]
        assert iri in defined, f"{term} -> {iri} is not defined in the vocabulary"


def test_the_check_would_catch_an_undefined_term() -> None:
    assert f"{VOCAB_URL}#notATerm" not in defined_terms(VOCAB_URL)
    assert f"{VOCAB_URL}#postingPolicy" in defined_terms(VOCAB_URL)


def test_documents_are_bound_to_the_nodes_own_namespace() -> None:
    assert cove_context_document(VOCAB_URL)["@context"]["cove"] == f"{VOCAB_URL}#"
    assert "cove.invalid" not in vocabulary_graph(VOCAB_URL).serialize(format="turtle")


async def test_vocabulary_is_served_as_turtle_and_json_ld(served: ServedNode) -> None:
    url = served.urls.vocabulary()
    graphs = {}
    for accept, media, fmt in [
        ("text/turtle", "text/turtle", "turtle"),
        ("application/ld+json", "application/ld+json", "json-ld"),
    ]:
        async with served.client.get(url, headers={"Accept": accept}) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith(media)
            assert "Accept" in r.headers["Vary"]
            body = await r.text()
        graphs[fmt] = rdflib.Graph().parse(data=body, format=fmt, publicID=url)
    assert len(graphs["turtle"]) > 0
    assert isomorphic(graphs["turtle"], graphs["json-ld"])
    namespace = rdflib.Namespace(f"{url}#")
    assert (namespace.postingPolicy, RDF.type, RDF.Property) in graphs["turtle"]
    assert (rdflib.URIRef(url), RDF.type, OWL.Ontology) in graphs["turtle"]


async def test_vocabulary_refuses_what_it_cannot_serve(served: ServedNode) -> None:
    async with served.client.get(served.urls.vocabulary(), headers={"Accept": "image/png"}) as r:
        assert r.status == 406
        assert "text/turtle" in (await r.json())["error"]
