"""Organizers at the console: an admin gives the organizer role (`cove account role`), an
organizer starts a group and owns it (`cove group create --as`), its owner changes how it
works (`cove group set`: title, members-only, anonymous posts...), writes its rules and reads
their history; everyone else is refused in one line, and a group that takes no anonymous
posts refuses one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import cove_in_process as cove
from tests.node.cli.test_cli import as_json, ok

BASE = "http://127.0.0.1:8080"


def refused(result: subprocess.CompletedProcess[str], said: str, code: int = 1) -> None:
    """One line saying why, and the exit code of its kind (1 refused, 2 invalid, 4 conflict)."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith("cove: ") and said in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("organizers")
    ok(cove(here, "init", "--no-demo"))
    for name, role in (("ada", "admin"), ("olive", "member"), ("kim", "member")):
        ok(cove(here, "account", "create", name, "--role", role))
    return here


def test_an_admin_makes_an_organizer_who_starts_and_owns_a_group(folder: Path) -> None:
    refused(
        cove(folder, "group", "create", "circle", "--title", "Circle", "--as", "olive"),
        "olive may not start groups: node admins and organizers do",
    )
    refused(
        cove(folder, "account", "role", "olive", "organizer", "--as", "kim"),
        "kim is not an admin of this node (node roles are theirs)",
    )
    made = as_json(cove(folder, "account", "role", "olive", "organizer", "--as", "ada", "--json"))
    assert made["role"] == "organizer"
    refused(
        cove(folder, "account", "role", "olive", "organizer"),
        "olive is organizer already",
        4,
    )
    refused(cove(folder, "account", "role", "ada", "member"), "ada is the node's last admin", 4)
    refused(
        cove(folder, "group", "create", "other", "--title", "X", "--owner", "kim", "--as", "olive"),
        "only a node admin names another owner",
    )
    group = as_json(
        cove(
            folder,
            *("group", "create", "circle", "--title", "Circle", "--no-anonymous-posts"),
            *("--as", "olive", "--json"),
        )
    )
    assert group["anonymous_posts"] is False
    shown = as_json(cove(folder, "group", "show", "circle", "--json"))
    assert shown["moderators"] == [f"{BASE}/u/olive"]  # the organizer owns it
    # An admin may start one for someone else to own.
    ok(cove(folder, "group", "create", "walks", "--title", "Walks", "--owner", "kim"))


def test_the_owner_changes_the_group_and_writes_its_rules(folder: Path) -> None:
    ok(cove(folder, "account", "create", "lee", "--role", "organizer"))
    ok(cove(folder, "group", "create", "tea", "--title", "Tea", "--discoverable", "--as", "lee"))
    refused(
        cove(folder, "group", "set", "tea", "--title", "Mine now", "--as", "kim"),
        "only the owner of tea or a node admin may do that",
    )
    refused(
        cove(folder, "group", "set", "tea", "--title", " ", "--as", "lee"),
        "a group needs a title",
        2,
    )
    refused(cove(folder, "group", "set", "tea", "--as", "lee"), "say what to change", 2)
    changed = as_json(
        cove(
            folder,
            *("group", "set", "tea", "--title", "Tea and talk", "--summary", "Sit down."),
            *("--members-only", "on", "--anonymous-posts", "off", "--posting", "moderators"),
            *("--topic", "Tea", "--as", "lee", "--json"),
        )
    )
    assert (changed["title"], changed["summary"], changed["topics"]) == (
        "Tea and talk",
        "Sit down.",
        ["tea"],
    )
    assert changed["members_only"] and changed["approves_members"]  # implied
    assert not changed["discoverable"] and not changed["anonymous_posts"]
    assert changed["posting_policy"] == "moderators"

    ok(cove(folder, "group", "rules", "set", "tea", "--text", "Be kind", "--as", "lee"))
    refused(
        cove(folder, "group", "rules", "set", "tea", "--text", " ", "--as", "lee"),
        "give at least one rule",
        2,
    )
    rules = "Be kind\nAlways.\n\nNo selling"
    ok(
        cove(
            folder,
            *("group", "rules", "set", "tea", "--text", rules, "--needs-acceptance"),
            *("--as", "lee"),
        )
    )
    history = as_json(cove(folder, "group", "rules", "history", "tea", "--json"))
    assert [(v["version"], v["needs_acceptance"], len(v["rules"])) for v in history] == [
        (2, True, 2),
        (1, False, 1),
    ]
    assert "version 2" in ok(cove(folder, "group", "rules", "history", "tea"))


def test_a_group_that_takes_no_anonymous_posts_refuses_one(folder: Path) -> None:
    ok(cove(folder, "group", "create", "quiet", "--title", "Quiet", "--no-anonymous-posts"))
    ok(cove(folder, "member", "join", "kim", f"{BASE}/g/quiet"))
    refused(
        cove(
            folder, "member", "post", "kim", "quiet", "--text", "hi", "--title", "t", "--anonymous"
        ),
        "Quiet does not take anonymous posts",
    )
    ok(cove(folder, "group", "set", "quiet", "--anonymous-posts", "on"))
    assert as_json(cove(folder, "group", "show", "quiet", "--json"))["anonymous_posts"] is True
