"""Blocks between people across servers. Two Cove nodes: a member on A blocks a member on B by
handle; B keeps it, and B's member's replies stop mentioning or reaching A's member directly
(A hides them from her too) until her Undo lifts it. A Mastodon-shaped peer: the Block and
Undo it receives have Mastodon's shape and the member's signature, its own Block of a member
is honoured, and a Block another server signs, or an Undo by someone else, is refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from federation.errors import Refused
from federation.readers import read_document
from federation.wire import WireBlock
from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.domain_policy import blocks
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation, person_blocks
from node.moderators.roles import Acting
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import ActivityState, Direction, PostingPolicy, Visibility
from node.store.tables import Activity, Delivery, Post, RemoteBlock
from tests.across_nodes.test_moderation_across_nodes import membership_accepted
from tests.conftest import PeerFactory, ServedNode, client_for, eventually, serving
from tests.support.hostile_peer import (
    PUBLIC,
    HostilePeer,
    deliveries_done,
    follow,
    settled,
    start_hostile_peer,
)

MASTODON = Path(__file__).parent.parent / "fixtures" / "mastodon" / "activities"


async def remote_blocks(node: Node) -> list[tuple[str, int]]:
    async with node.store.session() as session:
        found = await session.exec(select(RemoteBlock.blocker_uri, RemoteBlock.account_id))
        return list(found.all())


async def sent_by(node: Node, actor: str, kind: str) -> list[tuple[dict[str, Any], list[str]]]:
    """What `actor` sent of this type, oldest first, each with the inboxes it was queued for."""
    async with node.store.session() as session:
        found = await session.exec(
            select(Activity)
            .where(
                Activity.direction == Direction.OUTBOUND,
                Activity.actor_uri == actor,
                Activity.type == kind,
            )
            .order_by(col(Activity.id))
        )
        sent = []
        for activity in found.all():
            inboxes = await session.exec(
                select(Delivery.inbox).where(Delivery.activity_id == activity.id)
            )
            sent.append((dict(activity.document), sorted(inboxes.all())))
        return sent


async def stored(node: Node, uri: str) -> bool:
    async with node.store.session() as session:
        return (await session.exec(select(Post.id).where(Post.uri == uri))).first() is not None


async def test_a_block_across_two_nodes_stops_direct_replies_until_undone(
    node: Node, peer_node: PeerFactory
) -> None:
    async with serving(node) as a:
        b = await peer_node(address="127.0.0.2")
        await groups.create_group(a.node, NewGroup(name="grief", title="Grief"))
        group = a.urls.group("grief")
        ada, cy = [await accounts.create_account(a.node, n) for n in ("ada", "cy")]
        bob = await accounts.create_account(b.node, "bob")
        async with client_for(a.node) as client:
            for member in (ada, cy):
                await participation.join(a.node, client, member, group)
        async with client_for(b.node) as client:
            await participation.join(b.node, client, bob, group)
        await eventually(lambda: membership_accepted(b, "bob"))
        async with client_for(a.node) as client:
            thread = await participation.publish(a.node, client, ada, group, "hi", title="t")
        ada_uri, bob_uri = a.urls.person("ada"), b.urls.person("bob")

        async def reply(text: str) -> tuple[str, dict[str, Any], list[str]]:
            async with client_for(b.node) as client:
                uri = await participation.publish(
                    b.node, client, bob, group, text, in_reply_to=thread
                )
            document, inboxes = (await sent_by(b.node, bob_uri, "Create"))[-1]
            assert document["object"]["id"] == uri
            await eventually(lambda: stored(a.node, uri))
            return uri, document["object"], inboxes

        # Before: bob's reply names ada and reaches her server directly, beside the group.
        await eventually(lambda: stored(b.node, thread))
        _, note, inboxes = await reply("me too")
        assert ada_uri in note["cc"] and {"type": "Mention", "href": ada_uri} in note["tag"]
        assert inboxes == sorted([a.urls.inbox(group), a.urls.shared_inbox()])

        async with client_for(a.node) as client:
            made = await person_blocks.block(a.node, client, ada, f"@bob@{b.urls.domain}")
        assert made.person_uri == bob_uri
        assert await eventually(lambda: remote_blocks(b.node)) == [(ada_uri, bob.id)]

        hidden_uri, note, inboxes = await reply("still here")
        assert ada_uri not in json.dumps(note)  # not addressed, not mentioned
        assert inboxes == [a.urls.inbox(group)]  # through the group only
        # On A the group relayed it; ada is not shown it, cy is.
        assert hidden_uri not in [p.uri for p in await participation.feed(a.node, ada)]
        assert hidden_uri in [p.uri for p in await participation.feed(a.node, cy)]

        async with client_for(a.node) as client:
            await person_blocks.unblock(a.node, client, ada, bob_uri)
        (block_sent, _), (undo_sent, to_bob) = [
            *(await sent_by(a.node, ada_uri, "Block")),
            *(await sent_by(a.node, ada_uri, "Undo")),
        ]
        assert undo_sent["object"] == {k: v for k, v in block_sent.items() if k != "@context"}
        assert to_bob == [b.urls.inbox(bob_uri)]

        async def lifted() -> bool:
            return await remote_blocks(b.node) == []

        await eventually(lifted)
        _, note, inboxes = await reply("glad to be back")
        assert {"type": "Mention", "href": ada_uri} in note["tag"]
        assert a.urls.shared_inbox() in inboxes
        assert hidden_uri in [p.uri for p in await participation.feed(a.node, ada)]


@pytest.fixture
async def mastodon() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.4", software="mastodon") as peer:
        yield peer


def mastodon_sample(name: str, peer: HostilePeer, served: ServedNode) -> dict[str, Any]:
    text = (MASTODON / name).read_text()
    text = text.replace("https://mastodon.example", peer.base)
    return dict(json.loads(text.replace("https://cove.example", served.base)))


async def deliver(served: ServedNode, peer: HostilePeer, doc: dict[str, Any], as_actor: str) -> int:
    async with client_for(served.node) as client:
        return await peer.deliver(client, served.urls.shared_inbox(), doc, as_actor)


async def test_a_block_reaches_a_mastodon_person_in_mastodons_shape(
    served: ServedNode, mastodon: HostilePeer
) -> None:
    bea = await accounts.create_account(served.node, "bea")
    mo = mastodon.actor("mo")
    async with client_for(served.node) as client:
        await person_blocks.block(served.node, client, bea, mo)
        await deliveries_done(served)
        await person_blocks.unblock(served.node, client, bea, mo)
        await deliveries_done(served)
    (block, undo) = [r for r in mastodon.received() if r.path == "/users/mo/inbox"]
    sent = block.json()
    # Every field Mastodon's own Block carries, as it writes them, and no `target` (which
    # would read as a ban from a group).
    like = mastodon_sample("block.json", mastodon, served)
    assert set(like) <= set(sent) and "target" not in sent
    assert (sent["type"], sent["actor"], sent["object"]) == ("Block", served.urls.person("bea"), mo)
    assert sent["id"].startswith(served.base + "/")
    assert f'keyId="{served.urls.person("bea")}#main-key"' in block.headers["Signature"]
    undone = undo.json()
    assert set(mastodon_sample("undo_block.json", mastodon, served)) <= set(undone)
    assert undone["type"] == "Undo" and undone["actor"] == sent["actor"]
    assert undone["object"] == {k: v for k, v in sent.items() if k != "@context"}
    # A mute is told to no one.
    async with client_for(served.node) as client:
        await person_blocks.mute(served.node, client, bea, mo)
    await deliveries_done(served)  # whatever was queued has gone out by now
    assert len(mastodon.received()) == 2


def test_mastodons_block_reads_as_a_block_of_a_person() -> None:
    read = read_document(json.loads((MASTODON / "block.json").read_text()))
    assert isinstance(read, WireBlock) and read.blocked == "https://cove.example/u/bea"


async def test_a_mastodon_persons_block_of_a_member_is_honoured_until_undone(
    served: ServedNode, mastodon: HostilePeer
) -> None:
    await groups.create_group(
        served.node, NewGroup(name="runs", title="Runs", posting_policy=PostingPolicy.ANYONE)
    )
    group = served.urls.group("runs")
    mo = await follow(served, mastodon, group, "ada")  # the sample's blocker is ada
    note = mastodon.serve(mastodon.note(mo, "rain again", to=[PUBLIC, group]))
    create = mastodon.activity("Create", mo, note, to=[PUBLIC, group])
    assert await deliver(served, mastodon, create, mo) == 202
    assert (await settled(served, create["id"])).state == ActivityState.PROCESSED
    bea = await accounts.create_account(served.node, "bea")
    bea_uri = served.urls.person("bea")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, bea, group)

    async def answer(text: str, **kind: Any) -> list[dict[str, Any]]:
        """What bea's post reaches mo's server with: her own Create, the group's Announce."""
        async with client_for(served.node) as client:
            uri = await participation.publish(served.node, client, bea, group, text, **kind)
        await deliveries_done(served)
        documents = [r.json() for r in mastodon.received()]
        return [
            d
            for d in documents
            if ((d["type"], d["actor"]) == ("Create", bea_uri) and d["object"]["id"] == uri)
            or (d["type"], d["object"]) == ("Announce", uri)
        ]

    # Before: bea's reply reaches mo's server directly, naming him.
    (direct,) = await answer("every day", in_reply_to=note["id"])
    assert {"type": "Mention", "href": mo} in direct["object"]["tag"]

    block = mastodon_sample("block.json", mastodon, served)
    assert await deliver(served, mastodon, block, mo) == 202
    assert (await settled(served, block["id"])).state == ActivityState.PROCESSED
    assert await remote_blocks(served.node) == [(mo, bea.id)]
    # Bea's reply is not sent to mo's server by bea, nor does it name him; what the group
    # announces still reaches his server's shared inbox (Mastodon filters it there).
    assert await answer("and again", in_reply_to=note["id"]) == []
    (announced,) = await answer("a thread of mine", title="mine")
    assert announced["actor"] == group
    assert [r.path for r in mastodon.received() if r.json() == announced] == ["/inbox"]
    # Anything of bea's queued for mo's own inbox is dropped; others' inboxes keep theirs.
    # (Never committed: the other inbox is nowhere.)
    async with served.node.store.session() as session:
        elsewhere = "http://127.0.0.9:1/inbox"
        doc = {"id": served.urls.activity("t1"), "type": "Note", "actor": bea_uri}
        queued = await queue(
            session,
            bea.actor_id,
            doc,
            Visibility.DIRECT,
            [f"{mo}/inbox", elsewhere],
            served.node.clock(),
        )
        found = await session.exec(select(Delivery.inbox).where(Delivery.activity_id == queued.id))
        assert list(found.all()) == [elsewhere]
        # What takes something back, or is bea's own block of mo, still reaches him.
        for kind in ("Undo", "Block", "Delete"):
            doc = {"id": served.urls.activity(kind), "type": kind, "actor": bea_uri}
            queued = await queue(
                session, bea.actor_id, doc, Visibility.DIRECT, [f"{mo}/inbox"], served.node.clock()
            )
            found = await session.exec(
                select(Delivery.inbox).where(Delivery.activity_id == queued.id)
            )
            assert list(found.all()) == [f"{mo}/inbox"], kind

    # Someone else on mo's server cannot lift mo's block.
    eve = mastodon.actor("eve")
    forged = mastodon_sample("undo_block.json", mastodon, served)
    forged.update(id=f"{eve}#blocks/1/undo", actor=eve)
    assert await deliver(served, mastodon, forged, eve) == 202
    assert (await settled(served, forged["id"])).state == ActivityState.REJECTED
    assert await remote_blocks(served.node) == [(mo, bea.id)]

    undo = mastodon_sample("undo_block.json", mastodon, served)
    assert await deliver(served, mastodon, undo, mo) == 202
    assert (await settled(served, undo["id"])).state == ActivityState.PROCESSED
    assert await remote_blocks(served.node) == []
    (direct,) = await answer("back again", in_reply_to=note["id"])
    assert {"type": "Mention", "href": mo} in direct["object"]["tag"]


async def test_a_block_signed_by_another_server_is_refused(
    served: ServedNode, mastodon: HostilePeer
) -> None:
    await accounts.create_account(served.node, "bea")
    mastodon.actor("ada")
    async with start_hostile_peer("127.0.0.5") as other:
        forger = other.actor("forger")
        block = mastodon_sample("block.json", mastodon, served)
        status = await deliver(served, other, block, forger)
    assert status == 403
    assert await remote_blocks(served.node) == []


async def test_a_block_of_someone_not_here_is_ignored(
    served: ServedNode, mastodon: HostilePeer
) -> None:
    mo = mastodon.actor("ada")
    block = mastodon_sample("block.json", mastodon, served)  # names bea: no one here
    assert await deliver(served, mastodon, block, mo) == 202
    assert (await settled(served, block["id"])).state == ActivityState.PROCESSED
    assert await remote_blocks(served.node) == []


async def test_a_member_lets_back_someone_on_a_server_cut_off_since(
    served: ServedNode, mastodon: HostilePeer
) -> None:
    bea = await accounts.create_account(served.node, "bea")
    mo = mastodon.actor("mo")
    async with client_for(served.node) as client:
        await person_blocks.block(served.node, client, bea, mo)
        await person_blocks.mute(served.node, client, bea, mo)
        await deliveries_done(served)
        await blocks.set_block(
            served.node,
            Acting.operator(served.node),
            BlockEntry(domain="127.0.0.4", severity=Severity.SUSPEND),
        )
        with pytest.raises(Refused, match="not federated with"):
            await person_blocks.block(served.node, client, bea, mastodon.actor("zed"))
        # By the URL `cove member blocks` lists: no lookup, and nothing sent there.
        await person_blocks.unblock(served.node, client, bea, mo)
        await person_blocks.unmute(served.node, client, bea, mo)
        await deliveries_done(served)
    assert await person_blocks.blocks_of(served.node, bea.id) == []
    assert [r.json()["type"] for r in mastodon.received()] == ["Block"]
