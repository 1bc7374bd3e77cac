"""ActivityStreams actor documents (Group, Person, Application) built from typed values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from federation.vocabulary import AS_CONTEXT, SECURITY_CONTEXT, iso8601

ActorType = Literal["Group", "Person", "Application"]

# Terms from other vocabularies that peers read on actors (federation-wire.md section 1):
# Lemmy's postingRestrictedToMods, Mastodon's discoverable/indexable/featured and profile
# fields (schema:PropertyValue, defined as Mastodon defines it), and the
# manuallyApprovesFollowers term that ActivityStreams uses but never added to its context.
PEER_TERMS: Mapping[str, Any] = {
    "lemmy": "https://join-lemmy.org/ns#",
    "toot": "http://joinmastodon.org/ns#",
    "schema": "http://schema.org#",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "postingRestrictedToMods": "lemmy:postingRestrictedToMods",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    # Not in the ActivityStreams context; Mastodon and WordPress define it so for `tag`.
    "Hashtag": "as:Hashtag",
    "webfinger": "https://purl.archive.org/socialweb/webfinger#webfinger",
}


@dataclass(frozen=True, slots=True)
class PublicKey:
    """The key other servers use to verify this actor's signatures."""

    id: str
    owner: str
    public_key_pem: str


# FEP-521a: keys for proofs (FEP-8b32) are Multikeys listed under assertionMethod.
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
ASSERTION_METHOD: Mapping[str, Any] = {
    "assertionMethod": {
        "@id": "https://w3id.org/security#assertionMethod",
        "@type": "@id",
        "@container": "@set",
    }
}


@dataclass(frozen=True, slots=True)
class AssertionKey:
    """The Ed25519 key that proves what this actor sends (object integrity proofs)."""

    id: str
    controller: str
    public_key_multibase: str


@dataclass(frozen=True, slots=True)
class Actor:
    """Everything an actor document says about a local actor."""

    id: str
    type: ActorType
    preferred_username: str
    name: str
    inbox: str
    outbox: str
    shared_inbox: str
    public_key: PublicKey
    url: str
    published: datetime
    webfinger: str
    summary_html: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    moderators: str | None = None
    manually_approves_followers: bool = False
    discoverable: bool = False
    indexable: bool = False
    posting_restricted_to_mods: bool | None = None
    assertion_key: AssertionKey | None = None
    # Terms of Cove's own vocabulary, already named as its context names them (with the
    # profile fields, `attachment`, that show a professional's credential to other software).
    extensions: Mapping[str, Any] = field(default_factory=dict)


def actor_document(actor: Actor, cove_context: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON-LD actor document, compacted, with every term its context defines."""
    doc: dict[str, Any] = {
        "@context": [
            AS_CONTEXT,
            SECURITY_CONTEXT,
            {**PEER_TERMS, **ASSERTION_METHOD, **cove_context},
            MULTIKEY_CONTEXT,
        ],
        "id": actor.id,
        "type": actor.type,
        "preferredUsername": actor.preferred_username,
        "name": actor.name,
        "url": actor.url,
        "inbox": actor.inbox,
        "outbox": actor.outbox,
    }
    if actor.summary_html:
        doc["summary"] = actor.summary_html
    for key, value in (
        ("followers", actor.followers),
        ("following", actor.following),
        ("featured", actor.featured),
        # FEP-1b12: a group's attributedTo names its moderators collection.
        ("attributedTo", actor.moderators),
    ):
        if value is not None:
            doc[key] = value
    doc["endpoints"] = {"sharedInbox": actor.shared_inbox}
    doc["publicKey"] = {
        "id": actor.public_key.id,
        "owner": actor.public_key.owner,
        "publicKeyPem": actor.public_key.public_key_pem,
    }
    if actor.assertion_key is not None:
        proof_key = actor.assertion_key
        doc["assertionMethod"] = [
            {
                "id": proof_key.id,
                "type": "Multikey",
                "controller": proof_key.controller,
                "publicKeyMultibase": proof_key.public_key_multibase,
            }
        ]
    doc["manuallyApprovesFollowers"] = actor.manually_approves_followers
    doc["discoverable"] = actor.discoverable
    doc["indexable"] = actor.indexable
    if actor.posting_restricted_to_mods is not None:
        doc["postingRestrictedToMods"] = actor.posting_restricted_to_mods
    doc["published"] = iso8601(actor.published)
    doc["webfinger"] = actor.webfinger
    doc.update(actor.extensions)
    return doc
