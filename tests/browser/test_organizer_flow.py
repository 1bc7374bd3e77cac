"""An organizer starts a group in Chromium, writes its rules and looks over its settings and
its moderators; then a member reads the rules, accepts them and joins. In the light and the
dark colour scheme every new page passes axe-core; in the light one, it is usable by
keyboard alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Page

from node.members import accounts
from node.moderators import appointments
from node.moderators.roles import Acting
from node.store.states import AccountRole
from tests.browser import sites
from tests.browser.accessibility import check_accessible, check_keyboard_use, check_reflow
from tests.conftest import ServedNode, client_for, serving
from tests.node.members.conftest import member

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest_asyncio.fixture(loop_scope="session")
async def site(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[ServedNode]:
    """A node with an organizer (olive) and a member (kim), and no group yet."""
    async with sites.own_node(tmp_path, sqlite_template, registrations={"mode": "open"}) as node:
        await member(node, "olive", AccountRole.ORGANIZER)
        await member(node, "kim")
        async with serving(node, workers=False) as served:
            yield served


async def checked(page: Page, heading: str, scheme: sites.Scheme) -> None:
    """The page says what it is and passes axe; in the light scheme, it is usable by keyboard
    alone too (once is enough: what Tab reaches does not change with the colours, and the
    focus outline is one rule of the stylesheet in both)."""
    await sites.checked(page, heading, (scheme,))
    if scheme == "light":
        await check_keyboard_use(page)


async def test_an_organizer_starts_a_group_with_rules_and_a_member_accepts_them(
    site: ServedNode, page: Page, scheme: sites.Scheme
) -> None:
    await sites.sign_in(page, site.base, "olive")
    await page.get_by_role("link", name="Start a group").click()
    await checked(page, "Start a group", scheme)
    await check_reflow(page)
    await page.get_by_label("Address").fill("circle")
    await page.get_by_label("Title").fill("Evening circle")
    await page.get_by_label("What the group is for").fill("For anyone who finds nights hard.")
    await page.get_by_label("Topics").fill("sleep, worry")
    await page.get_by_label("A moderator approves each new member").uncheck()
    await page.get_by_role("button", name="Start the group").click()

    # The rules next: the second rule typed is put first by its place in the list.
    await checked(page, "Rules of Evening circle", scheme)
    assert await page.get_by_role("status").inner_text() == (
        "The group is started. Write its rules now: people read them before they join."
    )
    await page.locator("#title_0").fill("Listen first")
    await page.locator("#text_0").fill("Ask before giving advice.")
    await page.locator("#position_0").fill("2")
    await page.locator("#title_1").fill("Be kind")
    await page.locator("#position_1").fill("1")
    await page.get_by_role("button", name="Save as a new version").click()
    assert "Saved as version 1" in await page.get_by_role("status").inner_text()
    assert await page.locator("#title_0").input_value() == "Be kind"

    await page.get_by_role("link", name="Group settings").click()
    await checked(page, "Settings of Evening circle", scheme)
    assert await page.get_by_label("Members may post anonymously").is_checked()
    await page.get_by_role("link", name="Moderators").first.click()
    await checked(page, "Moderators of Evening circle", scheme)
    await page.get_by_role("button", name="Sign out").click()

    # A member reads the rules on the group's page, accepts them and joins.
    await sites.sign_in(page, site.base, "kim")
    await page.goto(site.base + "/g/circle")
    assert await page.locator("ol.rules li").all_inner_texts() == [
        "Be kind",
        "Listen first\nAsk before giving advice.",
    ]
    await page.get_by_label("I have read this group's rules and accept them").check()
    await page.get_by_role("button", name="Join").click()
    assert await page.get_by_text("You are a member of this group.").count() == 1
    await check_accessible(page)
    # Not theirs to run: no way to the group's settings.
    assert await page.get_by_role("link", name="Group settings").count() == 0

    # Made a moderator (not the owner), kim edits what a moderator may, and only that.
    async with client_for(site.node) as client:
        owner = Acting.member(site.node, await accounts.get_account_by_name(site.node, "olive"))
        await appointments.set_moderator(site.node, client, owner, "circle", "kim", moderator=True)
    await page.goto(site.base + "/g/circle/settings")
    await checked(page, "Settings of Evening circle", scheme)
    assert await page.get_by_label("Topics").is_editable()
    assert await page.get_by_label("Members may post anonymously").count() == 0  # the owner's
