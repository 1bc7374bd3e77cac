"""Escalation to a human: an acute post reaches the moderators on duty within a minute of
arriving, even behind a backlog; an item nobody takes up goes to every moderator, then to the
node's staff; a group that holds acute posts keeps them unannounced until a moderator
releases them; organizers' webhooks are paged, signed, and retried."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlmodel import col, select

from federation.errors import Conflict
from node.crisis import duty, escalation, holds, webhooks
from node.groups import groups
from node.groups.groups import GroupInfo, NewGroup
from node.members.accounts import AccountInfo, create_account, get_account_by_name
from node.members.notifications import NotificationKind
from node.moderators import appointments
from node.moderators.roles import Acting
from node.outage import OutageTracker
from node.queue.processing import process_pending
from node.runtime import open_node
from node.store.states import (
    AccountRole,
    ActivityState,
    Direction,
    PostingPolicy,
    PostState,
    ReportState,
)
from node.store.tables import Activity, CrisisAssessment, Notification, Post, Report
from tests.conftest import (
    MovableClock,
    ServedNode,
    client_for,
    free_port,
    make_config,
    serving,
    serving_app,
)
from tests.support.hostile_peer import PUBLIC, HostilePeer, start_hostile_peer

ACUTE = "I can't do this anymore. I'm going to kill myself tonight. This is my last post, goodbye."
CALM = "Ran 5k this morning and slept better than in weeks. Small wins."


@pytest.fixture
async def watched(tmp_path: Path, database_url: str) -> AsyncIterator[ServedNode]:
    """A node without workers (the test runs them) on a clock the test moves."""
    config = make_config(tmp_path, database_url, free_port())
    node = dataclasses.replace(open_node(config), clock=MovableClock())
    try:
        async with serving(node, workers=False) as served_node:
            yield served_node
    finally:
        await node.store.close()


@pytest.fixture
async def peer() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.3", software="mastodon") as started:
        yield started


def clock_of(served: ServedNode) -> MovableClock:
    assert isinstance(served.node.clock, MovableClock)
    return served.node.clock


async def night_group(served: ServedNode, *, hold: bool = False) -> tuple[GroupInfo, AccountInfo]:
    """A group anyone may post in, with one moderator (sam) and an admin (ada)."""
    node = served.node
    group = await groups.create_group(
        node, NewGroup(name="nightwatch", title="Night watch", posting_policy=PostingPolicy.ANYONE)
    )
    sam = await create_account(node, "sam")
    await create_account(node, "ada", role=AccountRole.ADMIN)
    async with client_for(node) as client:
        await appointments.set_moderator(
            node, client, Acting.operator(node), "nightwatch", "sam", moderator=True
        )
    if hold:
        await holds.set_hold(node, Acting.operator(node), "nightwatch", True)
    return group, sam


async def post_from(served: ServedNode, peer: HostilePeer, text: str, name: str = "night") -> str:
    """A public post into the group from a person on the peer's server; the activity's id."""
    group = served.urls.group("nightwatch")
    author = peer.actor(name)
    note = peer.note(author, f"<p>{text}</p>", to=[PUBLIC, group], tag=[
        {"type": "Mention", "href": group}
    ])  # fmt: skip
    activity = peer.activity("Create", author, note, to=[PUBLIC, group])
    async with client_for(served.node) as client:
        assert await peer.deliver(client, served.urls.inbox(group), activity, author) == 202
    return str(activity["id"])


async def apply_all(served: ServedNode, rounds: int = 20) -> None:
    async with client_for(served.node) as client:
        for _ in range(rounds):
            n = await process_pending(
                served.node, client, OutageTracker(served.node), random.Random(1)
            )
            if not n:
                return


async def crisis_notes(served: ServedNode, account_id: int | None = None) -> list[Notification]:
    async with served.node.store.session() as session:
        query = select(Notification).where(Notification.kind == NotificationKind.CRISIS.value)
        if account_id is not None:
            query = query.where(Notification.account_id == account_id)
        return list((await session.exec(query.order_by(col(Notification.id)))).all())


def announced_objects(announces: Any) -> set[str]:
    """The ids of the posts whose Create the group announced."""
    found = set()
    for announce in announces:
        inner = announce.document.get("object")
        if isinstance(inner, dict) and isinstance(inner.get("object"), dict):
            found.add(str(inner["object"].get("id")))
    return found


async def waiting(served: ServedNode) -> int:
    async with served.node.store.session() as session:
        rows = await session.exec(
            select(Activity.id).where(
                Activity.direction == Direction.INBOUND, Activity.state == ActivityState.RECEIVED
            )
        )
        return len(rows.all())


async def test_an_acute_post_reaches_the_moderator_on_duty_within_a_minute_behind_a_backlog(
    watched: ServedNode, peer: HostilePeer
) -> None:
    group, sam = await night_group(watched)
    await duty.set_duty(watched.node, Acting.member(watched.node, sam), group, True)
    for first in range(0, 100, 20):  # a busy evening: 100 posts arrive before it
        await asyncio.gather(
            *(
                post_from(watched, peer, f"{CALM} ({n})", f"runner{n % 7}")
                for n in range(first, first + 20)
            )
        )
    arrived = watched.node.clock()
    acute_id = await post_from(watched, peer, ACUTE)
    # The worker applies 50 activities a round, each round 45 s of work: applied in arrival
    # order, the acute post would wait for the third round (90 s).
    clock = clock_of(watched)
    told_at = None
    async with client_for(watched.node) as client:
        for _ in range(6):
            await process_pending(
                watched.node, client, OutageTracker(watched.node), random.Random(1)
            )
            notes = await crisis_notes(watched, sam.id)
            if notes and told_at is None:
                told_at, still_waiting = notes[0].created_at, await waiting(watched)
            clock.advance(timedelta(seconds=45))
    assert told_at is not None, "the moderator on duty was never told"
    assert told_at - arrived <= timedelta(seconds=60)
    assert still_waiting >= 50  # the worker was busy with the rest all along
    async with watched.node.store.session() as session:
        report = (await session.exec(select(Report))).one()
        post = (
            await session.exec(
                select(Post)
                .where(Post.uri.startswith(peer.base))
                .where(Post.content_html.contains("last post"))
            )
        ).one()  # type: ignore[attr-defined]
    assert report.urgent and report.category.value == "self_harm"
    assert report.reporter_uri == watched.urls.instance_actor()
    assert report.target_uri == post.uri
    assert "not an accusation" in report.comment and "acute" in report.comment
    assert acute_id  # the activity went in like any other


async def test_an_item_nobody_takes_up_goes_to_every_moderator_then_to_staff(
    watched: ServedNode, peer: HostilePeer
) -> None:
    _, sam = await night_group(watched)
    await post_from(watched, peer, ACUTE)
    await apply_all(watched)
    assert await crisis_notes(watched) == []  # nobody on duty: nobody paged at once
    clock = clock_of(watched)
    clock.advance(timedelta(minutes=14))
    assert await escalation.escalate_due(watched.node) == 0
    clock.advance(timedelta(minutes=2))
    assert await escalation.escalate_due(watched.node) == 1
    assert [n.account_id for n in await crisis_notes(watched)] == [sam.id]
    clock.advance(timedelta(minutes=16))
    assert await escalation.escalate_due(watched.node) == 1
    told = {n.account_id for n in await crisis_notes(watched)}
    async with watched.node.store.session() as session:
        staff = await duty.node_staff(session)
    assert set(staff) <= told and len(staff) == 1
    clock.advance(timedelta(hours=2))
    assert await escalation.escalate_due(watched.node) == 0  # staff is the last stage


async def test_a_report_taken_up_stops_the_escalation(
    watched: ServedNode, peer: HostilePeer
) -> None:
    from node.moderators.reports import decisions

    await night_group(watched)
    await post_from(watched, peer, ACUTE)
    await apply_all(watched)
    async with watched.node.store.session() as session:
        report = (await session.exec(select(Report))).one()
    await decisions.decide(
        watched.node,
        Acting.operator(watched.node),
        report.id or 0,
        ReportState.RESOLVED,
        "reached out",
    )
    clock_of(watched).advance(timedelta(hours=1))
    assert await escalation.escalate_due(watched.node) == 0


async def test_a_held_post_waits_unannounced_until_a_moderator_releases_it(
    watched: ServedNode, peer: HostilePeer
) -> None:
    group, sam = await night_group(watched, hold=True)
    await post_from(watched, peer, ACUTE)
    await post_from(watched, peer, CALM, name="runner")
    await apply_all(watched)
    async with watched.node.store.session() as session:
        held = (await session.exec(select(Post).where(Post.state == PostState.HELD))).one()
        announced = (await session.exec(select(Activity).where(Activity.type == "Announce"))).all()
    assert held.uri not in announced_objects(announced) and announced  # the calm post went out
    async with watched.client.get(held.uri, headers={"Accept": "application/activity+json"}) as r:
        assert r.status == 404  # not there yet, for anyone
    # Its author hears why, privately, in the group's words (a direct Note to them alone).
    async with watched.node.store.session() as session:
        sent = (
            await session.exec(
                select(Activity).where(
                    Activity.direction == Direction.OUTBOUND, Activity.type == "Create"
                )
            )
        ).all()
    told = [
        a.document["object"] for a in sent if a.document["object"].get("to") == [held.author_uri]
    ]
    assert len(told) == 1 and told[0].get("cc", []) == []
    assert "moderator" in told[0]["content"].lower()
    moderator = Acting.member(watched.node, sam)
    listed = await holds.held_posts(watched.node, moderator, group)
    assert [h.uri for h in listed] == [held.uri] and listed[0].reasons
    async with client_for(watched.node) as client:
        done = await holds.release(watched.node, client, moderator, held.uri, with_resources=True)
        with pytest.raises(Conflict):
            await holds.release(watched.node, client, moderator, held.uri, with_resources=False)
    assert done.reply_uri is not None
    async with watched.node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == held.uri))).one()
        reply = (await session.exec(select(Post).where(Post.uri == done.reply_uri))).one()
        announced = (await session.exec(select(Activity).where(Activity.type == "Announce"))).all()
    assert post.state == PostState.LIVE
    assert reply.in_reply_to_uri == held.uri and reply.author_uri == watched.urls.group(
        "nightwatch"
    )
    assert "988" in reply.content_html or "http" in reply.content_html
    inner = [a.document["object"] for a in announced if isinstance(a.document.get("object"), dict)]
    assert any(
        i.get("object", {}).get("id") == held.uri
        for i in inner
        if isinstance(i.get("object"), dict)
    )


async def test_webhooks_are_paged_signed_and_retried_and_failures_reach_admins(
    watched: ServedNode, peer: HostilePeer
) -> None:
    got: list[tuple[dict[str, str], bytes]] = []
    answers = [500, 200]

    async def hook(request: web.Request) -> web.Response:
        got.append((dict(request.headers), await request.read()))
        return web.Response(status=answers.pop(0) if answers else 500)

    app = web.Application()
    app.router.add_post("/page", hook)
    port = free_port()
    await night_group(watched)
    async with serving_app(app, port, "127.0.0.1"):
        made = await webhooks.add_webhook(watched.node, None, f"http://127.0.0.1:{port}/page")
        await post_from(watched, peer, ACUTE)
        await apply_all(watched)
        assert await webhooks.send_due(watched.node) == 1  # 500: tried again later
        assert await webhooks.send_due(watched.node) == 0
        clock_of(watched).advance(timedelta(seconds=31))
        assert await webhooks.send_due(watched.node) == 1  # 200
        headers, body = got[-1]
        t = int(headers["X-Cove-Signature"].split(",")[0][2:])
        assert made.secret is not None
        expected = hmac.new(made.secret.encode(), f"{t}.".encode() + body, hashlib.sha256)
        assert headers["X-Cove-Signature"] == f"t={t},v1={expected.hexdigest()}"
        assert ACUTE.encode() not in body and b'"reasons"' in body  # why, not the post itself
        # A second item to a webhook that never answers well: given up, and admins told.
        await post_from(watched, peer, ACUTE.replace("goodbye", "goodbye all"), name="other")
        await apply_all(watched)
        for _ in range(len(webhooks.BACKOFF) + 1):
            await webhooks.send_due(watched.node)
            clock_of(watched).advance(timedelta(hours=13))
    listed = await webhooks.list_webhooks(watched.node, None)
    assert listed[0].failed == 1 and listed[0].last_error and "500" in listed[0].last_error
    async with watched.node.store.session() as session:
        alerts = (
            await session.exec(
                select(Notification).where(
                    Notification.kind == NotificationKind.WEBHOOK_FAILED.value
                )
            )
        ).all()
    assert len(alerts) == 1


async def test_duty_is_for_the_groups_one_moderates_and_staff_for_the_node(
    watched: ServedNode,
) -> None:
    from federation.errors import Refused

    group, sam = await night_group(watched)
    member = await create_account(watched.node, "kim")
    with pytest.raises(Refused):
        await duty.set_duty(watched.node, Acting.member(watched.node, member), group, True)
    with pytest.raises(Refused):
        await duty.set_duty(watched.node, Acting.member(watched.node, sam), None, True)
    await duty.set_duty(watched.node, Acting.member(watched.node, sam), group, True)
    async with watched.node.store.session() as session:
        assert await duty.on_duty(session, group.id) == [sam.id]
    await duty.set_duty(watched.node, Acting.member(watched.node, sam), group, False)
    async with watched.node.store.session() as session:
        assert await duty.on_duty(session, group.id) == []
    # Staff on duty for the node are paged for every group; a moderator who steps down is
    # not paged on the duty they left switched on.
    ada = await get_account_by_name(watched.node, "ada")
    await duty.set_duty(watched.node, Acting.member(watched.node, ada), None, True)
    await duty.set_duty(watched.node, Acting.member(watched.node, sam), group, True)
    async with client_for(watched.node) as client:
        await appointments.set_moderator(
            watched.node,
            client,
            Acting.operator(watched.node),
            "nightwatch",
            "sam",
            moderator=False,
        )
    async with watched.node.store.session() as session:
        assert await duty.on_duty(session, group.id) == [ada.id]
        assert await duty.on_duty(session, None) == [ada.id]


CONCERN = "The suicidal thoughts are back this week. No plan, I am just so tired of everything."


async def test_a_concern_waits_in_the_queue_unpaged_and_a_private_message_is_read_too(
    watched: ServedNode, peer: HostilePeer
) -> None:
    group, sam = await night_group(watched)
    await duty.set_duty(watched.node, Acting.member(watched.node, sam), group, True)
    await post_from(watched, peer, CONCERN)
    # A private message to the group (Mastodon's direct mention) is read as any post.
    author = peer.actor("quiet")
    group_uri = watched.urls.group("nightwatch")
    note = peer.note(author, f"<p>{ACUTE}</p>", to=[group_uri], tag=[
        {"type": "Mention", "href": group_uri}
    ])  # fmt: skip
    activity = peer.activity("Create", author, note, to=[group_uri])
    async with client_for(watched.node) as client:
        assert await peer.deliver(client, watched.urls.inbox(group_uri), activity, author) == 202
    await apply_all(watched)
    async with watched.node.store.session() as session:
        rows = (
            await session.exec(select(CrisisAssessment).order_by(col(CrisisAssessment.id)))
        ).all()
        reports = {r.id: r for r in (await session.exec(select(Report))).all()}
    kinds = {(r.subject_kind, r.level.value) for r in rows}
    assert ("message", "acute") in kinds
    concern = [r for r in rows if r.subject_kind != "message"]
    assert concern and all(not reports[r.report_id].urgent for r in concern if r.report_id)
    # Only the acute message paged the moderator on duty.
    assert len(await crisis_notes(watched, sam.id)) == 1


async def test_assessments_stay_with_the_moderators_and_are_forgotten_after_keep_days(
    watched: ServedNode, peer: HostilePeer
) -> None:
    await night_group(watched)
    await post_from(watched, peer, ACUTE)
    await apply_all(watched)
    async with watched.node.store.session() as session:
        sent = (
            await session.exec(select(Activity).where(Activity.direction == Direction.OUTBOUND))
        ).all()
        row = (await session.exec(select(CrisisAssessment))).one()
    # Nothing of it leaves the node: no Flag, and no document carries its reasons.
    assert not [a for a in sent if a.type == "Flag"]
    for activity in sent:
        text = str(activity.document)
        assert "Cove read this as" not in text and "acute" not in text, activity.type
        if activity.type != "Announce":  # the group relays the post itself, its words in it
            assert not any(reason in text for reason in row.reasons), activity.type
    async with watched.client.get(f"{watched.urls.group('nightwatch')}/modlog") as answer:
        assert "crisis" not in (await answer.text()).lower()
    clock_of(watched).advance(timedelta(days=watched.node.config.crisis.keep_days - 1))
    assert await escalation.purge_assessments(watched.node) == 0
    clock_of(watched).advance(timedelta(days=2))
    assert await escalation.purge_assessments(watched.node) == 1
    async with watched.node.store.session() as session:
        assert (await session.exec(select(CrisisAssessment))).all() == []
        report = (await session.exec(select(Report))).one()
    assert "acute" in report.comment  # the queue keeps why; the text was never copied


async def test_a_group_that_asks_pages_its_verified_professionals_on_acute_items(
    watched: ServedNode, peer: HostilePeer
) -> None:
    from node.crisis import professionals
    from node.members import participation

    await night_group(watched)
    nurse = await create_account(watched.node, "nurse")
    async with client_for(watched.node) as client:
        await participation.join(watched.node, client, nurse, watched.urls.group("nightwatch"))
    checked = professionals.NewCredential(
        "Registered mental health nurse", "ada, against the register", watched.node.clock(), None
    )
    operator = Acting.operator(watched.node)
    await professionals.add_credential(watched.node, operator, "nurse", checked)
    await post_from(watched, peer, ACUTE)
    await apply_all(watched)
    assert await crisis_notes(watched, nurse.id) == []  # the group has not asked
    await professionals.set_paging(watched.node, operator, "nightwatch", on=True)
    await post_from(watched, peer, ACUTE.replace("goodbye", "goodbye all"), name="other")
    await apply_all(watched)
    assert len(await crisis_notes(watched, nurse.id)) == 1
