"""Every `cove` command that names a group takes its bare name, `@name@host` or its URL: the
members' commands for a group here or elsewhere (WebFinger), the moderators' for one here. A
group argument that names nothing usable is one line and a non-zero exit, never a traceback."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cove_in_process, free_port
from tests.node.actors.test_identity import start
from tests.node.cli.test_cli import ok, wait_for

HERE = "http://127.0.0.1:8080"  # what `cove init` pins with the config it writes
FORMS = ["calm", "@calm@127.0.0.1:8080", f"{HERE}/g/calm"]


def run(folder: Path, *args: str) -> str:
    return ok(cove_in_process(folder, *args))


def as_json(folder: Path, *args: str) -> Any:
    return json.loads(run(folder, *args, "--json"))


def refused(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    result = cove_in_process(folder, *args)
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return result


@pytest.fixture(scope="module")
def calm_as_set_up(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A node with a group that approves its members, its owner, and two members: set up once,
    each test taking a copy of it (the commands that set it up are tested in test_cli.py)."""
    folder = tmp_path_factory.mktemp("calm")
    run(folder, "init", "--no-demo")
    for name in ("lead", "ann", "bo"):
        run(folder, "account", "create", name)
    run(
        folder,
        "group",
        "create",
        "calm",
        "--title",
        "Calm",
        "--approve-members",
        "--owner",
        "lead",
    )
    return folder


@pytest.fixture
def node_with_calm(calm_as_set_up: Path, tmp_path: Path) -> Path:
    """The node above, as it was set up: the test's own copy (config and database)."""
    shutil.copytree(calm_as_set_up, tmp_path, dirs_exist_ok=True)
    return tmp_path


@pytest.mark.parametrize("calm", FORMS)
def test_members_name_a_group_here_by_name_handle_or_url(node_with_calm: Path, calm: str) -> None:
    folder, url = node_with_calm, f"{HERE}/g/calm"
    joined = as_json(folder, "member", "join", "ann", calm)
    assert joined == {"account": "ann", "group": url, "state": "pending"}
    run(folder, "group", "approve", "calm", f"{HERE}/u/ann")
    run(
        folder, "group", "rules", "set", "calm", "--text", "Be kind\n\nNo ads", "--needs-acceptance"
    )
    accepted = as_json(folder, "member", "accept-rules", "ann", calm, "--version", "1")
    assert accepted == {"account": "ann", "group": "calm", "version": 1}
    posted = as_json(folder, "member", "post", "ann", calm, "--text", "hello", "--title", "Hi")
    assert posted["group"] == url and posted["post"].startswith(f"{HERE}/")
    feed = as_json(folder, "member", "feed", "ann")
    assert [(p["post"], p["group"]) for p in feed] == [(posted["post"], url)]


@pytest.mark.parametrize("calm", FORMS)
def test_moderators_name_a_group_here_by_name_handle_or_url(
    node_with_calm: Path, calm: str
) -> None:
    folder, ann, bo = node_with_calm, f"{HERE}/u/ann", f"{HERE}/u/bo"
    run(folder, "member", "join", "ann", "calm")
    assert as_json(folder, "group", "pending", calm) == [ann]
    assert as_json(folder, "group", "approve", calm, ann)["group"] == "calm"
    shown = as_json(folder, "group", "show", calm)
    assert (shown["name"], shown["url"]) == ("calm", f"{HERE}/g/calm")

    rules = as_json(folder, "group", "rules", "set", calm, "--text", "Be kind", "--as", "lead")
    assert (rules["group"], rules["version"]) == ("calm", 1)
    assert as_json(folder, "group", "rules", "show", calm)["version"] == 1
    run(folder, "member", "accept-rules", "ann", "calm", "--version", "1")
    post = as_json(folder, "member", "post", "ann", "calm", "--text", "hello")["post"]
    # Joining accepts the rules as read: a version not in force is refused, not accepted.
    stale = refused(folder, "member", "join", "bo", calm, "--accept-rules", "--rules-version", "0")
    assert "at version 1 now" in stale.stderr
    joined = as_json(folder, "member", "join", "bo", calm, "--accept-rules", "--rules-version", "1")
    assert joined["state"] == "pending"  # calm approves its members

    assert as_json(folder, "group", "pin", calm, post, "--as", "lead")["pinned"] is True
    assert as_json(folder, "group", "unpin", calm, post)["pinned"] is False
    for verb, done in (("lock", "locked"), ("unlock", "unlocked"), ("remove", "removed")):
        said = as_json(folder, "post", verb, calm, post, "--reason", "test", "--as", "lead")
        assert said == {"group": "calm", "post": post, "action": done}
    assert as_json(folder, "post", "purge", calm, post)["action"] == "purged"

    assert as_json(folder, "group", "mod", "add", calm, "bo")["group"] == "calm"
    assert as_json(folder, "group", "mod", "remove", calm, "bo")["moderator"] is False
    banned = as_json(folder, "group", "ban", calm, bo, "--for", "7d", "--as", "lead")
    assert (banned["group"], banned["actor"]) == (f"{HERE}/g/calm", bo)
    assert [b["actor"] for b in as_json(folder, "group", "bans", calm)] == [bo]
    assert as_json(folder, "group", "unban", calm, bo)["banned"] is False
    assert as_json(folder, "group", "block-domain", calm, "raid.example")["domain"]
    assert [d["domain"] for d in as_json(folder, "group", "blocked-domains", calm)] == [
        "raid.example"
    ]
    run(folder, "group", "unblock-domain", calm, "raid.example")
    assert as_json(folder, "group", "blocked-domains", calm) == []
    assert as_json(folder, "group", "modlog-names", calm, "hide")["group"] == "calm"
    assert {"ban", "unban"} <= {e["action"] for e in as_json(folder, "modlog", calm)}


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["member", "post", "ann", "ftp://x/g/calm", "--text", "x"], 2, "not an http(s) URL"),
        (["member", "post", "ann", "@", "--text", "x"], 2, "'@' is not a group"),
        (["member", "post", "ann", "nowhere", "--text", "x"], 3, "no group named 'nowhere'"),
        (["member", "post", "ann", f"{HERE}/g/nowhere", "--text", "x"], 3, "no group named"),
        (["member", "join", "ann", "@nowhere@127.0.0.1:8080"], 3, "no group named 'nowhere'"),
        (["member", "accept-rules", "ann", "@calm@far.example", "--version", "1"], 2, "this node"),
        (["group", "show", "@calm@far.example"], 2, "@calm@far.example is not a group of this"),
        (["group", "pending", "https://far.example/g/calm"], 2, "not a group of this node"),
        (["group", "ban", "@calm@far.example", f"{HERE}/u/bo"], 2, "not a group of this node"),
        (["post", "lock", "https://far.example/c/calm", f"{HERE}/p/1"], 2, "not a group of"),
        (["modlog", "@calm@far.example"], 2, "not a group of this node"),
        (["group", "rules", "show", "nowhere"], 3, "no group named 'nowhere'"),
    ],
)
def test_a_group_argument_that_names_nothing_usable_is_one_line(
    node_with_calm: Path, args: list[str], code: int, message: str
) -> None:
    result = refused(node_with_calm, *args)
    assert result.returncode == code, result.stderr
    assert message in result.stderr


def test_a_handle_on_a_server_that_does_not_answer_is_one_line(node_with_calm: Path) -> None:
    closed = free_port()
    result = refused(
        node_with_calm, "member", "post", "ann", f"@calm@127.0.0.1:{closed}", "--text", "x"
    )
    assert result.returncode == 3 and f"cannot look up @calm@127.0.0.1:{closed}" in result.stderr


@pytest.fixture
def node_elsewhere(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another node, served by `cove serve` (a real process) on its own port, with a group and
    a person."""
    folder = tmp_path_factory.mktemp("elsewhere")
    port = free_port()
    env = {"COVE_HTTP__PORT": str(port)}
    ok(cove_in_process(folder, "init", "--no-demo", env=env))
    ok(cove_in_process(folder, "group", "create", "calm", "--title", "Calm elsewhere", env=env))
    ok(cove_in_process(folder, "account", "create", "bob", env=env))
    process = start(folder, ["serve"], env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/g/calm", time.monotonic() + 30)
        yield f"127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)


def test_members_name_a_group_elsewhere_by_handle_or_url(
    tmp_path: Path, node_elsewhere: str
) -> None:
    host, url = node_elsewhere, f"http://{node_elsewhere}/g/calm"
    run(tmp_path, "init", "--no-demo")
    run(tmp_path, "account", "create", "ann")
    joined = as_json(tmp_path, "member", "join", "ann", f"@calm@{host}")
    assert joined == {"account": "ann", "group": url, "state": "pending"}
    for calm in (f"@calm@{host}", url):
        posted = as_json(tmp_path, "member", "post", "ann", calm, "--text", "hello")
        assert posted["group"] == url and posted["post"].startswith(f"{HERE}/")
    person = refused(tmp_path, "member", "post", "ann", f"@bob@{host}", "--text", "x")
    assert person.returncode == 2 and f"@bob@{host} is a Person, not a group" in person.stderr
    nobody = refused(tmp_path, "member", "join", "ann", f"@nobody@{host}")
    assert nobody.returncode == 3 and f"@nobody@{host}" in nobody.stderr
    moderated = refused(tmp_path, "group", "show", f"@calm@{host}")
    assert moderated.returncode == 2 and "not a group of this node" in moderated.stderr
    # A person elsewhere is found the same way, and suspended by the URL WebFinger gave.
    suspended = as_json(tmp_path, "actor", "suspend", f"@bob@{host}", "--reason", "spam")
    assert (suspended["actor"], suspended["state"]) == (f"http://{host}/u/bob", "active")
    lifted = as_json(tmp_path, "actor", "unsuspend", f"@bob@{host}")
    assert lifted == {"actor": f"http://{host}/u/bob", "suspended": False}
