"""Every way content can make a group relay something passes one admission: a private message
turned public by an edit, an edit or a vote by someone banned since, a silenced server's
edit, an edit carrying media from a server whose media is rejected. Each is refused or held,
and the group's followers hear nothing of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.domain_policy import blocks
from node.groups import groups
from node.groups.groups import NewGroup
from node.moderators import bans
from node.moderators.roles import Acting
from node.store.states import ActivityState, Direction, PostingPolicy, Visibility
from node.store.tables import Activity, Post
from tests.conftest import ServedNode, client_for
from tests.support.hostile_peer import PUBLIC, HostilePeer, follow, settled, start_hostile_peer

SENDER = "127.0.0.3"
ATTACHMENT = [{"type": "Image", "url": "http://127.0.0.3/media/face.png", "mediaType": "image/png"}]


@pytest.fixture
async def peer() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer(SENDER, software="lemmy") as started:
        yield started


async def grief(served: ServedNode, peer: HostilePeer) -> tuple[str, str]:
    """A group anyone may post in, with a follower on the peer's server."""
    await groups.create_group(
        served.node, NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE)
    )
    group = served.urls.group("grief")
    await follow(served, peer, group, "listener")
    return group, peer.actor("sender")


async def send(served: ServedNode, peer: HostilePeer, group: str, doc: dict[str, Any]) -> Activity:
    async with client_for(served.node) as client:
        status = await peer.deliver(client, served.urls.inbox(group), doc, str(doc["actor"]))
    assert status == 202, status
    return await settled(served, doc["id"])


async def relayed(served: ServedNode, activity_id: str) -> bool:
    """Whether the group queued an Announce of this activity for its followers."""
    async with served.node.store.session() as session:
        announces = await session.exec(
            select(Activity).where(
                Activity.direction == Direction.OUTBOUND, Activity.type == "Announce"
            )
        )
        return any(
            isinstance(a.document.get("object"), dict)
            and a.document["object"].get("id") == activity_id
            for a in announces.all()
        )


async def post_at(served: ServedNode, uri: str) -> Post | None:
    async with served.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


def edit(peer: HostilePeer, note: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = {**note, **changes}
    return peer.activity("Update", note["attributedTo"], changed, to=changed["to"])


async def ban(served: ServedNode, actor: str) -> None:
    async with client_for(served.node) as client:
        await bans.ban(served.node, client, Acting.operator(served.node), "grief", actor, "", None)


async def test_a_private_message_stays_private_when_its_edit_addresses_everyone(
    served: ServedNode, peer: HostilePeer
) -> None:
    group, sender = await grief(served, peer)
    message = peer.note(sender, "for the moderators only", to=[group])
    await send(served, peer, group, peer.activity("Create", sender, message, to=[group]))
    kept = await post_at(served, message["id"])
    assert kept is not None and kept.visibility == Visibility.DIRECT
    widened = edit(peer, message, to=[PUBLIC, group], content="now for everyone")
    await send(served, peer, group, widened)
    assert not await relayed(served, widened["id"])
    kept = await post_at(served, message["id"])
    assert kept is not None and kept.visibility == Visibility.DIRECT


async def test_a_banned_actor_gets_nothing_kept_or_relayed_by_any_path(
    served: ServedNode, peer: HostilePeer
) -> None:
    group, sender = await grief(served, peer)
    old = peer.note(sender, "before the ban", to=[PUBLIC, group])
    create = peer.activity("Create", sender, old, to=[PUBLIC, group])
    await send(served, peer, group, create)
    assert await relayed(served, create["id"])
    await ban(served, sender)
    private = peer.note(sender, "let me back in", to=[group])
    vote = peer.activity("Like", sender, old["id"])
    tries = [
        peer.activity("Create", sender, private, to=[group]),  # a private message
        edit(peer, old, content="edited after the ban"),  # an edit of an old post
        vote,
        peer.activity("Undo", sender, vote),  # a vote taken back
    ]
    for activity in tries:
        row = await send(served, peer, group, activity)
        assert row.state == ActivityState.REJECTED, activity["type"]
        assert "banned" in (row.error or ""), row.error
        assert not await relayed(served, activity["id"])
    # The refused message's edit, addressed to everyone, finds nothing to change.
    widened = edit(peer, private, to=[PUBLIC, group])
    await send(served, peer, group, widened)
    assert not await relayed(served, widened["id"])
    assert await post_at(served, private["id"]) is None
    kept = await post_at(served, old["id"])
    assert kept is not None and kept.content_html == "before the ban"


async def test_a_silenced_servers_edit_is_relayed_to_no_one(
    served: ServedNode, peer: HostilePeer
) -> None:
    group, sender = await grief(served, peer)
    entry = BlockEntry(domain=SENDER, severity=Severity.SILENCE)
    await blocks.set_block(served.node, Acting.operator(served.node), entry)
    note = peer.note(sender, "quietly", to=[PUBLIC, group])
    create = peer.activity("Create", sender, note, to=[PUBLIC, group])
    await send(served, peer, group, create)
    changed = edit(peer, note, content="quietly, still")
    await send(served, peer, group, changed)
    assert not await relayed(served, create["id"]) and not await relayed(served, changed["id"])


async def test_an_edit_brings_no_media_from_a_server_whose_media_is_rejected(
    served: ServedNode, peer: HostilePeer
) -> None:
    group, sender = await grief(served, peer)
    entry = BlockEntry(domain=SENDER, severity=Severity.NOOP, reject_media=True)
    await blocks.set_block(served.node, Acting.operator(served.node), entry)
    note = peer.note(sender, "words only", to=[PUBLIC, group])
    await send(served, peer, group, peer.activity("Create", sender, note, to=[PUBLIC, group]))
    changed = edit(peer, note, content="words and a face", attachment=ATTACHMENT)
    await send(served, peer, group, changed)
    assert await relayed(served, changed["id"])
    async with served.node.store.session() as session:
        announces = (await session.exec(select(Activity).where(Activity.type == "Announce"))).all()
    assert "face.png" not in str([a.document for a in announces])
    kept = await post_at(served, note["id"])
    assert kept is not None and kept.attachments == []
