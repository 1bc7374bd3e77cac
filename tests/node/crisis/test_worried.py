"""Worried reports ("I am worried about this person"): each is an urgent report and a care
message to the person, never a sanction; a member here who says it too often is refused,
a person who is the subject of too many today gets no more urgent items (the rest are noted
on the open one), and a Flag from elsewhere, by category or by words the detector reads, does
the same, past its sender's limit recorded without care."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator

import pytest
from sqlmodel import col, select

from federation.errors import Refused
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, notifications, participation
from node.members.notifications import NotificationKind
from node.moderators.reports import filed
from node.runtime import Node
from node.store.states import ActivityState, ReportDirection
from node.store.tables import Activity, Report, ReportEvent
from tests.conftest import ServedNode, client_for, eventually, serving
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer


def limited(node: Node, per_reporter: int = 2, per_target: int = 2) -> Node:
    crisis = dataclasses.replace(
        node.config.crisis,
        default_country=None,
        worried_per_reporter=per_reporter,
        worried_per_target=per_target,
    )
    return dataclasses.replace(node, config=dataclasses.replace(node.config, crisis=crisis))


async def cares(node: Node, name: str) -> int:
    account = await accounts.get_account_by_name(node, name)
    found = await notifications.notifications(node, account)
    return sum(1 for n in found if n.kind == NotificationKind.CARE)


async def received_reports(node: Node) -> list[Report]:
    async with node.store.session() as session:
        found = await session.exec(
            select(Report)
            .where(Report.direction == ReportDirection.RECEIVED)
            .order_by(col(Report.id))
        )
        return list(found.all())


async def test_worried_reports_open_urgent_items_and_care_within_limits(node: Node) -> None:
    node = limited(node)
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    mel = await accounts.create_account(node, "mel")
    group = node.urls.group("grief")
    async with client_for(node) as client:
        await participation.join(node, client, mel, group)
        post = await participation.publish(node, client, mel, group, "Rough week.", title="x")
        ann, bo = [await accounts.create_account(node, n) for n in ("ann", "bo")]

        async def worried(who: accounts.AccountInfo, target: str) -> None:
            await filed.file_report(node, client, who, target, category="self_harm")

        await worried(ann, post)
        await worried(ann, node.urls.person("mel"))  # the account, not the post
        with pytest.raises(Refused, match="worried about someone 2 times in the last day"):
            await worried(ann, post)
        await worried(bo, post)  # a third about mel today: kept, not urgent

    reports = await received_reports(node)
    assert [(r.reporter_account_id, r.urgent) for r in reports] == [
        (ann.id, True),
        (ann.id, True),
        (bo.id, False),
    ]
    assert all(r.target_account_uri == node.urls.person("mel") for r in reports)
    async with node.store.session() as session:
        noted = await session.exec(select(ReportEvent).where(ReportEvent.action == "worried_again"))
        (event,) = noted.all()
    assert (event.report_id, event.note) == (reports[1].id, f"report {reports[2].id}")
    assert await cares(node, "mel") == 1  # one care message a day, whoever worried


@pytest.fixture
async def peer() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer(software="mastodon") as started:
        yield started


async def test_a_worried_flag_from_elsewhere_offers_care_until_its_sender_says_it_too_often(
    node: Node, peer: LemmyPeer
) -> None:
    async with serving(limited(node)) as served:
        here = served.node
        names = ("mel", "sam", "tia")
        people = [await accounts.create_account(here, n) for n in names]
        flags = [
            {"category": "self_harm", "content": "please check on her"},
            {"content": "I think she may hurt herself tonight"},  # read by the detector
            {"category": "self_harm"},
        ]
        for n, (person, shape) in enumerate(zip(people, flags, strict=True)):
            url = served.urls.person(person.username)
            flag = {"id": f"{peer.base}/flags/{n}", "type": "Flag", "actor": peer.person}
            flag |= {"object": [url], "to": [url], **shape}
            assert await send(served, peer, flag) == 202

        async def applied() -> bool:
            # Care is offered as each Flag is applied: once all three are, it is all done.
            async with here.store.session() as session:
                found = await session.exec(
                    select(Activity.id).where(
                        Activity.type == "Flag", Activity.state == ActivityState.PROCESSED
                    )
                )
                return len(found.all()) == 3

        await eventually(applied)
        reports = await received_reports(here)
        assert [(r.category.value, r.urgent) for r in reports] == [("self_harm", True)] * 3
        assert [await cares(here, n) for n in names] == [1, 1, 0]


async def send(served: ServedNode, peer: LemmyPeer, flag: dict[str, object]) -> int:
    async with client_for(served.node) as client:
        return await client.post(served.urls.shared_inbox(), json.dumps(flag).encode(), peer.signer)
