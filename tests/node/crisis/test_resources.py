"""The crisis resources table: seeded once from the shipped file and never over an admin's
edits, chosen for a person by country and language (never empty), and kept by node admins
with `cove safety resources`, every bad argument one line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import delete, select

from node.crisis import resources
from node.crisis.resources import Resource, resources_for, seed_if_empty, shipped
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.tables import CrisisResource
from tests.conftest import cove_in_process as cove
from tests.node.cli.test_cli import as_json, ok

pytestmark = pytest.mark.storage


def test_every_shipped_entry_is_marked_to_verify_and_anywhere_is_covered() -> None:
    entries = shipped()
    assert all(r.verify for r in entries)
    countries = {r.country for r in entries}
    assert {
        "US",
        "CA",
        "GB",
        "IE",
        "ES",
        "MX",
        "AR",
        "DE",
        "AT",
        "CH",
        "FR",
        "BE",
        "*",
    } <= countries
    assert any(r.name == "TelefonSeelsorge" and "0800 111 0 222" in r.contact for r in entries)


async def test_seeding_fills_an_empty_table_once_and_keeps_an_admins_edits(node: Node) -> None:
    async with node.store.transaction() as session:
        assert await seed_if_empty(session, node.clock()) == len(shipped())
    admin = Acting.operator(node)
    found = await resources.list_resources(node, "GB")
    samaritans = found[0]
    await resources.edit_resource(
        node, admin, samaritans.id or 0, {"contact": "Call 116 123 (free)"}
    )
    fr = (await resources.list_resources(node, "FR"))[0]
    await resources.remove_resource(node, admin, fr.id or 0)

    async with node.store.transaction() as session:
        assert await seed_if_empty(session, node.clock()) == 0  # not empty: left alone
    assert (await resources.list_resources(node, "GB"))[0].contact == "Call 116 123 (free)"
    assert await resources.list_resources(node, "FR") == []

    readded = await resources.seed_missing(node, admin)
    assert [(r.country, r.name) for r in readded] == [("FR", fr.name)]
    assert (await resources.list_resources(node, "GB"))[0].contact == "Call 116 123 (free)"


async def test_a_person_gets_their_countrys_lines_in_their_language_then_anywhere(
    node: Node,
) -> None:
    async with node.store.transaction() as session:
        await seed_if_empty(session, node.clock())
    async with node.store.session() as session:
        quebec = await resources_for(session, "CA", "fr")
        canada_de = await resources_for(session, "CA", "de")
        japan = await resources_for(session, "JP", "ja")
        unknown = await resources_for(session, None, None)
    assert [r.language for r in quebec[:-1]] == ["fr", "fr"]
    assert quebec[-1].country == "*"
    # No Canadian line in German: the country's lines in any language, then anywhere's.
    assert {r.language for r in canada_de[:-1]} == {"en", "fr"}
    assert canada_de[-1].country == "*"
    assert [r.name for r in japan] == ["Find A Helpline"] == [r.name for r in unknown]


async def test_a_table_emptied_by_hand_still_gives_the_lines_for_anywhere(node: Node) -> None:
    async with node.store.transaction() as session:
        await session.exec(delete(CrisisResource))  # type: ignore[call-overload]
    async with node.store.session() as session:
        found = await resources_for(session, "US", "en")
        assert (await session.exec(select(CrisisResource))).all() == []
    assert [r.country for r in found] == ["*"]


async def test_an_admin_adds_a_line_that_is_theirs_not_one_to_verify(node: Node) -> None:
    added = await resources.add_resource(
        node,
        Acting.operator(node),
        Resource("nz", "EN", "Need to talk?", "Call or text 1737", "https://1737.org.nz"),
    )
    assert (added.country, added.language, added.verify) == ("NZ", "en", False)
    # The shipped lines were seeded before it, so adding first does not stop the seeding.
    assert len(await resources.list_resources(node)) == len(shipped()) + 1


def test_admins_keep_the_resources_from_the_command_line(tmp_path: Path) -> None:
    assert "crisis resources: 18 shipped lines added" in ok(cove(tmp_path, "init", "--no-demo"))
    german = as_json(cove(tmp_path, "safety", "resources", "list", "--country", "de", "--json"))
    assert [(r["name"], r["verify"]) for r in german] == [("TelefonSeelsorge", True)]
    listed = ok(cove(tmp_path, "safety", "resources", "list", "--country", "DE"))
    assert "verify for your region" in listed

    def refused(*args: str) -> str:
        done = cove(tmp_path, "safety", "resources", *args)
        assert done.returncode != 0 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        return done.stderr

    line = ("add", "--lang", "en", "--name", "Line", "--contact", "123")
    assert "not an ISO 3166 country code" in refused(*line, "--country", "XX")
    assert "not an http(s) URL" in refused(*line, "--country", "NZ", "--url", "ftp://x.nz")
    assert "not a language code" in refused("list", "--lang", "english")
    assert "no crisis resource 999" in refused("remove", "999")
    ok(cove(tmp_path, "account", "create", "mel"))
    assert "not an admin" in refused(*line, "--country", "NZ", "--as", "mel")

    added = as_json(cove(tmp_path, "safety", "resources", *line, "--country", "NZ", "--json"))
    edited = as_json(
        cove(
            tmp_path,
            "safety",
            "resources",
            "edit",
            str(added["id"]),
            "--url",
            "https://x.nz",
            "--json",
        )
    )
    assert edited["url"] == "https://x.nz"
    first = german[0]["id"]
    verified = as_json(cove(tmp_path, "safety", "resources", "verified", str(first), "--json"))
    assert verified["verify"] is False
    ok(cove(tmp_path, "safety", "resources", "remove", str(first)))
    assert "1 shipped crisis resources re-added" in ok(
        cove(tmp_path, "safety", "resources", "seed")
    )
