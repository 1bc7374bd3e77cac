"""A group's rules across two Cove nodes: approval of members, posting policy, private
mentions kept for moderators, anonymous posts, pins, and members-only content."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from federation.errors import FetchError
from node.groups import anonymous_posts, groups, membership
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.members.accounts import AccountInfo
from node.moderators import removals
from node.moderators.roles import Acting
from node.store.states import ActivityState, Direction, PostingPolicy, Visibility
from node.store.tables import Activity, Post, RemoteMembership
from tests.conftest import PeerFactory, ServedNode, client_for, eventually, signed_get


async def member_state(peer: ServedNode, account: AccountInfo) -> str | None:
    async with peer.node.store.session() as session:
        row = (
            await session.exec(
                select(RemoteMembership).where(RemoteMembership.account_id == account.id)
            )
        ).first()
    return row.state.value if row else None


async def join_from(peer: ServedNode, name: str, group_url: str) -> AccountInfo:
    account = await accounts.create_account(peer.node, name)
    async with client_for(peer.node) as client:
        await participation.join(peer.node, client, account, group_url)
    return account


async def joined(peer: ServedNode, account: AccountInfo) -> None:
    async def accepted() -> bool:
        return await member_state(peer, account) == "accepted"

    await eventually(accepted)


async def rejected_activity(node: ServedNode, kind: str) -> list[Activity]:
    async with node.node.store.session() as session:
        rows = await session.exec(
            select(Activity).where(
                Activity.direction == Direction.INBOUND,
                Activity.type == kind,
                Activity.state == ActivityState.REJECTED,
            )
        )
        return list(rows.all())


async def post_on(node: ServedNode, uri: str) -> Post | None:
    async with node.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


async def test_a_group_that_approves_members_keeps_follows_pending_until_a_moderator_acts(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    group = await groups.create_group(
        served.node, NewGroup(name="ptsd", title="PTSD peer support", approves_members=True)
    )
    peer = await peer_node()
    ada = await join_from(peer, "ada", served.urls.group("ptsd"))
    bo = await join_from(peer, "bo", served.urls.group("ptsd"))

    async def both_pending() -> bool:
        return len(await membership.pending_follows(served.node, "ptsd")) == 2

    await eventually(both_pending)
    assert await member_state(peer, ada) == "pending"
    async with client_for(served.node) as client:
        await membership.decide_follow(
            served.node, client, "ptsd", peer.urls.person("ada"), approve=True
        )
        await membership.decide_follow(
            served.node, client, "ptsd", peer.urls.person("bo"), approve=False
        )
    await joined(peer, ada)

    async def bo_rejected() -> bool:
        return await member_state(peer, bo) == "rejected"

    await eventually(bo_rejected)
    async with served.node.store.session() as session:
        assert await groups.follower_count(session, group.id) == 1
    with pytest.raises(Exception, match="no pending request"):
        async with client_for(served.node) as client:
            await membership.decide_follow(
                served.node, client, "ptsd", peer.urls.person("bo"), approve=True
            )


async def test_only_members_post_in_a_members_group_and_only_moderators_start_threads(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    await accounts.create_account(served.node, "lead")
    await groups.create_group(
        served.node,
        NewGroup(
            name="grief", title="Grief", posting_policy=PostingPolicy.MODERATORS, owner="lead"
        ),
    )
    peer = await peer_node()
    outsider = await accounts.create_account(peer.node, "out")
    member = await join_from(peer, "mem", served.urls.group("grief"))
    await joined(peer, member)
    group_url = served.urls.group("grief")
    async with client_for(peer.node) as client:
        by_outsider = await participation.publish(peer.node, client, outsider, group_url, "hi")
        by_member = await participation.publish(peer.node, client, member, group_url, "a thread")

    async def both_refused() -> bool:
        return len(await rejected_activity(served, "Create")) == 2

    await eventually(both_refused)
    reasons = [row.error for row in await rejected_activity(served, "Create")]
    assert reasons == ["only the moderators of grief start threads there"] * 2
    assert await post_on(served, by_outsider) is None
    assert await post_on(served, by_member) is None

    # The moderator (a local member) starts a thread; the member may reply to it.
    mod = await accounts.get_account_by_name(served.node, "lead")
    async with client_for(served.node) as client:
        thread = await participation.publish(
            served.node, client, mod, group_url, "Welcome", title="Start here"
        )
    async with client_for(peer.node) as client:
        reply = await participation.publish(
            peer.node, client, member, group_url, "thanks", in_reply_to=thread
        )

    async def reply_stored() -> Post | None:
        return await post_on(served, reply)

    stored = await eventually(reply_stored)
    assert isinstance(stored, Post) and stored.in_reply_to_uri == thread
    # Someone who is not a member may not reply either.
    async with client_for(peer.node) as client:
        await participation.publish(
            peer.node, client, outsider, group_url, "me too", in_reply_to=thread
        )

    async def third_refusal() -> bool:
        return len(await rejected_activity(served, "Create")) == 3

    await eventually(third_refusal)
    reasons = [row.error for row in await rejected_activity(served, "Create")]
    assert "only members of grief may post there" in reasons


async def test_a_private_mention_of_the_group_reaches_moderators_not_the_group(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    group = await groups.create_group(
        served.node, NewGroup(name="anx", title="Anxiety", posting_policy=PostingPolicy.ANYONE)
    )
    peer = await peer_node()
    sam = await accounts.create_account(peer.node, "sam")
    follower = await join_from(peer, "fol", served.urls.group("anx"))
    await joined(peer, follower)
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.base}/activities/dm-1",
        "type": "Create",
        "actor": peer.urls.person("sam"),
        "to": [served.urls.group("anx")],
        "object": {
            "id": f"{peer.base}/posts/dm-1",
            "type": "Note",
            "attributedTo": peer.urls.person("sam"),
            "to": [served.urls.group("anx")],
            "content": "<p>I am not OK tonight</p>",
            "tag": [{"type": "Mention", "href": served.urls.group("anx")}],
        },
    }
    from federation.client import Signer
    from node.actors.signers import local_signer

    signer: Signer = await local_signer(peer.node, peer.urls.person(sam.username))
    import json

    async with client_for(peer.node) as client:
        assert (
            await client.post(
                served.urls.group("anx") + "/inbox", json.dumps(note).encode(), signer
            )
            == 202
        )

    async def kept() -> Post | None:
        return await post_on(served, f"{peer.base}/posts/dm-1")

    post = await eventually(kept)
    assert isinstance(post, Post)
    assert post.visibility == Visibility.DIRECT and post.group_id == group.id
    # Nothing was announced: the follower's node never heard of it.
    assert await post_on(peer, f"{peer.base}/posts/dm-1") is None
    async with served.node.store.session() as session:
        announces = (
            await session.exec(
                select(Activity).where(
                    Activity.direction == Direction.OUTBOUND, Activity.type == "Announce"
                )
            )
        ).all()
    assert announces == []


async def test_an_anonymous_post_shows_the_group_as_author_and_moderators_see_who(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    await groups.create_group(
        served.node,
        NewGroup(name="youth", title="LGBTQ+ youth", posting_policy=PostingPolicy.MEMBERS),
    )
    riley = await accounts.create_account(served.node, "riley")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, riley, served.urls.group("youth"))
    peer = await peer_node()
    reader = await join_from(peer, "reader", served.urls.group("youth"))
    await joined(peer, reader)
    async with client_for(served.node) as client:
        post_id = await participation.publish(
            served.node,
            client,
            riley,
            served.urls.group("youth"),
            "Coming out went OK",
            title="It went OK",
            anonymous=True,
        )

    async def seen() -> Post | None:
        return await post_on(peer, post_id)

    remote = await eventually(seen)
    assert isinstance(remote, Post)
    assert remote.author_uri == served.urls.group("youth")
    document: dict[str, Any] = await signed_get(peer.node, post_id)
    assert document["attributedTo"] == served.urls.group("youth")
    assert "riley" not in str(document)
    found = await anonymous_posts.author_of(served.node, Acting.operator(served.node), post_id)
    assert (found.author, found.anonymous) == (served.urls.person("riley"), True)
    # Replies still thread under the anonymous post.
    async with client_for(peer.node) as client:
        reply = await participation.publish(
            peer.node,
            client,
            reader,
            served.urls.group("youth"),
            "proud of you",
            in_reply_to=post_id,
        )

    async def reply_here() -> Post | None:
        return await post_on(served, reply)

    stored = await eventually(reply_here)
    assert isinstance(stored, Post) and stored.in_reply_to_uri == post_id


async def test_pinning_a_post_features_it_and_tells_followers(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    await groups.create_group(
        served.node, NewGroup(name="run", title="Runners", posting_policy=PostingPolicy.ANYONE)
    )
    jo = await accounts.create_account(served.node, "jo")
    peer = await peer_node()
    reader = await join_from(peer, "reader", served.urls.group("run"))
    await joined(peer, reader)
    async with client_for(served.node) as client:
        post_id = await participation.publish(
            served.node, client, jo, served.urls.group("run"), "Rules", title="Rules"
        )
        await removals.set_pinned(
            served.node, client, Acting.operator(served.node), "run", post_id, pinned=True
        )
    featured = await signed_get(peer.node, served.urls.group("run") + "/featured")
    assert [item["id"] for item in featured["orderedItems"]] == [post_id]

    async def add_received() -> list[Activity]:
        async with peer.node.store.session() as session:
            return list(
                (
                    await session.exec(
                        select(Activity).where(
                            Activity.direction == Direction.INBOUND, Activity.type == "Add"
                        )
                    )
                ).all()
            )

    (add,) = await eventually(add_received)  # type: ignore[misc]
    assert add.document["target"] == served.urls.group("run") + "/featured"
    async with client_for(served.node) as client:
        await removals.set_pinned(
            served.node, client, Acting.operator(served.node), "run", post_id, pinned=False
        )
    featured = await signed_get(peer.node, served.urls.group("run") + "/featured")
    assert featured["orderedItems"] == []


async def test_members_only_posts_are_addressed_to_followers_and_served_only_to_members(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    await groups.create_group(
        served.node, NewGroup(name="closed", title="Closed", members_only=True)
    )
    kim = await accounts.create_account(served.node, "kim")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, kim, served.urls.group("closed"))
    async with client_for(served.node) as client:
        await membership.decide_follow(
            served.node, client, "closed", served.urls.person("kim"), approve=True
        )
    member_node, stranger_node = await peer_node(), await peer_node()
    lee = await join_from(member_node, "lee", served.urls.group("closed"))

    async def pending() -> bool:
        return bool(await membership.pending_follows(served.node, "closed"))

    await eventually(pending)
    async with client_for(served.node) as client:
        await membership.decide_follow(
            served.node, client, "closed", member_node.urls.person("lee"), approve=True
        )
    await joined(member_node, lee)
    async with client_for(served.node) as client:
        post_id = await participation.publish(
            served.node, client, kim, served.urls.group("closed"), "just us"
        )

    async def delivered() -> Post | None:
        return await post_on(member_node, post_id)

    await eventually(delivered)
    async with member_node.node.store.session() as session:
        announce = (
            await session.exec(
                select(Activity).where(
                    Activity.direction == Direction.INBOUND, Activity.type == "Announce"
                )
            )
        ).first()
    assert announce is not None
    public = "https://www.w3.org/ns/activitystreams#Public"
    assert public not in json_text(announce.document)
    assert (await signed_get(member_node.node, post_id))["id"] == post_id
    with pytest.raises(FetchError, match="404"):
        await signed_get(stranger_node.node, post_id)
    async with served.client.get(post_id, headers={"Accept": "application/activity+json"}) as r:
        assert r.status == 401
    async with served.client.get(served.urls.group("closed"), headers={"Accept": "text/html"}) as r:
        assert "just us" not in await r.text()
    # The group's moderation log likewise: for its members' servers only.
    async with client_for(served.node) as client:
        await removals.set_locked(
            served.node, client, Acting.operator(served.node), "closed", post_id, "", locked=True
        )
    log_url = served.urls.modlog(served.urls.group("closed"))
    logged = await signed_get(member_node.node, log_url)
    assert logged["type"] == "OrderedCollection" and logged["totalItems"] >= 1
    with pytest.raises(FetchError, match=r"40[34]"):
        await signed_get(stranger_node.node, log_url)
    async with served.client.get(log_url, headers={"Accept": "application/activity+json"}) as r:
        assert r.status == 401


def json_text(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document)


async def test_a_follower_that_blocks_the_group_is_dropped(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    import json

    from node.actors.signers import local_signer

    group = await groups.create_group(served.node, NewGroup(name="bip", title="Bipolar"))
    peer = await peer_node()
    dee = await join_from(peer, "dee", served.urls.group("bip"))
    await joined(peer, dee)
    block = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{peer.base}/activities/block-1",
        "type": "Block",
        "actor": peer.urls.person("dee"),
        "object": served.urls.group("bip"),
        "to": [served.urls.group("bip")],
    }
    signer = await local_signer(peer.node, peer.urls.person("dee"))
    async with client_for(peer.node) as client:
        assert await client.post(f"{served.base}/inbox", json.dumps(block).encode(), signer) == 202

    async def dropped() -> bool:
        async with served.node.store.session() as session:
            return await groups.follower_count(session, group.id) == 0

    await eventually(dropped)
