"""Each moderation action of a group on node A, and its reversal, reaching the members' servers
B and C over loopback: removal and restore, lock and unlock, ban and unban, and moderators
appointed and stepping down (B reads the moderators collection afresh). Forged bans and
removals from anyone off that collection are refused. Pins are not here: B does not apply a
group's Add/Remove on its featured collection yet (the dispatch table leaves them)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import col, select

from federation import builders
from federation.errors import Invalid, Refused
from federation.readers import read_document
from federation.wire import Activity
from node.actors.signers import local_signer
from node.groups import groups
from node.groups.groups import NewGroup
from node.inbound import dispatch, remote_moderation
from node.members import accounts, participation
from node.members.accounts import AccountInfo
from node.moderators import appointments, bans, removals
from node.moderators.bans import ban_in_force
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import BanState
from node.store.tables import Activity as ActivityRow
from node.store.tables import Ban, ModLogEntry, Post
from tests.across_nodes.test_moderation_across_nodes import find_post, membership_accepted
from tests.conftest import PeerFactory, ServedNode, client_for, eventually, serving


@dataclass
class Garden:
    """Group "garden" on A, owned by olive, with ann (a member on A) and members on B and C."""

    a: ServedNode
    b: ServedNode
    c: ServedNode
    olive: AccountInfo  # owner on A
    ann: AccountInfo  # member on A
    max: AccountInfo  # account on A, not a moderator
    ray: AccountInfo  # member on B
    cal: AccountInfo  # member on C

    @property
    def group(self) -> str:
        return self.a.urls.group("garden")

    @property
    def by_olive(self) -> Acting:
        return Acting.member(self.a.node, self.olive)


@asynccontextmanager
async def garden(node: Node, peer_node: PeerFactory) -> AsyncIterator[Garden]:
    async with serving(node) as a:
        b, c = await peer_node(), await peer_node()
        olive = await accounts.create_account(a.node, "olive")
        await groups.create_group(a.node, NewGroup(name="garden", title="Garden", owner="olive"))
        world = Garden(
            a=a,
            b=b,
            c=c,
            olive=olive,
            ann=await accounts.create_account(a.node, "ann"),
            max=await accounts.create_account(a.node, "max"),
            ray=await accounts.create_account(b.node, "ray"),
            cal=await accounts.create_account(c.node, "cal"),
        )
        for served, member in ((a, world.ann), (b, world.ray), (c, world.cal)):
            async with client_for(served.node) as client:
                await participation.join(served.node, client, member, world.group)
        await eventually(lambda: membership_accepted(b, "ray"))
        await eventually(lambda: membership_accepted(c, "cal"))
        yield world


async def _remove_everywhere(
    w: Garden, uris: tuple[str, ...], reason: str, *, removed: bool
) -> None:
    """olive removes (or restores) the posts on A; wait until B and C both have it so."""
    async with client_for(w.a.node) as client:
        for uri in uris:
            await removals.set_removed(
                w.a.node, client, w.by_olive, "garden", uri, reason, removed=removed
            )

    async def done_on_b_and_c() -> bool:
        posts = [await _stored(n, uri) for n in (w.b, w.c) for uri in uris]
        return all((p.removed_at is not None) == removed for p in posts)

    await eventually(done_on_b_and_c)


async def _stored(served: ServedNode, uri: str) -> Post:
    post = await find_post(served, uri)
    assert post is not None, f"{uri} is not stored on {served.base}"
    return post


async def _publish(
    served: ServedNode,
    member: AccountInfo,
    group: str,
    text: str,
    *,
    title: str | None = None,
    in_reply_to: str | None = None,
) -> str:
    async with client_for(served.node) as client:
        return await participation.publish(
            served.node, client, member, group, text, title=title, in_reply_to=in_reply_to
        )


async def _in_group_on_a(world: Garden, uri: str) -> bool:
    post = await find_post(world.a, uri)
    return post is not None and post.group_id is not None


async def _feed(served: ServedNode, member: AccountInfo) -> list[str]:
    return [p.uri for p in await participation.feed(served.node, member)]


async def _served_as(served: ServedNode, uri: str) -> tuple[int, str]:
    """How a post's origin serves it: (HTTP status, ActivityStreams type)."""
    async with served.client.get(uri, headers={"Accept": "application/activity+json"}) as r:
        return r.status, (await r.json(content_type=None))["type"]


def _activity(document: dict[str, object]) -> Activity:
    read = read_document(document)
    assert isinstance(read, Activity)
    return read


# Removal and restore ----------------------------------------------------------------------------


async def test_a_removed_post_is_hidden_on_members_servers_and_back_after_restore(
    node: Node, peer_node: PeerFactory
) -> None:
    async with garden(node, peer_node) as w:
        # One post from A (ann) and one from B (ray): each server is the other's origin.
        from_a = await _publish(w.a, w.ann, w.group, "Tomato seeds to swap", title="Seeds")
        from_b = await _publish(w.b, w.ray, w.group, "My plums are ripe", title="Plums")

        async def both_everywhere() -> bool:
            return all(
                [
                    await find_post(w.b, from_a) is not None,
                    await _in_group_on_a(w, from_b),
                    await find_post(w.c, from_b) is not None,
                ]
            )

        await eventually(both_everywhere)
        for uri in (from_a, from_b):
            assert (await _stored(w.b, uri)).removed_at is None
        assert {from_a, from_b} <= set(await _feed(w.b, w.ray))
        assert await _served_as(w.a, from_a) == (200, "Page")
        assert await _served_as(w.b, from_b) == (200, "Page")

        await _remove_everywhere(w, (from_a, from_b), "off topic", removed=True)
        assert (await _stored(w.b, from_a)).removal_reason == "off topic"
        assert (await _stored(w.b, from_a)).deleted_at is None  # removed, not deleted
        assert not {from_a, from_b} & set(await _feed(w.b, w.ray))
        # Each origin serves a Tombstone now: A for ann's post, B for its own member's.
        assert await _served_as(w.a, from_a) == (410, "Tombstone")
        assert await _served_as(w.b, from_b) == (410, "Tombstone")

        await _remove_everywhere(w, (from_a, from_b), "", removed=False)
        assert (await _stored(w.b, from_a)).removal_reason is None
        assert {from_a, from_b} <= set(await _feed(w.b, w.ray))
        assert await _served_as(w.a, from_a) == (200, "Page")
        assert await _served_as(w.b, from_b) == (200, "Page")


async def test_a_moderators_removal_of_their_own_post_is_a_removal_and_restorable(
    node: Node, peer_node: PeerFactory
) -> None:
    # B took the owner's Delete of her own post for a deletion: the Undo found nothing to
    # restore and the post stayed gone on B.
    async with garden(node, peer_node) as w:
        mine = await _publish(w.a, w.olive, w.group, "Welcome, all", title="Welcome")
        await eventually(lambda: find_post(w.b, mine))
        assert mine in await _feed(w.b, w.ray)

        async with client_for(w.a.node) as client:
            await removals.set_removed(
                w.a.node, client, w.by_olive, "garden", mine, "outdated", removed=True
            )

        async def gone_on_b() -> bool:
            post = await _stored(w.b, mine)
            return post.removed_at is not None or post.deleted_at is not None

        await eventually(gone_on_b)
        post = await _stored(w.b, mine)
        assert (post.removed_at is not None, post.deleted_at) == (True, None)
        assert mine not in await _feed(w.b, w.ray)

        async with client_for(w.a.node) as client:
            await removals.set_removed(
                w.a.node, client, w.by_olive, "garden", mine, "", removed=False
            )

        async def back_on_b() -> bool:
            return mine in await _feed(w.b, w.ray)

        await eventually(back_on_b)


# Lock and unlock --------------------------------------------------------------------------------


async def test_a_locked_thread_refuses_replies_on_members_servers_until_unlocked(
    node: Node, peer_node: PeerFactory
) -> None:
    async with garden(node, peer_node) as w:
        thread = await _publish(w.a, w.ann, w.group, "Which mulch?", title="Mulch")
        await eventually(lambda: find_post(w.b, thread))
        assert (await _stored(w.b, thread)).locked_at is None

        async with client_for(w.a.node) as client:
            await removals.set_locked(
                w.a.node, client, w.by_olive, "garden", thread, "heated", locked=True
            )

        async def locked_on_b() -> bool:
            return (await _stored(w.b, thread)).locked_at is not None

        await eventually(locked_on_b)
        with pytest.raises(Refused, match="locked"):
            await _publish(w.b, w.ray, w.group, "Bark, obviously", in_reply_to=thread)
        async with w.b.node.store.session() as session:
            replies = await session.exec(select(Post).where(Post.in_reply_to_uri == thread))
            assert replies.all() == []  # refused before it was stored or sent

        async with client_for(w.a.node) as client:
            await removals.set_locked(
                w.a.node, client, w.by_olive, "garden", thread, "", locked=False
            )

        async def unlocked_on_b() -> bool:
            return (await _stored(w.b, thread)).locked_at is None

        await eventually(unlocked_on_b)
        reply = await _publish(w.b, w.ray, w.group, "Bark, calmly", in_reply_to=thread)
        await eventually(lambda: _in_group_on_a(w, reply))
        assert (await _stored(w.a, reply)).in_reply_to_uri == thread


async def test_the_group_itself_refuses_a_reply_into_a_locked_thread(
    node: Node, peer_node: PeerFactory
) -> None:
    async with garden(node, peer_node) as w:
        thread = await _publish(w.a, w.olive, w.group, "Closed for now", title="Closed")
        async with client_for(w.a.node) as client:
            await removals.set_locked(
                w.a.node, client, w.by_olive, "garden", thread, "", locked=True
            )
        with pytest.raises(Refused, match="locked"):
            await _publish(w.a, w.ann, w.group, "But wait", in_reply_to=thread)


# Ban and unban ----------------------------------------------------------------------------------


async def _ban_on(served: ServedNode, group: str, actor: str) -> Ban | None:
    async with served.node.store.session() as session:
        return await ban_in_force(session, group, actor, served.node.clock())


async def test_a_ban_reaches_the_banned_members_server_and_so_does_its_lifting(
    node: Node, peer_node: PeerFactory
) -> None:
    async with garden(node, peer_node) as w:
        cal = w.c.urls.person("cal")
        before = await _publish(w.c, w.cal, w.group, "Hello gardeners", title="Hi")
        await eventually(lambda: _in_group_on_a(w, before))
        assert await _ban_on(w.c, w.group, cal) is None

        until = (w.a.node.clock() + timedelta(days=7)).replace(
            microsecond=0
        )  # the wire has seconds
        async with client_for(w.a.node) as client:
            await bans.ban(w.a.node, client, w.by_olive, "garden", cal, "spam", until)
        banned = await eventually(lambda: _ban_on(w.c, w.group, cal))
        assert isinstance(banned, Ban)
        assert (banned.reason, banned.moderator_uri) == ("spam", w.a.urls.person("olive"))
        assert banned.expires_at == until
        with pytest.raises(Refused, match="banned"):
            await _publish(w.c, w.cal, w.group, "Let me in", title="Again")

        async with client_for(w.a.node) as client:
            await bans.unban(w.a.node, client, w.by_olive, "garden", cal)

        async def lifted_on_c() -> bool:
            return await _ban_on(w.c, w.group, cal) is None

        await eventually(lifted_on_c)
        async with w.c.node.store.session() as session:
            row = await session.get(Ban, banned.id)
            assert row is not None and row.state == BanState.LIFTED
        after = await _publish(w.c, w.cal, w.group, "Thank you", title="Back")
        await eventually(lambda: _in_group_on_a(w, after))
        assert await bans.list_bans(w.a.node, w.by_olive, "garden") == []


async def test_a_ban_that_would_have_ended_already_is_refused_and_changes_nothing(
    served: ServedNode,
) -> None:
    a = served
    olive = await accounts.create_account(a.node, "olive")
    await groups.create_group(a.node, NewGroup(name="garden", title="Garden", owner="olive"))
    acting = Acting.member(a.node, olive)
    async with client_for(a.node) as client:
        with pytest.raises(Invalid, match="expiry is in the past"):
            await bans.ban(
                a.node,
                client,
                acting,
                "garden",
                "http://elsewhere.example/u/cal",
                "spam",
                a.node.clock() - timedelta(hours=1),
            )
    assert await bans.list_bans(a.node, acting, "garden") == []
    async with a.node.store.session() as session:
        assert (await session.exec(select(Ban))).all() == []
        assert (await session.exec(select(ModLogEntry))).all() == []
        sent = await session.exec(select(ActivityRow).where(ActivityRow.type == "Block"))
        assert sent.all() == []


async def _garden_and_cal(a: ServedNode, peer_node: PeerFactory) -> tuple[ServedNode, str, str]:
    """Group "garden" on A, owned by olive (max has an account, no role); cal's node C."""
    await accounts.create_account(a.node, "olive")
    await accounts.create_account(a.node, "max")
    await groups.create_group(a.node, NewGroup(name="garden", title="Garden", owner="olive"))
    c = await peer_node()
    return c, a.urls.group("garden"), c.urls.person("cal")


def _ban_by(a: ServedNode, name: str, token: str, banned: str) -> dict[str, object]:
    group = a.urls.group("garden")
    return builders.ban(
        a.urls.activity(token), a.urls.person(name), banned, group, "spam", None, False
    )


async def test_a_forged_ban_or_unban_from_a_non_moderator_is_refused_on_the_members_server(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    a = served
    c, group, cal = await _garden_and_cal(a, peer_node)
    forged = _ban_by(a, "max", "forged-block", cal)
    async with client_for(c.node) as client:
        with pytest.raises(Refused, match="not a moderator"):
            await dispatch.receive(c.node, client, _activity(forged))
        assert await _ban_on(c, group, cal) is None

        # The owner's Block goes through the same way, and max cannot Undo it either.
        real = _ban_by(a, "olive", "real-block", cal)
        await dispatch.receive(c.node, client, _activity(real))
        assert await _ban_on(c, group, cal) is not None
        forged_undo = builders.undo(
            a.urls.activity("forged-undo"), a.urls.person("max"), real, [], [group]
        )
        with pytest.raises(Refused, match="not a moderator"):
            await dispatch.receive(c.node, client, _activity(forged_undo))
        assert await _ban_on(c, group, cal) is not None


async def test_a_forged_ban_delivered_signed_is_403_at_the_inbox_and_stores_nothing(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    a = served
    c, group, cal = await _garden_and_cal(a, peer_node)

    async def deliver(actor: str, document: dict[str, object]) -> int:
        async with client_for(a.node) as client:
            signer = await local_signer(a.node, a.urls.person(actor))
            body = json.dumps(document).encode()
            return await client.post(c.urls.shared_inbox(), body, signer)

    assert await deliver("max", _ban_by(a, "max", "forged", cal)) == 403
    real = _ban_by(a, "olive", "real", cal)
    max_uri = a.urls.person("max")
    forged_undo = builders.undo(a.urls.activity("forged-undo"), max_uri, real, [], [group])
    assert await deliver("max", forged_undo) == 403
    kinds = col(ActivityRow.type).in_(["Block", "Undo"])
    async with c.node.store.session() as session:
        assert (await session.exec(select(ActivityRow).where(kinds))).all() == []
    assert await deliver("olive", real) == 202

    async def banned_on_c() -> bool:
        return await _ban_on(c, group, cal) is not None

    await eventually(banned_on_c)


# Moderators appointed and stepping down --------------------------------------------------------


def _shared_removal(world: Garden, by: str, post: str, token: str) -> Activity:
    """The group's Announce of a removal in someone's name, as B would receive it."""
    removal = builders.removal(world.a.urls.activity(token), by, post, world.group, "", True)
    followers = world.a.urls.followers(world.group)
    return _activity(
        builders.announce_activity(
            world.a.urls.activity(f"announce-{token}"), world.group, removal, followers, True
        )
    )


async def test_a_new_moderator_is_trusted_on_members_servers_until_they_step_down(
    node: Node, peer_node: PeerFactory
) -> None:
    async with garden(node, peer_node) as w:
        first = await _publish(w.a, w.ann, w.group, "Compost basics", title="Compost")
        second = await _publish(w.a, w.ann, w.group, "Worm farms", title="Worms")

        async def both_on_b() -> bool:
            return None not in (await find_post(w.b, first), await find_post(w.b, second))

        await eventually(both_on_b)
        max_uri = w.a.urls.person("max")
        async with client_for(w.b.node) as client:
            with pytest.raises(Refused, match="not a moderator"):
                await dispatch.receive(w.b.node, client, _shared_removal(w, max_uri, first, "t1"))
        assert (await _stored(w.b, first)).removed_at is None

        async with client_for(w.a.node) as client:
            await appointments.set_moderator(
                w.a.node, client, w.by_olive, "garden", "max", moderator=True
            )
            # At once: B has no copy of the collection to refresh first, it reads it afresh.
            await removals.set_removed(
                w.a.node, client, Acting.member(w.a.node, w.max), "garden", first, "", removed=True
            )

        async def removed_on_b() -> bool:
            return (await _stored(w.b, first)).removed_at is not None

        await eventually(removed_on_b)
        async with client_for(w.b.node) as client:
            assert max_uri in await remote_moderation.moderators_of(w.b.node, client, w.group)

        async with client_for(w.a.node) as client:
            await appointments.set_moderator(
                w.a.node, client, w.by_olive, "garden", "max", moderator=False
            )
            with pytest.raises(Refused, match="not a moderator"):
                await removals.set_removed(
                    w.a.node,
                    client,
                    Acting.member(w.a.node, w.max),
                    "garden",
                    second,
                    "",
                    removed=True,
                )
        async with client_for(w.b.node) as client:
            assert max_uri not in await remote_moderation.moderators_of(w.b.node, client, w.group)
            with pytest.raises(Refused, match="not a moderator"):
                await dispatch.receive(w.b.node, client, _shared_removal(w, max_uri, second, "t2"))
        assert (await _stored(w.b, second)).removed_at is None
        async with w.b.node.store.session() as session:
            still = await session.exec(select(Post).where(col(Post.removed_at).is_not(None)))
            assert [p.uri for p in still.all()] == [first]
