"""Content warnings, as Mastodon writes them (`summary`, `sensitive`): a member's warning
travels on their post and its edits, one written elsewhere is kept as plain text, and the
pages keep the words closed behind it until the reader opens them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from federation.errors import Invalid
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.store.states import PostingPolicy
from node.store.tables import Activity, Post
from tests.conftest import ServedNode, client_for
from tests.support.hostile_peer import PUBLIC, HostilePeer, follow, settled, start_hostile_peer

BROWSER = "text/html,application/xhtml+xml"
AP = "application/activity+json"


@pytest.fixture
async def peer() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.5", software="mastodon") as started:
        yield started


async def stored(served: ServedNode, uri: str) -> Post:
    async with served.node.store.session() as session:
        found = (await session.exec(select(Post).where(Post.uri == uri))).first()
    assert found is not None, uri
    return found


async def created_note(served: ServedNode, uri: str) -> dict[str, Any]:
    async with served.node.store.session() as session:
        rows = (await session.exec(select(Activity).where(Activity.type == "Create"))).all()
    for row in rows:
        obj = row.document.get("object")
        if isinstance(obj, dict) and obj.get("id") == uri:
            return obj
    raise AssertionError(f"no Create of {uri}")


def closed_behind(page: str, warning: str, words: str) -> bool:
    """Whether `words` appear only inside a <details> whose summary shows `warning`."""
    for found in re.finditer(r"<details class=\"warning\">(.*?)</details>", page, re.S):
        summary = re.search(r"<summary>(.*?)</summary>", found.group(1), re.S)
        if summary and warning in summary.group(1) and words in found.group(1):
            return page.count(words) == 1
    return False


async def test_a_members_warning_travels_with_the_post_its_edit_and_its_page(
    served: ServedNode,
) -> None:
    node = served.node
    await groups.create_group(
        node, NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE)
    )
    kim = await accounts.create_account(node, "kim")
    group = served.urls.group("grief")
    async with client_for(node) as client:
        uri = await participation.publish(
            node, client, kim, group, "The anniversary is hard.", content_warning=" loss, death "
        )
        with pytest.raises(Invalid, match="at most 500"):
            await participation.publish(node, client, kim, group, "x", content_warning="w" * 501)
    note = await created_note(served, uri)
    assert note["summary"] == "loss, death" and note["sensitive"] is True
    row = await stored(served, uri)
    assert row.content_warning == "loss, death" and row.sensitive
    async with served.client.get(uri, headers={"Accept": AP}) as r:
        served_note = await r.json()
    assert served_note["summary"] == "loss, death" and served_note["sensitive"] is True
    async with served.client.get(group, headers={"Accept": BROWSER}) as r:
        page = await r.text()
    assert closed_behind(page, "loss, death", "The anniversary is hard.")
    async with client_for(node) as client:
        await participation.edit(node, client, kim, uri, "Still hard, a year on.")
        assert (await stored(served, uri)).content_warning == "loss, death"  # kept
        await participation.edit(node, client, kim, uri, "Better now.", content_warning="")
    row = await stored(served, uri)
    assert row.content_warning is None and not row.sensitive


async def test_a_warning_written_elsewhere_is_kept_as_plain_text_and_closes_the_post(
    served: ServedNode, peer: HostilePeer
) -> None:
    node = served.node
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    group = served.urls.group("grief")
    await follow(served, peer, group, "sam")
    sam = peer.actor("sam")
    note = peer.note(
        sam,
        "<p>@grief my dad died on sunday</p>",
        to=[PUBLIC, group],
        summary="<b>death</b> of a parent",
        sensitive=True,
    )
    create = peer.activity("Create", sam, note, to=[PUBLIC, group])
    async with client_for(node) as client:
        assert await peer.deliver(client, served.urls.inbox(group), create, sam) == 202
    await settled(served, create["id"])
    assert (await stored(served, note["id"])).content_warning == "death of a parent"
    async with served.client.get(group, headers={"Accept": BROWSER}) as r:
        page = await r.text()
    assert closed_behind(page, "death of a parent", "my dad died on sunday")
    assert "<b>death</b>" not in page
