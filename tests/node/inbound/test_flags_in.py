"""Reports arriving as Flag in the three shapes peers send (Mastodon's, Lemmy's, Mbin's),
delivered signed by a stand-in server on loopback: each makes one report for the group's
moderators; a Flag naming nothing here, or with a bad category or rule, is refused with the
reason and leaves nothing behind."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from federation.readers import read_document
from federation.wire import Activity
from moderation.reports import ReportState
from moderation.rules import parse_rules
from node.groups import groups, rules
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators.reports import decisions, received
from node.moderators.reports.info import ReportInfo
from node.moderators.roles import Acting
from node.store.tables import Activity as ActivityRow
from node.store.tables import Report
from tests.conftest import ServedNode, client_for, eventually
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer
from tests.support.wire_samples import SAMPLES, sample_sets


@pytest.fixture
async def peer(request: pytest.FixtureRequest) -> AsyncIterator[LemmyPeer]:
    """The stand-in, sending the Lemmy samples of the set a test names (the project's)."""
    samples = getattr(request, "param", SAMPLES)
    async with start_lemmy_peer(samples=samples / "lemmy") as started:
        yield started


async def _setup(served: ServedNode) -> tuple[str, str, str]:
    node = served.node
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    await rules.set_rules(
        node,
        Acting.operator(node),
        "grief",
        parse_rules([{"title": "Be kind"}, {"title": "No selling"}]),
        needs_acceptance=False,
    )
    ann = await accounts.create_account(node, "ann")
    group = served.urls.group("grief")
    async with client_for(node) as client:
        await participation.join(node, client, ann, group, accept_rules=True)
        post = await participation.publish(node, client, ann, group, "Buy now", title="Ad")
    return group, post, served.urls.person("ann")


async def _send(served: ServedNode, peer: LemmyPeer, flag: dict[str, Any]) -> int:
    async with client_for(served.node) as client:
        return await client.post(served.urls.shared_inbox(), json.dumps(flag).encode(), peer.signer)


async def test_flags_in_mastodon_lemmy_and_mbin_shapes_each_make_a_report(
    served: ServedNode, peer: LemmyPeer
) -> None:
    group, post, author = await _setup(served)
    flags = [
        # Mastodon: [account, statuses...], reason in content, addressed to the account.
        {"object": [author, post], "content": "spam account", "to": author},
        # Lemmy: one object, reason in summary, the group in `to`.
        {"object": post, "summary": "report this post", "to": [group], "audience": group},
        # Mbin: [post, user], reason in both.
        {"object": [post, author], "summary": "ad", "content": "ad", "to": [group]},
    ]
    for n, shape in enumerate(flags):
        flag = {"id": f"{peer.base}/flags/{n}", "type": "Flag", "actor": peer.person, **shape}
        assert await _send(served, peer, flag) == 202

    async def three_reports() -> list[ReportInfo]:
        found = await decisions.list_reports(served.node, Acting.operator(served.node))
        return found if len(found) == 3 else []

    found = await eventually(three_reports)
    assert {r.target_uri for r in found} == {post}  # type: ignore[attr-defined]
    assert {r.group_uri for r in found} == {group}  # type: ignore[attr-defined]
    assert {r.comment for r in found} == {"spam account", "report this post", "ad"}  # type: ignore[attr-defined]
    # A redelivered Flag is acknowledged and makes no second report.
    again = {"id": f"{peer.base}/flags/0", "type": "Flag", "actor": peer.person, **flags[0]}
    assert await _send(served, peer, again) == 202
    # ...and applied a second time (a worker that died after applying it) it changes nothing.
    activity = read_document(again)
    assert isinstance(activity, Activity)
    async with client_for(served.node) as client:
        await received.receive_flag(served.node, client, activity)
    async with served.node.store.session() as session:
        assert len((await session.exec(select(Report))).all()) == 3


async def test_a_worry_goes_first_and_resolving_answers_the_reporting_server(
    served: ServedNode, peer: LemmyPeer
) -> None:
    group, post, _ = await _setup(served)
    plain = {"id": f"{peer.base}/flags/a", "type": "Flag", "actor": peer.person}
    await _send(served, peer, {**plain, "object": post, "summary": "off topic", "to": [group]})
    worry = {**plain, "id": f"{peer.base}/flags/b", "object": post, "to": [group]}
    await _send(served, peer, {**worry, "summary": "I think she wants to kill herself"})

    async def two() -> list[ReportInfo]:
        found = await decisions.list_reports(served.node, Acting.operator(served.node))
        return found if len(found) == 2 else []

    first, second = await eventually(two)  # type: ignore[misc]
    assert first.urgent and first.category.value == "self_harm"
    assert not second.urgent
    await decisions.decide(
        served.node, Acting.operator(served.node), second.id, ReportState.DISMISSED, "on topic"
    )

    async def answered() -> list[Any]:
        return peer.received("Reject")

    (answer,) = await eventually(answered)  # type: ignore[misc]
    assert answer.document["object"] == f"{peer.base}/flags/a"
    assert "no action" in answer.document["content"]


@pytest.mark.parametrize(
    ("shape", "status"),
    [
        ({"object": "https://elsewhere.invalid/post/1"}, 404),  # names nothing here
        ({"category": "gossip"}, 400),  # unknown category
        ({"category": "violation", "rules": [9]}, 400),  # the group has two rules
    ],
)
async def test_bad_flags_are_refused_with_the_reason_and_store_nothing(
    served: ServedNode, peer: LemmyPeer, shape: dict[str, Any], status: int
) -> None:
    group, post, _ = await _setup(served)
    flag = {
        "id": f"{peer.base}/flags/bad",
        "type": "Flag",
        "actor": peer.person,
        "object": post,
        "to": [group],
        **shape,
    }
    assert await _send(served, peer, flag) == status
    async with served.node.store.session() as session:
        assert (await session.exec(select(Report))).first() is None


def _wire(peer: LemmyPeer, name: str) -> dict[str, Any]:
    """Another peer's document from the same set as the stand-in's Lemmy samples."""
    document: dict[str, Any] = json.loads((peer.samples.parent / name).read_text("utf-8"))
    return document


@pytest.mark.parametrize("peer", sample_sets(), indirect=True)
async def test_the_peers_own_flag_documents_delivered_signed_each_make_the_right_report(
    served: ServedNode, peer: LemmyPeer
) -> None:
    group, post, author = await _setup(served)
    # Each fixture as its software sends it, moved onto the stand-in server and pointed at
    # what this node hosts; the reason fields are the fixtures' own.
    mastodon = _wire(peer, "mastodon/activities/flag.json")
    mastodon.update(
        id=f"{peer.base}/flags/mastodon",
        actor=peer.instance_actor,  # Mastodon reports from its instance actor
        object=[author, post],
        to=author,
    )
    lemmy = peer.fixture("activities/community/report_page.json", group)
    lemmy.update(object=post, audience=group)
    mbin = _wire(peer, "mbin/activities/flag.json")
    mbin.update(id=f"{peer.base}/flags/mbin", actor=peer.person, object=[post, author], to=[group])
    mbin["audience"] = group
    async with client_for(served.node) as client:
        for flag, signer in (
            (mastodon, peer.instance_signer),
            (lemmy, peer.signer),
            (mbin, peer.signer),
        ):
            body = json.dumps(flag).encode()
            assert await client.post(served.urls.shared_inbox(), body, signer) == 202

    async def three() -> dict[str, ReportInfo]:
        found = await decisions.list_reports(served.node, Acting.operator(served.node))
        return {r.flag_uri: r for r in found} if len(found) == 3 else {}

    by_flag = await eventually(three)
    assert isinstance(by_flag, dict)
    m, lem, b = (by_flag[f["id"]] for f in (mastodon, lemmy, mbin))
    assert (m.target_uri, m.reporter_uri, m.comment) == (
        post,
        None,  # the instance actor speaks for the server: the reporter stays unknown
        mastodon["content"],
    )
    assert (lem.target_uri, lem.reporter_uri, lem.comment) == (post, peer.person, lemmy["summary"])
    assert (b.target_uri, b.reporter_uri, b.comment) == (post, peer.person, mbin["summary"])
    assert {r.group_uri for r in (m, lem, b)} == {group}
    assert {r.category.value for r in (m, lem, b)} == {"other"}
    assert all(r.state == ReportState.OPEN for r in (m, lem, b))


async def test_a_flag_naming_two_posts_gets_one_answer_once_both_are_decided(
    served: ServedNode, peer: LemmyPeer
) -> None:
    group, post, _ = await _setup(served)
    node = served.node
    ann = await accounts.get_account_by_name(node, "ann")
    async with client_for(node) as client:
        other = await participation.publish(node, client, ann, group, "More ads", title="Ad")
    flag = {
        "id": f"{peer.base}/flags/two",
        "type": "Flag",
        "actor": peer.person,
        "object": [post, other],
        "summary": "two ads",
        "to": [group],
    }
    assert await _send(served, peer, flag) == 202

    async def two() -> list[ReportInfo]:
        found = await decisions.list_reports(node, Acting.operator(node))
        return found if len(found) == 2 else []

    first, second = await eventually(two)  # type: ignore[misc]
    operator = Acting.operator(node)
    await decisions.decide(node, operator, first.id, ReportState.RESOLVED, "ad removed")
    assert peer.received("Accept") == [] and peer.received("Reject") == []
    await decisions.decide(node, operator, second.id, ReportState.DISMISSED, "not an ad")

    async def answered() -> list[Any]:
        return peer.received("Accept") + peer.received("Reject")

    (answer,) = await eventually(answered)  # type: ignore[misc]
    assert answer.document["type"] == "Accept"  # action was taken on one of them
    assert answer.document["object"] == flag["id"]
    assert "ad removed" in answer.document["content"]
    async with node.store.session() as session:  # and only one ever left this node
        sent = await session.exec(
            select(ActivityRow).where(col(ActivityRow.type).in_(["Accept", "Reject"]))
        )
        assert len(sent.all()) == 1
