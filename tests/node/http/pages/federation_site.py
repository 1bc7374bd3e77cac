"""A node for the federation pages' tests: an admin, a moderator and a member, a group with a
follower on another server (so a suspension has something to cut), served on loopback; and
how a browser sends a form with a file."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import FormData

from node.groups.groups import NewGroup, create_group
from node.runtime import open_node
from node.store.states import AccountRole
from tests.conftest import MovableClock, ServedNode, add_follower, make_config, serving
from tests.node.members.conftest import CHEAP_HASHES, member
from tests.support.browsing import HTML, Browser, Page

FOLLOWER = "https://followers.example/u/sam"  # follows the group "grief"


@asynccontextmanager
async def federation_site(
    tmp_path: Path, database_url: str, port: int, **federation: Any
) -> AsyncIterator[ServedNode]:
    config = make_config(
        tmp_path,
        database_url,
        port,
        registrations={"mode": "open"},
        passwords=CHEAP_HASHES,
        federation=federation,
    )
    node = dataclasses.replace(open_node(config), clock=MovableClock())
    try:
        await member(node, "ada", AccountRole.ADMIN)
        await member(node, "mo", AccountRole.MODERATOR)
        await member(node, "kim")
        group = await create_group(node, NewGroup(name="grief", title="Grief"))
        async with node.store.transaction() as session:
            await add_follower(session, group.id, FOLLOWER, f"{FOLLOWER}/inbox", None, node.clock())
        async with serving(node, workers=False) as served:
            yield served
    finally:
        await node.store.close()


async def send_file(
    person: Browser,
    path: str,
    fields: dict[str, str],
    file: tuple[str, bytes] | None = None,
    *,
    token: str | None = None,
) -> Page:
    """Post a multipart form as the last page's form would, with a file if given."""
    assert person.last is not None
    form = FormData()
    form.add_field("form_token", token or person.last.form_token)
    for name, value in fields.items():
        form.add_field(name, value)
    if file is not None:
        form.add_field("file", file[1], filename=file[0], content_type="text/csv")
    headers = {"Accept": HTML, "Origin": person.base}
    async with person.session.post(person.base + path, data=form, headers=headers) as r:
        person.last = Page(r.status, await r.text(), str(r.url), dict(r.headers))
    return person.last


def problem_of(page: Page) -> str:
    """What the page's problem box says (empty: none)."""
    found = re.search(r'id="problem">(.*?)</div>', page.text, re.S)
    return html.unescape(found.group(1)) if found else ""
