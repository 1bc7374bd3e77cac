"""The offline JSON-LD loader: every shipped context resolves locally, nothing is fetched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pyld import jsonld

import schemas
from federation.jsonld import UnknownContext, expand, offline_loader
from tests.support.wire_samples import sample_sets


def test_every_context_in_the_index_loads_from_its_local_copy() -> None:
    loader = offline_loader()
    for url in schemas.context_files():
        document = loader(url, {})["document"]
        assert "@context" in document, url


def test_spelling_variants_of_a_context_url_resolve() -> None:
    loader = offline_loader()
    loader("http://www.w3.org/ns/activitystreams", {})
    loader("https://www.w3.org/ns/activitystreams#", {})
    loader("https://w3id.org/security/v1/", {})


def test_an_unknown_context_is_refused_not_fetched() -> None:
    with pytest.raises(UnknownContext, match="no local copy"):
        offline_loader()("https://evil.example/context.jsonld", {})


def test_a_mastodon_style_actor_expands_offline() -> None:
    doc = {
        "@context": [
            "https://www.w3.org/ns/activitystreams",
            "https://w3id.org/security/v1",
            {"toot": "http://joinmastodon.org/ns#", "discoverable": "toot:discoverable"},
        ],
        "id": "https://m.example/users/a",
        "type": "Person",
        "discoverable": True,
        "publicKey": {
            "id": "https://m.example/users/a#main-key",
            "owner": "https://m.example/users/a",
            "publicKeyPem": "PEM",
        },
    }
    (expanded,) = expand(doc, offline_loader())
    assert expanded["@type"] == ["https://www.w3.org/ns/activitystreams#Person"]
    assert "http://joinmastodon.org/ns#discoverable" in expanded
    assert "https://w3id.org/security#publicKey" in expanded


def root_cause(error: BaseException) -> BaseException:
    seen = 0
    while seen < 20:
        inner = error.__cause__ or getattr(error, "cause", None)
        if not isinstance(inner, BaseException):
            return error
        error, seen = inner, seen + 1
    return error


@pytest.mark.parametrize("samples", sample_sets())
def test_real_peer_documents_expand_offline_or_name_the_missing_context(samples: Path) -> None:
    loader = offline_loader()
    expanded = refused = 0
    for path in sorted(samples.rglob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        try:
            expand(document, loader)
            expanded += 1
        except jsonld.JsonLdError as e:
            # The only acceptable failure: a context we hold no copy of, which was not fetched.
            assert isinstance(root_cause(e), UnknownContext), (path.name, e)
            refused += 1
    assert expanded > 0
