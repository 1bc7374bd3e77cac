"""The domain policy on every path, against a stand-in server on its own loopback address
(another address is another domain): a suspended domain is refused at the inbox before any
key fetch or storage, is never fetched from or delivered to, cannot be followed or joined,
and what the node held of it goes (said first in a dry run); reject_reports drops its Flags;
a silenced domain asks to follow and reaches no one else; reject_media keeps none of its
media; a group's moderators can keep a domain out of their group only."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from federation.errors import PolicyRefused, Refused
from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.actors.remote import remote_actor, resolve_handle
from node.domain_policy import blocks
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators import appointments, group_domain_blocks
from node.moderators.roles import Acting
from node.queue.sender import Sender
from node.runtime import Node
from node.store.states import DeliveryState, MembershipState, PostingPolicy, Visibility
from node.store.tables import Activity, Delivery, Membership, Post, Report
from tests.conftest import ServedNode, add_follower, client_for, eventually
from tests.node.inbound.test_lemmy_shapes import CREATE_PAGE, FOLLOW, settled
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer

EVIL = "127.0.0.2"  # the stand-in's domain


@pytest.fixture
async def evil() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer(address=EVIL) as peer:
        yield peer


async def grief(served: ServedNode) -> str:
    await groups.create_group(
        served.node, NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE)
    )
    return served.urls.group("grief")


async def block(node: Node, severity: Severity, **flags: Any) -> blocks.Applied:
    entry = BlockEntry(domain=EVIL, severity=severity, **flags)
    return await blocks.set_block(node, Acting.operator(node), entry)


async def send(served: ServedNode, peer: LemmyPeer, document: dict[str, Any]) -> int:
    inbox = served.urls.inbox(served.urls.group("grief"))
    async with client_for(served.node) as client:
        return await client.post(inbox, json.dumps(document).encode(), peer.signer)


async def stored(served: ServedNode, activity_id: str) -> bool:
    async with served.node.store.session() as session:
        found = await session.exec(select(Activity).where(Activity.uri == activity_id))
        return found.first() is not None


async def test_a_suspended_domain_is_refused_at_the_inbox_before_any_key_fetch(
    served: ServedNode, evil: LemmyPeer
) -> None:
    group = await grief(served)
    await block(served.node, Severity.SUSPEND)
    create = evil.fixture(CREATE_PAGE, group)
    evil.requests.clear()
    assert await send(served, evil, create) == 403
    assert evil.requests == []  # no key fetch, nothing else
    assert not await stored(served, create["id"])
    # Lifted, the same activity is accepted (the policy follows its entries at once).
    await blocks.remove_block(served.node, Acting.operator(served.node), EVIL)
    assert await send(served, evil, create) == 202


async def test_nothing_is_fetched_from_or_delivered_to_a_suspended_domain(
    served: ServedNode, evil: LemmyPeer
) -> None:
    node = served.node
    await grief(served)
    await block(node, Severity.SUSPEND)
    evil.requests.clear()
    async with client_for(node) as client:
        with pytest.raises(PolicyRefused, match="not federated with"):
            await remote_actor(node, client, evil.person)
        with pytest.raises(PolicyRefused):
            await resolve_handle(node, client, f"@someone@{evil.base.split('//')[1]}")
        # A delivery owed to it (queued before the block reached this process): cancelled at
        # its first try, never retried, and nothing is sent.
        async with node.store.transaction() as session:
            group = await groups.get_group(session, "grief")
            await add_follower(
                session, group.id, evil.person, f"{evil.base}/inbox", None, node.clock()
            )
        from node.groups.announcing import announce

        note = {"id": "https://x.example/c/1", "type": "Create", "actor": "https://x.example/u/a"}
        await announce(node, client, group, note, None)
        async with node.store.session() as session:
            owed = (await session.exec(select(Delivery))).all()
        assert [d.state for d in owed] == [DeliveryState.PENDING]
        await Sender(node, client, random.Random(1)).deliver_round()

    async def decided() -> Delivery | None:
        # The node's own sender may have claimed it first: wait for whichever records it.
        async with node.store.session() as session:
            (row,) = (await session.exec(select(Delivery))).all()
        return row if row.state != DeliveryState.PENDING else None

    row = await eventually(decided)
    assert isinstance(row, Delivery)
    assert row.state == DeliveryState.CANCELLED and "not federated with" in (row.last_error or "")
    assert evil.requests == []


async def test_a_suspension_says_first_what_it_cuts_then_cuts_it(
    served: ServedNode, evil: LemmyPeer
) -> None:
    node = served.node
    await grief(served)
    await groups.create_group(node, NewGroup(name="calm", title="Calm"))
    now = node.clock()
    async with node.store.transaction() as session:
        grief_id = (await groups.get_group(session, "grief")).id
        calm_id = (await groups.get_group(session, "calm")).id
        for n, group_id in enumerate([grief_id, grief_id, grief_id, calm_id]):
            uri = f"{evil.base}/u/f{n}"
            await add_follower(session, group_id, uri, f"{uri}/inbox", None, now)
        for n in range(2):
            session.add(
                Post(
                    uri=f"{evil.base}/post/{n}",
                    author_uri=f"{evil.base}/u/f{n}",
                    group_id=grief_id,
                    kind="note",
                    content_html="<p>hi</p>",
                    visibility=Visibility.PUBLIC,
                    local=False,
                    published=now,
                    created_at=now,
                )
            )
    entry = BlockEntry(domain=EVIL, severity=Severity.SUSPEND)
    admin = Acting.operator(node)
    preview = await blocks.set_block(node, admin, entry, dry_run=True)
    assert preview.impact.describe() == "4 followers of 2 groups, 2 posts"
    assert await blocks.find_block(node, EVIL) is None  # a dry run changes nothing
    done = await blocks.set_block(node, admin, entry)
    assert done.impact.describe() == "4 followers of 2 groups, 2 posts"
    async with node.store.session() as session:
        states = {m.state for m in (await session.exec(select(Membership))).all()}
        removed = [p.removed_at is not None for p in (await session.exec(select(Post))).all()]
    assert states == {MembershipState.LEFT} and removed == [True, True]


async def test_a_member_cannot_join_a_group_on_a_suspended_domain(
    served: ServedNode, evil: LemmyPeer
) -> None:
    node = served.node
    await block(node, Severity.SUSPEND)
    ann = await accounts.create_account(node, "ann")
    evil.requests.clear()
    async with client_for(node) as client:
        with pytest.raises(Refused, match="not federated with"):
            await participation.join(node, client, ann, evil.group_document("main")["id"])
    assert evil.requests == []


async def test_reports_from_a_domain_whose_reports_are_rejected_are_dropped(
    served: ServedNode, evil: LemmyPeer
) -> None:
    node = served.node
    group = await grief(served)
    await block(node, Severity.NOOP, reject_reports=True)
    ann = await accounts.create_account(node, "ann")
    async with client_for(node) as client:
        await participation.join(node, client, ann, group)
        post = await participation.publish(node, client, ann, group, "hello", title="Hi")
    flag = {
        "id": f"{evil.base}/flags/1",
        "type": "Flag",
        "actor": evil.person,
        "object": post,
        "summary": "harassment",
        "to": [group],
    }
    assert await send(served, evil, flag) == 202  # acknowledged, so it is not sent again
    assert not await stored(served, flag["id"])
    async with node.store.session() as session:
        assert (await session.exec(select(Report))).all() == []
    # The domain still federates otherwise (noop): its posts are taken.
    create = evil.fixture(CREATE_PAGE, group)
    assert await send(served, evil, create) == 202


async def test_a_silenced_domain_asks_to_follow_and_its_posts_are_boosted_to_no_one(
    served: ServedNode, evil: LemmyPeer
) -> None:
    node = served.node
    group = await grief(served)
    await block(node, Severity.SILENCE)
    follow = evil.fixture(FOLLOW, group)
    assert await send(served, evil, follow) == 202
    await settled(served, follow["id"])
    async with node.store.session() as session:
        (membership,) = (await session.exec(select(Membership))).all()
    assert membership.state == MembershipState.PENDING  # the group approves nobody else
    create = evil.fixture(CREATE_PAGE, group)
    assert await send(served, evil, create) == 202
    await settled(served, create["id"])
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == create["object"]["id"]))).one()
        boosts = await session.exec(select(Activity).where(Activity.type == "Announce"))
        assert boosts.all() == []
    assert post.visibility == Visibility.UNLISTED  # kept for the moderators, listed nowhere


@pytest.mark.parametrize("reject_media", [True, False])
async def test_media_of_a_domain_whose_media_is_rejected_is_neither_kept_nor_relayed(
    served: ServedNode, evil: LemmyPeer, reject_media: bool
) -> None:
    node = served.node
    group = await grief(served)
    await block(node, Severity.NOOP, reject_media=reject_media)
    create = evil.fixture(CREATE_PAGE, group)
    assert create["object"]["attachment"]  # Lemmy's page links an image
    assert await send(served, evil, create) == 202
    await settled(served, create["id"])
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == create["object"]["id"]))).one()
        boost = (await session.exec(select(Activity).where(Activity.type == "Announce"))).one()
    relayed = boost.document["object"]["object"]
    if reject_media:
        assert post.attachments == [] and "attachment" not in relayed
    else:
        assert [a["url"] for a in post.attachments] == [create["object"]["attachment"][0]["href"]]
        assert relayed["attachment"] == create["object"]["attachment"]


async def test_a_groups_moderators_keep_a_domain_out_of_their_group_only(
    served: ServedNode, evil: LemmyPeer
) -> None:
    node = served.node
    group = await grief(served)
    await groups.create_group(node, NewGroup(name="calm", title="Calm"))
    olive = await accounts.create_account(node, "olive")
    async with client_for(node) as client:
        await appointments.set_moderator(
            node, client, Acting.operator(node), "grief", "olive", moderator=True
        )
    by_olive = Acting.member(node, olive)
    info, ended = await group_domain_blocks.block_domain(node, by_olive, "grief", EVIL, "raids")
    assert (info.domain, ended) == (EVIL, 0)
    with pytest.raises(Refused):  # olive moderates grief, not calm
        await group_domain_blocks.block_domain(node, by_olive, "calm", EVIL)
    follow = evil.fixture(FOLLOW, group)
    assert await send(served, evil, follow) == 202
    row = await settled(served, follow["id"])
    assert row.state.value == "rejected" and "kept out of grief" in (row.error or "")

    async def rejected_follow() -> bool:
        return bool(evil.received("Reject"))

    await eventually(rejected_follow)
    create = evil.fixture(CREATE_PAGE, group)
    assert await send(served, evil, create) == 202
    assert (await settled(served, create["id"])).state.value == "rejected"
    # The rest of the node still takes the domain: a follow of calm is accepted.
    calm_follow = {**follow, "id": f"{evil.base}/follow/calm", "object": served.urls.group("calm")}
    evil.publish(calm_follow)
    inbox = served.urls.inbox(served.urls.group("calm"))
    async with client_for(node) as client:
        assert await client.post(inbox, json.dumps(calm_follow).encode(), evil.signer) == 202
    assert (await settled(served, calm_follow["id"])).state.value == "processed"
    async with node.store.session() as session:
        logged = await session.exec(
            select(col(Membership.state)).where(Membership.actor_uri == evil.person)
        )
        assert sorted(s.value for s in logged.all()) == ["accepted"]
    await group_domain_blocks.unblock_domain(node, by_olive, "grief", EVIL)
    assert await group_domain_blocks.blocked_domains(node, by_olive, "grief") == []
