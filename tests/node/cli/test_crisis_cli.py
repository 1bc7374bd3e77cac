"""Crisis care from the console: duty, a group that holds acute posts, the urgent item in the
report queue with its reason first and its text on request, release with resources, and
webhooks; every refusal one line and a non-zero exit."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cove_in_process as cove
from tests.node.cli.test_cli import as_json, ok

BASE = "http://127.0.0.1:8080"
GROUP = f"{BASE}/g/nightwatch"
ACUTE = "I can't do this anymore. I'm going to kill myself tonight. This is my last post, goodbye."


def refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    here = tmp_path_factory.mktemp("crisis-cli")

    def run(*args: str) -> Any:
        return as_json(cove(here, *args, "--json"))

    ok(cove(here, "init", "--no-demo"))
    for name in ("sam", "kim"):
        run("account", "create", name)
    run("group", "create", "nightwatch", "--title", "Night watch", "--owner", "sam")
    run("member", "join", "kim", GROUP)
    return here


def test_duty_holds_and_the_urgent_item_from_the_console(folder: Path) -> None:
    def run(*args: str) -> Any:
        return as_json(cove(folder, *args, "--json"))

    refused(cove(folder, "mod", "duty", "on", "--group", "nightwatch", "--as", "kim"), "moderator")
    run("mod", "duty", "on", "--group", "nightwatch", "--as", "sam")
    assert run("mod", "duty", "list", "--group", "nightwatch") == [{"account": "sam", "on": True}]
    assert run("mod", "duty", "list", "--group", "nightwatch", "--as", "sam") == [
        {"account": "sam", "on": True}
    ]
    refused(
        cove(folder, "mod", "duty", "list", "--group", "nightwatch", "--as", "kim"), "kim is not"
    )
    refused(
        cove(folder, "mod", "duty", "list", "--as", "sam"), "sam is not a moderator of this node"
    )
    refused(cove(folder, "group", "hold", "nightwatch", "on", "--as", "kim"), "owner")
    run("group", "hold", "nightwatch", "on", "--as", "sam")

    post = run("member", "post", "kim", GROUP, "--text", ACUTE)["post"]
    held = run("safety", "held", "nightwatch", "--as", "sam")
    assert [h["post"] for h in held] == [post] and held[0]["reasons"]
    refused(cove(folder, "safety", "held", "nightwatch", "--as", "kim"), "not a moderator")

    reports = run("report", "list")
    first = reports[0]
    assert first["urgent"] and first["category"] == "self_harm" and first["target"] == post
    shown = ok(cove(folder, "report", "show", first["id"]))
    assert "not an accusation" in shown and "its text is shown with --text" in shown
    assert f"| {ACUTE}" not in shown  # the reason, not the post
    assert f"| {ACUTE}" in ok(cove(folder, "report", "show", first["id"], "--text"))
    kinds = [n["type"] for n in run("member", "notifications", "sam")]
    assert "crisis" in kinds

    done = run("safety", "release", post, "--with-resources", "--as", "sam")
    assert done["post"] == post and done["reply"]
    refused(cove(folder, "safety", "release", post, "--as", "sam"), "not held")
    assert run("safety", "held", "nightwatch", "--as", "sam") == []


def test_webhooks_are_the_organizers_and_the_admins(folder: Path) -> None:
    def run(*args: str) -> Any:
        return as_json(cove(folder, *args, "--json"))

    hook = ("safety", "webhook", "add", "https://hooks.example/p", "--group", "nightwatch")
    refused(cove(folder, *hook, "--as", "kim"), "owner")
    refused(cove(folder, "safety", "webhook", "add", "ftp://hooks.example/p"), "http(s)")
    refused(cove(folder, "safety", "webhook", "add", "https://x.example/p", "--as", "sam"), "admin")
    made = run(
        "safety",
        "webhook",
        "add",
        "https://hooks.example/p",
        "--group",
        "nightwatch",
        "--as",
        "sam",
    )
    assert len(made["secret"]) >= 32
    listed = run("safety", "webhook", "list", "--group", "nightwatch", "--as", "sam")
    assert [h["url"] for h in listed] == ["https://hooks.example/p"]
    assert run("safety", "webhook", "list") == []  # the node's own: none
    run("safety", "webhook", "remove", str(made["id"]), "--group", "nightwatch", "--as", "sam")
    refused(
        cove(folder, "safety", "webhook", "remove", str(made["id"]), "--group", "nightwatch"),
        "no webhook",
    )
