"""A moderator's night, in Chromium: the queue with the urgent crisis report on top and why
Cove flagged it, the words shown only when asked for (and warned of first), the report resolved
with a note, then its author banned from the group for 7 days, the ban listed on the group's
moderation page, and a thread's posts with their "Moderate" controls. The queue and the
report's page pass axe-core in the light and the dark colour scheme, and can be used by
keyboard alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser
from sqlmodel import select

from node.groups import groups
from node.groups.groups import NewGroup
from node.members import participation
from node.moderators.reports.filed import file_report
from node.store.states import BanState
from node.store.tables import Ban
from tests.browser import sites
from tests.browser.accessibility import check_keyboard_use
from tests.conftest import ServedNode, client_for, serving
from tests.node.members.conftest import member

pytestmark = pytest.mark.asyncio(loop_scope="session")

ACUTE = "I can't keep going. I have the pills saved up and tonight is the night. Goodbye."
QUEUE = "/moderation/reports"


@pytest_asyncio.fixture(loop_scope="session")
async def site(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[ServedNode]:
    """Olive owns the grief group; kim's acute post there is in its queue, Cove's report on
    top of ash's report of an advert."""
    async with sites.own_node(tmp_path, sqlite_template) as node:
        await member(node, "olive")
        kim = await member(node, "kim")
        ash = await member(node, "ash")
        await groups.create_group(node, NewGroup(name="grief", title="Grief", owner="olive"))
        group = node.urls.group("grief")
        async with client_for(node) as client:
            for person in (kim, ash):
                await participation.join(node, client, person, group)
            advert = await participation.publish(node, client, kim, group, "Crystals, DM me.")
            await file_report(node, client, ash, advert, category="spam")
            await participation.publish(node, client, kim, group, ACUTE)
        async with serving(node, workers=False) as served:
            yield served


async def test_a_moderator_decides_an_urgent_report_then_bans_for_7_days(
    browser: Browser, site: ServedNode
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    await sites.sign_in(page, site.base, "olive")
    # The site's links lead the group's moderator to the queue, and so does the group's page.
    assert await page.get_by_role("link", name="Moderation", exact=True).count() == 1
    await page.goto(site.base + "/g/grief")
    await page.get_by_role("link", name="Reports to handle").click()

    # The urgent crisis report is on top, with why Cove flagged it; its words are not shown.
    await sites.checked(page, "Reports to handle")
    await check_keyboard_use(page)
    first = page.locator("main li.card").first
    assert await first.get_by_role("link", name="Someone may be in crisis").count() == 1
    why = await first.inner_text()
    assert "Cove read a post as a sign that someone may be in crisis now" in why
    assert "shown with the words" in why and "tonight is the night" not in why
    assert "pills saved up and tonight" not in await page.locator("main").inner_text()

    await first.get_by_role("link", name="Open the report").click()
    await sites.checked(page, "Someone may be in crisis")
    await check_keyboard_use(page)
    assert "these words may be heavy" in await page.locator("main").inner_text()
    await page.get_by_role("link", name="Show the words").click()
    words = page.get_by_text("pills saved up and tonight", exact=False)
    assert await words.is_visible()
    assert "“tonight is the night”" in await page.locator("main").inner_text()  # quoted now

    await page.get_by_label("What you did").fill("I wrote to them with the crisis lines.")
    await page.get_by_role("button", name="Resolve: something was done").click()
    notice = page.get_by_role("status")
    assert await notice.inner_text() == "Resolved. The reporter is told."
    history = await page.locator("ul.log").inner_text()
    assert "resolved the report" in history and "crisis lines" in history

    await page.get_by_label("7 days").check()
    await page.locator("#ban_reason").fill("Posting adverts after a warning")
    await page.get_by_role("button", name="Ban", exact=True).click()
    assert await page.get_by_role("status").inner_text() == "Banned from the group."
    assert "Banned from this group until" in await page.locator("main").inner_text()
    await sites.checked(page, "Someone may be in crisis")

    # Outside any report: the group's moderation page lists the ban, and each post of a
    # thread has a "Moderate" disclosure for its moderators.
    await page.goto(site.base + "/g/grief")
    await page.get_by_role("link", name="Bans, servers kept out, held posts").click()
    await sites.checked(page, "Moderating Grief")
    assert "Lift the ban on kim" in await page.locator("main").inner_text()
    await page.goto(site.base + "/g/grief")
    await page.get_by_role("link", name="Read and reply").first.click()
    moderate = page.locator("details.moderate").first
    await moderate.get_by_text("Moderate", exact=True).click()
    assert await moderate.get_by_role("button", name="Remove the post").is_visible()
    await sites.checked(page, "A post in Grief", schemes=("light",))
    await context.close()

    async with site.node.store.session() as session:
        ban = (await session.exec(select(Ban))).one()
    assert ban.state == BanState.ACTIVE and ban.actor_uri == site.node.urls.person("kim")
    assert ban.expires_at is not None
    assert abs(ban.expires_at - (site.node.clock() + timedelta(days=7))) < timedelta(minutes=1)
