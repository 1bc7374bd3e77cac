"""Pictures of the node's pages for the documentation: serves the sample community on
loopback and writes PNGs of its main pages, phone and desktop wide, into docs/screenshots/.

    .venv/bin/python -m tests.browser.screenshots [--out FOLDER]
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import tempfile
from pathlib import Path
from typing import Literal

from node.http.pages.visitors import SESSION_COOKIE
from node.members import accounts, web_sessions
from node.runtime import Node, open_node
from node.store import migrate
from node.store.db import open_store
from tests.browser import community
from tests.browser.chromium import NoChromium, chromium, chromium_path
from tests.conftest import free_port, make_config, serving

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# A phone (an iPhone 12 to 15 is 390 CSS pixels wide) and a laptop.
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}
# The address `make run` serves on, so that the pictures show what a newcomer sees.
PORT = 8080
# (file name, page, colour scheme)
SHOTS: list[tuple[str, str, Literal["light", "dark"]]] = [
    ("front", "front", "light"),
    ("group", "group", "light"),
    ("group-dark", "group", "dark"),
    ("modlog", "modlog", "light"),
    ("person", "person", "light"),
    ("not-found", "missing", "light"),
    ("thread", "thread", "light"),
    ("thread-dark", "thread", "dark"),
    ("help", "help", "light"),
    ("sign-up", "sign_up", "light"),
]
# Pages for someone signed in: (file name, path, colour scheme), seen by the sample's
# moderator and by an admin.
MODERATOR_SHOTS: list[tuple[str, str, Literal["light", "dark"]]] = [
    ("queue", "/moderation/reports", "light"),
]
ADMIN_SHOTS: list[tuple[str, str, Literal["light", "dark"]]] = [
    ("federation", "/admin/federation", "light"),
]


def _port() -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", PORT))
        except OSError:
            return free_port()
    return PORT


async def take(out: Path) -> list[Path]:
    """Serve the sample community and photograph its pages; the files written."""
    path = chromium_path()
    written = []
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite+aiosqlite:///{folder}/cove.db"
        config = make_config(Path(folder), database, _port(), node=community.NODE_SETTINGS)
        store = open_store(config.database)
        await migrate.upgrade(store)
        await store.close()
        node = open_node(config)
        try:
            async with serving(node, workers=False), chromium(path) as browser:
                sample = await community.fill(node)
                pages = sample.all()
                secret = await community.admin_session(node)
                moderator = await _session_of(node, sample.moderator)
                shots: list[tuple[str, str, Literal["light", "dark"], str | None]]
                shots = [(n, pages[p], s, None) for n, p, s in SHOTS]
                shots += [(n, node.urls.base + p, s, moderator) for n, p, s in MODERATOR_SHOTS]
                shots += [(n, node.urls.base + p, s, secret) for n, p, s in ADMIN_SHOTS]
                for name, url, scheme, session in shots:
                    for size, (width, height) in WIDTHS.items():
                        context = await browser.new_context(
                            viewport={"width": width, "height": height}, color_scheme=scheme
                        )
                        if session is not None:
                            cookie = {"name": SESSION_COOKIE, "value": session, "url": url}
                            await context.add_cookies([cookie])
                        page = await context.new_page()
                        await page.goto(url)
                        file = out / f"{name}-{size}.png"
                        await page.screenshot(path=str(file), full_page=True)
                        await context.close()
                        written.append(file)
        finally:
            await node.store.close()
    return written


async def _session_of(node: Node, username: str) -> str:
    """A web session's secret for the account, as signing in would give its cookie."""
    account = await accounts.get_account_by_name(node, username)
    secret, _ = await web_sessions.start_session(node, account.id, "127.0.0.1", "screenshots")
    return secret


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.browser.screenshots")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder for the PNGs ({OUT})")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        written = asyncio.run(take(args.out))
    except NoChromium as missing:
        print(missing, file=sys.stderr)
        return 1
    for file in written:
        print(file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
