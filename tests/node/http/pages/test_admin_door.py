"""The admins' pages open to node admins alone: a moderator or a member gets a 403 page with
the reason and nothing behind it, someone not signed in is sent to sign in first; the site's
navigation shows each the way to what is theirs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from node.runtime import Node
from node.store.states import AccountRole
from tests.conftest import ServedNode, serving
from tests.node.members.conftest import NodeFactory, member
from tests.support.browsing import browser, signed_in


@pytest.fixture
async def served(make_node: NodeFactory) -> AsyncIterator[ServedNode]:
    node: Node = await make_node(mode="open")
    await member(node, "ada", AccountRole.ADMIN)
    await member(node, "mo", AccountRole.MODERATOR)
    await member(node, "kim")
    async with serving(node, workers=False) as it:
        yield it


async def test_only_an_admin_opens_the_admin_pages(served: ServedNode) -> None:
    async with browser(served.base) as nobody:
        sent = await nobody.get("/admin")
        assert sent.status == 200 and "/auth/sign-in" in sent.url
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        page = await ada.get("/admin")
        assert page.status == 200 and 'href="/admin/federation"' in page.text
        assert 'href="/admin"' in page.text and 'href="/moderation/reports"' in page.text
    for name, moderates in (("mo", True), ("kim", False)):
        async with browser(served.base) as person:
            await signed_in(person, name)
            home = await person.get("/")
            assert 'href="/admin"' not in home.text
            assert ('href="/moderation/reports"' in home.text) is moderates
            refused = await person.get("/admin")
            assert refused.status == 403, refused.text[:300]
            assert "Only the node&#39;s admins can open this page" in refused.text
            assert "/admin/federation" not in refused.text  # nothing of what lies behind
