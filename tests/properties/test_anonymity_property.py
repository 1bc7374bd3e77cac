"""Anonymous posting as a property: after a member posts anonymously and everything that
exists happens around it (replies, edits, likes, reports from here and from another server,
a removal and restore, a ban, a pin, a deletion, decisions), no document the node serves on
any GET route (ActivityPub, pages, API, to anyone but the group's moderators), and no request
it sends to another server, names the author; and the author's own documents hold nothing of
their anonymous posts. Moderators still see who wrote them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from node.groups import anonymous_posts, groups, threads
from node.groups.groups import NewGroup
from node.members import accounts, participation, tokens, web_sessions
from node.moderators import bans, removals
from node.moderators.reports import decisions
from node.moderators.reports.filed import file_report
from node.moderators.roles import Acting, acting_as
from node.store.states import AccountRole, PostingPolicy, ReportState
from tests.conftest import ServedNode, client_for
from tests.support.hostile_peer import (
    PUBLIC,
    HostilePeer,
    deliveries_done,
    follow,
    settled,
    start_hostile_peer,
)
from tests.support.route_walk import Fetch, Site, paths_to_fetch, walk

AUTHOR, DISPLAY = "quietwren", "Wren Hollow"  # found nowhere but in what names the author
SECRETS = ("Day 0 of sobriety", "Day 1 of sobriety", "thank you, truly")
AP, HTML = "application/activity+json", "text/html"


@pytest.fixture
async def lemmy() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.3", software="lemmy") as peer:
        yield peer


@pytest.fixture
async def mastodon() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.5", software="mastodon") as peer:
        yield peer


def names_author(text: str) -> bool:
    return AUTHOR in text or DISPLAY in text


async def test_nothing_served_or_sent_names_the_author_of_an_anonymous_post(
    served: ServedNode, lemmy: HostilePeer, mastodon: HostilePeer
) -> None:
    node, urls = served.node, served.urls
    await accounts.create_account(node, "mo", AccountRole.MEMBER)
    await groups.create_group(
        node,
        NewGroup(name="circle", title="Circle", posting_policy=PostingPolicy.MEMBERS, owner="mo"),
    )
    group = urls.group("circle")
    author = await accounts.create_account(node, AUTHOR, display_name=DISPLAY)
    sam = await accounts.create_account(node, "sam", display_name="Sam")
    reader = await follow(served, lemmy, group, "reader")
    await follow(served, mastodon, group, "watcher")
    troll = await follow(served, lemmy, group, "troll")
    mo = Acting.operator(node)
    mo_acting = await acting_as(node, "mo")
    async with client_for(node) as client:
        for member in (author, sam):
            await participation.join(node, client, member, group)
        # The anonymous thread, a reply to it, an anonymous answer, an edit.
        thread = await participation.publish(
            node, client, author, group, SECRETS[0], title="Sober", anonymous=True
        )
        reply = await participation.publish(
            node, client, sam, group, "proud of you", in_reply_to=thread
        )
        answer = await participation.publish(
            node, client, author, group, SECRETS[2], in_reply_to=reply, anonymous=True
        )
        await participation.edit(node, client, author, thread, SECRETS[1])
        await participation.like(node, client, sam, thread)
        # From the other server: a like, a reply, a report.
        for activity in (
            lemmy.activity("Like", reader, thread),
            lemmy.activity(
                "Create",
                reader,
                lemmy.note(reader, "we are here", to=[PUBLIC, group], inReplyTo=thread),
            ),
            lemmy.activity("Flag", reader, [thread], to=[group], content="worried about them"),
        ):
            status = await lemmy.deliver(client, urls.inbox(group), activity, reader)
            assert status == 202, activity["type"]
            await settled(served, activity["id"])
        filed = await file_report(
            node, client, sam, thread, category="self_harm", comment="please check on them"
        )
        assert filed.target_account_uri == group
        # The moderators at work.
        for removed in (True, False):
            await removals.set_removed(
                node, client, mo_acting, "circle", answer, "off topic", removed=removed
            )
        await bans.ban(node, client, mo_acting, "circle", troll, "spam", None, remove_content=True)
        await removals.set_pinned(node, client, mo_acting, "circle", thread, pinned=True)
        await participation.delete(node, client, author, answer)
        for found in await decisions.list_reports(node, mo):
            await decisions.decide(node, mo, found.id, ReportState.RESOLVED, "we reached out")
    await deliveries_done(served)

    # Every GET route, to everyone but the moderators: unsigned, signed by another server,
    # and with a member's token (the API), as JSON and as a page.
    member_token, _ = await tokens.create_token(node, "sam", "read write admin:read")
    signed_in, _ = await web_sessions.start_session(node, sam.id, "127.0.0.1", "a browser")
    site = Site(
        base=served.base,
        domain=urls.domain,
        groups=["circle"],
        people=["mo", AUTHOR, "sam"],
        post_tokens=[u.rsplit("/", 1)[1] for u in (thread, reply, answer)],
        thread_paths=[
            urls.thread("circle", await threads.row_of(node, uri)).removeprefix(served.base)
            for uri in (thread, reply)  # the anonymous thread first (answer is deleted)
        ],
        report_ids=[str(r.id) for r in await decisions.list_reports(node, mo, ())],
    )

    def fetcher(headers: dict[str, str]) -> Fetch:
        async def fetch(path: str) -> tuple[int, str]:
            url = served.base + path
            sent = dict(headers)
            if "Signature" in sent:
                sent = lemmy.signed_get_headers(reader, url, accept=sent.get("Accept", AP))
            async with served.client.get(url, headers=sent) as r:
                return r.status, await r.text()

        return fetch

    viewers = {
        "unsigned": {"Accept": AP},
        "browser": {"Accept": HTML},
        "signed": {"Accept": AP, "Signature": "yes"},
        "member token": {"Accept": "application/json", "Authorization": f"Bearer {member_token}"},
        "member signed in": {"Accept": HTML, "Cookie": f"cove_session={signed_in}"},
    }
    paths = paths_to_fetch(node, site)
    served_documents = []
    anonymous_thread = site.thread_paths[0]  # the anonymous thread's page
    for viewer, headers in viewers.items():
        for path, status, text in await walk(fetcher(headers), paths, served.base):
            assert status < 500, (viewer, path, status, text)
            served_documents.append((viewer, path, text))
            if viewer in ("browser", "member signed in") and path == anonymous_thread:
                # Read whole, words and all, by both: the check below is not a vacuous one.
                assert status == 200 and "Sober" in text and "An anonymous member" in text
    assert len(served_documents) > 200
    own = (f"/u/{AUTHOR}", f"acct%3A{AUTHOR}", f"%2Fu%2F{AUTHOR}")
    for viewer, path, text in served_documents:
        if any(marker in path for marker in own):
            # The author's own profile names them, and holds nothing of their secrets.
            assert not any(s in text for s in SECRETS), (viewer, path)
            assert not any(t in text for t in site.post_tokens[::2]), (viewer, path)
            continue
        assert not names_author(text), (viewer, path, text[:500])
    # Every request the node made to other servers, deliveries and fetches alike.
    for peer in (lemmy, mastodon):
        for request in peer.requests:
            assert not names_author(request.body.decode() + str(request.headers)), request
    assert any(thread in r.body.decode() for r in lemmy.requests)  # they did get the posts

    # The group's moderators, and only they, still see who wrote it.
    shown = await anonymous_posts.author_of(node, mo_acting, thread)
    assert shown.author == urls.person(AUTHOR)
    with pytest.raises(Exception, match="not a moderator"):
        await anonymous_posts.author_of(node, await acting_as(node, "sam"), thread)
