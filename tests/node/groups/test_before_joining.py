"""What a person sees of a group before joining: its moderators by name, how soon reports about
it were first acted on over the last 30 days (and how many that is computed from), and what
it shares with whom."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from node.actors.instance import ensure_instance
from node.groups import before_joining, groups
from node.groups.bylines import Byline
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators.reports import decisions, filed
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import GroupKind, ReportState
from tests.conftest import MovableClock, client_for


async def test_a_groups_facts_say_who_moderates_and_how_soon_reports_are_acted_on(
    node: Node,
) -> None:
    clock = MovableClock()
    node = dataclasses.replace(node, clock=clock)
    await ensure_instance(node)
    await accounts.create_account(node, "lead", display_name="Lea, the organizer")
    ann = await accounts.create_account(node, "ann")
    bo = await accounts.create_account(node, "bo")
    await groups.create_group(
        node,
        NewGroup(
            name="grief",
            title="After a loss",
            owner="lead",
            kind=GroupKind.CONDITION_SPECIFIC,
            topics=("grief",),
        ),
    )
    lead = Acting.member(node, await accounts.get_account_by_name(node, "lead"))
    facts = await before_joining.group_facts(node, "grief")
    assert facts.report_response.median is None and facts.report_response.acted_on == 0

    async with client_for(node) as client:
        for who in (ann, bo):
            await participation.join(node, client, who, node.urls.group("grief"))
        posts = [
            await participation.publish(node, client, bo, node.urls.group("grief"), f"post {n}")
            for n in range(4)
        ]

        async def report(post: str) -> int:
            return (await filed.file_report(node, client, ann, post, category="spam")).id

        old = await report(posts[0])  # acted on, but more than 30 days ago
        clock.advance(timedelta(minutes=10))
        await decisions.decide(node, lead, old, ReportState.DISMISSED)
        clock.advance(timedelta(days=31))
        quick = await report(posts[1])
        clock.advance(timedelta(hours=2))
        await decisions.decide(node, lead, quick, ReportState.RESOLVED)
        slow = await report(posts[2])
        clock.advance(timedelta(hours=4))
        await decisions.decide(node, lead, slow, ReportState.DISMISSED)
        await report(posts[3])  # still waiting

    facts = await before_joining.group_facts(node, "grief")
    median = facts.report_response.median  # 2 h and 4 h, and what the test itself takes
    assert median is not None and timedelta(hours=3) <= median < timedelta(hours=3, minutes=1)
    assert (facts.report_response.acted_on, facts.report_response.waiting) == (2, 1)
    (moderator,) = facts.moderators
    assert moderator == Byline(
        "Lea, the organizer", f"lead@{node.urls.domain}", node.urls.person("lead")
    )
    assert (facts.kind, facts.topics) == (GroupKind.CONDITION_SPECIFIC, ("grief",))
    assert not facts.posts_members_only
    # The node does not publish followers (privacy.expose_followers is off by default).
    assert facts.member_list_hidden


async def test_a_members_only_group_says_so_and_hides_its_members_even_when_followers_show(
    node: Node,
) -> None:
    privacy = dataclasses.replace(node.config.privacy, expose_followers=True)
    node = dataclasses.replace(node, config=dataclasses.replace(node.config, privacy=privacy))
    await groups.create_group(node, NewGroup(name="open", title="Open"))
    await groups.create_group(node, NewGroup(name="closed", title="Closed", members_only=True))
    open_facts = await before_joining.group_facts(node, "open")
    closed = await before_joining.group_facts(node, "closed")
    assert not open_facts.member_list_hidden and not open_facts.posts_members_only
    assert closed.member_list_hidden and closed.posts_members_only and closed.approves_members
    assert closed.moderators == ()
