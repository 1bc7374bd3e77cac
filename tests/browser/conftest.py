"""Fixtures for the browser tests: one Chromium per test process driven by Playwright, the
sample community served on loopback, an empty node for tests that change things, and a fresh
page in the light and in the dark colour scheme. Every test here runs in the session's event
loop, which the browser lives in: each module says `pytestmark = pytest.mark.asyncio(
loop_scope="session")`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from node.runtime import open_node
from tests.browser import community, sites
from tests.browser.chromium import NoChromium, chromium, chromium_path
from tests.conftest import ServedNode, free_port, make_config, serving

SCHEMES = ["light", "dark"]
HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test in a loop of its own would fail obscurely ('attached to a different
    loop'): say at once what its module is missing."""
    for item in items:
        if HERE not in Path(str(item.path)).parents:
            continue
        marker = item.get_closest_marker("asyncio")
        if marker is None or marker.kwargs.get("loop_scope") != "session":
            raise pytest.UsageError(
                f"{item.nodeid}: a browser test runs in the session's event loop; its module "
                'needs `pytestmark = pytest.mark.asyncio(loop_scope="session")`'
            )


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    """Chromium, headless, for all the browser tests of this process. Missing, it fails the
    tests that need it, saying how to install it: never a skip."""
    try:
        path = chromium_path()
    except NoChromium as missing:
        pytest.fail(str(missing), pytrace=False)
    async with chromium(path) as launched:
        yield launched


@asynccontextmanager
async def _served_node(
    folder: Path, template: Path, node_settings: dict[str, object] | None = None
) -> AsyncIterator[ServedNode]:
    database = sites.database_in(folder, template)
    config = make_config(folder, database, free_port(), node=node_settings or {})
    node = open_node(config)
    try:
        async with serving(node, workers=False) as served:
            yield served
    finally:
        await node.store.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sample(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> AsyncIterator[community.SamplePages]:
    """The sample community, served once per test process; tests only read it."""
    folder = tmp_path_factory.mktemp("sample")
    async with _served_node(folder, sqlite_template, community.NODE_SETTINGS) as served:
        yield await community.fill(served.node)


@pytest_asyncio.fixture(loop_scope="session")
async def blank_site(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[ServedNode]:
    """An empty node of the test's own, served in the browser's event loop: for tests that
    change what the node holds."""
    async with _served_node(tmp_path / "blank", sqlite_template) as served:
        yield served


@pytest.fixture(params=SCHEMES)
def scheme(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, scheme: str) -> AsyncIterator[Page]:
    """A page in a context of its own (no cookies from other tests), in the test's colour
    scheme: each test taking it runs once light and once dark."""
    context = await browser.new_context(color_scheme=scheme)  # type: ignore[arg-type]
    try:
        yield await context.new_page()
    finally:
        await context.close()
