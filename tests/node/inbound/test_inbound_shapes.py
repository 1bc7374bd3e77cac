"""Shapes another independent implementation sends that Cove once mishandled: a Create naming
its object by URL, an Undo whose Follow gives no actor, a member's reply to or like of a
remote author's post, and activity types Cove does not know. A stand-in server on loopback
sends each, signed; the node's answer and what it does afterwards are checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlmodel import select

from federation.readers import read_document
from federation.wire import Activity as WireActivity
from node.groups import groups, membership
from node.groups.groups import NewGroup
from node.inbound import dispatch
from node.members import accounts, participation
from node.store.states import (
    ActivityState,
    MembershipState,
    PostingPolicy,
    PostKind,
    Visibility,
)
from node.store.tables import Activity, Membership, Post, RemoteMembership
from tests.conftest import ServedNode, client_for, eventually
from tests.support.hostile_peer import (
    AP,
    PUBLIC,
    HostilePeer,
    deliveries_done,
    follow,
    settled,
    start_hostile_peer,
)

PEER = "127.0.0.6"


@pytest.fixture
async def peer() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer(PEER, software="lemmy") as started:
        yield started


async def open_group(served: ServedNode, name: str = "runners") -> str:
    await groups.create_group(
        served.node, NewGroup(name=name, title=name.title(), posting_policy=PostingPolicy.ANYONE)
    )
    return served.urls.group(name)


async def deliver(
    served: ServedNode, peer: HostilePeer, inbox: str, doc: dict[str, Any], actor: str
) -> int:
    async with client_for(served.node) as client:
        return await peer.deliver(client, inbox, doc, actor)


async def post_at(served: ServedNode, uri: str) -> Post | None:
    async with served.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


async def test_a_create_naming_its_object_by_url_is_fetched_and_relayed(
    served: ServedNode, peer: HostilePeer
) -> None:
    group = await open_group(served)
    await follow(served, peer, group, "listener")
    bot = peer.actor("bot", kind="Service")
    note = peer.serve(peer.note(bot, "10 km this morning, felt good", to=[PUBLIC, group]))
    create = peer.activity("Create", bot, note["id"], to=[PUBLIC, group])
    assert await deliver(served, peer, served.urls.inbox(group), create, bot) == 202
    row = await settled(served, create["id"])
    assert row.state == ActivityState.PROCESSED and row.error is None
    kept = await post_at(served, note["id"])
    assert kept is not None and "10 km" in kept.content_html and kept.author_uri == bot
    await deliveries_done(served)
    announces = [r.json() for r in peer.received() if r.json().get("type") == "Announce"]
    relayed = [a["object"] for a in announces if isinstance(a.get("object"), dict)]
    # Relayed as group-aware software (the peer says it runs Lemmy) reads it: the Create
    # with the post inside.
    assert any(c["id"] == create["id"] and c["object"]["id"] == note["id"] for c in relayed)


async def test_a_create_by_url_of_an_object_elsewhere_is_refused(
    served: ServedNode, peer: HostilePeer
) -> None:
    group = await open_group(served)
    bot = peer.actor("bot", kind="Service")
    async with start_hostile_peer("127.0.0.7") as other:
        vera = other.actor("vera")
        note = other.serve(other.note(vera, "not written by the bot", to=[PUBLIC, group]))
        create = peer.activity("Create", bot, note["id"], to=[PUBLIC, group])
        assert await deliver(served, peer, served.urls.inbox(group), create, bot) == 202
        row = await settled(served, create["id"])
    assert row.state == ActivityState.REJECTED
    assert await post_at(served, note["id"]) is None


async def test_an_undo_whose_follow_gives_no_actor_ends_the_follow(
    served: ServedNode, peer: HostilePeer
) -> None:
    group = await open_group(served)
    person = await follow(served, peer, group, "leaver")
    follows = await _follow_rows(served, person)
    follow_id = follows[0].follow_uri
    inner = {"id": follow_id, "type": "Follow", "object": group}  # no actor: Mastodon's reading
    undo = peer.activity("Undo", person, inner)
    assert await deliver(served, peer, served.urls.inbox(group), undo, person) == 202
    assert (await settled(served, undo["id"])).state == ActivityState.PROCESSED
    assert [m.state for m in await _follow_rows(served, person)] == [MembershipState.LEFT]


async def test_an_undo_of_someone_elses_follow_is_still_refused(
    served: ServedNode, peer: HostilePeer
) -> None:
    group = await open_group(served)
    person = await follow(served, peer, group, "stays")
    other = peer.actor("mallory")
    inner = {"id": f"{person}#follow", "type": "Follow", "actor": person, "object": group}
    undo = peer.activity("Undo", other, inner)
    assert await deliver(served, peer, served.urls.inbox(group), undo, other) == 400
    assert [m.state for m in await _follow_rows(served, person)] == [MembershipState.ACCEPTED]


async def _follow_rows(served: ServedNode, actor: str) -> list[Membership]:
    async with served.node.store.session() as session:
        found = await session.exec(select(Membership).where(Membership.actor_uri == actor))
        return list(found.all())


async def test_a_members_reply_and_like_reach_the_remote_author(
    served: ServedNode, peer: HostilePeer
) -> None:
    group = await open_group(served)
    vera = peer.actor("vera")
    note = peer.serve(peer.note(vera, "anyone else running in the rain?", to=[PUBLIC, group]))
    create = peer.activity("Create", vera, note, to=[PUBLIC, group])
    assert await deliver(served, peer, served.urls.inbox(group), create, vera) == 202
    assert (await settled(served, create["id"])).state == ActivityState.PROCESSED
    ada = await accounts.create_account(served.node, "ada")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, ada, group)
        reply = await participation.publish(
            served.node, client, ada, group, "every day!", in_reply_to=note["id"]
        )
        await participation.like(served.node, client, ada, note["id"])

    async def told() -> list[dict[str, Any]] | None:
        got = [r.json() for r in peer.received() if r.json().get("type") in ("Create", "Like")]
        return got if len(got) >= 2 else None

    found = await eventually(told)
    assert isinstance(found, list)
    by_type = {d["type"]: d for d in found}
    answer = by_type["Create"]["object"]
    assert answer["id"] == reply and vera in answer["cc"]
    assert {"type": "Mention", "href": vera} in answer["tag"]
    assert by_type["Like"]["object"] == note["id"] and vera in by_type["Like"]["to"]


async def test_a_reply_in_a_members_only_group_is_not_sent_to_the_author(
    served: ServedNode, peer: HostilePeer
) -> None:
    """Its posts reach members only, through the group: never straight to anyone."""
    await groups.create_group(
        served.node,
        NewGroup(
            name="quiet", title="Quiet", posting_policy=PostingPolicy.ANYONE, members_only=True
        ),
    )
    group = served.urls.group("quiet")
    vera = peer.actor("vera")
    async with served.node.store.transaction() as session:
        session.add(
            Post(
                uri=f"{peer.base}/notes/old",
                group_id=(await groups.get_group(session, "quiet")).id,
                group_uri=group,
                author_uri=vera,
                kind=PostKind.NOTE,
                content_html="old words",
                visibility=Visibility.MEMBERS_ONLY,
                local=False,
                published=served.node.clock(),
                created_at=served.node.clock(),
            )
        )
    ada = await accounts.create_account(served.node, "ada")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, ada, group)
        await membership.decide_follow(
            served.node, client, "quiet", served.urls.person("ada"), approve=True
        )
        await participation.publish(
            served.node, client, ada, group, "me too", in_reply_to=f"{peer.base}/notes/old"
        )
        await participation.like(served.node, client, ada, f"{peer.base}/notes/old")
    await deliveries_done(served)
    assert not [r for r in peer.received() if r.json().get("type") in ("Create", "Like")]


async def test_an_unknown_activity_type_is_acknowledged_and_dropped(
    served: ServedNode, peer: HostilePeer
) -> None:
    group = await open_group(served)
    person = peer.actor("reactor")
    react = peer.activity("EmojiReact", person, f"{served.urls.base}/posts/x", content="🏃")
    assert await deliver(served, peer, served.urls.inbox(group), react, person) == 202
    async with served.node.store.session() as session:
        stored = await session.exec(select(Activity).where(Activity.uri == react["id"]))
        assert stored.first() is None  # nothing kept of it
    # Unsigned, it is still refused: a 202 is only for a sender whose signature holds.
    async with (
        aiohttp.ClientSession() as http,
        http.post(served.urls.inbox(group), json=react, headers={"Content-Type": AP}) as answer,
    ):
        assert answer.status == 401


async def test_an_accept_of_an_event_is_not_taken_for_an_answer_to_a_follow(
    served: ServedNode, peer: HostilePeer
) -> None:
    """An Accept of an Event (an RSVP) that happens to carry the id of a member's pending
    follow does not let the member in: what an Accept answers is part of its dispatch key."""
    group = peer.actor("circle", kind="Group")
    ada = await accounts.create_account(served.node, "ada")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, ada, group)

    async def follow_sent() -> dict[str, Any] | None:
        found = [r.json() for r in peer.received() if r.json().get("type") == "Follow"]
        return found[0] if found else None

    follow = await eventually(follow_sent)
    assert isinstance(follow, dict)
    event = {"id": follow["id"], "type": "Event", "name": "Saturday run"}
    rsvp = peer.activity("Accept", group, event)
    assert await dispatch.key_of(served.node, _read(rsvp)) == ("Accept", "Event")
    assert await deliver(served, peer, served.urls.shared_inbox(), rsvp, group) == 202
    assert (await settled(served, rsvp["id"])).state == ActivityState.PROCESSED
    assert await _remote_memberships(served) == [MembershipState.PENDING]
    # The group's real answer still counts.
    accept = peer.activity("Accept", group, follow)
    assert await deliver(served, peer, served.urls.shared_inbox(), accept, group) == 202
    await settled(served, accept["id"])
    assert await _remote_memberships(served) == [MembershipState.ACCEPTED]


async def _remote_memberships(served: ServedNode) -> list[MembershipState]:
    async with served.node.store.session() as session:
        return [m.state for m in (await session.exec(select(RemoteMembership))).all()]


def _read(doc: dict[str, Any]) -> WireActivity:
    read = read_document(doc)
    assert isinstance(read, WireActivity)
    return read
