"""An admin's evening on a node, in Chromium: letting a waiting sign-up in (its reason read
first), adding a crisis line that the "Need help now?" page then gives, and a look at the
node's health; a moderator who opens the admins' accounts page gets a 403 page that shows none
of it. Every page on the way passes axe-core in the light and the dark colour scheme."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser

from node.members import approvals
from node.members.accounts import get_account_by_name
from node.members.registrations import Registration, register
from node.moderators.roles import Acting
from node.store.states import AccountRole, AccountState
from tests.browser import sites
from tests.browser.accessibility import check_keyboard_use
from tests.conftest import ServedNode, serving
from tests.node.members.conftest import PASSWORD, member

pytestmark = pytest.mark.asyncio(loop_scope="session")

REASON = "My sister died in the spring and I have nobody to talk to about it."


@pytest_asyncio.fixture(loop_scope="session")
async def site(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[ServedNode]:
    """A node where staff approve sign-ups: ada (admin), mo (moderator), and river's sign-up
    waiting, with the reason they gave."""
    async with sites.own_node(
        tmp_path, sqlite_template, registrations={"mode": "approval"}
    ) as node:
        await member(node, "ada", AccountRole.ADMIN)
        await member(node, "mo", AccountRole.MODERATOR)
        form = Registration("river", "river@mail.test", PASSWORD, True, reason=REASON)
        await register(node, None, form)
        await approvals.confirm_account(node, Acting.operator(node), "river")
        async with serving(node, workers=False) as served:
            yield served


async def test_an_admin_lets_a_sign_up_in_and_adds_a_crisis_line_a_moderator_is_refused(
    browser: Browser, site: ServedNode
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await sites.sign_in(page, site.base, "ada")
    await page.goto(site.base + "/admin")
    await page.get_by_role("link", name="Accounts").click()
    await sites.checked(page, "Accounts")
    await check_keyboard_use(page)
    await page.get_by_role("link", name="1 sign-up is waiting for approval.").click()
    await sites.checked(page, "Sign-ups waiting")
    assert await page.get_by_text(REASON).count() == 1
    await page.get_by_role("button", name="Approve river").click()
    assert await page.get_by_role("status").inner_text() == "river is in: they can sign in now."
    for link, heading in (("Suspensions", "Suspensions"), ("Invites", "Invites")):
        await page.get_by_role("link", name=link, exact=True).click()
        await sites.checked(page, heading)
    await page.get_by_role("button", name="Make the link").click()
    assert "invite=" in await page.get_by_label("The new invite link").input_value()

    await page.goto(site.base + "/admin/crisis-resources")
    await sites.checked(page, "Crisis resources")
    await page.get_by_label("Country").fill("GB")
    await page.get_by_label("Language").fill("en")
    await page.get_by_label("Name of the service").fill("Harbour Night Line")
    await page.get_by_label("How to reach it").fill("0800 123 4567")
    await page.get_by_role("button", name="Add it").click()
    assert "Added." in await page.get_by_role("status").inner_text()
    await page.get_by_role("link", name="Edit Harbour Night Line").click()
    await sites.checked(page, "Edit Harbour Night Line")  # the same fields, filled in
    await page.goto(site.base + "/help?country=GB")
    assert await page.get_by_text("Harbour Night Line").count() == 1
    await page.goto(site.base + "/admin/health")
    await sites.checked(page, "Health")
    await context.close()

    context = await browser.new_context()
    page = await context.new_page()
    await sites.sign_in(page, site.base, "mo")
    answer = await page.goto(site.base + "/admin/accounts")
    assert answer is not None and answer.status == 403
    assert await page.locator("h1").inner_text() == "Not allowed"
    main = await page.locator("main").inner_text()
    assert "Only the node's admins can open this page" in main
    for hidden in ("river", "@ada", "Change the role", "sign-up"):
        assert hidden not in main
    await context.close()
    assert (await get_account_by_name(site.node, "river")).state == AccountState.ACTIVE
