"""JSON-LD normalisation of inbound documents: spot those whose @context redefines a standard
term, and re-compact only those with pyld against the reader context, offline.

pyld costs about 2.5 ms a document (DESIGN.md), so it stays off the hot path: a document is read
as it is when every context it names is one we hold locally and no context gives a standard term
(an ActivityStreams term, or one of the few extension terms our readers use) another meaning.
Measured on the 102 documents in ../shared/fixtures/wire: none needs pyld; 7 are refused because
they name a context we hold no copy of (Pleroma's per-instance litepub-0.1.jsonld, Mbin's
per-instance /contexts), and every other one is read directly. The check itself costs about
25 µs for a Mastodon actor or Create, since the few contexts peers send are processed once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pyld import jsonld

from federation.errors import Invalid
from federation.jsonld import DocumentLoader, UnknownContext, offline_loader
from federation.vocabulary import AS_CONTEXT, SECURITY_CONTEXT

# Terms outside the ActivityStreams context that our readers read, each with the IRI its home
# vocabulary gives it: Mastodon's toot:, Lemmy's lemmy:, LitePub's ChatMessage (Pleroma), the
# as: terms ActivityStreams uses but never added to its context, and the three security terms
# of an actor's key. Full IRIs, not prefixes, so compaction writes no new CURIEs into ids.
READER_EXTENSIONS: Mapping[str, Any] = {
    "sensitive": "https://www.w3.org/ns/activitystreams#sensitive",
    "manuallyApprovesFollowers": "https://www.w3.org/ns/activitystreams#manuallyApprovesFollowers",
    "Hashtag": "https://www.w3.org/ns/activitystreams#Hashtag",
    "featured": {"@id": "http://joinmastodon.org/ns#featured", "@type": "@id"},
    "discoverable": "http://joinmastodon.org/ns#discoverable",
    "postingRestrictedToMods": "https://join-lemmy.org/ns#postingRestrictedToMods",
    "moderators": {"@id": "https://join-lemmy.org/ns#moderators", "@type": "@id"},
    "ChatMessage": "http://litepub.social/ns#ChatMessage",
    "publicKey": {"@id": "https://w3id.org/security#publicKey", "@type": "@id"},
    "publicKeyPem": "https://w3id.org/security#publicKeyPem",
    "owner": {"@id": "https://w3id.org/security#owner", "@type": "@id"},
}

# Terms we read that no context defines: Lemmy sends "type": "Lock" with no definition in its
# own context. A context that does define one of them means something else by it.
READER_UNDEFINED = frozenset({"Lock", "Resolve", "Warn"})

# What the readers in federation.readers expect term names to mean.
READER_CONTEXT: tuple[str | Mapping[str, Any], ...] = (
    AS_CONTEXT,
    SECURITY_CONTEXT,
    READER_EXTENSIONS,
)

# Deeper than any real document (Mastodon's featured collection reaches 7); bounds the walk
# here and keeps pyld, which recurses per level, far from Python's recursion limit.
MAX_NESTING = 32
# Contexts that include contexts (Lemmy's includes security/v1) or define terms by other terms.
_MAX_CONTEXT_DEPTH = 8

Terms = Mapping[str, str | None]  # term -> IRI or keyword; None: explicitly undefined


def quoted(text: str, limit: int = 80) -> str:
    """A peer's string, shortened and escaped so a refusal reason stays one short line."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


@dataclass(frozen=True, slots=True)
class _Applied:
    terms: Terms  # the definitions in force after a context
    defined: Terms  # what the context itself defines, with the contexts it names


def needs_normalising(doc: Mapping[str, Any], nested_contexts: bool = True) -> bool:
    """True when a @context anywhere in `doc` gives a standard term another meaning.

    A context URL we hold no local copy of is never fetched and counts as adding terms only.
    Raises Invalid when a context is malformed or the document nests deeper than MAX_NESTING.
    `nested_contexts=False` (what `check_nesting` found) spares the walk: only the document's
    own @context is read.
    """
    if not nested_contexts:
        return "@context" in doc and _context_at({}, doc["@context"])[1]
    # Every context is looked at, even after a redefinition is found: a malformed one must be
    # refused here rather than trip pyld, and so must a document nested too deeply.
    redefinitions = list(_contexts(doc))
    return any(redefinitions)


def check_nesting(doc: Mapping[str, Any]) -> bool:
    """Invalid when the document nests deeper than MAX_NESTING: a cheap walk, no contexts
    read, so an inbox can refuse such a body before it knows who sent it. Whether an object
    below the top carries a @context of its own (see `needs_normalising`)."""
    nested = False
    stack: list[tuple[object, int]] = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_NESTING:
            raise Invalid(f"the document nests deeper than {MAX_NESTING} levels")
        if isinstance(value, dict):
            nested = nested or (depth > 0 and "@context" in value)
            children: Iterable[object] = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        stack.extend((v, depth + 1) for v in children if isinstance(v, dict | list))
    return nested


def normalise(doc: Mapping[str, Any]) -> dict[str, Any]:
    """`doc` expanded and compacted again against READER_CONTEXT, using only local contexts."""
    try:
        expanded = jsonld.expand(dict(doc), _options())
        compacted: dict[str, Any] = jsonld.compact(expanded, list(READER_CONTEXT), _options())
    except jsonld.JsonLdError as error:
        raise Invalid(_reason(error)) from error
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError) as error:
        # pyld is not hardened against hostile input: some malformed documents trip its
        # internals instead of raising JsonLdError.
        raise Invalid("the document is not valid JSON-LD") from error
    if "@graph" in compacted:
        raise Invalid("the document holds several top-level nodes")
    return compacted


def _options() -> dict[str, Any]:
    # base None keeps relative IRIs relative: Mastodon accepts a bare "Public" in `to`, and
    # pyld would otherwise resolve it against a made-up base (http://example.org/base/).
    return {"documentLoader": _loader(), "base": None}


@lru_cache(maxsize=1)
def _loader() -> DocumentLoader:
    return offline_loader()


def _reason(error: BaseException) -> str:
    cause: BaseException | None = error
    for _ in range(10):
        if cause is None:
            break
        if isinstance(cause, UnknownContext):
            # A context named inside a scoped term definition, which pyld loads itself.
            return " ".join(str(cause).split())[:200] + ", not fetched"
        cause = cause.__cause__
    code = getattr(error, "code", None) or getattr(error, "type", None) or "unknown error"
    return f"the document is not valid JSON-LD ({code})"


def _contexts(doc: Mapping[str, Any]) -> Iterator[bool]:
    """For each @context in `doc`, outermost first: does it redefine a standard term?"""
    stack: list[tuple[object, Terms, int]] = [(doc, {}, 0)]
    while stack:
        value, active, depth = stack.pop()
        if depth > MAX_NESTING:
            raise Invalid(f"the document nests deeper than {MAX_NESTING} levels")
        if isinstance(value, Mapping):
            if "@context" in value:
                active, redefined = _context_at(active, value["@context"])
                yield redefined
            children = [v for k, v in value.items() if k != "@context"]
        elif isinstance(value, list):
            children = value
        else:
            continue
        # Below the top, values are what json.loads makes: dict and list (a cheaper check).
        stack.extend((v, active, depth + 1) for v in children if isinstance(v, dict | list))


def _context_at(active: Terms, context: object) -> tuple[Terms, bool]:
    if active:  # a context inside an embedded object (lotide): rare, so not cached
        applied = _apply(active, context, 0)
        return applied.terms, _redefines(applied.defined)
    try:
        key = json.dumps(context, sort_keys=True)
    except (TypeError, ValueError) as error:
        raise Invalid("@context is not JSON") from error
    return _outermost_context(key)


@lru_cache(maxsize=256)
def _outermost_context(key: str) -> tuple[Terms, bool]:
    # Peers send the same few contexts with every document; process each once.
    applied = _apply({}, json.loads(key), 0)
    return applied.terms, _redefines(applied.defined)


def _redefines(defined: Terms) -> bool:
    standard = _standard_terms()
    return any(term in standard and standard[term] != iri for term, iri in defined.items())


def _apply(active: Terms, context: object, depth: int) -> _Applied:
    """The definitions in force after `context` is applied over `active`."""
    if depth > _MAX_CONTEXT_DEPTH:
        raise Invalid("JSON-LD contexts include each other too deeply")
    if context is None:
        return _Applied({}, {})  # null resets the active context
    if isinstance(context, str):
        known = _known_context(context, depth)
        return _Applied({**active, **known}, known)
    if isinstance(context, Mapping):
        defined = _definitions(active, context, depth)
        return _Applied({**active, **defined}, defined)
    if isinstance(context, list):
        merged: dict[str, str | None] = {}
        for entry in context:
            if isinstance(entry, list):
                raise Invalid("a @context list may hold only URLs and objects")
            applied = _apply(active, entry, depth)
            active = applied.terms
            merged.update(applied.defined)
        return _Applied(active, merged)
    raise Invalid("@context must be a URL, an object or a list of them")


@lru_cache(maxsize=64)
def _known_context(url: str, depth: int) -> Terms:
    try:
        document = _loader()(url, {})["document"]
    except UnknownContext:
        # Pleroma and Mbin name per-instance contexts (<host>/schemas/litepub-0.1.jsonld,
        # <host>/contexts) that only add terms of their own. Like Mastodon and Lemmy, read
        # such a document by its term names rather than refuse it; it is never fetched. Only
        # when the document also redefines a standard term inline (so pyld must run) does the
        # missing copy make it unreadable.
        return {}
    return _apply({}, document.get("@context"), depth + 1).terms


def _definitions(active: Terms, context: Mapping[str, Any], depth: int) -> dict[str, str | None]:
    """The terms an inline context object defines, each as the IRI it stands for."""
    defined: dict[str, str | None] = {}
    imported = context.get("@import")
    if imported is not None:
        if not isinstance(imported, str):
            raise Invalid("@import must be a URL")
        defined.update(_known_context(imported, depth))
        active = {**active, **defined}
    for term, definition in context.items():
        if isinstance(term, str) and not term.startswith("@"):
            # Keywords (@vocab, @language, @base...) name no term.
            defined[term] = _meaning(term, definition, context, active, 0)
    return defined


def _meaning(
    term: str, definition: object, local: Mapping[str, Any], active: Terms, depth: int
) -> str | None:
    """The IRI a definition gives `term`. We compare what a term means, not how its values are
    written: a peer that leaves @type:@id off `actor` still means the actor, and compacted-JSON
    readers (Mastodon, Lemmy) read it so."""
    if depth > _MAX_CONTEXT_DEPTH:
        raise Invalid(f"the definition of {quoted(term)} refers to itself")
    if definition is None:
        return None
    if isinstance(definition, str):
        return _expand(definition, local, active, depth)
    if not isinstance(definition, Mapping):
        raise Invalid(f"the definition of {quoted(term)} must be a string, an object or null")
    if "@reverse" in definition or "@context" in definition:
        return "@reverse/@context"  # a reversed or scoped term means something else
    if "@id" not in definition and ":" not in term:
        return "@vocab"  # the term now stands for whatever @vocab makes of it
    iri = definition.get("@id", term)
    if iri is None:
        return None
    if not isinstance(iri, str):
        raise Invalid(f"the @id of {quoted(term)} must be a string")
    return _expand(iri, local, active, depth)


def _expand(value: str, local: Mapping[str, Any], active: Terms, depth: int) -> str | None:
    """An IRI, keyword, compact IRI (prefix:suffix) or term name, as an absolute IRI."""
    if value.startswith("@"):
        return value
    prefix, colon, suffix = value.partition(":")
    if not colon:
        return _lookup(value, local, active, depth) or value
    if suffix.startswith("//") or prefix == "_":
        return value  # already absolute, or a blank node
    base = _lookup(prefix, local, active, depth)
    return base + suffix if base and not base.startswith("@") else value


def _lookup(name: str, local: Mapping[str, Any], active: Terms, depth: int) -> str | None:
    if name in local:
        return _meaning(name, local[name], local, active, depth + 1)
    return active.get(name)


@lru_cache(maxsize=1)
def _standard_terms() -> Terms:
    """Terms readers rely on: every term of the ActivityStreams context, READER_EXTENSIONS and
    READER_UNDEFINED. The rest of security/v1 is left out: Lemmy's context redefines `expires`."""
    activitystreams = _apply({}, AS_CONTEXT, 0).terms
    extensions = _apply(activitystreams, dict(READER_EXTENSIONS), 0).defined
    return {**activitystreams, **extensions, **dict.fromkeys(READER_UNDEFINED, "@undefined")}
