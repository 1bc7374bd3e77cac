"""Threads on the pages: a group's page lists its threads twenty at a time, a thread's page
shows the replies beneath it at every depth, oldest first and twenty at a time, and both show
only what the reader may see: never a private message, a removed reply, the author of an
anonymous post, nor a members-only thread to anyone but its members."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from federation.errors import NotFound
from node.groups import groups, membership, threads
from node.groups.groups import NewGroup
from node.groups.posts import NOBODY, Viewer
from node.members import accounts, participation
from node.members.accounts import AccountInfo
from node.moderators import removals
from node.moderators.roles import Acting
from node.store.states import PostingPolicy
from node.store.tables import Post
from tests.conftest import ServedNode, client_for

BROWSER = "text/html,application/xhtml+xml"


async def page(served: ServedNode, url: str) -> tuple[int, str]:
    async with served.client.get(url, headers={"Accept": BROWSER}) as r:
        return r.status, await r.text()


async def row_id(served: ServedNode, uri: str) -> int:
    async with served.node.store.session() as session:
        found = (await session.exec(select(Post.id).where(Post.uri == uri))).first()
    assert found is not None
    return found


async def open_group(served: ServedNode, **shape: object) -> tuple[str, AccountInfo]:
    await groups.create_group(
        served.node,
        NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE, **shape),  # type: ignore[arg-type]
    )
    return served.urls.group("grief"), await accounts.create_account(served.node, "kim")


async def test_a_thread_shows_its_replies_at_every_depth_and_nothing_it_should_not(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served)
    ash = await accounts.create_account(node, "ash", display_name="Ash Tree")
    async with client_for(node) as client:
        first = await participation.publish(
            node, client, kim, group, "Where do I start?", title="New here"
        )
        one = await participation.publish(node, client, ash, group, "Welcome!", in_reply_to=first)
        await participation.publish(node, client, kim, group, "Thank you", in_reply_to=one)
        await participation.publish(
            node, client, ash, group, "I felt the same, quietly", in_reply_to=first, anonymous=True
        )
        removed = await participation.publish(
            node, client, ash, group, "buy pills", in_reply_to=first
        )
        await removals.set_removed(
            node, client, Acting.operator(node), "grief", removed, "spam", removed=True
        )
    url = served.urls.thread("grief", await row_id(served, first))
    status, text = await page(served, url)
    assert status == 200
    assert '<h1 id="first-post">New here</h1>' in text
    order = [text.index(w) for w in ("Welcome!", "Thank you", "I felt the same, quietly")]
    assert order == sorted(order)
    assert "Ash Tree" in text and "in reply to an earlier reply" in text
    assert "buy pills" not in text
    # The anonymous reply names no one: not the name, the handle or the address.
    anonymous = re.search(
        r'<article class="card reply" id="r\d+">((?:(?!</article>).)*quietly)', text, re.S
    )
    assert anonymous is not None
    assert "An anonymous member" in anonymous.group(1)
    assert "ash" not in anonymous.group(1).lower()
    _, group_page = await page(served, group)
    assert f'href="{url}"' in group_page and "Where do I start?" in group_page


async def test_threads_and_replies_come_twenty_to_a_page(served: ServedNode) -> None:
    node = served.node
    group, kim = await open_group(served)
    async with client_for(node) as client:
        for n in range(24):
            await participation.publish(
                node, client, kim, group, f"thread number {n}", title=f"T{n}"
            )
        first = await participation.publish(node, client, kim, group, "long one", title="Long")
        for n in range(43):
            await participation.publish(
                node, client, kim, group, f"reply number {n}.", in_reply_to=first
            )
    _, newest = await page(served, group)
    assert (
        "long one" in newest and "thread number 5<" in newest and "thread number 4<" not in newest
    )
    assert 'rel="next"' in newest and 'rel="prev"' not in newest
    _, older = await page(served, group + "?page=2")
    assert "thread number 4<" in older and "thread number 0<" in older and "long one" not in older
    assert 'rel="prev"' in older and 'rel="next"' not in older
    url = served.urls.thread("grief", await row_id(served, first))
    _, one = await page(served, url)
    assert "reply number 0." in one and "reply number 19." in one and "reply number 20." not in one
    _, three = await page(served, url + "?page=3")
    assert (
        "reply number 40." in three
        and "reply number 42." in three
        and "reply number 39." not in three
    )
    assert 'rel="next"' not in three
    status, _ = await page(served, url + "?page=abc")
    assert status == 200  # the first page


async def test_a_members_only_thread_is_for_members_and_hidden_from_others_as_if_absent(
    served: ServedNode,
) -> None:
    node = served.node
    group, kim = await open_group(served, members_only=True)
    async with client_for(node) as client:
        assert await participation.join(node, client, kim, group) == "pending"
        await membership.decide_follow(
            node, client, "grief", served.urls.person("kim"), approve=True
        )
        first = await participation.publish(node, client, kim, group, "only for us", title="Ours")
    post_id = await row_id(served, first)
    status, text = await page(served, served.urls.thread("grief", post_id))
    status_absent, text_absent = await page(served, served.urls.thread("grief", post_id + 999))
    assert status == status_absent == 404
    assert "only for us" not in text
    assert text == text_absent  # the same page: nothing says the thread exists
    _, group_page = await page(served, group)
    assert "only for us" not in group_page
    member = Viewer.member(served.urls.person("kim"), kim.id)
    assert (await threads.thread(node, member, "grief", post_id)).post.uri == first
    stranger = await accounts.create_account(node, "stranger")
    for outsider in (NOBODY, Viewer.member(served.urls.person("stranger"), stranger.id)):
        with pytest.raises(NotFound):
            await threads.thread(node, outsider, "grief", post_id)
