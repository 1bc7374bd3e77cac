"""Reading Block: with a target it is a ban from that group (Lemmy's shape), without one an actor
blocking another (Mastodon's); each reads into its own typed value, still an Activity."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from federation.readers import read_document
from federation.vocabulary import AS_CONTEXT, AS_PUBLIC
from federation.wire import Activity, WireBan, WireBlock

# Lemmy 0.19 (crates/apub protocol/activities/block/block_user.rs): a moderator bans a person from
# a community; `expires` is its deprecated twin of endTime, removeData takes their posts down.
LEMMY_BAN: dict[str, Any] = {
    "@context": ["https://join-lemmy.org/context.json", AS_CONTEXT],
    "id": "https://lemmy.example/activities/block/6f3a9b1e-2c4d-4e5f-8a7b-9c0d1e2f3a4b",
    "type": "Block",
    "actor": "https://lemmy.example/u/picard",
    "to": [AS_PUBLIC],
    "object": "https://other.example/u/quark",
    "cc": ["https://lemmy.example/c/tenforward"],
    "target": "https://lemmy.example/c/tenforward",
    "audience": "https://lemmy.example/c/tenforward",
    "removeData": True,
    "summary": "selling latinum in the comments",
    "endTime": "2025-03-01T12:00:00.000000Z",
}

# Lemmy 0.19's Undo of it, the Block embedded whole.
LEMMY_UNDO_BAN: dict[str, Any] = {
    "@context": ["https://join-lemmy.org/context.json", AS_CONTEXT],
    "id": "https://lemmy.example/activities/undo/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "type": "Undo",
    "actor": "https://lemmy.example/u/picard",
    "to": [AS_PUBLIC],
    "object": {k: v for k, v in LEMMY_BAN.items() if k != "@context"},
    "cc": ["https://lemmy.example/c/tenforward"],
    "audience": "https://lemmy.example/c/tenforward",
}

# Mastodon 4.3 (ActivityPub::BlockSerializer): an account blocks another; the id is the blocker's
# URL with a #blocks/ fragment, and nothing else is said.
MASTODON_BLOCK: dict[str, Any] = {
    "@context": AS_CONTEXT,
    "id": "https://mastodon.example/users/ann#blocks/4242",
    "type": "Block",
    "actor": "https://mastodon.example/users/ann",
    "object": "https://cove.example/g/grief",
}

# Mastodon 4.3 (ActivityPub::UndoBlockSerializer): the Block embedded, the id with /undo.
MASTODON_UNDO_BLOCK: dict[str, Any] = {
    "@context": AS_CONTEXT,
    "id": "https://mastodon.example/users/ann#blocks/4242/undo",
    "type": "Undo",
    "actor": "https://mastodon.example/users/ann",
    "object": {k: v for k, v in MASTODON_BLOCK.items() if k != "@context"},
}


def test_a_lemmy_ban_reads_as_a_ban_from_its_group() -> None:
    ban = read_document(LEMMY_BAN)
    assert isinstance(ban, WireBan)
    assert ban.group == ban.target == "https://lemmy.example/c/tenforward"
    assert ban.banned == "https://other.example/u/quark"
    assert ban.actor == "https://lemmy.example/u/picard"  # the moderator
    assert ban.reason == "selling latinum in the comments"
    assert ban.expires == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert ban.remove_data is True
    assert ban.raw is LEMMY_BAN  # forwarded unchanged


def test_a_ban_is_still_an_activity_of_type_block() -> None:
    ban = read_document(LEMMY_BAN)
    assert isinstance(ban, Activity) and ban.type == "Block"
    assert ban.object_id == "https://other.example/u/quark"


def test_a_ban_reads_its_end_under_either_name_and_lasts_for_good_without_one() -> None:
    older = {k: v for k, v in LEMMY_BAN.items() if k != "endTime"}
    older["expires"] = "2025-04-01T08:30:00Z"
    read = read_document(older)
    assert isinstance(read, WireBan)
    assert read.expires == datetime(2025, 4, 1, 8, 30, tzinfo=UTC)
    cove = {**LEMMY_BAN, "expires": LEMMY_BAN["endTime"]}  # Cove sends both
    both = read_document(cove)
    assert isinstance(both, WireBan) and both.expires == datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    lasting = {k: v for k, v in LEMMY_BAN.items() if k not in ("endTime", "removeData")}
    for_good = read_document(lasting)
    assert isinstance(for_good, WireBan)
    assert for_good.expires is None and for_good.remove_data is False


def test_an_undone_lemmy_ban_embeds_the_ban() -> None:
    undo = read_document(LEMMY_UNDO_BAN)
    assert isinstance(undo, Activity) and not isinstance(undo, WireBan | WireBlock)
    assert undo.type == "Undo"
    ban = undo.object
    assert isinstance(ban, WireBan)
    assert (ban.group, ban.banned) == (
        "https://lemmy.example/c/tenforward",
        "https://other.example/u/quark",
    )
    assert ban.raw == LEMMY_UNDO_BAN["object"]


def test_a_mastodon_block_reads_as_an_actor_blocking_another() -> None:
    block = read_document(MASTODON_BLOCK)
    assert isinstance(block, WireBlock) and not isinstance(block, WireBan)
    assert isinstance(block, Activity) and block.type == "Block"
    assert block.actor == "https://mastodon.example/users/ann"
    assert block.blocked == "https://cove.example/g/grief"
    assert block.target is None


def test_an_undone_mastodon_block_embeds_the_block() -> None:
    undo = read_document(MASTODON_UNDO_BLOCK)
    assert isinstance(undo, Activity) and undo.type == "Undo"
    block = undo.object
    assert isinstance(block, WireBlock)
    assert block.id == "https://mastodon.example/users/ann#blocks/4242"
    assert block.blocked == "https://cove.example/g/grief"


def test_a_block_whose_target_is_no_url_is_an_actor_block() -> None:
    # The target is read as every other URL property: anything but an http(s) URL is no target.
    block = read_document({**MASTODON_BLOCK, "target": "urn:x:1"})
    assert isinstance(block, WireBlock) and block.target is None


def test_other_activities_are_plain_activities() -> None:
    like = read_document({**MASTODON_BLOCK, "type": "Like", "target": LEMMY_BAN["target"]})
    assert type(like) is Activity
