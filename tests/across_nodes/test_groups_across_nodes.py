"""Community groups across real Cove nodes on loopback (FEP-1b12): members on two other nodes
join a group, one posts, the other sees the group's announce, and edits and deletions follow."""

from __future__ import annotations

from sqlmodel import select

from node.groups import groups, organizing
from node.groups.groups import NewGroup
from node.groups.organizing import GroupChanges
from node.groups.posts import PostInfo
from node.members import accounts, participation
from node.moderators.roles import Acting
from node.store.states import AccountRole, ActivityState, Direction, MembershipState
from node.store.tables import Activity, Membership, Post, RemoteActor, RemoteMembership
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


async def test_a_groups_change_reaches_the_nodes_of_its_members(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    # The group sends its Update and announces its owner's: the node of a member reads the
    # group again from its own server, whichever arrives, and applies both without a fault.
    a = served
    olive = await accounts.create_account(a.node, "olive", role=AccountRole.ORGANIZER)
    owner = Acting.member(a.node, olive)
    await organizing.found_group(a.node, owner, NewGroup(name="walkers", title="Walkers"))
    b = await peer_node()
    bea = await accounts.create_account(b.node, "bea")
    async with client_for(b.node) as client:
        await participation.join(b.node, client, bea, a.urls.group("walkers"))

    async def accepted() -> bool:
        return await membership_state(b, "bea") == "accepted"

    await eventually(accepted)
    group_uri = a.urls.group("walkers")
    await organizing.change_group(a.node, owner, "walkers", GroupChanges(title="Evening walkers"))

    async def renamed() -> bool:
        async with b.node.store.session() as session:
            row = (
                await session.exec(select(RemoteActor).where(RemoteActor.uri == group_uri))
            ).one()
        return row.name == "Evening walkers"

    await eventually(renamed)

    async def both_applied() -> list[str]:
        async with b.node.store.session() as session:
            found = await session.exec(
                select(Activity.type, Activity.state).where(
                    Activity.direction == Direction.INBOUND, Activity.actor_uri == group_uri
                )
            )
            rows = found.all()
        kinds = sorted(t for t, s in rows if t in ("Update", "Announce"))
        assert all(s != ActivityState.REJECTED for _, s in rows), rows
        done = all(s == ActivityState.PROCESSED for t, s in rows if t in ("Update", "Announce"))
        return kinds if done and len(kinds) == 2 else []

    assert await eventually(both_applied) == ["Announce", "Update"]
