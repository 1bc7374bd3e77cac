"""A moderator's day on the pages: the queue with the crisis item on top and why Cove flagged
it, the reported words kept out of the page until asked for; one report's page with its
history, decided with a note the reporter hears, its post removed, restored, locked, pinned and
purged, its author banned for a while (a bad length is a 400 with its reason); requests to join
and duty. Nobody acts beyond their role: a member of no staff gets a 403 page, and a group's
moderator cannot touch another group's reports."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import col, select

from federation.errors import Refused
from node.crisis import duty, holds
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators.reports.filed import file_report
from node.moderators.roles import Acting
from node.outage import OutageTracker
from node.queue.processing import process_pending
from node.runtime import Node
from node.store.states import AccountRole, BanState, MembershipState, PostState
from node.store.tables import Activity, Ban, Membership, Post, Report
from tests.conftest import ServedNode, client_for, serving
from tests.node.members.conftest import NodeFactory, clock_of, member
from tests.support.browsing import Browser, browser, signed_in
from tests.support.hostile_peer import PUBLIC, start_hostile_peer

ACUTE = "I can't do this anymore. I'm going to kill myself tonight. This is my last post, goodbye."
WRITTEN = "kill myself tonight. This is my last post"  # as written, not as the phrases matched
ADVERT = "Buy my healing crystals, link in bio."
QUEUE = "/moderation/reports"

BAD_LENGTHS = [
    ({"length": "other", "other_length": "7 fortnights"}, "unknown duration"),
    ({"length": "other", "other_length": "0d"}, "longer than zero"),
    ({"length": "other", "other_length": ""}, "write how long the ban lasts"),
    ({"length": "a while"}, "choose how long the ban lasts"),
    ({"length": "other", "other_length": "99999w"}, "at most ten years"),
]


@dataclass
class Moderated:
    served: ServedNode
    crisis: int  # the report Cove raised about kim's acute post in grief
    spam: int  # ash's report of kim's advert in grief
    elsewhere: int  # a report in calm, which mo moderates and olive does not
    advert: str  # the advert's URL

    @property
    def node(self) -> Node:
        return self.served.node


async def _newest_report(node: Node, category: str, group: str) -> int:
    """The id of the newest report of this category in this group."""
    async with node.store.session() as session:
        found = await session.exec(
            select(Report.id)
            .where(Report.category == category, Report.group_uri == node.urls.group(group))
            .order_by(col(Report.id).desc())
        )
        newest = found.first()
    assert newest is not None
    return newest


@pytest.fixture
async def moderated(make_node: NodeFactory) -> AsyncIterator[Moderated]:
    """Grief (olive owns it) holds kim's acute post, flagged by Cove, and kim's advert, which
    ash reported; calm (mo owns it, and approves its members) has a report of its own and lee
    waiting to join. Lee moderates nothing."""
    node = await make_node(mode="open")
    await member(node, "olive")
    mo = await member(node, "mo")
    kim = await member(node, "kim")
    ash = await member(node, "ash")
    lee = await member(node, "lee")
    await groups.create_group(node, NewGroup(name="grief", title="Grief", owner="olive"))
    await groups.create_group(
        node, NewGroup(name="calm", title="Calm", owner="mo", approves_members=True)
    )
    async with client_for(node) as client:
        for person in (kim, ash):
            await participation.join(node, client, person, node.urls.group("grief"))
        await participation.join(node, client, lee, node.urls.group("calm"))
        await participation.publish(node, client, kim, node.urls.group("grief"), ACUTE)
        advert = await participation.publish(node, client, kim, node.urls.group("grief"), ADVERT)
        await file_report(node, client, ash, advert, category="spam", comment="selling again")
        calm_post = await participation.publish(node, client, mo, node.urls.group("calm"), "Hi")
        await file_report(node, client, ash, calm_post, category="other", comment="odd")
    crisis = await _newest_report(node, "self_harm", "grief")
    spam = await _newest_report(node, "spam", "grief")
    elsewhere = await _newest_report(node, "other", "calm")
    async with serving(node, workers=False) as served:
        yield Moderated(served, crisis, spam, elsewhere, advert)


@pytest.fixture
async def olive(moderated: Moderated) -> AsyncIterator[Browser]:
    async with browser(moderated.served.base) as person:
        await signed_in(person, "olive")
        yield person


async def test_the_queue_puts_the_crisis_on_top_says_why_and_keeps_the_words_back(
    moderated: Moderated, olive: Browser
) -> None:
    group = await olive.get("/g/grief")  # not node staff: the group leads olive to it
    assert re.search(r'You moderate it\.\s*<a href="/moderation/reports">', group.text)
    home = await olive.get("/")  # and so does the site's navigation, on every page
    assert '<li><a href="/moderation/reports">' in home.text
    queue = await olive.get(QUEUE)
    assert queue.status == 200
    crisis, spam = (queue.text.index(f'id="r{i}"') for i in (moderated.crisis, moderated.spam))
    assert queue.text.index("<h2>Urgent</h2>") < crisis < queue.text.index("Other reports") < spam
    assert "Cove read a post as a sign that someone may be in crisis now" in queue.text
    # The phrases it matched are the person's own words: counted here, quoted with the words.
    assert re.search(r"It matched \d+ phrases?, shown with the words\.", queue.text)
    assert "kill myself" not in queue.text
    assert "selling again" in queue.text  # the reporter's words come first
    assert WRITTEN not in queue.text and ADVERT not in queue.text
    assert f'id="r{moderated.elsewhere}"' not in queue.text  # calm's report is mo's

    item = f"{QUEUE}/{moderated.crisis}"
    page = await olive.get(item)
    assert "Before you read them: these words may be heavy" in page.text
    assert WRITTEN not in page.text and "kill myself" not in page.text
    shown = await olive.get(item + "?words=shown")
    assert WRITTEN in shown.text
    assert "“kill myself tonight”" in shown.text  # a phrase it matched, quoted with them
    advert = await olive.get(f"{QUEUE}/{moderated.spam}")
    assert ADVERT not in advert.text and "Reported by" in advert.text
    assert ADVERT in (await olive.get(f"{QUEUE}/{moderated.spam}?words=shown")).text


async def test_a_moderator_decides_and_acts_from_the_reports_page(
    moderated: Moderated, olive: Browser
) -> None:
    node, here = moderated.node, f"{QUEUE}/{moderated.spam}"
    await olive.get(here)

    async def act(action: str, fields: dict[str, str], done: str) -> str:
        page = await olive.submit(f"{here}/{action}", fields)  # with the last page's token
        assert page.status == 200 and page.url.endswith(f"?done={done}"), page.text[:400]
        assert 'role="status"' in page.text
        return page.text

    decided = await act("decide", {"verdict": "resolve", "note": "Removed the advert."}, "resolved")
    assert "Resolved." in decided and "Removed the advert." in decided
    async with browser(moderated.served.base) as ash:
        await signed_in(ash, "ash")
        assert "Removed the advert." in (await ash.get("/notifications")).text
    await act("decide", {"verdict": "reopen"}, "reopened")
    removed = await act("post", {"act": "remove", "reason": "rule 2: no selling"}, "removed")
    assert "removed a post" in removed and "rule 2: no selling" in removed  # its history
    await act("post", {"act": "restore"}, "restored")
    locked = await act("post", {"act": "lock", "reason": "heated"}, "locked")
    assert "thread locked" in locked and "locked a thread" in locked
    await act("post", {"act": "unlock"}, "unlocked")
    await act("post", {"act": "pin"}, "pinned")
    await act("post", {"act": "unpin"}, "unpinned")
    for fields, reason in BAD_LENGTHS:  # a 400 with its reason, what was typed kept
        refused = await olive.submit(f"{here}/ban", {**fields, "reason": "spam"})
        assert refused.status == 400 and reason in refused.text.lower(), refused.text[:300]
        assert 'role="alert"' in refused.text and 'value="spam"' in refused.text
    async with node.store.session() as session:
        assert (await session.exec(select(Ban))).all() == []
    banned = await act(
        "ban",
        {"length": "7d", "reason": "selling after a warning", "remove_content": "yes"},
        "banned",
    )
    async with node.store.session() as session:
        ban = (await session.exec(select(Ban))).one()
        advert = (await session.exec(select(Post).where(Post.uri == moderated.advert))).one()
    assert ban.actor_uri == node.urls.person("kim") and ban.expires_at is not None
    assert abs(ban.expires_at - (clock_of(node)() + timedelta(days=7))) < timedelta(minutes=1)
    assert f"Banned from this group until {ban.expires_at:%Y-%m-%d %H:%M} UTC." in banned
    assert advert.state == PostState.REMOVED  # removed with the ban
    assert "banned" in banned and "selling after a warning" in banned
    await act("unban", {}, "unbanned")
    purged = await act("post", {"act": "purge"}, "purged")
    assert "purged a removed post" in purged
    assert "Nothing to show" in (await olive.get(here + "?words=shown")).text
    async with node.store.session() as session:
        ban = (await session.exec(select(Ban))).one()
    assert ban.state == BanState.LIFTED


async def test_no_one_acts_beyond_their_role(moderated: Moderated) -> None:
    crisis = f"{QUEUE}/{moderated.crisis}"
    async with browser(moderated.served.base) as nobody:
        assert "/auth/sign-in" in (await nobody.get(QUEUE)).url
    async with browser(moderated.served.base) as lee:
        await signed_in(lee, "lee")
        for path in (QUEUE, crisis, "/moderation/join-requests", "/moderation/duty"):
            refused = await lee.get(path)
            assert refused.status == 403 and "Not allowed" in refused.text, path
            assert "kill myself" not in refused.text and "Cove read" not in refused.text
        await lee.get("/")
        sent = await lee.submit(crisis + "/decide", {"verdict": "dismiss"})
        assert sent.status == 403 and "lee may not see report" in sent.text
    async with browser(moderated.served.base) as mo:
        await signed_in(mo, "mo")
        theirs = await mo.get(QUEUE)
        assert f'id="r{moderated.elsewhere}"' in theirs.text
        assert f'id="r{moderated.spam}"' not in theirs.text
        assert (await mo.get(f"{QUEUE}/{moderated.spam}")).status == 403
        token = (await mo.get(f"{QUEUE}/{moderated.elsewhere}")).form_token
        for action, fields in (
            ("post", {"act": "remove"}),
            ("ban", {"length": "forever"}),
            ("decide", {"verdict": "resolve"}),
            ("refer", {}),
        ):
            refused = await mo.submit(f"{QUEUE}/{moderated.spam}/{action}", fields, token=token)
            assert refused.status == 403, (action, refused.text[:300])
        forged = await mo.submit(
            f"{QUEUE}/{moderated.elsewhere}/decide", {"verdict": "dismiss"}, token="x" * 40
        )
        assert forged.status == 403 and "expired" in forged.text
    async with moderated.node.store.session() as session:
        advert = (await session.exec(select(Post).where(Post.uri == moderated.advert))).one()
        states = {r.state.value for r in (await session.exec(select(Report))).all()}
        bans = (await session.exec(select(Ban))).all()
    assert advert.state == PostState.LIVE and states == {"open"} and bans == []


async def test_requests_to_join_and_duty_from_the_pages(moderated: Moderated) -> None:
    node = moderated.node
    olive, lee_account, mo_account = [
        await accounts.get_account_by_name(node, name) for name in ("olive", "lee", "mo")
    ]
    async with browser(moderated.served.base) as mo:
        await signed_in(mo, "mo")
        waiting = await mo.get("/moderation/join-requests")
        assert "Asks to join Calm" in waiting.text and "lee" in waiting.text
        let_in = await mo.submit(
            "/moderation/join-requests",
            {"group": "calm", "actor": node.urls.person("lee"), "verdict": "approve"},
        )
        assert let_in.url.endswith("?done=approved") and "No one is waiting" in let_in.text
        await mo.get("/moderation/join-requests")
        elsewhere = await mo.submit(
            "/moderation/join-requests",
            {"group": "grief", "actor": node.urls.person("kim"), "verdict": "reject"},
        )
        assert elsewhere.status == 403 and "mo is not a moderator of grief" in elsewhere.text

        shown = await mo.get("/moderation/duty")
        assert "Go on duty for Calm" in shown.text and "This whole node" not in shown.text
        assert "No one is on duty here now." in shown.text
        on = await mo.submit("/moderation/duty", {"group": "calm", "duty": "on"})
        assert on.url.endswith("?done=on") and "Go off duty for Calm" in on.text
        assert "On duty here now: mo" in on.text  # the roster, as `cove mod duty list` reads it
        await mo.get("/moderation/duty")
        node_wide = await mo.submit("/moderation/duty", {"group": "", "duty": "on"})
        assert node_wide.status == 403 and "mo is not on this node" in node_wide.text
    async with node.store.session() as session:
        lee = (
            await session.exec(
                select(Membership).where(Membership.actor_uri == node.urls.person("lee"))
            )
        ).one()
    assert lee.state == MembershipState.ACCEPTED
    await member(node, "ada", AccountRole.ADMIN)
    await duty.set_duty(
        node, Acting.member(node, olive), await groups.group_named(node, "grief"), True
    )
    async with browser(moderated.served.base) as ada:
        await signed_in(ada, "ada")
        page = await ada.get("/moderation/duty")
        assert "Go on duty for the node" in page.text and "No one is on duty here now." in page.text
        assert "olive" not in page.text  # grief's roster is for those who moderate it
        await ada.submit("/moderation/duty", {"group": "", "duty": "on"})
        assert "On duty here now: ada" in (await ada.get("/moderation/duty")).text
    # The roster is its scope's moderators' to read, on the console as on the page.
    calm = await groups.group_named(node, "calm")
    with pytest.raises(Refused, match="lee is not a moderator of calm"):
        await duty.duty_roster(node, Acting.member(node, lee_account), calm)
    with pytest.raises(Refused, match="mo is not a moderator of this node"):
        await duty.duty_roster(node, Acting.member(node, mo_account), None)
    roster = await duty.duty_roster(node, Acting.member(node, mo_account), calm)
    assert [(d.username, d.on) for d in roster] == [("mo", True)]


async def test_a_held_post_waits_on_top_until_released_and_a_server_is_kept_out(
    moderated: Moderated, olive: Browser
) -> None:
    node = moderated.node
    await holds.set_hold(node, Acting.operator(node), "grief", True)
    async with start_hostile_peer("127.0.0.3", software="mastodon") as peer:
        stranger = peer.actor("stranger")
        group = node.urls.group("grief")
        mention = [{"type": "Mention", "href": group}]
        note = peer.note(stranger, "<p>Cheap pills, DM me</p>", to=[PUBLIC, group], tag=mention)
        async with client_for(node) as client:
            for activity in (
                peer.activity("Follow", stranger, group),
                peer.activity("Create", stranger, note, to=[PUBLIC, group]),
            ):
                assert await peer.deliver(client, node.urls.inbox(group), activity, stranger) == 202
                await process_pending(node, client, OutageTracker(node), random.Random(1))
            kim = await accounts.get_account_by_name(node, "kim")
            held = await participation.publish(node, client, kim, group, ACUTE + " Sorry.")
            ash = await accounts.get_account_by_name(node, "ash")
            spam = await file_report(node, client, ash, str(note["id"]), category="spam")
        crisis = await _newest_report(node, "self_harm", "grief")
        queue = await olive.get(QUEUE)
        assert queue.text.index(f'id="r{crisis}"') < queue.text.index(f'id="r{spam.id}"')
        assert "held for review" in queue.text
        item = f"{QUEUE}/{crisis}"
        page = await olive.get(item)
        assert "It is held: no one else sees it until a moderator releases it" in page.text
        assert "Release it as it is" in page.text
        await olive.get(item)
        resolved = await olive.submit(item + "/decide", {"verdict": "resolve", "note": "called"})
        assert resolved.url.endswith("?done=resolved")
        still = await olive.get(QUEUE)
        assert "Still held for review" in still.text and f'id="r{crisis}"' in still.text
        await olive.get(item)
        released = await olive.submit(item + "/release", {"with_resources": "no"})
        assert released.url.endswith("?done=released") and "released the held post" in released.text
        assert "Still held for review" not in (await olive.get(QUEUE)).text
        async with node.store.session() as session:
            post = (await session.exec(select(Post).where(Post.uri == held))).one()
        assert post.state == PostState.LIVE

        server = f"{QUEUE}/{spam.id}"
        page = await olive.get(server)
        assert "Keep 127.0.0.3 out of this group" in page.text
        kept_out = await olive.submit(server + "/keep-out", {"reason": "spam wave"})
        assert kept_out.url.endswith("?done=kept_out") and "127.0.0.3 is kept out" in kept_out.text
        assert "kept out of the group the server 127.0.0.3" in kept_out.text  # its history
        let_in = await olive.submit(server + "/let-in", {})
        assert let_in.url.endswith("?done=let_in") and "Keep 127.0.0.3 out" in let_in.text
        assert "Tell their server" not in let_in.text  # a spam report: no worry to tell

        async with client_for(node) as client:
            worry = await file_report(node, client, ash, str(note["id"]), category="self_harm")
        worried = f"{QUEUE}/{worry.id}"
        page = await olive.get(worried)
        assert "Tell their server" in page.text and "from the group Grief" in page.text
        told = await olive.submit(worried + "/refer", {"comment": "Please check on them."})
        assert told.url.endswith("?done=referred") and "Their server is told" in told.text
        assert "told their server of the worry" in told.text  # its history
        assert "Their server was told already" in told.text
        async with node.store.session() as session:
            (flag,) = (await session.exec(select(Activity).where(Activity.type == "Flag"))).all()
        assert flag.document["actor"] == group and flag.document["to"] == [stranger]
        assert "worried about this person" in flag.document["content"]
        assert "Please check on them." in flag.document["content"]
        assert node.urls.person("ash") not in str(flag.document)  # the reporter is never named
        await olive.get(item)  # kim is a member here: there is no other server to tell
        local = await olive.submit(item + "/refer", {})
        assert local.status == 400 and "someone on this node" in local.text
