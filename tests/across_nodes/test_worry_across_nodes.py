"""Worry about someone across two real Cove nodes: A's moderator refers a worried report about
a post by B's member, and B opens it as urgent (Cove's category self_harm) about its own
member; a member on B worried about a member of A files it, and A opens it as urgent and
offers its member care. Nobody is sanctioned, and the reporter is named nowhere."""

from __future__ import annotations

from sqlmodel import col, select

from node.crisis import referrals
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, notifications, participation
from node.members.notifications import NotificationKind
from node.moderators.reports import filed
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import Direction, ReportDirection
from node.store.tables import Activity, Post, Report
from tests.across_nodes.test_moderation_across_nodes import membership_accepted
from tests.conftest import PeerFactory, ServedNode, client_for, eventually, serving


async def received_on(node: Node) -> list[Report]:
    async with node.store.session() as session:
        found = await session.exec(
            select(Report)
            .where(Report.direction == ReportDirection.RECEIVED)
            .order_by(col(Report.id))
        )
        return list(found.all())


async def seen(node: ServedNode, uri: str) -> bool:
    async with node.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first() is not None


async def test_a_worry_crosses_to_the_persons_home_node_as_urgent(
    node: Node, peer_node: PeerFactory
) -> None:
    async with serving(node) as a:
        b = await peer_node()
        await groups.create_group(a.node, NewGroup(name="grief", title="Grief"))
        group = a.urls.group("grief")
        ray = await accounts.create_account(b.node, "ray")
        async with client_for(b.node) as client:
            await participation.join(b.node, client, ray, group)
            await eventually(lambda: membership_accepted(b, "ray"))
            post = await participation.publish(
                b.node, client, ray, group, "nobody would notice", title="tired"
            )
        await eventually(lambda: seen(a, post))

        # On A: a member is worried; A's moderator refers it to B.
        ann = await accounts.create_account(a.node, "ann")
        async with client_for(a.node) as client:
            mine = await filed.file_report(a.node, client, ann, post, category="self_harm")
            await referrals.refer(a.node, client, Acting.operator(a.node), mine.id)

        async def urgent_on_b() -> list[Report]:
            return await received_on(b.node)

        (on_b,) = await eventually(urgent_on_b)  # type: ignore[misc]
        assert (on_b.category.value, on_b.urgent) == ("self_harm", True)
        assert on_b.target_uri == post and on_b.target_account_uri == b.urls.person("ray")
        assert "This is not an accusation." in on_b.comment
        assert on_b.reporter_uri is None and on_b.flag_actor_uri == group  # ann is not named
        async with a.node.store.session() as session:
            sent = await session.exec(select(Activity.document).where(Activity.type == "Flag"))
            (flag,) = sent.all()
        assert flag["category"] == "self_harm"  # urgent on B by category, whatever the words

        # On B: a member worried about a member of A files it; A opens it as urgent.
        olive = await accounts.create_account(a.node, "olive")
        async with client_for(b.node) as client:
            await filed.file_report(
                b.node, client, ray, a.urls.person("olive"), category="self_harm"
            )

        async def second_on_a() -> list[Report]:
            found = await received_on(a.node)
            return found if len(found) == 2 else []

        _, on_a = await eventually(second_on_a)  # type: ignore[misc]
        assert (on_a.category.value, on_a.urgent) == ("self_harm", True)
        assert on_a.target_account_uri == a.urls.person("olive")

        async def cared_for_on_a() -> list[NotificationKind]:
            return [n.kind for n in await notifications.notifications(a.node, olive)]

        # Care follows the report, once it is stored.
        assert await eventually(cared_for_on_a) == [NotificationKind.CARE]
        # B wrote olive no Note of its own: A's inbox has no place for it, and A cared.
        async with b.node.store.session() as session:
            written = await session.exec(
                select(Activity.document).where(
                    Activity.direction == Direction.OUTBOUND, Activity.type == "Create"
                )
            )
            to_olive = [d for d in written.all() if a.urls.person("olive") in str(d.get("to"))]
        assert to_olive == []
