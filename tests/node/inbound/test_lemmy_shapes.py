"""Lemmy's own wire documents (create page, create comment, like, undo, dislike, delete,
follow), delivered signed by a stand-in Lemmy server on loopback to a Cove group, and what
the group makes of them: threads, replies, relayed votes, deletions, follows."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlmodel import select

from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.queue.workers import Workers
from node.runtime import Node
from node.store.states import (
    ActivityState,
    Direction,
    MembershipState,
    PostingPolicy,
    PostKind,
    Visibility,
)
from node.store.tables import Activity, Post, RemoteMembership
from tests.conftest import PeerFactory, ServedNode, client_for, eventually, serving
from tests.support.hostile_peer import settled
from tests.support.lemmy_peer import (
    USERNAME,
    InboxPost,
    LemmyPeer,
    start_lemmy_peer,
    without_community,
)
from tests.support.wire_samples import sample_sets

CREATE_PAGE = "activities/create_or_update/create_page.json"
CREATE_COMMENT = "activities/create_or_update/create_comment.json"
LIKE = "activities/voting/like_note.json"
UNDO_LIKE = "activities/voting/undo_like_note.json"
DISLIKE = "activities/voting/dislike_page.json"
DELETE_PAGE = "activities/deletion/delete_page.json"
FOLLOW = "activities/following/follow.json"

Runner = Callable[[], Awaitable[object]]


@pytest.fixture(params=sample_sets())
async def lemmy(request: pytest.FixtureRequest) -> AsyncIterator[LemmyPeer]:
    """The stand-in sending the project's Lemmy samples, then the shared set's."""
    async with start_lemmy_peer(samples=request.param / "lemmy") as peer:
        yield peer


async def make_group(served: ServedNode, policy: PostingPolicy = PostingPolicy.ANYONE) -> str:
    await groups.create_group(
        served.node, NewGroup(name="grief", title="Grief", posting_policy=policy)
    )
    return served.urls.group("grief")


async def deliver(served: ServedNode, lemmy: LemmyPeer, document: dict[str, Any]) -> None:
    """POST as Lemmy does: signed by the person, to the group's inbox."""
    inbox = served.urls.inbox(served.urls.group("grief"))
    async with client_for(served.node) as client:
        status = await client.post(inbox, json.dumps(document).encode(), lemmy.signer)
    assert status == 202, f"{document['type']} answered {status}"


async def processed(served: ServedNode, activity_id: str) -> None:
    row = await settled(served, activity_id)
    assert row.state == ActivityState.PROCESSED, f"{row.type} {row.state.value}: {row.error}"


async def post_at(node: ServedNode, uri: str) -> Post | None:
    async with node.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


async def member_elsewhere(
    group: str, peer_node: PeerFactory, *, run: Runner | None = None
) -> ServedNode:
    """Another Cove node whose member bea has joined `group` (and been accepted)."""
    elsewhere = await peer_node()
    bea = await accounts.create_account(elsewhere.node, "bea")
    async with client_for(elsewhere.node) as client:
        await participation.join(elsewhere.node, client, bea, group)

    async def bea_accepted() -> bool:
        if run is not None:
            await run()
        async with elsewhere.node.store.session() as session:
            row = (await session.exec(select(RemoteMembership))).first()
        return row is not None and row.state == MembershipState.ACCEPTED

    await eventually(bea_accepted)
    return elsewhere


async def announced_to(node: ServedNode, activity_ids: list[str]) -> dict[str, str] | None:
    """Who announced each of these activities to `node` (inner id -> Announce actor), once
    every one of them arrived there and was applied."""
    async with node.node.store.session() as session:
        rows = (
            await session.exec(
                select(Activity).where(
                    Activity.direction == Direction.INBOUND, Activity.type == "Announce"
                )
            )
        ).all()
    found = {
        row.document["object"]["id"]: row.actor_uri
        for row in rows
        if isinstance(row.document.get("object"), dict) and row.state == ActivityState.PROCESSED
    }
    return {i: found[i] for i in activity_ids} if set(activity_ids) <= set(found) else None


async def announced_inner(node: ServedNode, activity_id: str) -> dict[str, Any]:
    async with node.node.store.session() as session:
        rows = (await session.exec(select(Activity).where(Activity.type == "Announce"))).all()
    (inner,) = [
        row.document["object"]
        for row in rows
        if isinstance(row.document.get("object"), dict)
        and row.document["object"].get("id") == activity_id
    ]
    return dict(inner)


def create_then_delete(
    lemmy: LemmyPeer, group: str, n: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lemmy's create_page and delete_page fixtures for the nth page of a test."""
    create, delete = lemmy.fixture(CREATE_PAGE, group), lemmy.fixture(DELETE_PAGE, group)
    page_id = f"{lemmy.base}/post/{n}"
    create = {**create, "id": f"{create['id']}-{n}", "object": {**create["object"], "id": page_id}}
    delete = {**delete, "id": f"{delete['id']}-{n}", "object": page_id}
    lemmy.publish(create)
    lemmy.publish(delete)
    return create, delete


async def test_lemmys_create_page_becomes_a_thread_in_the_group(
    served: ServedNode, lemmy: LemmyPeer
) -> None:
    group = await make_group(served)
    create = lemmy.fixture(CREATE_PAGE, group)

    await deliver(served, lemmy, create)
    await processed(served, create["id"])

    page = await post_at(served, create["object"]["id"])
    assert page is not None
    assert page.kind == PostKind.PAGE
    assert page.title == create["object"]["name"]
    assert page.content_html.strip() == create["object"]["content"].strip()
    assert (page.group_uri, page.author_uri) == (group, lemmy.person)
    assert page.in_reply_to_uri is None
    assert page.visibility == Visibility.PUBLIC
    assert page.deleted_at is None


async def test_lemmys_comment_becomes_a_reply_in_the_pages_group(
    served: ServedNode, lemmy: LemmyPeer
) -> None:
    group = await make_group(served)
    create_page = lemmy.fixture(CREATE_PAGE, group)
    create_comment = lemmy.fixture(CREATE_COMMENT, group)
    assert create_comment["object"]["inReplyTo"] == create_page["object"]["id"]

    await deliver(served, lemmy, create_page)
    await deliver(served, lemmy, create_comment)
    await processed(served, create_page["id"])
    await processed(served, create_comment["id"])

    page = await post_at(served, create_page["object"]["id"])
    comment = await post_at(served, create_comment["object"]["id"])
    assert page is not None and comment is not None
    assert comment.kind == PostKind.NOTE
    assert comment.title is None
    assert comment.content_html == create_comment["object"]["content"]
    assert comment.in_reply_to_uri == page.uri
    assert (comment.group_id, comment.group_uri) == (page.group_id, group)
    assert comment.author_uri == lemmy.person


async def test_lemmys_comment_that_names_no_community_follows_its_thread(
    served: ServedNode, lemmy: LemmyPeer
) -> None:
    group = await make_group(served)
    create_page = lemmy.fixture(CREATE_PAGE, group)
    create_comment = without_community(lemmy.fixture(CREATE_COMMENT, group), group)
    assert group not in json.dumps(create_comment)

    await deliver(served, lemmy, create_page)
    await processed(served, create_page["id"])
    await deliver(served, lemmy, create_comment)
    await processed(served, create_comment["id"])

    comment = await post_at(served, create_comment["object"]["id"])
    assert comment is not None
    assert comment.group_uri == group
    assert comment.in_reply_to_uri == create_page["object"]["id"]


async def test_lemmys_votes_and_deletion_reach_a_member_on_another_cove_node(
    served: ServedNode, lemmy: LemmyPeer, peer_node: PeerFactory
) -> None:
    group = await make_group(served)
    elsewhere = await member_elsewhere(group, peer_node)
    create_page = lemmy.fixture(CREATE_PAGE, group)
    create_comment = lemmy.fixture(CREATE_COMMENT, group)
    page_id, comment_id = create_page["object"]["id"], create_comment["object"]["id"]

    await deliver(served, lemmy, create_page)
    await deliver(served, lemmy, create_comment)

    async def thread_there() -> bool:
        return None not in (await post_at(elsewhere, page_id), await post_at(elsewhere, comment_id))

    await eventually(thread_there)

    like, undo = lemmy.fixture(LIKE, group), lemmy.fixture(UNDO_LIKE, group)
    dislike, delete = lemmy.fixture(DISLIKE, group), lemmy.fixture(DELETE_PAGE, group)
    # The fixtures' votes are on the comment (Like, Undo{Like}) and on the page (Dislike).
    assert like["object"] == undo["object"]["object"] == comment_id
    assert dislike["object"] == delete["object"] == page_id
    for activity in (like, undo, dislike, delete):
        await deliver(served, lemmy, activity)

    sent = [create_page, create_comment, like, undo, dislike, delete]
    for activity in sent:
        await processed(served, activity["id"])
    announced = await eventually(lambda: announced_to(elsewhere, [a["id"] for a in sent]))
    assert announced == {a["id"]: group for a in sent}
    undo_as_announced = await announced_inner(elsewhere, undo["id"])
    assert undo_as_announced["object"]["type"] == "Like"
    assert undo_as_announced["object"]["object"] == comment_id

    page_there, reply_there = (
        await post_at(elsewhere, page_id),
        await post_at(elsewhere, comment_id),
    )
    assert page_there is not None and page_there.deleted_at is not None
    assert reply_there is not None and reply_there.deleted_at is None
    assert reply_there.in_reply_to_uri == page_id
    here = await post_at(served, page_id)
    assert here is not None and here.deleted_at is not None


async def test_a_lemmy_delete_right_after_its_create_takes_the_thread_down_on_followers(
    node: Node, lemmy: LemmyPeer, peer_node: PeerFactory
) -> None:
    # Workers run by hand: each Create and its Delete are applied, then both Announces
    # leave, in one round, as when Lemmy's user deletes a post at once.
    async with serving(node, workers=False) as served, client_for(node) as client:
        workers = Workers(node, client)
        group = await make_group(served)
        elsewhere = await member_elsewhere(group, peer_node, run=workers.run_once)
        pairs = [create_then_delete(lemmy, group, n) for n in range(1, 9)]
        for create, delete in pairs:
            await deliver(served, lemmy, create)
            await deliver(served, lemmy, delete)
            while await workers.run_once():
                pass
        sent = [a["id"] for pair in pairs for a in pair]
        await eventually(lambda: announced_to(elsewhere, sent))

        still_up = []
        for create, _ in pairs:
            post = await post_at(elsewhere, create["object"]["id"])
            if post is None or post.deleted_at is None:
                still_up.append(create["object"]["id"])
        assert still_up == []


async def test_lemmy_user_follows_a_members_only_posting_group_then_posts_there(
    served: ServedNode, lemmy: LemmyPeer
) -> None:
    group = await make_group(served, PostingPolicy.MEMBERS)
    early = lemmy.fixture(CREATE_PAGE, group)
    await deliver(served, lemmy, early)
    refused = await settled(served, early["id"])
    assert refused.state == ActivityState.REJECTED
    assert refused.error == "only members of grief may post there"
    assert await post_at(served, early["object"]["id"]) is None

    follow = lemmy.fixture(FOLLOW, group)
    assert (follow["object"], follow["to"]) == (group, [group])
    await deliver(served, lemmy, follow)
    await processed(served, follow["id"])

    async def accepted() -> list[InboxPost]:
        return lemmy.received("Accept")

    await eventually(accepted)
    (accept,) = lemmy.received("Accept")
    assert accept.path == f"/u/{USERNAME}/inbox"
    assert accept.signed_by == group, accept.reason
    assert accept.document["actor"] == group
    assert accept.document["object"]["id"] == follow["id"]

    # The refused Create's id is on record (sent again, it is a redelivery): a second Create
    # of the page, with an id of its own.
    again = {**early, "id": early["id"] + "-again"}
    lemmy.publish(again)
    await deliver(served, lemmy, again)
    await processed(served, again["id"])
    page = await post_at(served, again["object"]["id"])
    assert page is not None and page.kind == PostKind.PAGE and page.group_uri == group

    # As a follower, Lemmy gets the group's Announce of the Create it sent (FEP-1b12).
    async def announced() -> list[InboxPost]:
        return [
            a
            for a in lemmy.received("Announce")
            if isinstance(a.document["object"], dict) and a.document["object"]["id"] == again["id"]
        ]

    await eventually(announced)
    (announce,) = await announced()
    assert announce.signed_by == group, announce.reason
    assert announce.path == "/inbox"  # the shared inbox from Lemmy's Person document
    assert announce.document["object"]["object"]["id"] == again["object"]["id"]
    assert [p.reason for p in lemmy.inbox_posts if p.signed_by is None] == []
