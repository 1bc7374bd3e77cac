"""Which Chromium the browser tests and the screenshots drive (Debian's, or the one named by
COVE_TEST_CHROMIUM), and starting it headless under Playwright."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from playwright.async_api import Browser, async_playwright

BROWSER_ENV = "COVE_TEST_CHROMIUM"
# Debian's package `chromium`, which `make test` installs where it is missing.
SYSTEM_CHROMIUM = "/usr/bin/chromium"


class NoChromium(RuntimeError):
    """There is no Chromium to run here; the message says how to get one."""


def chromium_path() -> Path:
    """The browser to run; NoChromium when it is not there."""
    path = Path(os.environ.get(BROWSER_ENV) or SYSTEM_CHROMIUM)
    if not path.is_file() or not os.access(path, os.X_OK):
        raise NoChromium(
            f"no Chromium at {path}: the browser tests need it. `make test` installs Debian's "
            f"package `chromium`; elsewhere install Chromium and set {BROWSER_ENV} to it."
        )
    return path


@asynccontextmanager
async def chromium(path: Path) -> AsyncIterator[Browser]:
    """Chromium started headless (Playwright's own browser downloads are never used)."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=path, headless=True)
        try:
            yield browser
        finally:
            await browser.close()
