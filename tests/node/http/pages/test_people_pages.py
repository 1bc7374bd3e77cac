"""Blocking and muting people from the pages: by name, handle or URL, from a post's actions
or the settings; what they wrote leaves the member's group and thread pages (anonymous posts
stay) and comes back when lifted; a person elsewhere has their server told of a block and of
its end, and of a mute nothing; bad input is a page with its reason."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest

from node.groups import groups, threads
from node.groups.groups import NewGroup
from node.members import participation
from node.runtime import Node
from node.store.states import PostingPolicy
from tests.conftest import ServedNode, client_for, serving
from tests.node.members.conftest import NodeFactory, member
from tests.support.browsing import Browser, browser, signed_in
from tests.support.hostile_peer import HostilePeer, deliveries_done, start_hostile_peer

PEOPLE = "/settings/people"


@dataclass(frozen=True)
class Stage:
    served: ServedNode
    ash_thread: str  # /g/grief/t/N, by ash
    kim_thread: str  # by kim, with a reply by ash and an anonymous one by ash


@pytest.fixture
async def node(make_node: NodeFactory) -> Node:
    return await make_node(mode="open")


@pytest.fixture
async def stage(node: Node) -> AsyncIterator[Stage]:
    await member(node, "olive", email="olive@mail.test")
    kim = await member(node, "kim", email="kim@mail.test")
    ash = await member(node, "ash", email="ash@mail.test")
    await groups.create_group(
        node,
        NewGroup(name="grief", title="Grief", owner="olive", posting_policy=PostingPolicy.MEMBERS),
    )
    group = node.urls.group("grief")
    async with client_for(node) as client:
        for who in (kim, ash):
            await participation.join(node, client, who, group)
        ash_post = await participation.publish(
            node, client, ash, group, "Ash cannot sleep.", title="A long night"
        )
        kim_post = await participation.publish(
            node, client, kim, group, "Kim saw the sea.", title="A good morning"
        )
        for text, anonymous in (("Ash read this.", False), ("Nobody knows who.", True)):
            await participation.publish(
                node, client, ash, group, text, in_reply_to=kim_post, anonymous=anonymous
            )
    async with serving(node, workers=False) as served:
        yield Stage(
            served,
            node.urls.thread("grief", await threads.row_of(node, ash_post)).removeprefix(
                served.base
            ),
            node.urls.thread("grief", await threads.row_of(node, kim_post)).removeprefix(
                served.base
            ),
        )


def cards(page_text: str) -> list[str]:
    return re.findall(r'<article class="card[^"]*"[^>]*>(.*?)</article>', page_text, re.S)


async def what_olive_reads(olive: Browser, stage: Stage) -> set[str]:
    group = (await olive.get("/g/grief")).text
    kim = (await olive.get(stage.kim_thread)).text
    ash = await olive.get(stage.ash_thread)
    found = {t for t in ("A long night", "A good morning") if t in group}
    found |= {t for t in ("Kim saw the sea.", "Ash read this.", "Nobody knows who.") if t in kim}
    if ash.status == 200 and "Ash cannot sleep." in ash.text:
        found.add("Ash cannot sleep.")
    # Ash's profile lists what ash wrote under their name, never the anonymous reply.
    profile = await olive.get("/u/ash")
    assert profile.status == 200 and "Nobody knows who." not in profile.text
    found |= {f"profile: {t}" for t in ("Ash cannot sleep.", "Ash read this.") if t in profile.text}
    return found


EVERYTHING = {
    "A long night",
    "A good morning",
    "Kim saw the sea.",
    "Ash read this.",
    "Nobody knows who.",
    "Ash cannot sleep.",
    "profile: Ash cannot sleep.",
    "profile: Ash read this.",
}
WITHOUT_ASH = {"A good morning", "Kim saw the sea.", "Nobody knows who."}


@pytest.mark.parametrize(("kind", "name"), [("block", "ash"), ("mute", "@ash@{domain}")])
async def test_a_member_keeps_someone_away_and_lets_them_back(
    stage: Stage, kind: str, name: str
) -> None:
    served = stage.served
    ash_url = served.urls.person("ash")
    async with browser(served.base) as olive:
        await signed_in(olive, "olive")
        assert await what_olive_reads(olive, stage) == EVERYTHING
        empty = await olive.get(PEOPLE)
        assert empty.status == 200 and "You block and mute no one." in empty.text
        assert "Mastodon, Lemmy and Misskey" in empty.text and "no one is told" in empty.text
        kept = await olive.submit(
            PEOPLE, {"person": name.format(domain=served.urls.domain), "kind": kind}
        )
        assert kept.status == 200 and kept.url.endswith(f"?done={kind}"), kept.url
        assert f"@ash@{served.urls.domain}" in kept.text
        assert ("Unblock" if kind == "block" else "Unmute") in kept.text
        # Hidden from her group and thread pages; the anonymous reply stays (hiding it
        # would say who wrote it).
        assert await what_olive_reads(olive, stage) == WITHOUT_ASH
        assert (await olive.get(stage.ash_thread)).status == 404
        # Only from her: kim still reads ash.
        async with browser(served.base) as kim:
            await signed_in(kim, "kim")
            assert await what_olive_reads(kim, stage) == EVERYTHING

        await olive.get(PEOPLE)
        lifted = await olive.submit(PEOPLE + "/undo", {"person": ash_url, "kind": kind})
        assert lifted.status == 200 and "You block and mute no one." in lifted.text
        assert await what_olive_reads(olive, stage) == EVERYTHING


async def test_blocks_and_mutes_are_listed_newest_first(stage: Stage) -> None:
    async with browser(stage.served.base) as olive:
        await signed_in(olive, "olive")
        await olive.get(PEOPLE)
        await olive.submit(PEOPLE, {"person": "kim", "kind": "mute"})
        listed = await olive.submit(PEOPLE, {"person": "ash", "kind": "block"})
        domain = stage.served.urls.domain
        ash, kim = listed.text.index(f"@ash@{domain}"), listed.text.index(f"@kim@{domain}")
        assert ash < kim
        assert listed.text.count("Unblock") == 1 and listed.text.count("Unmute") == 1


async def test_a_post_offers_block_or_mute_of_its_named_author_only(stage: Stage) -> None:
    served = stage.served
    async with browser(served.base) as olive:
        await signed_in(olive, "olive")
        page = await olive.get(stage.kim_thread)
        first, named, anonymous = cards(page.text)
        kim_link = f"{PEOPLE}?person={quote(served.urls.person('kim'), safe='/')}"
        assert kim_link in first
        assert quote(served.urls.person("ash"), safe="/") in named
        # Never for an anonymous post: the link would name its author.
        assert PEOPLE not in anonymous and "Block or mute" not in anonymous
        offered = await olive.get(kim_link)
        assert f'value="{served.urls.person("kim")}"' in offered.text
        await olive.submit(PEOPLE, {"person": served.urls.person("kim"), "kind": "block"})
        async with browser(served.base) as ash:
            await signed_in(ash, "ash")
            own = cards((await ash.get(stage.kim_thread)).text)
            assert all("Block or mute" not in c for c in own[1:])  # not of themself
    assert (await olive_reads_kim(stage)) is False


async def olive_reads_kim(stage: Stage) -> bool:
    async with browser(stage.served.base) as olive:
        await signed_in(olive, "olive")
        return (
            "Kim saw the sea."
            in (await olive.get("/g/grief")).text + (await olive.get(stage.kim_thread)).text
        )


@pytest.mark.parametrize(
    ("fields", "status", "reason"),
    [
        ({"person": "@nobody", "kind": "block"}, 404, "No member named"),
        ({"person": "olive", "kind": "mute"}, 400, "cannot block or mute themself"),
        ({"person": "grief", "kind": "block"}, 400, "is a group, not a person"),
        ({"person": "", "kind": "block"}, 400, "Name a person"),
        ({"person": "ftp://x.example/u", "kind": "block"}, 400, "not an http(s) URL"),
        ({"person": "ash", "kind": "ignore"}, 400, "Choose to block or to mute"),
    ],
)
async def test_bad_input_is_a_page_with_its_reason(
    stage: Stage, fields: dict[str, str], status: int, reason: str
) -> None:
    async with browser(stage.served.base) as olive:
        await signed_in(olive, "olive")
        await olive.get(PEOPLE)
        refused = await olive.submit(PEOPLE, fields)
        assert refused.status == status, refused.text[:500]
        assert reason in refused.text and 'role="alert"' in refused.text
        assert "You block and mute no one." in refused.text


async def test_twice_never_made_and_forged_are_refused(stage: Stage) -> None:
    served = stage.served
    async with browser(served.base) as olive:
        await signed_in(olive, "olive")
        await olive.get(PEOPLE)
        await olive.submit(PEOPLE, {"person": "ash", "kind": "block"})
        twice = await olive.submit(PEOPLE, {"person": "ash", "kind": "block"})
        assert twice.status == 409 and "already blocks" in twice.text
        never = await olive.submit(
            PEOPLE + "/undo", {"person": served.urls.person("kim"), "kind": "mute"}
        )
        assert never.status == 404 and "does not mute" in never.text
        forged = await olive.submit(PEOPLE, {"person": "kim", "kind": "block"}, token="x" * 40)
        assert forged.status == 403
        elsewhere = await olive.submit(
            PEOPLE, {"person": "kim", "kind": "block"}, origin="http://evil.example"
        )
        assert elsewhere.status == 403
        listed = await olive.get(PEOPLE)
        assert f"@kim@{served.urls.domain}" not in listed.text
    async with browser(served.base) as nobody:
        asked = await nobody.get(PEOPLE)
        assert "/auth/sign-in?next=" in asked.url and asked.status == 200


@pytest.fixture
async def mastodon() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.7", software="mastodon") as peer:
        yield peer


async def test_a_block_by_handle_reaches_a_person_elsewhere_and_a_mute_does_not(
    node: Node, mastodon: HostilePeer
) -> None:
    await member(node, "olive", email="olive@mail.test")
    mo = mastodon.actor("mo")
    host = mastodon.base.removeprefix("http://")
    # Their server answers WebFinger for the handle, as Mastodon does.
    mastodon.documents[f"/.well-known/webfinger?resource=acct:mo@{host}"] = {
        "subject": f"acct:mo@{host}",
        "links": [{"rel": "self", "type": "application/activity+json", "href": mo}],
    }
    async with serving(node) as served, browser(served.base) as olive:
        await signed_in(olive, "olive")
        await olive.get(PEOPLE)
        blocked = await olive.submit(PEOPLE, {"person": f"@mo@{host}", "kind": "block"})
        assert blocked.status == 200 and mo in blocked.text and "Unblock" in blocked.text
        await deliveries_done(served)
        (sent,) = mastodon.received("/users/mo/inbox")
        assert (sent.json()["type"], sent.json()["object"]) == ("Block", mo)
        await olive.submit(PEOPLE + "/undo", {"person": mo, "kind": "block"})
        await deliveries_done(served)
        muted = await olive.submit(PEOPLE, {"person": mo, "kind": "mute"})
        assert muted.status == 200 and "Unmute" in muted.text
        await deliveries_done(served)
        undo = [r.json() for r in mastodon.received("/users/mo/inbox")]
        assert [d["type"] for d in undo] == ["Block", "Undo"]  # the mute told no one
        assert undo[1]["object"]["type"] == "Block"
        unknown = await olive.submit(PEOPLE, {"person": f"@nobody@{host}", "kind": "block"})
        assert unknown.status == 404 and "Cannot look up" in unknown.text
        club = mastodon.actor("club", kind="Group")
        group = await olive.submit(PEOPLE, {"person": club, "kind": "block"})
        assert group.status == 400 and "is a Group, not a person" in group.text
        assert len(mastodon.received("/users/")) == 2  # nothing sent for either


async def test_a_profile_lists_what_its_person_wrote_under_their_name(stage: Stage) -> None:
    async with browser(stage.served.base) as anyone:
        profile = await anyone.get("/u/ash")
        assert profile.status == 200
        assert "Ash cannot sleep." in profile.text and "Ash read this." in profile.text
        assert "Nobody knows who." not in profile.text  # written anonymously
        assert f'href="{stage.served.base}{stage.ash_thread}"' in profile.text
        assert "Nothing to show here." in (await anyone.get("/u/olive")).text
