"""Federated moderation across three real Cove nodes on loopback: a member on B reports a
post in A's group citing a rule; A's moderator removes it and bans the author for seven days
with their content; B and C drop the posts, a Mastodon-like follower (the Fedify peer) loses
the group's boost, the author is refused until the ban runs out, and the reporter on B hears
the outcome. Forged moderation is refused."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from federation.errors import Refused
from federation.readers import read_document
from federation.wire import Activity
from moderation.reports import ReportState
from moderation.rules import parse_rules
from node.groups import groups, rules
from node.groups.groups import NewGroup
from node.inbound import remote_moderation
from node.members import accounts, notifications, participation
from node.moderators import bans, removals
from node.moderators.reports import decisions, filed
from node.moderators.reports.info import ReportInfo
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.tables import Post, RemoteMembership
from tests.conftest import MovableClock, PeerFactory, ServedNode, client_for, eventually, serving
from tests.node.groups.test_fedify_member import announces_from_group, id_of, join
from tests.peers.fedify_peer import FedifyPeer, start_fedify_peer

RULES = parse_rules(
    [
        {"title": "Be kind", "text": "No insults."},
        {"title": "No selling", "text": "No ads or links to shops."},
    ]
)


async def membership_accepted(node: ServedNode, username: str) -> bool:
    async with node.node.store.session() as session:
        account = await accounts.get_account(session, username)
        rows = await session.exec(
            select(RemoteMembership).where(RemoteMembership.account_id == account.id)
        )
        return any(r.state.value == "accepted" for r in rows.all())


async def find_post(node: ServedNode, uri: str) -> Post | None:
    async with node.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


@pytest.fixture
async def mastodon() -> AsyncIterator[FedifyPeer]:
    async with start_fedify_peer(software="mastodon") as peer:
        yield peer


async def _undone_boosts(a: ServedNode, peer: FedifyPeer) -> list[Any]:
    """The objects of the boosts the group took back from the peer (Undo{Announce})."""
    received = (await peer.received())["accepted"]
    return [
        id_of(u["object"].get("object"))
        for u in received
        if u.get("type") == "Undo"
        and u.get("actor") == a.urls.group("grief")
        and isinstance(u.get("object"), dict)
        and u["object"].get("type") == "Announce"
    ]


@pytest.mark.usefixtures("fedify_available")
async def test_report_removal_ban_and_outcome_across_three_nodes(
    node: Node, peer_node: PeerFactory, mastodon: FedifyPeer
) -> None:
    clock = MovableClock()
    async with serving(dataclasses.replace(node, clock=clock)) as a:
        b, c = await peer_node(clock=clock), await peer_node(clock=clock)
        olive = await accounts.create_account(a.node, "olive")
        await groups.create_group(
            a.node, NewGroup(name="grief", title="Grief support", owner="olive")
        )
        await rules.set_rules(
            a.node, Acting.operator(a.node), "grief", RULES, needs_acceptance=False
        )
        ray = await accounts.create_account(b.node, "ray")
        cal = await accounts.create_account(c.node, "cal")
        group_uri = a.urls.group("grief")
        async with client_for(b.node) as client:
            await participation.join(b.node, client, ray, group_uri)
        async with client_for(c.node) as client:
            await participation.join(c.node, client, cal, group_uri)
        await eventually(lambda: membership_accepted(b, "ray"))
        await eventually(lambda: membership_accepted(c, "cal"))
        await join(a, mastodon)  # a Mastodon user follows the group

        # cal posts twice; ray on B sees both through the group.
        async with client_for(c.node) as client:
            spam = await participation.publish(
                c.node, client, cal, group_uri, "Buy my pills", title="Great offer"
            )
            other = await participation.publish(
                c.node, client, cal, group_uri, "Another offer", title="Deal"
            )

        async def both_on_b() -> bool:
            return await find_post(b, spam) is not None and await find_post(b, other) is not None

        await eventually(both_on_b)

        async def boosted_to_mastodon() -> bool:
            return {spam, other} <= set(await announces_from_group(a, mastodon))

        await eventually(boosted_to_mastodon)

        # A member on A reported the other post earlier; it waits in olive's queue.
        max_ = await accounts.create_account(a.node, "max")
        async with client_for(a.node) as client:
            await filed.file_report(
                a.node, client, max_, other, category="other", comment="not sure about this"
            )
        # ray reports the post citing rule 2: Flags go to A (the group) and C (the author).
        async with client_for(b.node) as client:
            sent = await filed.file_report(
                b.node, client, ray, spam, category=None, rules=(2,), comment="selling"
            )
        assert sent.direction.value == "sent"

        async def reported_on_a() -> list[ReportInfo]:
            found = await decisions.list_reports(a.node, Acting.member(a.node, olive))
            return found if len(found) == 2 else []

        # olive sees ray's report first in her queue (the newest), the earlier one behind it.
        report, earlier = await eventually(reported_on_a)  # type: ignore[misc]
        assert earlier.target_uri == other
        assert report.target_uri == spam
        assert report.rule_numbers == (2,)
        assert report.category.value == "violation"
        assert report.reporter_uri is None  # hidden behind B's instance actor

        # A's moderator removes the post and bans cal for 7 days with content removal.
        acting = Acting.member(a.node, olive)
        async with client_for(a.node) as client:
            await removals.set_removed(
                a.node, client, acting, "grief", spam, "selling", removed=True
            )
            await bans.ban(
                a.node,
                client,
                acting,
                "grief",
                c.urls.person("cal"),
                "selling, rule 2",
                clock() + timedelta(days=7),
                remove_content=True,
            )
        await decisions.decide(a.node, acting, report.id, ReportState.RESOLVED, "post removed")

        async def removed_on_b_and_c() -> bool:
            posts = [await find_post(n, uri) for n in (b, c) for uri in (spam, other)]
            return all(p is not None and p.removed_at is not None for p in posts)

        await eventually(removed_on_b_and_c)

        # The Mastodon follower's timeline loses both boosts.
        async def unboosted_on_mastodon() -> bool:
            return sorted(await _undone_boosts(a, mastodon)) == sorted([spam, other])

        await eventually(unboosted_on_mastodon)

        # ray on B hears what happened.
        async def outcome_on_b() -> bool:
            mine = await decisions.my_reports(b.node, ray)
            return mine[0].state == ReportState.RESOLVED

        await eventually(outcome_on_b)
        notes = await notifications.notifications(b.node, ray)
        assert "post removed" in notes[0].text

        # cal is refused while banned, on C itself (the group's Block reached C)...
        async def ban_known_on_c() -> bool:
            try:
                async with client_for(c.node) as client:
                    await participation.publish(c.node, client, cal, group_uri, "hello again")
            except Refused:
                return True
            return False

        await eventually(ban_known_on_c)
        # ...and seven days later may post again, and A takes the post.
        clock.advance(timedelta(days=7, hours=1))
        async with client_for(c.node) as client:
            back = await participation.publish(
                c.node, client, cal, group_uri, "Sorry, I am back", title="Back"
            )

        async def taken_on_a() -> bool:
            post = await find_post(a, back)
            return post is not None and post.group_id is not None

        await eventually(taken_on_a)


async def test_a_forged_removal_from_a_non_moderator_is_refused(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    a = served
    await accounts.create_account(a.node, "max")
    await groups.create_group(a.node, NewGroup(name="calm", title="Calm"))
    b = await peer_node()
    forged = read_document(
        {
            "id": a.urls.activity("forged"),
            "type": "Delete",
            "actor": a.urls.person("max"),
            "object": f"{a.base}/posts/whatever",
            "summary": "removed",
        }
    )
    assert isinstance(forged, Activity)
    async with client_for(b.node) as client:
        with pytest.raises(Refused, match="not a moderator"):
            await remote_moderation.apply(b.node, client, a.urls.group("calm"), forged)
