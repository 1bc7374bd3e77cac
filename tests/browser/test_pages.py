"""Today's pages in a real browser, light and dark: each passes axe-core's WCAG 2.2 A and AA
rules, can be used by keyboard alone and read on a narrow phone, and shows the content those
checks are meant to cover."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from tests.browser.accessibility import check_accessible, check_keyboard_use, check_reflow
from tests.browser.community import SamplePages
from tests.conftest import ServedNode

# Each page of the sample community: the status it answers and its main heading.
PAGES = {
    "front": (200, "Harbour"),
    "group": (200, "Grief support"),
    "members_only_group": (200, "Anxiety circle"),
    "modlog": (200, "Moderation log"),
    "person": (200, "Olive Marsh"),
    "missing": (404, "Not found"),
    "thread": (200, "An anniversary"),
    "help": (200, "Need help now?"),
    "sign_in": (200, "Sign in"),
    "sign_up": (200, "Create an account"),
}

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def open_page(page: Page, url: str, status: int) -> None:
    response = await page.goto(url)
    assert response is not None and response.status == status, url


@pytest.mark.parametrize("name", PAGES)
async def test_page_passes_axe_keyboard_and_reflow(
    sample: SamplePages, page: Page, name: str
) -> None:
    status, heading = PAGES[name]
    await open_page(page, sample.all()[name], status)
    assert await page.locator("h1").inner_text() == heading
    await check_accessible(page)
    await check_keyboard_use(page)
    await check_reflow(page)


async def test_the_group_page_shows_rules_posts_moderators_and_log(
    sample: SamplePages, page: Page
) -> None:
    await open_page(page, sample.group, 200)
    rules = await page.locator("ol.rules > li > strong").all_inner_texts()
    assert rules == ["Be kind", "No selling", "Content notes"]
    titles = await page.locator("main h3").all_inner_texts()
    assert titles == ["Start here", "An anniversary", "Start here"]  # pinned, then newest first
    assert "healing crystals" not in await page.content()  # removed
    moderators = page.locator("h2:text-is('Moderators') + ul a")
    assert await moderators.count() == 2
    log = await page.locator("ul.log > li").all_inner_texts()
    banned = "banned https://elsewhere.example/u/crystalseller until "
    assert any(banned in line and "selling after a warning" in line for line in log)
    assert any("removed a post http" in line and "rule 2: no selling" in line for line in log)


async def test_the_dark_scheme_is_dark_and_the_light_one_light(
    sample: SamplePages, page: Page, scheme: str
) -> None:
    await open_page(page, sample.front, 200)
    luminance = await page.evaluate(
        """() => {
          const [r, g, b] = getComputedStyle(document.body).backgroundColor
            .match(/\\d+/g).slice(0, 3).map(Number);
          return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
        }"""
    )
    assert (luminance < 0.2) if scheme == "dark" else (luminance > 0.8), luminance


async def test_an_empty_nodes_front_page_passes_too(blank_site: ServedNode, page: Page) -> None:
    await open_page(page, f"{blank_site.base}/", 200)
    assert "No listed groups yet." in await page.locator("main").inner_text()
    await check_accessible(page)
    await check_keyboard_use(page)
    await check_reflow(page)
