"""The pages kept for visitors not signed in: served again without being made again, fresh as
soon as what they show changes, kept apart by language, and never a member's page nor
anything of one visitor handed to another."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from sqlalchemy import update

from node.groups import groups, membership
from node.groups.groups import NewGroup
from node.groups.threads import row_of
from node.http.pages.page_cache import PageCache
from node.http.pages.visitors import FORM_COOKIE, SESSION_COOKIE, VISITOR, anonymous
from node.members import accounts, participation, person_blocks, web_sessions
from node.members.accounts import AccountInfo
from node.store.changes import POLL_SECONDS
from node.store.states import PostingPolicy
from node.store.tables import CommunityGroup
from tests.conftest import ServedNode, client_for

BROWSER = "text/html,application/xhtml+xml"


@dataclass
class Answer:
    status: int
    text: str
    headers: dict[str, str]
    cookies: dict[str, str]  # set by the answer


async def page(
    served: ServedNode, url: str, *, language: str = "en", session: str | None = None
) -> Answer:
    cookies = {SESSION_COOKIE: session} if session else {}
    headers = {"Accept": BROWSER, "Accept-Language": language}
    url = url if url.startswith("http") else served.base + url
    async with served.client.get(url, headers=headers, cookies=cookies) as r:
        set_cookies = {name: morsel.value for name, morsel in r.cookies.items()}
        return Answer(r.status, await r.text(), dict(r.headers), set_cookies)


async def text_of(served: ServedNode, url: str) -> str:
    found = await page(served, url)
    assert found.status == 200, found
    return found.text


async def open_group(served: ServedNode, **shape: object) -> tuple[str, AccountInfo]:
    await groups.create_group(
        served.node,
        NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE, **shape),  # type: ignore[arg-type]
    )
    return served.urls.group("grief"), await accounts.create_account(served.node, "kim")


async def settled() -> None:
    """Past the change watcher's next poll: it hears the test's own setup writes once more
    (as it hears another process's) and clears the pages again."""
    await asyncio.sleep(POLL_SECONDS * 2.5)


async def retitle_unheard(served: ServedNode, title: str) -> None:
    """Change the group's title straight in the database, past the change topics (as a
    hand-made edit would): only the time to live brings it to a kept page."""
    async with served.node.store.engine.begin() as connection:
        await connection.execute(update(CommunityGroup).values(title=title))


async def test_a_kept_page_is_served_again_and_a_new_post_shows_on_the_next(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served)
    await settled()
    first = await text_of(served, group)
    await retitle_unheard(served, "Renamed unheard")
    assert await text_of(served, group) == first  # made once, served twice
    async with client_for(node) as client:
        await participation.publish(node, client, kim, group, "A first thread", title="Hello")
    fresh = await text_of(served, group)
    assert "A first thread" in fresh or "Hello" in fresh
    assert "Renamed unheard" in fresh  # made again, from the database as it is now


async def test_the_thread_and_front_pages_are_kept_and_made_fresh_by_a_reply(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served, discoverable=True)  # listed on the front page
    async with client_for(node) as client:
        first = await participation.publish(node, client, kim, group, "Where to start", title="Hi")
        thread_url = await _thread_url(served, first)
        await settled()
        front = await text_of(served, "/")
        before = await text_of(served, thread_url)
        await retitle_unheard(served, "Renamed unheard")
        assert await text_of(served, thread_url) == before
        assert await text_of(served, "/") == front
        await participation.publish(node, client, kim, group, "Right here", in_reply_to=first)
    after = await text_of(served, thread_url)
    assert "Right here" in after and "Renamed unheard" in after
    assert "Renamed unheard" in await text_of(served, "/")


async def test_a_new_member_shows_at_once_and_a_page_number_is_its_own_page(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served)
    await settled()
    await text_of(served, group)
    await text_of(served, group + "?page=2")
    await retitle_unheard(served, "Renamed unheard")
    assert "Renamed unheard" not in await text_of(served, group + "?page=2&junk=1")
    async with client_for(node) as client:
        await participation.join(node, client, kim, group)
    assert "Renamed unheard" in await text_of(served, group)


async def test_pages_are_kept_apart_by_language(served: ServedNode) -> None:
    group, _ = await open_group(served)
    await settled()
    english = await page(served, group, language="en")
    spanish = await page(served, group, language="es")
    await retitle_unheard(served, "Renamed unheard")
    again = await page(served, group, language="es")
    assert english.headers["Content-Language"] == "en"
    assert spanish.headers["Content-Language"] == again.headers["Content-Language"] == "es"
    assert english.text != spanish.text and spanish.text == again.text


async def test_a_kept_page_carries_no_form_token_and_each_visitor_gets_their_own_cookie(
    served: ServedNode,
) -> None:
    group, _ = await open_group(served)
    for url in ("/", group, "/help"):
        one = await page(served, url)
        two = await page(served, url)
        assert 'name="form_token"' not in one.text and one.text == two.text
        assert "private" not in one.headers.get("Cache-Control", "")
        assert one.cookies[FORM_COOKIE] != two.cookies[FORM_COOKIE]  # each their own


async def test_a_signed_in_member_never_gets_a_kept_page_nor_leaves_theirs_for_others(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served, members_only=True)
    async with client_for(node) as client:
        await participation.join(node, client, kim, group)
        await membership.decide_follow(
            node, client, "grief", served.urls.person("kim"), approve=True
        )
        await participation.publish(node, client, kim, group, "only for us", title="Ours")
    secret, _ = await web_sessions.start_session(node, kim.id, "127.0.0.1", "test")
    await settled()
    outsider = await text_of(served, group)  # kept
    assert "only for us" not in outsider
    mine = await page(served, group, session=secret)
    assert "only for us" in mine.text
    assert "Sign out" in mine.text and 'name="form_token"' in mine.text
    assert mine.headers["Cache-Control"] == "private, no-store"
    assert await text_of(served, group) == outsider  # the member's page was not kept


async def test_a_page_with_a_form_token_or_a_cookie_is_never_kept() -> None:
    cache = PageCache(lambda: datetime.now(UTC))
    made: list[str] = []

    def maker(body: str, cookie: bool) -> Callable[[], Awaitable[web.Response]]:
        async def render() -> web.Response:
            made.append(body)
            response = web.Response(text=body, content_type="text/html")
            if cookie:
                response.set_cookie("x", "y")
            return response

        return render

    for body, cookie in (
        ('<form><input name="form_token" value="t"></form>', False),
        ("<p>for one visitor</p>", True),
        ("<p>for anyone</p>", False),
    ):
        made.clear()
        for _ in range(2):
            request = make_mocked_request("GET", "/g/grief")
            request[VISITOR] = anonymous("en")
            response = await cache.page(request, "1", maker(body, cookie))
            assert response.text == body
        assert len(made) == (1 if body == "<p>for anyone</p>" else 2), body


async def _thread_url(served: ServedNode, uri: str) -> str:
    return served.urls.thread("grief", await row_of(served.node, uri))


async def test_a_member_who_mutes_someone_is_not_shown_the_listing_everyone_shares(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served)
    ash = await accounts.create_account(node, "ash")
    async with client_for(node) as client:
        await participation.publish(node, client, ash, group, "Loud words", title="Loud")
        await participation.publish(node, client, kim, group, "Quiet words", title="Quiet")
        await person_blocks.mute(node, client, kim, served.urls.person("ash"))
    kim_secret, _ = await web_sessions.start_session(node, kim.id, "127.0.0.1", "test")
    ash_secret, _ = await web_sessions.start_session(node, ash.id, "127.0.0.1", "test")
    await settled()
    assert "Loud words" in await text_of(served, group)  # anyone's listing, now shared
    assert "Loud words" in (await page(served, group, session=ash_secret)).text
    muted = await page(served, group, session=kim_secret)
    assert "Quiet words" in muted.text and "Loud words" not in muted.text
    assert "Loud words" in await text_of(served, group)
