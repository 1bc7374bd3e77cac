"""A member's day on the pages: joining a group by accepting its rules (and its changed rules,
the version they read), starting a thread behind a content warning, replying anonymously,
liking, editing and deleting their own words, reporting a worry; a moderator finding it in the
queue; a members-only group's posts for its members' eyes alone, through the pages as through
ActivityPub."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from sqlmodel import select

from moderation.rules import parse_rules
from node.groups import groups, rules
from node.groups.groups import NewGroup
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import PostingPolicy
from node.store.tables import Activity, Report
from tests.conftest import ServedNode, serving
from tests.node.members.conftest import NodeFactory, member
from tests.support.browsing import browser, signed_in


@pytest.fixture
async def node(make_node: NodeFactory) -> Node:
    return await make_node(mode="open")


@pytest.fixture
async def served(node: Node) -> AsyncIterator[ServedNode]:
    async with serving(node, workers=False) as it:
        yield it


async def test_a_member_joins_posts_replies_edits_deletes_and_reports(
    node: Node, served: ServedNode
) -> None:
    owner = await member(node, "olive", email="olive@mail.test")
    await member(node, "kim", email="kim@mail.test")
    await member(node, "ash", email="ash@mail.test")
    await groups.create_group(
        node,
        NewGroup(name="grief", title="Grief", owner="olive", posting_policy=PostingPolicy.MEMBERS),
    )
    await rules.set_rules(
        node,
        Acting.member(node, owner),
        "grief",
        parse_rules([{"title": "Be gentle", "text": ""}]),
        needs_acceptance=True,
    )
    group = "/g/grief"
    async with (
        browser(served.base) as kim,
        browser(served.base) as ash,
        browser(served.base) as olive,
    ):
        await signed_in(kim, "kim")
        page = await kim.get(group)
        assert "Join this group" in page.text and "Start a thread" not in page.text
        refused = await kim.submit(group + "/join", {})  # the rules not accepted
        assert refused.status == 403 and "accept them to join" in refused.text
        page = await kim.get(group)
        assert '<input type="hidden" name="rules_version" value="1">' in page.text
        # Rules published while the page was open are shown, never accepted unseen.
        stale = await kim.submit(group + "/join", {"accept_rules": "yes", "rules_version": "0"})
        assert stale.status == 409 and "The rules of grief are at version 1 now" in stale.text
        assert "Be gentle" in stale.text and "Join this group" in stale.text
        joined = await kim.submit(group + "/join", {"accept_rules": "yes", "rules_version": "1"})
        assert "You are a member of this group." in joined.text
        thread = await kim.submit(
            group + "/post",
            {"title": "A hard week", "text": "My mum's anniversary.", "content_warning": "loss"},
        )
        assert re.search(r"/g/grief/t/\d+$", thread.url), thread.url
        assert '<details class="warning">' in thread.text and "loss" in thread.text
        here = thread.url.removeprefix(served.base)

        await signed_in(ash, "ash")
        await ash.get(group)
        await ash.submit(group + "/join", {"accept_rules": "yes"})
        to_reply = await ash.get(here)
        # The reply form is the page's, under the thread: not lost inside its <title>.
        head, main = to_reply.text.split("<main", 1)
        assert "<form" not in head.split("<title>", 1)[1].split("</title>", 1)[0]
        assert f'action="{served.base}{here}/reply"' in main and 'for="text"' in main
        replied = await ash.submit(
            here + "/reply", {"text": "Thinking of you.", "anonymous": "yes"}
        )
        assert "Thinking of you." in replied.text and "An anonymous member" in replied.text
        reply_card = re.search(
            r'<article class="card reply" id="r\d+">(.*?)</article>', replied.text, re.S
        )
        assert reply_card is not None and "@ash" not in reply_card.group(1)
        await ash.get(here)
        liked = await ash.submit(here + "/like", {})
        assert liked.status == 200
        await ash.get(here)
        worried = await ash.get(here + "/report")
        assert "worried about this person" in worried.text
        sent = await ash.submit(
            here + "/report", {"category": "self_harm", "comment": "please check in"}
        )
        assert sent.status == 200 and "Report sent" in sent.text

        edit_form = await kim.get(here + "/edit")
        assert (
            "My mum&#39;s anniversary." in edit_form.text
            or "My mum's anniversary." in edit_form.text
        )
        edited = await kim.submit(
            here + "/edit",
            {"title": "A hard week", "text": "Her anniversary.", "content_warning": ""},
        )
        assert "Her anniversary." in edited.text and '<details class="warning">' not in edited.text
        assert (await ash.get(here + "/edit")).status == 403  # not theirs

        await signed_in(olive, "olive")
        queue = await olive.get("/moderation/reports")
        assert "Someone may be in crisis" in queue.text and "please check in" in queue.text
        assert (await kim.get("/moderation/reports")).status == 403  # kim moderates nothing

        await kim.get(here)
        gone = await kim.submit(here + "/delete", {})
        assert gone.url == served.base + group and "Her anniversary." not in gone.text

        # The rules change, and change again while kim reads them: she accepts what she read.
        async def new_rules(*titles: str) -> None:
            written = parse_rules([{"title": t, "text": ""} for t in titles])
            await rules.set_rules(
                node, Acting.member(node, owner), "grief", written, needs_acceptance=True
            )

        await new_rules("Be gentle", "No advice on medication")
        changed = await kim.get(group)
        assert "The rules changed (version 2)" in changed.text
        assert 'name="rules_version" value="2"' in changed.text
        await new_rules("Be gentle", "No diagnosing others")
        accept = group + "/accept-rules"
        stale = await kim.submit(accept, {"accept_rules": "yes", "rules_version": "2"})
        assert stale.status == 409 and "The rules of grief are at version 3 now" in stale.text
        assert "No diagnosing others" in stale.text
        assert 'name="rules_version" value="3"' in stale.text
        odd = await kim.submit(accept, {"accept_rules": "yes", "rules_version": "x"})
        assert odd.status == 400 and "Say which version of the rules you read" in odd.text
        accepted = await kim.submit(
            group + "/accept-rules", {"accept_rules": "yes", "rules_version": "3"}
        )
        assert accepted.url == served.base + group and "Start a thread" in accepted.text
    async with node.store.session() as session:
        kinds = {a.type for a in (await session.exec(select(Activity))).all()}
        report = (await session.exec(select(Report))).first()
    assert {"Create", "Update", "Delete", "Like"} <= kinds
    assert report is not None and report.category == "self_harm"


async def test_a_members_only_group_shows_its_posts_to_its_members_alone(
    node: Node, served: ServedNode
) -> None:
    await member(node, "olive", email="olive@mail.test")
    await member(node, "kim", email="kim@mail.test")
    await member(node, "lee", email="lee@mail.test")
    await groups.create_group(
        node, NewGroup(name="circle", title="Circle", owner="olive", members_only=True)
    )
    async with (
        browser(served.base) as olive,
        browser(served.base) as lee,
        browser(served.base) as nobody,
    ):
        await signed_in(olive, "olive")
        posted = await olive.submit(
            "/g/circle/post",
            {"title": "Inside", "text": "members only words"},
            token=(await olive.get("/g/circle")).form_token,
        )
        here = posted.url.removeprefix(served.base)
        assert "members only words" in posted.text
        await signed_in(lee, "lee")
        for who in (lee, nobody):
            assert "members only words" not in (await who.get("/g/circle")).text
            assert (await who.get(here)).status == 404
        asked = await lee.submit(
            "/g/circle/join", {}, token=(await lee.get("/g/circle")).form_token
        )
        assert "You asked to join" in asked.text
        assert (await lee.get(here)).status == 404  # not until a moderator says yes
