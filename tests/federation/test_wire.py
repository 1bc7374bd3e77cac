"""Reading inbound documents: real peers' output is read into typed values or refused with a
reason, documents that redefine terms are normalised first, and nothing else ever escapes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from federation.errors import Invalid
from federation.normalise import needs_normalising, normalise
from federation.properties import first_id
from federation.readers import MAX_DEPTH, SUPPORTED_TYPES, read_document
from federation.vocabulary import AS_CONTEXT, AS_PUBLIC, SECURITY_CONTEXT
from federation.wire import Activity, WireActor, WireCollection, WireObject
from tests.support.wire_samples import SAMPLES, sample_files, sample_sets


def fixture_paths(samples: Path) -> list[Path]:
    return sorted(samples.rglob("*.json"))


def fixture(name: str) -> dict[str, Any]:
    return document_at(SAMPLES / name)


def document_at(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return document


def refusal(doc: Any) -> str:
    with pytest.raises(Invalid) as caught:
        read_document(doc)
    return caught.value.reason


# Real peers' documents


@pytest.mark.parametrize("samples", sample_sets())
def test_every_peer_document_is_read_or_refused_with_a_one_line_reason(samples: Path) -> None:
    read, refused = [], {}
    for path in fixture_paths(samples):
        try:
            value = read_document(document_at(path))
        except Invalid as error:
            assert error.reason.strip() and "\n" not in error.reason, path
            refused[path.name] = error.reason
        else:
            assert isinstance(value, Activity | WireObject | WireActor | WireCollection)
            read.append(path)
    # The only refusals: types we do not take part in (Lemmy's Resolve and Warn), and contexts
    # we hold no copy of (Pleroma's and Mbin's per-instance context URLs), never fetched.
    for name, reason in refused.items():
        assert reason.startswith(("unsupported type", "unknown JSON-LD context")), (name, reason)
    assert len(read) >= 0.9 * (len(read) + len(refused)), refused


@pytest.mark.parametrize("samples", sample_sets())
def test_no_peer_document_needs_pyld(samples: Path) -> None:
    for path in fixture_paths(samples):
        try:
            assert not needs_normalising(document_at(path)), path
        except Invalid as error:
            assert "no local copy" in error.reason


@pytest.mark.parametrize("path", sample_files("lemmy/activities"))
def test_each_lemmy_activity_reads_as_its_type_with_its_actor(path: Path) -> None:
    doc = document_at(path)
    if doc["type"] not in SUPPORTED_TYPES:
        assert refusal(doc) == f"unsupported type {doc['type']!r}"
        return
    activity = read_document(doc)
    assert isinstance(activity, Activity)
    assert (activity.id, activity.type, activity.actor) == (doc["id"], doc["type"], doc["actor"])
    assert activity.object_id == first_id(doc["object"])
    assert activity.raw is doc


def test_a_mastodon_create_carries_a_note_with_its_author_and_mention() -> None:
    create = read_document(fixture("mastodon/activities/create_note.json"))
    assert isinstance(create, Activity) and create.type == "Create"
    note = create.object
    assert isinstance(note, WireObject) and note.type == "Note"
    assert note.attributed_to == "https://mastodon.example/users/ada"
    assert note.content is not None and note.content.startswith("<p>")
    assert note.mentions == ("https://cove.example/g/gardening",)
    assert note.is_public
    assert note.published == datetime(2024, 5, 3, 7, 21, 40, tzinfo=UTC)


def test_a_lemmy_announce_wraps_the_create_unchanged() -> None:
    doc = fixture("lemmy/activities/community/announce_create_page.json")
    announce = read_document(doc)
    assert isinstance(announce, Activity) and announce.type == "Announce"
    assert announce.actor == "https://beta.lemmy.example/c/gardening"
    create = announce.object
    assert isinstance(create, Activity) and create.type == "Create"
    assert create.raw == doc["object"]  # what FEP-1b12 forwards, byte for byte
    page = create.object
    assert isinstance(page, WireObject) and page.type == "Page" and page.name == "Seed swap in June"


def test_mastodon_and_mbin_flags_read_with_every_reported_object() -> None:
    mastodon = read_document(fixture("mastodon/activities/flag.json"))
    assert isinstance(mastodon, Activity) and mastodon.type == "Flag"
    assert mastodon.actor == "https://mastodon.example/actor"  # the instance actor
    assert mastodon.objects == (
        "https://cove.example/u/vera",
        "https://cove.example/posts/Zk3u9QmB",
        "https://cove.example/posts/Zk3uA1xR",
    )
    assert mastodon.content == "Spam: the same shop link under every post"
    mbin = read_document(fixture("mbin/activities/flag.json"))
    assert isinstance(mbin, Activity) and mbin.type == "Flag"
    assert mbin.objects == (
        "https://alpha.lemmy.example/post/1",
        "https://alpha.lemmy.example/u/rin",
    )
    assert mbin.audience == ("https://beta.lemmy.example/c/gardening",)


def test_a_lemmy_ban_names_the_group_as_target() -> None:
    block = read_document(fixture("lemmy/activities/block/block_user.json"))
    assert isinstance(block, Activity) and block.type == "Block"
    assert block.target == "https://beta.lemmy.example/c/gardening"
    assert block.summary == "seed shop adverts in every thread"


def test_lotide_addresses_given_as_single_strings_are_read() -> None:
    create = read_document(fixture("lotide/activities/create_page.json"))
    assert isinstance(create, Activity)
    assert create.to == ("https://lotide-two.example/communities/3",)
    assert create.cc == (AS_PUBLIC,)


def test_actor_documents_give_inboxes_keys_and_group_settings() -> None:
    person = read_document(fixture("mastodon/objects/person.json"))
    assert isinstance(person, WireActor) and person.type == "Person"
    assert person.shared_inbox == "https://mastodon.example/inbox"
    assert person.public_key is not None and person.public_key.owner == person.id
    assert person.public_key.pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert person.discoverable is False
    group = read_document(fixture("lemmy/objects/group.json"))
    assert isinstance(group, WireActor) and group.type == "Group"
    assert group.moderators == "https://beta.lemmy.example/c/gardening/moderators"
    assert group.posting_restricted_to_mods is False
    wordpress = read_document(fixture("wordpress/objects/group.json"))
    assert isinstance(wordpress, WireActor) and wordpress.posting_restricted_to_mods is True
    discourse = read_document(fixture("discourse/objects/person.json"))
    assert isinstance(discourse, WireActor)
    assert discourse.shared_inbox == "https://forum.example/ap/users/inbox"


def test_a_peertube_video_is_attributed_to_its_first_account() -> None:
    video = read_document(fixture("peertube/objects/video.json"))
    assert isinstance(video, WireObject) and video.type == "Video"
    assert video.attributed_to == "https://peertube.example/accounts/noor"
    assert video.url == (
        "https://peertube.example/videos/watch/4a7c2e9f-1b3d-4f6a-8e0c-2d5b7a9c1e34"
    )
    channel = read_document(fixture("peertube/objects/group.json"))
    assert isinstance(channel, WireActor) and channel.moderators is None


def test_collections_hold_embedded_activities_and_objects() -> None:
    outbox = read_document(fixture("lemmy/collections/group_outbox.json"))
    assert isinstance(outbox, WireCollection) and outbox.total_items == 2
    assert all(isinstance(i, Activity) and i.type == "Announce" for i in outbox.items)
    moderators = read_document(fixture("lemmy/collections/group_moderators.json"))
    assert isinstance(moderators, WireCollection)
    assert moderators.items == ("https://beta.lemmy.example/u/sol",)
    featured = read_document(fixture("mastodon/collections/featured.json"))
    assert isinstance(featured, WireCollection)
    assert [i.type for i in featured.items if isinstance(i, WireObject)] == ["Note"]


def test_a_pleroma_document_naming_its_instance_context_is_read_by_its_terms() -> None:
    # Pleroma's per-instance litepub context only adds terms; we hold no copy and never fetch it.
    follow = read_document(fixture("pleroma/activities/follow.json"))
    assert isinstance(follow, Activity) and follow.type == "Follow"


# Contexts that redefine terms


def test_a_context_that_redefines_content_is_normalised_before_reading() -> None:
    doc = {
        "@context": [AS_CONTEXT, {"content": "http://schema.org/text", "html": "as:content"}],
        "id": "https://a.example/notes/1",
        "type": "Note",
        "attributedTo": "https://a.example/u/ann",
        "content": "schema.org's text, not the post",
        "html": "<p>the post</p>",
    }
    assert needs_normalising(doc)
    note = read_document(doc)
    assert isinstance(note, WireObject) and note.content == "<p>the post</p>"


def test_a_context_that_redefines_actor_is_normalised_before_reading() -> None:
    doc = {
        "@context": [
            AS_CONTEXT,
            {
                "actor": "https://other.example/ns#actor",
                "author": {"@id": "as:actor", "@type": "@id"},
            },
        ],
        "id": "https://a.example/likes/1",
        "type": "Like",
        "actor": "https://a.example/u/not-the-actor",
        "author": "https://a.example/u/ann",
        "object": "https://b.example/post/1",
        "to": ["as:Public"],
    }
    like = read_document(doc)
    assert isinstance(like, Activity)
    assert like.actor == "https://a.example/u/ann"
    assert like.to == (AS_PUBLIC,)
    assert like.raw is doc  # forwarded as received, not in its normalised form


def test_a_context_that_redefines_a_type_name_is_normalised() -> None:
    doc = {
        "@context": [AS_CONTEXT, {"Note": "https://other.example/ns#Memo"}],
        "id": "https://a.example/memo/1",
        "type": "Note",
    }
    assert normalise(doc)["type"] == "https://other.example/ns#Memo"
    assert refusal(doc) == "unsupported type 'https://other.example/ns#Memo'"


@pytest.mark.parametrize("name", sorted(SUPPORTED_TYPES - {"DomainPolicy"}))
def test_redefining_any_type_we_read_is_noticed(name: str) -> None:
    # (DomainPolicy is Cove's own term: each node defines it in its own namespace.)
    assert needs_normalising({"@context": [AS_CONTEXT, {name: "https://other.example/ns#X"}]})


def test_contexts_that_only_add_terms_are_read_directly() -> None:
    mastodon = [
        AS_CONTEXT,
        SECURITY_CONTEXT,
        {
            "toot": "http://joinmastodon.org/ns#",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "discoverable": "toot:discoverable",
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
        },
    ]
    assert not needs_normalising({"@context": mastodon, "type": "Person"})
    assert not needs_normalising({"@context": "https://join-lemmy.org/context.json"})
    assert not needs_normalising({"type": "Note"})  # Lemmy's samples carry no context at all


def test_an_unknown_remote_context_is_never_fetched() -> None:
    doc = {
        "@context": [AS_CONTEXT, "https://evil.example/context.jsonld"],
        "id": "https://evil.example/1",
        "type": "Note",
        "attributedTo": "https://evil.example/u/1",
    }
    # Alone it is taken to add terms only, and the document is read by its term names...
    assert not needs_normalising(doc)
    assert isinstance(read_document(doc), WireObject)
    # ...but when pyld must run, the missing copy makes the document unreadable.
    with pytest.raises(Invalid, match="no local copy"):
        normalise(doc)
    redefining = {**doc, "@context": [*doc["@context"], {"content": "http://schema.org/text"}]}
    assert "not fetched" in refusal(redefining)


def test_a_malformed_context_is_refused() -> None:
    assert refusal({"@context": 42, "type": "Note"}).startswith("@context must be")
    assert "definition of 'content'" in refusal({"@context": {"content": 7}, "type": "Note"})


# Addressing, fields and refusals


def test_every_spelling_of_public_becomes_the_full_iri() -> None:
    create = read_document(
        {
            "id": "https://a.example/c/1",
            "type": "Create",
            "actor": "https://a.example/u/ann",
            "to": "as:Public",
            "cc": ["Public", AS_PUBLIC, "https://a.example/u/ann/followers"],
            "object": {
                "id": "https://a.example/n/1",
                "type": "Note",
                "attributedTo": {"type": "Person", "id": "https://a.example/u/ann"},
                "to": ["Public"],
                "contentMap": {"en": "<p>hello</p>"},
                "published": "2024-05-01T10:00:00",
            },
        }
    )
    assert isinstance(create, Activity)
    assert create.to == (AS_PUBLIC,)
    assert create.cc == (AS_PUBLIC, "https://a.example/u/ann/followers")
    note = create.object
    assert isinstance(note, WireObject) and note.to == (AS_PUBLIC,)
    assert note.attributed_to == "https://a.example/u/ann"
    assert note.content == "<p>hello</p>"  # Mastodon-style contentMap
    assert note.published == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def test_a_public_key_sent_as_a_list_is_read() -> None:
    actor = read_document(
        {
            "id": "https://a.example/u/ann",
            "type": "Person",
            "inbox": "https://a.example/u/ann/inbox",
            "publicKey": [
                {"id": "not a url", "owner": "https://a.example/u/ann", "publicKeyPem": "X"},
                {
                    "id": "https://a.example/u/ann#main-key",
                    "owner": "https://a.example/u/ann",
                    "publicKeyPem": "PEM",
                },
            ],
        }
    )
    assert isinstance(actor, WireActor) and actor.public_key is not None
    assert actor.public_key.id == "https://a.example/u/ann#main-key"


def test_first_id_takes_a_string_an_object_or_the_first_of_a_list() -> None:
    assert first_id("https://a.example/1") == "https://a.example/1"
    assert first_id({"type": "Person", "id": "https://a.example/2"}) == "https://a.example/2"
    assert first_id([{"name": "no id"}, "https://a.example/3"]) == "https://a.example/3"
    assert first_id([[["https://a.example/4"]]]) is None
    assert first_id(17) is None


def nested_announces(levels: int) -> dict[str, Any]:
    doc: Any = "https://a.example/n/1"
    for level in range(levels):
        doc = {
            "id": f"https://a.example/a/{level}",
            "type": "Announce",
            "actor": "https://a.example/g/1",
            "object": doc,
        }
    result: dict[str, Any] = doc
    return result


ACTIVITY = {
    "id": "https://a.example/c/1",
    "type": "Create",
    "actor": "https://a.example/u/ann",
    "object": "https://a.example/n/1",
}


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ({**ACTIVITY, "actor": 12}, "actor must be a URL"),
        ({k: v for k, v in ACTIVITY.items() if k != "object"}, "Create has no object"),
        ({**ACTIVITY, "object": []}, "Create has no object"),
        ({**ACTIVITY, "id": "urn:uuid:1"}, "Create id must be an http(s) URL"),
        ({**ACTIVITY, "id": "https://a.example/\n1"}, "Create id must be an http(s) URL"),
        ({**ACTIVITY, "type": "Foo"}, "unsupported type 'Foo'"),
        ({**ACTIVITY, "type": 3}, "type must be a string"),
        ({**ACTIVITY, "type": "Add"}, "Add has no target"),
        ({**ACTIVITY, "object": {"type": "Note"}}, "object: Note has no id"),
        ({**ACTIVITY, "object": 5}, "object must be a URL or an object"),
        ({"id": "https://a.example/u/1", "type": "Person"}, "Person has no inbox"),
        ([ACTIVITY], "a document must be a JSON object"),
        (nested_announces(MAX_DEPTH + 2), f"objects nest deeper than {MAX_DEPTH} levels"),
        (nested_announces(100), "the document nests deeper than 32 levels"),
    ],
)
def test_malformed_documents_are_refused_with_a_reason(doc: Any, reason: str) -> None:
    assert refusal(doc).endswith(reason)


def test_objects_nested_as_deep_as_allowed_are_read() -> None:
    announce = read_document(nested_announces(MAX_DEPTH + 1))
    assert isinstance(announce, Activity) and announce.object_id == "https://a.example/a/4"


# Anything at all: read or refused, never a crash

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=16,
)
URLS = st.sampled_from(
    ["https://a.example/u/1", "http://b.example/p/2", AS_PUBLIC, "as:Public", "Public"]
) | st.text(max_size=6).map(lambda s: "https://a.example/" + s)
CONTEXTS = st.sampled_from(
    [
        AS_CONTEXT,
        [AS_CONTEXT, SECURITY_CONTEXT],
        [AS_CONTEXT, {"content": "https://other.example/ns#text"}],
        "https://unknown.example/context",
        {"@language": "und"},
    ]
)
FIELDS = URLS | JSON


def activity_like(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"type": st.sampled_from([*sorted(SUPPORTED_TYPES), "Foo"]) | JSON, "id": FIELDS},
        optional={
            "@context": CONTEXTS | JSON,
            "actor": FIELDS,
            "object": children | FIELDS | st.lists(children | URLS, max_size=3),
            "target": FIELDS,
            "to": FIELDS | st.lists(FIELDS, max_size=3),
            "cc": FIELDS,
            "attributedTo": FIELDS,
            "inbox": FIELDS,
            "publicKey": FIELDS,
            "published": FIELDS,
            "content": FIELDS,
            "contentMap": FIELDS,
            "tag": FIELDS,
            "attachment": FIELDS,
            "orderedItems": st.lists(children | FIELDS, max_size=3),
            "first": children | FIELDS,
        },
    )


ACTIVITY_LIKE = st.recursive(activity_like(URLS), activity_like, max_leaves=6)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSON, ACTIVITY_LIKE))
def test_any_json_value_is_read_or_refused_and_nothing_else_escapes(value: Any) -> None:
    try:
        result = read_document(value)
    except Invalid as error:
        assert error.reason.strip() and "\n" not in error.reason
    else:
        assert isinstance(result, Activity | WireObject | WireActor | WireCollection)
