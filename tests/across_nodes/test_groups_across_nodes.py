"""Community groups across real Cove nodes on loopback (FEP-1b12): members on two other nodes
join a group, one posts, the other sees the group's announce, and edits and deletions follow."""

from __future__ import annotations

from sqlmodel import select

from node.groups import groups
from node.groups.groups import NewGroup
from node.groups.posts import PostInfo
from node.members import accounts, participation
from node.store.states import MembershipState
from node.store.tables import Membership, Post, RemoteMembership
from tests.conftest import PeerFactory, ServedNode, client_for, eventually


async def membership_state(node: ServedNode, username: str) -> str | None:
    async with node.node.store.session() as session:
        account = await accounts.get_account(session, username)
        row = (
            await session.exec(
                select(RemoteMembership).where(RemoteMembership.account_id == account.id)
            )
        ).first()
    return row.state.value if row else None


async def feed_of(node: ServedNode, username: str) -> list[PostInfo]:
    async with node.node.store.session() as session:
        account = await accounts.get_account(session, username)
    return await participation.feed(node.node, account)


async def test_a_post_from_one_node_reaches_members_on_another_through_the_group(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    a = served
    await groups.create_group(a.node, NewGroup(name="runners", title="Runners who talk"))
    b, c = await peer_node(), await peer_node()
    bea = await accounts.create_account(b.node, "bea")
    cal = await accounts.create_account(c.node, "cal")

    async with client_for(b.node) as client:
        assert (
            await participation.join(b.node, client, bea, f"runners@{a.urls.domain}") == "pending"
        )
    async with client_for(c.node) as client:
        await participation.join(c.node, client, cal, a.urls.group("runners"))

    async def both_accepted() -> bool:
        return (await membership_state(b, "bea"), await membership_state(c, "cal")) == (
            "accepted",
            "accepted",
        )

    await eventually(both_accepted)
    async with a.node.store.session() as session:
        members = (await session.exec(select(Membership.actor_uri, Membership.state))).all()
    assert sorted(members) == sorted(
        [
            (b.urls.person("bea"), MembershipState.ACCEPTED),
            (c.urls.person("cal"), MembershipState.ACCEPTED),
        ]
    )

    # bea posts into the group on A; cal on C sees it through the group's Announce.
    async with client_for(b.node) as client:
        post_id = await participation.publish(
            b.node,
            client,
            bea,
            a.urls.group("runners"),
            "Ran 5k today, felt low after.",
            title="Low after running",
        )

    async def seen_on_c() -> list[Post]:
        return [p for p in await feed_of(c, "cal") if p.uri == post_id]

    (seen,) = await eventually(seen_on_c)  # type: ignore[misc]
    assert seen.title == "Low after running"
    assert "Ran 5k today" in seen.content_html
    assert seen.author_uri == b.urls.person("bea")
    async with a.node.store.session() as session:
        on_a = (await session.exec(select(Post).where(Post.uri == post_id))).one()
    assert on_a.group_uri == a.urls.group("runners")

    # The edit reaches C.
    async with client_for(b.node) as client:
        await participation.edit(b.node, client, bea, post_id, "Ran 5k today; better now.")

    async def edited_on_c() -> bool:
        return any("better now" in p.content_html for p in await feed_of(c, "cal"))

    await eventually(edited_on_c)

    # So does the deletion.
    async with client_for(b.node) as client:
        await participation.delete(b.node, client, bea, post_id)

    async def gone_from_c() -> bool:
        return all(p.uri != post_id for p in await feed_of(c, "cal"))

    await eventually(gone_from_c)
    async with a.node.store.session() as session:
        assert (await session.exec(select(Post).where(Post.uri == post_id))).one().deleted_at
