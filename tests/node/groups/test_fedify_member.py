"""A Mastodon-like member of a Cove group, played by the Fedify peer posing as Mastodon (its
NodeInfo says so): it follows the group, @-mentions it in public statuses, and gets the
group's boost by object id, never the FEP-1b12 Announce{Create} that Mastodon ignores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from node.groups import groups
from node.groups.groups import GroupInfo, NewGroup
from node.store.states import (
    ActivityState,
    DeliveryState,
    Direction,
    PostingPolicy,
    Software,
    Visibility,
)
from node.store.tables import Activity, Delivery, PeerServer, Post
from tests.conftest import ServedNode, eventually
from tests.peers.fedify_peer import (
    DRAFT_CAVAGE,
    FedifyPeer,
    Mention,
    start_fedify_peer,
)

GROUP = "grief"


pytestmark = pytest.mark.usefixtures("fedify_available")


@pytest.fixture
async def mastodon() -> AsyncIterator[FedifyPeer]:
    async with start_fedify_peer(software="mastodon") as peer:
        yield peer


async def public_group(served: ServedNode, policy: PostingPolicy) -> GroupInfo:
    return await groups.create_group(
        served.node, NewGroup(name=GROUP, title="Grief support", posting_policy=policy)
    )


def group_mention(served: ServedNode) -> Mention:
    return Mention(href=served.urls.group(GROUP), name=f"@{GROUP}@{served.urls.domain}")


def id_of(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


async def join(served: ServedNode, peer: FedifyPeer) -> dict[str, Any]:
    """alice follows the group, as Mastodon does (to the group's own inbox); returns the Accept."""
    group = served.urls.group(GROUP)
    follow = {"type": "Follow", "id": f"{peer.base}/follows/{GROUP}", "object": group}
    status, _ = await peer.deliver(f"{group}/inbox", follow)
    assert status == 202

    async def accepted() -> list[dict[str, Any]]:
        return [
            a
            for a in (await peer.received())["accepted"]
            if a.get("type") == "Accept" and id_of(a.get("object")) == follow["id"]
        ]

    found = await eventually(accepted, within=10)
    assert isinstance(found, list) and len(found) == 1, found
    accept: dict[str, Any] = found[0]
    return accept


async def post_status(served: ServedNode, peer: FedifyPeer, text: str, **shape: Any) -> str:
    """alice posts a status to Cove's shared inbox, where Mastodon delivers; the Note's id."""
    report = await peer.post_status(served.urls.shared_inbox(), text, **shape)
    assert report["status"] == 202, report
    return str(report["note"]["id"])


async def stored_post(served: ServedNode, uri: str) -> Post | None:
    async with served.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


async def wait_for_post(served: ServedNode, uri: str) -> Post:
    async def stored() -> Post | None:
        return await stored_post(served, uri)

    post = await eventually(stored, within=10)
    assert isinstance(post, Post)
    return post


async def settle(served: ServedNode) -> None:
    """Wait until Cove has applied everything it received and sent everything it owes, so
    that what the peer did not get, it will not get later."""

    async def nothing_left() -> bool:
        async with served.node.store.session() as session:
            unapplied = await session.exec(
                select(Activity.id).where(
                    Activity.direction == Direction.INBOUND,
                    Activity.state == ActivityState.RECEIVED,
                )
            )
            owed = await session.exec(
                select(Delivery.id).where(Delivery.state == DeliveryState.PENDING)
            )
            return unapplied.first() is None and owed.first() is None

    await eventually(nothing_left, within=10)
    async with served.node.store.session() as session:
        failed = (
            await session.exec(select(Delivery).where(Delivery.state != DeliveryState.DELIVERED))
        ).all()
        refused = (
            await session.exec(select(Activity).where(Activity.state == ActivityState.REJECTED))
        ).all()
    assert [(d.inbox, d.last_status, d.last_error) for d in failed] == []
    assert [(a.uri, a.error) for a in refused] == []


async def announces_from_group(served: ServedNode, peer: FedifyPeer) -> list[Any]:
    """The objects of the Announces the group sent alice: ids (boosts) or embedded activities."""
    received = await peer.received()
    return [
        a.get("object")
        for a in received["accepted"]
        if a.get("type") == "Announce" and a.get("actor") == served.urls.group(GROUP)
    ]


# Fedify re-serialises a status in its own JSON-LD (`tag` as one object, "as:Public", proofs);
# with a spec, the peer sends Mastodon's JSON as it is (nulls, OStatus terms, draft-cavage).
@pytest.mark.parametrize("spec", [None, DRAFT_CAVAGE], ids=["fedify-json", "mastodon-json"])
async def test_a_mastodon_like_member_follows_mentions_the_group_and_gets_the_boost(
    served: ServedNode, mastodon: FedifyPeer, spec: str | None
) -> None:
    group = await public_group(served, PostingPolicy.MEMBERS)

    accept = await join(served, mastodon)
    assert accept["actor"] == served.urls.group(GROUP)

    note_id = await post_status(
        served,
        mastodon,
        "Two years today. Still hard.",
        mentions=(group_mention(served),),
        spec=spec,
    )

    post = await wait_for_post(served, note_id)
    assert (post.group_id, post.author_uri, post.visibility) == (
        group.id,
        mastodon.actor_id,
        Visibility.PUBLIC,
    )
    assert "Two years today. Still hard." in post.content_html

    async def boosted() -> list[Any]:
        return await announces_from_group(served, mastodon)

    await eventually(boosted, within=10)
    await settle(served)
    # A boost by id, which Mastodon shows; not the Announce{Create} it would drop.
    assert await announces_from_group(served, mastodon) == [note_id]
    async with served.node.store.session() as session:
        peer_server = (await session.exec(select(PeerServer))).one()
    assert (peer_server.software_name, peer_server.kind) == ("mastodon", Software.MICROBLOG)


async def test_a_reply_from_a_mastodon_member_joins_the_thread_but_is_not_boosted(
    served: ServedNode, mastodon: FedifyPeer
) -> None:
    group = await public_group(served, PostingPolicy.MEMBERS)
    await join(served, mastodon)
    note_id = await post_status(
        served, mastodon, "Does the second year get easier?", mentions=(group_mention(served),)
    )
    await wait_for_post(served, note_id)

    # A Mastodon reply to one's own status names no group: Cove finds it by the thread.
    reply_id = await post_status(
        served, mastodon, "Answering myself: a little.", in_reply_to=note_id
    )

    reply = await wait_for_post(served, reply_id)
    assert (reply.group_id, reply.in_reply_to_uri, reply.visibility) == (
        group.id,
        note_id,
        Visibility.PUBLIC,
    )
    await settle(served)
    # Comments would flood Mastodon timelines: only the thread itself was boosted.
    assert await announces_from_group(served, mastodon) == [note_id]


async def test_a_direct_mention_of_the_group_is_kept_for_moderators_and_not_announced(
    served: ServedNode, mastodon: FedifyPeer
) -> None:
    group = await public_group(served, PostingPolicy.ANYONE)
    await join(served, mastodon)

    note_id = await post_status(
        served,
        mastodon,
        "Could a moderator remove my last post?",
        visibility="direct",
        mentions=(group_mention(served),),
    )

    message = await wait_for_post(served, note_id)
    assert (message.group_id, message.visibility) == (group.id, Visibility.DIRECT)
    await settle(served)
    assert await announces_from_group(served, mastodon) == []


@pytest.mark.parametrize(
    ("software", "shapes"),
    [("lemmy", {"activity"}), (None, {"activity", "id"})],
    ids=["group-aware", "unidentified"],
)
async def test_other_software_gets_the_announce_of_the_whole_create(
    served: ServedNode, mastodon: FedifyPeer, software: str | None, shapes: set[str]
) -> None:
    """The contrast: the same peer, naming group-aware software (or none), gets the FEP-1b12
    Announce{Create}; only an unidentified one gets the boost by id as well."""
    await mastodon.set_software(software)
    await public_group(served, PostingPolicy.ANYONE)
    await join(served, mastodon)

    note_id = await post_status(
        served, mastodon, "First time posting here.", mentions=(group_mention(served),)
    )

    await wait_for_post(served, note_id)
    await settle(served)
    objects = await announces_from_group(served, mastodon)
    assert {"id" if isinstance(o, str) else "activity" for o in objects} == shapes
    assert len(objects) == len(shapes)
    for announced in objects:
        if isinstance(announced, str):
            assert announced == note_id
        else:
            assert announced["type"] == "Create"
            assert id_of(announced["object"]) == note_id
