"""A member's own account on the pages: their data downloaded (theirs alone, by a posted form,
never cached), and the account deleted only with their password and their typed name, after
which they are signed out, cannot sign in, and their profile is gone."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from node.groups import groups
from node.groups.groups import NewGroup
from node.members import participation
from node.runtime import Node
from node.store.states import PostingPolicy
from tests.conftest import ServedNode, client_for, serving
from tests.node.members.conftest import PASSWORD, NodeFactory, member
from tests.support.browsing import browser, signed_in


@pytest.fixture
async def node(make_node: NodeFactory) -> Node:
    return await make_node(mode="open")


@pytest.fixture
async def served(node: Node) -> AsyncIterator[ServedNode]:
    await member(node, "olive", email="olive@mail.test")
    kim = await member(node, "kim", email="kim@mail.test")
    await groups.create_group(
        node,
        NewGroup(name="grief", title="Grief", owner="olive", posting_policy=PostingPolicy.MEMBERS),
    )
    group = node.urls.group("grief")
    async with client_for(node) as client:
        await participation.join(node, client, kim, group)
        await participation.publish(node, client, kim, group, "Kim wrote these words.", title="Kim")
        await participation.publish(node, client, kim, group, "Said quietly.", anonymous=True)
    async with serving(node, workers=False) as it:
        yield it


async def test_a_member_downloads_their_own_data_and_no_one_elses(served: ServedNode) -> None:
    async with browser(served.base) as kim, browser(served.base) as olive:
        await signed_in(kim, "kim")
        page = await kim.get("/settings/export")
        assert page.status == 200 and "Download my data" in page.text
        assert page.headers["Content-Type"].startswith("text/html")  # a GET serves no data
        got = await kim.submit("/settings/export", {})
        assert got.status == 200
        assert got.headers["Content-Type"].startswith("application/json")
        assert got.headers["Cache-Control"] == "no-store"
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith("attachment;") and 'filename="kim-' in disposition
        data = json.loads(got.text)
        assert data["format"] == "cove-account-export/1"
        assert data["profile"]["username"] == "kim"
        words = json.dumps(data["posts"])
        assert "Kim wrote these words." in words and "Said quietly." in words  # for her eyes only

        await signed_in(olive, "olive")
        await olive.get("/settings/export")
        theirs = json.loads((await olive.submit("/settings/export", {})).text)
        assert theirs["profile"]["username"] == "olive"
        assert "Said quietly." not in json.dumps(theirs)

        # Never by a form from elsewhere, nor by a plain link.
        await kim.get("/settings/export")
        forged = await kim.submit("/settings/export", {}, origin="http://evil.example")
        assert forged.status == 403 and "Said quietly." not in forged.text
        await kim.get("/settings/export")
        stale = await kim.submit("/settings/export", {}, token="y" * 40)
        assert stale.status == 403 and "Said quietly." not in stale.text
    async with browser(served.base) as nobody:
        asked = await nobody.get("/settings/export")
        assert "/auth/sign-in?next=" in asked.url


async def test_deleting_needs_the_typed_name_and_the_password(served: ServedNode) -> None:
    async with browser(served.base) as kim:
        await signed_in(kim, "kim")
        page = await kim.get("/settings/delete")
        assert page.status == 200
        assert "cannot be undone" in page.text and "stays taken" in page.text
        assert "wrote anonymously stay" in page.text
        wrong_name = await kim.submit(
            "/settings/delete", {"confirm": "olive", "password": PASSWORD}
        )
        assert wrong_name.status == 400 and "Type your username, kim" in wrong_name.text
        wrong_password = await kim.submit(
            "/settings/delete", {"confirm": "kim", "password": "not my password"}
        )
        assert wrong_password.status == 403 and "not your password" in wrong_password.text
        forged = await kim.submit(
            "/settings/delete",
            {"confirm": "kim", "password": PASSWORD},
            origin="http://evil.example",
        )
        assert forged.status == 403
        # Still here, still signed in.
        still = await kim.get("/settings")
        assert still.status == 200 and "Sign out" in still.text
        assert (await kim.get("/u/kim")).status == 200


async def test_a_deleted_member_is_signed_out_and_gone(served: ServedNode) -> None:
    async with browser(served.base) as kim:
        await signed_in(kim, "kim")
        before = await kim.get("/g/grief")
        assert "Kim wrote these words." in before.text and "Said quietly." in before.text
        await kim.get("/settings/delete")
        bye = await kim.submit("/settings/delete", {"confirm": "@Kim", "password": PASSWORD})
        assert bye.status == 200 and "Your account is deleted" in bye.text
        assert 'href="/help"' in bye.text and "Sign out" not in bye.text
        assert bye.headers["Cache-Control"] == "no-store"
        assert kim.cookie("cove_session") is None
        asked = await kim.get("/settings")
        assert "/auth/sign-in?next=" in asked.url
        await kim.get("/auth/sign-in")
        again = await kim.submit("/auth/sign-in", {"login": "kim", "password": PASSWORD})
        assert again.status == 401 and "Sign out" not in again.text
        assert (await kim.get("/u/kim")).status == 410
        after = await kim.get("/g/grief")
        # Her posts are gone; her anonymous one stays, tied to no one.
        assert "Kim wrote these words." not in after.text and "Said quietly." in after.text
