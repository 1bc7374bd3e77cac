"""A node of a browser test's own, and what every browser flow does on one: sign in, and check
that a page says what it is and passes axe-core in the light and the dark colour scheme."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

from playwright.async_api import Page

from bench.loopback import free_port
from node.runtime import Node, open_node
from tests.browser.accessibility import check_accessible
from tests.conftest import MovableClock, make_config
from tests.node.members.conftest import CHEAP_HASHES, PASSWORD

Scheme = Literal["light", "dark"]
BOTH: tuple[Scheme, ...] = ("dark", "light")


def database_in(folder: Path, template: Path) -> str:
    """A copy of the migrated SQLite template in `folder`, by its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(template, folder / "cove.db")
    return f"sqlite+aiosqlite:///{folder / 'cove.db'}"


@asynccontextmanager
async def own_node(
    folder: Path, template: Path, **settings: dict[str, object]
) -> AsyncIterator[Node]:
    """A node on its own copy of the template, with quick password hashes and a clock the test
    can move, configured with `settings` (sections of cove.toml); closed after."""
    config = make_config(
        folder, database_in(folder, template), free_port(), passwords=CHEAP_HASHES, **settings
    )
    node = dataclasses.replace(open_node(config), clock=MovableClock())
    try:
        yield node
    finally:
        await node.store.close()


async def sign_in(page: Page, base: str, login: str) -> None:
    """Sign in from the sign-in page with the tests' password, and land signed in."""
    await page.goto(base + "/auth/sign-in")
    await page.locator("#login").fill(login)
    await page.locator("#password").fill(PASSWORD)
    async with page.expect_navigation():
        await page.locator("#password").press("Enter")
    assert await page.get_by_role("button", name="Sign out").count() == 1


async def checked(page: Page, heading: str, schemes: Sequence[Scheme] = BOTH) -> None:
    """The page says what it is (its first heading), and passes axe-core in each scheme."""
    assert (await page.locator("h1").first.inner_text()).strip() == heading, await page.title()
    for scheme in schemes:
        await page.emulate_media(color_scheme=scheme)
        await check_accessible(page)
