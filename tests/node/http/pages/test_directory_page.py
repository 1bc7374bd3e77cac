"""Choosing a community from the front page: the directory lists the groups their organizers
chose to list, by kind, topic and words, and a group's page says before joining what it
shares, with whom, who moderates and how quickly reports are answered."""

from __future__ import annotations

from node.groups import groups
from node.groups.groups import NewGroup
from node.store.states import GroupKind
from tests.conftest import ServedNode
from tests.support.browsing import browser


async def some_groups(served: ServedNode) -> None:
    for group in (
        NewGroup(
            name="grief",
            title="Grief support",
            discoverable=True,
            kind=GroupKind.CONDITION_SPECIFIC,
            topics=("grief", "loss"),
            summary="For anyone living with a loss.",
        ),
        NewGroup(
            name="runners",
            title="Runners who talk",
            discoverable=True,
            kind=GroupKind.LIFESTYLE,
            topics=("running",),
        ),
        NewGroup(name="quiet", title="A quiet room", kind=GroupKind.GENERAL),  # not listed
        NewGroup(name="circle", title="Inner circle", members_only=True, discoverable=True),
    ):
        await groups.create_group(served.node, group)


async def test_the_directory_lists_by_kind_topic_and_words(served: ServedNode) -> None:
    await some_groups(served)
    async with browser(served.base) as person:
        everything = (await person.get("/")).text
        assert "Grief support" in everything and "Runners who talk" in everything
        assert "A quiet room" not in everything and "Inner circle" not in everything
        assert "A condition or experience" in everything and 'href="/?topic=loss"' in everything
        lifestyle = (await person.get("/?kind=lifestyle")).text
        assert "Runners who talk" in lifestyle and "Grief support" not in lifestyle
        assert '<option value="lifestyle" selected>' in lifestyle
        assert "Grief support" in (await person.get("/?q=LOSS")).text
        on_topic = (await person.get("/?topic=running")).text
        assert "Runners who talk" in on_topic and "Grief support" not in on_topic
        hashtag = await person.get("/tags/Running")  # a Hashtag's href on the group's actor
        assert hashtag.url == served.base + "/?topic=running" and "Runners who talk" in hashtag.text
        nothing = (await person.get("/?q=knitting")).text
        assert "No listed group matches that." in nothing
        wrong = await person.get("/?kind=bogus")
        assert wrong.status == 400 and "Unknown group kind" in wrong.text


async def test_a_groups_page_says_what_it_shares_before_joining(served: ServedNode) -> None:
    await some_groups(served)
    async with browser(served.base) as person:
        public = (await person.get("/g/grief")).text
        assert "Before you join" in public
        assert "Posts here are public" in public and "post anonymously" in public
        assert "no figure yet for how quickly moderators answer" in public
        assert 'data-copy="@grief@' in public and "#loss" in public
        inner = (await person.get("/g/circle")).text
        assert (
            "seen by the group&#39;s members only" in inner
            or "seen by the group's members only" in inner
        )
        assert "A moderator approves each new member." in inner
        assert "The list of members is not shown to anyone." in inner
