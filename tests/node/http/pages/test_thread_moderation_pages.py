"""A group's moderators at work outside the queue, on the pages: each post of a thread has a
"Moderate" disclosure (remove, restore, lock, pin, purge, ban its author, keep their server
out) for them and for the node's staff, and nothing for anyone else, whose forms are refused
with a 403; the group's moderation page lists its bans, the servers it keeps out and the posts
it holds with no report, and lifts, bans, keeps out, lets in and releases from there."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import select

from node.groups import groups, threads
from node.groups.groups import NewGroup
from node.members import participation
from node.moderators import bans, group_domain_blocks
from node.moderators.roles import Acting
from node.outage import OutageTracker
from node.queue.processing import process_pending
from node.runtime import Node
from node.store.states import AccountRole, BanState, PostState
from node.store.tables import Ban, Post
from tests.conftest import ServedNode, client_for, serving
from tests.node.members.conftest import NodeFactory, clock_of, member
from tests.support.browsing import Browser, Page, browser, signed_in
from tests.support.hostile_peer import PUBLIC, start_hostile_peer

ADVERT = "Crystals heal grief, DM me"
ANSWER = "Please stop selling here"
PILLS = "Cheap pills, DM me"
MODERATE = "<summary>Moderate</summary>"


@dataclass
class Stage:
    served: ServedNode
    thread: str  # /g/grief/t/ID: kim's advert, lee's reply under it
    advert: str
    answer: str
    stranger_thread: str  # the page of a post from 127.0.0.3
    stranger: str
    calm: str  # /g/calm/t/ID: a thread in the group mo owns

    @property
    def node(self) -> Node:
        return self.served.node


async def _page_of(served: ServedNode, group: str, uri: str) -> str:
    """The path of a post's thread page."""
    found = served.node.urls.thread(group, await threads.row_of(served.node, uri))
    return found.removeprefix(served.base)


async def _state(node: Node, uri: str) -> Post:
    async with node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).one()


@pytest.fixture
async def stage(make_node: NodeFactory) -> AsyncIterator[Stage]:
    """Grief (olive owns it): kim's advert with lee's reply, and a stranger's post from
    another server. Calm (mo owns it) has a thread of its own. Sam is a moderator of the node
    and a member of neither group."""
    node = await make_node(mode="open")
    await member(node, "olive")
    await member(node, "sam", AccountRole.MODERATOR)
    mo, kim, lee = [await member(node, n) for n in ("mo", "kim", "lee")]
    await groups.create_group(node, NewGroup(name="grief", title="Grief", owner="olive"))
    await groups.create_group(node, NewGroup(name="calm", title="Calm", owner="mo"))
    group = node.urls.group("grief")
    async with (
        start_hostile_peer("127.0.0.3", software="mastodon") as peer,
        serving(node, workers=False) as served,
        client_for(node) as client,
    ):
        for person in (kim, lee):
            await participation.join(node, client, person, group)
        advert = await participation.publish(node, client, kim, group, ADVERT, title="Heal")
        answer = await participation.publish(node, client, lee, group, ANSWER, in_reply_to=advert)
        calm = await participation.publish(node, client, mo, node.urls.group("calm"), "Hi")
        stranger = peer.actor("stranger")
        mention = [{"type": "Mention", "href": group}]
        note = peer.note(stranger, f"<p>{PILLS}</p>", to=[PUBLIC, group], tag=mention)
        for activity in (
            peer.activity("Follow", stranger, group),
            peer.activity("Create", stranger, note, to=[PUBLIC, group]),
        ):
            assert await peer.deliver(client, node.urls.inbox(group), activity, stranger) == 202
            await process_pending(node, client, OutageTracker(node), random.Random(1))
        yield Stage(
            served,
            await _page_of(served, "grief", advert),
            advert,
            answer,
            await _page_of(served, "grief", str(note["id"])),
            stranger,
            await _page_of(served, "calm", calm),
        )


@pytest.fixture
async def olive(stage: Stage) -> AsyncIterator[Browser]:
    async with browser(stage.served.base) as person:
        await signed_in(person, "olive")
        yield person


def _done(page: Page, done: str) -> None:
    assert page.status == 200 and f"done={done}" in page.url, (page.url, page.text[:400])
    assert 'role="status"' in page.text


async def test_a_groups_moderator_moderates_from_the_thread_page(
    stage: Stage, olive: Browser
) -> None:
    node, thread = stage.node, stage.thread
    advert_id, answer_id = [await threads.row_of(node, u) for u in (stage.advert, stage.answer)]
    page = await olive.get(thread)
    assert page.text.count(MODERATE) == 2  # the advert and the reply
    assert "Lock the thread" in page.text and "Pin to the group's page" in page.text

    async def act(post_id: int, action: str, fields: dict[str, str], done: str) -> Page:
        await olive.get(thread)
        sent = await olive.submit(
            f"{thread.rsplit('/', 1)[0]}/{post_id}/moderate/{action}",
            {**fields, "back": str(advert_id)},
        )
        _done(sent, done)
        return sent

    removed = await act(answer_id, "post", {"act": "remove", "reason": "off topic"}, "removed")
    assert ANSWER in removed.text and "removed</span>" in removed.text  # still, for moderators
    assert "Purge the post" in removed.text
    async with browser(stage.served.base) as anyone:
        assert ANSWER not in (await anyone.get(thread)).text
        assert MODERATE not in (await anyone.get(thread)).text
    assert (await _state(node, stage.answer)).state == PostState.REMOVED
    await act(answer_id, "post", {"act": "restore"}, "restored")
    assert (await _state(node, stage.answer)).state == PostState.LIVE

    locked = await act(advert_id, "post", {"act": "lock", "reason": "heated"}, "locked")
    assert "thread locked" in locked.text and "Unlock the thread" in locked.text
    assert (await _state(node, stage.advert)).locked_at is not None
    pinned = await act(advert_id, "post", {"act": "pin"}, "pinned")
    assert "Unpin" in pinned.text and (await _state(node, stage.advert)).pinned_at is not None
    await act(advert_id, "post", {"act": "unpin"}, "unpinned")
    await act(advert_id, "post", {"act": "unlock"}, "unlocked")
    advert = await _state(node, stage.advert)
    assert advert.pinned_at is None and advert.locked_at is None

    await act(answer_id, "post", {"act": "remove"}, "removed")
    await act(answer_id, "post", {"act": "purge"}, "purged")
    purged = await _state(node, stage.answer)
    assert purged.state == PostState.DELETED and purged.content_html == ""

    await olive.get(thread)  # a ban with no length: a 400 with its reason, nothing banned
    refused = await olive.submit(f"{thread}/moderate/ban", {"reason": "selling", "back": "x"})
    assert refused.status == 400 and "choose how long the ban lasts" in refused.text.lower()
    assert 'role="alert"' in refused.text and ADVERT in refused.text
    # A length of the moderator's own, typed as `cove group ban --for` takes it.
    assert f'id="other-length-{advert_id}" name="other_length"' in refused.text
    typed = {"length": "other", "other_length": "2w", "reason": "selling", "remove_content": "yes"}
    banned = await act(advert_id, "ban", typed, "banned")
    assert "Its author is banned from this group." in banned.text
    async with node.store.session() as session:
        ban = (await session.exec(select(Ban))).one()
    assert ban.actor_uri == node.urls.person("kim") and ban.reason == "selling"
    assert ban.expires_at is not None
    assert abs(ban.expires_at - (clock_of(node)() + timedelta(days=14))) < timedelta(minutes=1)
    assert (await _state(node, stage.advert)).state == PostState.REMOVED  # with the ban
    # Purging the page's own post leaves no page to go back to: the group's moderation page.
    await olive.get(thread)
    gone = await olive.submit(f"{thread}/moderate/post", {"act": "purge", "back": str(advert_id)})
    assert gone.url.endswith("/g/grief/moderation?done=purged"), gone.url
    assert "The post's words are erased for good." in gone.text

    stranger = await olive.get(stage.stranger_thread)
    assert PILLS in stranger.text and "Keep 127.0.0.3 out of this group" in stranger.text
    kept_out = await olive.submit(
        f"{stage.stranger_thread}/moderate/keep-out", {"reason": "spam wave"}
    )
    _done(kept_out, "kept_out")
    assert "127.0.0.3 is kept out of this group." in kept_out.text
    found = await group_domain_blocks.blocked_domains(node, Acting.operator(node), "grief")
    assert [(d.domain, d.reason) for d in found] == [("127.0.0.3", "spam wave")]


async def test_only_those_who_moderate_the_group_see_and_use_the_controls(stage: Stage) -> None:
    node, thread = stage.node, stage.thread
    remove = f"{thread}/moderate/post"
    async with browser(stage.served.base) as nobody:
        assert MODERATE not in (await nobody.get(thread)).text
        await nobody.get("/auth/sign-in")  # a page with a form: its token
        sent = await nobody.submit(remove, {"act": "remove"})
        assert "/auth/sign-in" in sent.url
    for name in ("lee", "mo"):  # a member of grief; the owner of another group
        async with browser(stage.served.base) as person:
            await signed_in(person, name)
            page = await person.get(thread)
            assert page.status == 200 and MODERATE not in page.text
            assert "Lock the thread" not in page.text
            for action, fields in (
                ("post", {"act": "remove"}),
                ("ban", {"length": "forever"}),
                ("keep-out", {}),
            ):
                refused = await person.submit(f"{thread}/moderate/{action}", fields)
                assert refused.status == 403, (name, action, refused.text[:300])
                assert f"{name} is not a moderator of grief" in refused.text
                assert ADVERT not in refused.text
            assert (await person.get("/g/grief/moderation")).status == 403
            theirs = await person.get("/moderation/groups")  # mo's own, and nothing of grief
            assert theirs.status == (200 if name == "mo" else 403)
            assert "/g/grief/moderation" not in theirs.text
            await person.get(thread)
            refused = await person.submit("/g/grief/moderation/ban", {"who": "kim", "length": "1d"})
            assert refused.status == 403 and "Bans in force" not in refused.text
    assert (await _state(node, stage.advert)).state == PostState.LIVE
    async with node.store.session() as session:
        assert (await session.exec(select(Ban))).all() == []

    # The node's staff moderate every group, members or not.
    async with browser(stage.served.base) as sam:
        await signed_in(sam, "sam")
        for path in (thread, stage.calm):
            assert MODERATE in (await sam.get(path)).text, path
        removed = await sam.submit(f"{stage.calm}/moderate/post", {"act": "remove"})
        _done(removed, "removed")
        groups_page = await sam.get("/moderation/groups")
        assert '<a href="/g/calm/moderation">' in groups_page.text
        assert '<a href="/g/grief/moderation">' in groups_page.text
    async with browser(stage.served.base) as anyone:
        assert (await anyone.get(stage.calm)).status == 404  # removed: gone for all but moderators


async def test_the_groups_moderation_page(stage: Stage, olive: Browser) -> None:
    node, here = stage.node, "/g/grief/moderation"
    group = await olive.get("/g/grief")
    assert re.search(r'You moderate it\..*href="[^"]*/g/grief/moderation"', group.text, re.S)
    page = await olive.get(here)
    assert page.status == 200 and "<h1>Moderating Grief</h1>" in page.text
    assert "No one is banned from this group." in page.text

    async def send(action: str, fields: dict[str, str], done: str) -> Page:
        await olive.get(here)
        sent = await olive.submit(f"{here}/{action}", fields)
        _done(sent, done)
        return sent

    assert 'id="length-other"' in page.text and 'id="other-length"' in page.text
    banned = await send("ban", {"who": "@kim", "length": "30d", "reason": "adverts"}, "banned")
    assert "adverts" in banned.text and "Lift the ban on kim" in banned.text
    await send("ban", {"who": stage.stranger, "length": "forever", "reason": "pills"}, "banned")
    in_force = await bans.list_bans(node, Acting.operator(node), "grief")
    assert {b.actor_uri for b in in_force} == {node.urls.person("kim"), stage.stranger}
    await olive.get(here)
    nobody = await olive.submit(f"{here}/ban", {"who": "nobody", "length": "1d", "reason": "x"})
    assert nobody.status == 404 and "no account named" in nobody.text.lower()
    assert 'value="nobody"' in nobody.text  # what was typed is kept
    lifted = await send("unban", {"actor": node.urls.person("kim")}, "unbanned")
    assert "Lift the ban on kim" not in lifted.text
    async with node.store.session() as session:
        states = {b.actor_uri: b.state for b in (await session.exec(select(Ban))).all()}
    assert states == {node.urls.person("kim"): BanState.LIFTED, stage.stranger: BanState.ACTIVE}

    kept = await send("keep-out", {"server": "Spam.Example", "reason": "a wave"}, "kept_out")
    assert "spam.example" in kept.text and "Let spam.example back in" in kept.text
    assert "The server is kept out of the group." in kept.text  # the moderators' notice
    await olive.get(here)
    own = await olive.submit(f"{here}/keep-out", {"server": node.urls.domain.split(":")[0]})
    assert own.status == 400 and "its own node" in own.text
    let_in = await send("let-in", {"server": "spam.example"}, "let_in")
    assert "The server may take part in the group again." in let_in.text
    assert await group_domain_blocks.blocked_domains(node, Acting.operator(node), "grief") == []

    # A post held for review that no report brings to the queue waits here.
    async with node.store.transaction() as session:
        held = (await session.exec(select(Post).where(Post.uri == stage.answer))).one()
        held.state = PostState.HELD  # as a hold whose report was never made leaves it
    waiting = await olive.get(here)
    assert ANSWER in waiting.text and "Release it as it is" in waiting.text
    released = await send("release", {"post": stage.answer, "with_resources": "no"}, "released")
    assert "No post waits for review without a report." in released.text
    assert (await _state(node, stage.answer)).state == PostState.LIVE
