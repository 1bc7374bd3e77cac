"""An admin running the node's federation in Chromium: importing a blocklist after reading its
dry run, accepting a draft a subscription (a list served on loopback) leaves, and switching to
allowlist mode after reading what it cuts. Every page on the way passes axe-core in the light
and the dark colour scheme."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, FilePayload
from sqlmodel import select

from moderation.domains import FederationMode
from node.domain_policy import blocks, mode
from node.groups.groups import NewGroup, create_group
from node.moderators.roles import Acting
from node.store.states import AccountRole
from node.store.tables import Instance
from tests.browser import sites
from tests.browser.accessibility import check_keyboard_use
from tests.conftest import ServedNode, add_follower, serving
from tests.node.members.conftest import member
from tests.support.list_server import ListServer, list_server

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
IMPORTED = HEADER + "spam.example,silence,true,false,link spam,false\n"
SUBSCRIBED = HEADER + "trolls.example,suspend,false,false,brigading,false\n"
FRIEND = "https://friends.example/u/fay"
STRANGER = "https://strangers.example/u/sol"


@dataclasses.dataclass
class Site:
    served: ServedNode
    lists: ListServer

    def url(self, path: str) -> str:
        return self.served.base + path


@pytest_asyncio.fixture(loop_scope="session")
async def site(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Site]:
    """A node configured for allowlist mode that has run in blocklist mode until now, with an
    admin, a group followed from an allowed server and from another, and a blocklist served
    on loopback."""
    async with sites.own_node(tmp_path, sqlite_template, federation={"mode": "allowlist"}) as node:
        await member(node, "ada", AccountRole.ADMIN)
        group = await create_group(node, NewGroup(name="grief", title="Grief"))
        async with node.store.transaction() as session:
            for uri in (FRIEND, STRANGER):
                await add_follower(session, group.id, uri, f"{uri}/inbox", None, node.clock())
        await blocks.allow(node, Acting.operator(node), "friends.example")
        async with list_server() as lists, serving(node, workers=False) as served:
            async with node.store.transaction() as session:  # it ran in blocklist mode so far
                instance = (await session.exec(select(Instance))).one()
                instance.federation_mode = FederationMode.BLOCKLIST
            lists.files["list.csv"] = SUBSCRIBED
            yield Site(served, lists)


async def test_an_admin_imports_accepts_a_draft_and_switches_to_allowlist_mode(
    browser: Browser, site: Site
) -> None:
    node = site.served.node
    context = await browser.new_context()
    page = await context.new_page()
    try:
        await sites.sign_in(page, site.served.base, "ada")

        await page.goto(site.url("/admin/federation"))
        await sites.checked(page, "Federation")
        assert "The configuration asks for allowlist mode" in await page.inner_text("main")

        # A blocklist, imported after reading its dry run.
        await page.click("text=Import and export")
        await sites.checked(page, "Import and export")
        await page.set_input_files(
            "#file",
            files=[FilePayload(name="list.csv", mimeType="text/csv", buffer=IMPORTED.encode())],
        )
        await page.click("text=See what it would change")
        await sites.checked(page, "What this list would change")
        said = await page.inner_text("main")
        assert "1 block to add," in said and "spam.example" in said
        assert await blocks.list_blocks(node) == []
        await page.click("text=Apply exactly this")
        await sites.checked(page, "Federation")  # now with a block, and the notice
        assert "The list is imported: 1 blocks added, 0 changed." in await page.inner_text("main")
        assert [b.domain for b in await blocks.list_blocks(node)] == ["spam.example"]

        # A subscription's draft, accepted.
        await page.click("text=Subscriptions")
        await page.fill("#location", site.lists.url("list.csv"))
        await page.click("button:text-is('Subscribe')")
        await sites.checked(page, "Subscriptions")
        assert "trolls.example" in await page.inner_text("#drafts + p + ul")
        await page.click("text=Accept the draft for trolls.example")
        await sites.checked(page, "Subscriptions", schemes=())
        assert "The draft is accepted and in force." in await page.inner_text("main")
        assert (await node.policy.decide("trolls.example", node.clock())).suspended

        # Allowlist mode, switched to after reading what it cuts.
        await page.click("text=Federation mode")
        await sites.checked(page, "Federation mode")
        await check_keyboard_use(page)
        cut = await page.inner_text("#cut-domains")
        assert "strangers.example" in cut and "friends.example" not in cut
        await page.click("text=Switch to allowlist mode and cut this")
        await sites.checked(page, "Federation", schemes=())
        assert "runs in allowlist mode" in await page.inner_text("main")
        assert await mode.mode_in_force(node) == FederationMode.ALLOWLIST
        now = node.clock()
        assert (await node.policy.decide("strangers.example", now)).suspended
        assert (await node.policy.decide("friends.example", now)).federates

        # The other federation pages pass axe too: a block's form, the question before a
        # suspension that cuts, why a domain is treated as it is, the shared policy.
        await page.click("text=Block a domain")
        await sites.checked(page, "Block a domain")
        await page.fill("#domain", "friends.example")
        await page.click("text=Save the block")
        await sites.checked(page, "Suspending friends.example cuts what this node holds of it")
        await page.click("text=Go back without suspending")
        await page.goto(site.url("/admin/federation/why?domain=www.spam.example"))
        await sites.checked(page, "How www.spam.example is treated")
        await page.click("text=Shared policy")
        await sites.checked(page, "Shared policy")
        assert [b.domain for b in await blocks.list_blocks(node)] == [
            "spam.example",
            "trolls.example",
        ]
    finally:
        await context.close()
