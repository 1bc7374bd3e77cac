"""The `cove` command as a person runs it, on a real database with its real output: through its
own entry point in this process (`cove`: a new process costs a second of imports before the
command starts), and as a real process where the process is the point (`cove_process`: `init`
in an empty folder, `serve` and its signals, the exit status a script sees)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cove_in_process as cove
from tests.conftest import free_port, postgres_url


def cove_process(
    cwd: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COVE_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "node.cli.main", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(result))


def test_init_sets_up_a_node_once_and_is_idempotent(tmp_path: Path) -> None:
    first = ok(cove_process(tmp_path, "init"))
    assert "config: cove.toml (written)" in first
    assert "instance actor: http://127.0.0.1:8080/actor (created)" in first
    assert "demo group: http://127.0.0.1:8080/g/demo (created)" in first
    assert (tmp_path / "cove.toml").is_file() and (tmp_path / "data" / "cove.db").is_file()
    again = ok(cove(tmp_path, "init"))
    assert "(exists)" in again and "demo group" not in again and "(written)" not in again
    groups = as_json(cove(tmp_path, "group", "list", "--json"))
    assert [g["name"] for g in groups] == ["demo"]


def test_groups_and_accounts_from_the_command_line(tmp_path: Path) -> None:
    ok(cove(tmp_path, "init", "--no-demo"))
    admin = as_json(cove(tmp_path, "account", "create", "ada", "--role", "admin", "--json"))
    assert admin["role"] == "admin" and admin["handle"] == "@ada@127.0.0.1:8080"
    ok(cove(tmp_path, "account", "create", "mo", "--role", "moderator", "--display-name", "Mo"))
    ok(cove(tmp_path, "account", "create", "mel"))
    accounts = as_json(cove(tmp_path, "account", "list", "--json"))
    assert [(a["username"], a["role"]) for a in accounts] == [
        ("ada", "admin"),
        ("mel", "member"),
        ("mo", "moderator"),
    ]
    human = ok(cove(tmp_path, "account", "list"))
    assert human.splitlines()[0].split() == ["USERNAME", "ROLE", "DISPLAY", "NAME"]

    created = as_json(
        cove(
            tmp_path,
            "group",
            "create",
            "grief",
            "--title",
            "Grief support",
            "--summary",
            "For loss",
            "--posting",
            "moderators",
            "--members-only",
            "--owner",
            "ada",
            "--json",
        )
    )
    assert created["members_only"] and created["approves_members"]
    assert created["posting_policy"] == "moderators"
    shown = as_json(cove(tmp_path, "group", "show", "grief", "--json"))
    assert shown["moderators"] == ["http://127.0.0.1:8080/u/ada"] and shown["members"] == 1
    assert "Grief support (@grief@127.0.0.1:8080)" in ok(cove(tmp_path, "group", "show", "grief"))
    listed = ok(cove(tmp_path, "group", "list"))
    assert "grief" in listed and "members-only,approval" in listed


@pytest.fixture(scope="module")
def node_with_a_group(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One node for the refusal cases: each failed command must leave it as it was."""
    folder = tmp_path_factory.mktemp("refusals")
    ok(cove(folder, "init", "--no-demo"))
    ok(cove(folder, "group", "create", "grief", "--title", "Grief"))
    return folder


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["group", "create", "grief", "--title", "Again"], 4, "already taken"),
        (["group", "create", "Bad Name", "--title", "x"], 2, "invalid name 'Bad Name'"),
        (["group", "create", "x", "--title", "  "], 2, "needs a title"),
        (
            ["group", "create", "y", "--title", "Y", "--owner", "ghost"],
            3,
            "no account named 'ghost'",
        ),
        (["group", "create", "z"], 2, "the following arguments are required: --title"),
        (["group", "create", "z", "--title", "Z", "--posting", "all"], 2, "invalid choice: 'all'"),
        (["group", "show", "nope"], 3, "no group named 'nope'"),
        (["account", "create", "admin"], 2, "reserved"),
        (["account", "create", "x", "--role", "king"], 2, "invalid choice: 'king'"),
        (["group", "frobnicate"], 2, "invalid choice"),
        (["modlog", "grief", "--limit", "0"], 2, "give a whole number from 1 to 1000"),
        (["group", "modlog-names", "grief", "maybe"], 2, "invalid choice: 'maybe'"),
        (["group", "modlog-names", "grief", "hide", "--as", "ghost"], 3, "no account named"),
        ([], 2, "required"),
    ],
)
def test_bad_arguments_give_one_clear_line_and_a_nonzero_exit(
    node_with_a_group: Path, args: list[str], code: int, message: str
) -> None:
    result = cove(node_with_a_group, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "code"),
    [(["group", "create", "grief", "--title", "Again"], 4), (["group", "frobnicate"], 2)],
)
def test_a_refusal_is_the_exit_status_of_a_real_process_and_its_one_line(
    node_with_a_group: Path, args: list[str], code: int
) -> None:
    """The cases above run through `main` here: the process a script runs exits with the same
    status (a domain refusal, and argparse's own exit) and says nothing more on its way out."""
    result = cove_process(node_with_a_group, *args)
    assert result.returncode == code, (result.stdout, result.stderr)
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_refused_commands_changed_nothing(node_with_a_group: Path) -> None:
    assert [g["name"] for g in as_json(cove(node_with_a_group, "group", "list", "--json"))] == [
        "grief"
    ]
    assert as_json(cove(node_with_a_group, "account", "list", "--json")) == []


def test_the_owner_hides_moderator_names_in_the_log_from_the_command_line(
    tmp_path: Path,
) -> None:
    ok(cove(tmp_path, "init", "--no-demo"))
    ok(cove(tmp_path, "account", "create", "olive"))
    ok(cove(tmp_path, "account", "create", "sam"))
    ok(cove(tmp_path, "group", "create", "grief", "--title", "Grief", "--owner", "olive"))
    refused = cove(tmp_path, "group", "modlog-names", "grief", "hide", "--as", "sam")
    assert refused.returncode != 0 and "only the owner of grief" in refused.stderr
    said = as_json(
        cove(tmp_path, "group", "modlog-names", "grief", "hide", "--as", "olive", "--json")
    )
    assert said == {"group": "grief", "hide_modlog_names": True}
    spammer = "https://elsewhere.example/u/spam"
    ok(cove(tmp_path, "group", "ban", "grief", spammer, "--as", "olive"))

    def moderators_named_to(name: str) -> list[object]:
        log = as_json(cove(tmp_path, "modlog", "grief", "--as", name, "--json"))
        return [entry["moderator"] for entry in log]

    olive_uri = "http://127.0.0.1:8080/u/olive"
    # As on the log's page: the owner sees who acted, a reader of the public log does not.
    assert moderators_named_to("olive") == [olive_uri]
    assert moderators_named_to("sam") == [None]
    assert "now shows" in ok(cove(tmp_path, "group", "modlog-names", "grief", "show"))
    assert moderators_named_to("sam") == [olive_uri]


def test_a_bad_config_is_named_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "cove.toml").write_text("[http]\nport = 0\n")
    result = cove(tmp_path, "group", "list")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "cove: config cove.toml: http.port: must be a port number from 1 to 65535 (got 0)"
    )
    (tmp_path / "cove.toml").unlink()
    result = cove(tmp_path, "db", "upgrade", env={"COVE_HTTP__PORT": "x"})
    assert result.returncode == 2 and "COVE_HTTP__PORT" in result.stderr


def test_commands_before_setup_say_what_to_run(tmp_path: Path) -> None:
    result = cove(tmp_path, "group", "list")
    assert result.returncode == 1
    assert "run `cove db upgrade`" in result.stderr and len(result.stderr.splitlines()) == 1


def test_db_upgrade_and_status(tmp_path: Path) -> None:
    before = as_json(cove(tmp_path, "db", "status", "--json"))
    assert before["current"] is None and before["head"]
    upgraded = as_json(cove(tmp_path, "db", "upgrade", "--json"))
    assert upgraded["from"] is None and upgraded["to"] == before["head"]
    assert "up to date" in ok(cove(tmp_path, "db", "status"))


@pytest.mark.skipif(
    postgres_url() is None, reason="PostgreSQL run skipped: COVE_TEST_POSTGRES_URL is not set"
)
def test_init_and_commands_on_postgresql(tmp_path: Path, postgres_database: str | None) -> None:
    assert postgres_database is not None
    import asyncio

    from tests.conftest import truncate_all

    asyncio.run(truncate_all(postgres_database))
    env = {"COVE_DATABASE__URL": postgres_database}
    ok(cove(tmp_path, "init", env=env))
    ok(cove(tmp_path, "account", "create", "pat", env=env))
    assert [g["name"] for g in as_json(cove(tmp_path, "group", "list", "--json", env=env))] == [
        "demo"
    ]
    asyncio.run(truncate_all(postgres_database))


def wait_for(url: str, deadline: float) -> bytes:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(url, headers={"Accept": "application/activity+json"})
            with urllib.request.urlopen(request, timeout=2) as response:  # loopback only
                body: bytes = response.read()
                return body
        except OSError as e:
            last = e
            time.sleep(0.1)
    raise AssertionError(f"{url} never answered: {last}")


def test_serve_runs_a_node_on_the_configured_port_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {"COVE_HTTP__PORT": str(port)}
    ok(cove(tmp_path, "init", env=env))
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("COVE_")} | env
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "serve"],
        cwd=tmp_path,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        actor = json.loads(wait_for(f"{base}/g/demo", time.monotonic() + 20))
        assert actor["id"] == f"{base}/g/demo" and actor["type"] == "Group"
        jrd = json.loads(
            wait_for(
                f"{base}/.well-known/webfinger?resource=acct:demo@127.0.0.1:{port}",
                time.monotonic() + 5,
            )
        )
        assert jrd["subject"] == f"acct:demo@127.0.0.1:{port}"
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert f"serving {base}" in out
    assert "Traceback" not in err


def test_serve_refuses_an_unmigrated_database_in_one_line(tmp_path: Path) -> None:
    result = cove_process(tmp_path, "serve", env={"COVE_HTTP__PORT": str(free_port())})
    assert result.returncode == 1
    assert "run `cove db upgrade`" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_reports_a_busy_port_in_one_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        ok(cove(tmp_path, "init", env={"COVE_HTTP__PORT": str(port)}))
        result = cove_process(tmp_path, "serve", env={"COVE_HTTP__PORT": str(port)})
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_joining_posting_and_moderating_from_the_command_line(tmp_path: Path) -> None:
    ok(cove(tmp_path, "init", "--no-demo"))
    ok(cove(tmp_path, "account", "create", "ash"))
    ok(cove(tmp_path, "account", "create", "lead", "--role", "moderator"))
    ok(
        cove(
            tmp_path,
            "group",
            "create",
            "grief",
            "--title",
            "Grief",
            "--approve-members",
            "--owner",
            "lead",
        )
    )
    group = "http://127.0.0.1:8080/g/grief"
    assert as_json(cove(tmp_path, "member", "join", "ash", group, "--json"))["state"] == "pending"
    assert as_json(cove(tmp_path, "group", "pending", "grief", "--json")) == [
        "http://127.0.0.1:8080/u/ash"
    ]
    ok(cove(tmp_path, "group", "approve", "grief", "http://127.0.0.1:8080/u/ash"))
    assert as_json(cove(tmp_path, "group", "pending", "grief", "--json")) == []
    posted = as_json(
        cove(
            tmp_path,
            "member",
            "post",
            "ash",
            group,
            "--text",
            "Missing her today",
            "--title",
            "A hard day",
            "--anonymous",
            "--json",
        )
    )["post"]
    feed = as_json(cove(tmp_path, "member", "feed", "ash", "--json"))
    assert [(p["post"], p["author"], p["title"]) for p in feed] == [(posted, group, "A hard day")]
    author = as_json(cove(tmp_path, "group", "author", posted, "--json"))
    assert author == {"post": posted, "author": "http://127.0.0.1:8080/u/ash", "anonymous": True}
    ok(cove(tmp_path, "group", "pin", "grief", posted))
    result = cove(tmp_path, "group", "approve", "grief", "http://127.0.0.1:8080/u/nobody")
    assert result.returncode == 3 and "no pending request" in result.stderr
    result = cove(tmp_path, "member", "post", "ghost", group, "--text", "x")
    assert result.returncode == 3 and "no account named 'ghost'" in result.stderr


def test_a_member_joins_a_group_here_by_its_bare_name(tmp_path: Path) -> None:
    ok(cove(tmp_path, "init", "--no-demo"))
    ok(cove(tmp_path, "account", "create", "ann"))
    ok(cove(tmp_path, "group", "create", "calm", "--title", "Calm"))
    assert as_json(cove(tmp_path, "member", "join", "ann", "calm", "--json"))["state"] == "accepted"
    result = cove(tmp_path, "member", "join", "ann", "nowhere")
    assert result.returncode == 3
    assert "no group named 'nowhere' on this node" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_author_edits_a_posts_title_and_content_warning_as_the_page_does(
    tmp_path: Path,
) -> None:
    def run(*args: str) -> Any:
        return as_json(cove(tmp_path, *args, "--json"))

    def shown(post: str) -> tuple[str | None, str | None, str]:
        [found] = [p for p in run("member", "feed", "ash") if p["post"] == post]
        return found["title"], found["content_warning"], found["content_html"]

    ok(cove(tmp_path, "init", "--no-demo"))
    for name in ("ash", "bo"):
        ok(cove(tmp_path, "account", "create", name))
    ok(cove(tmp_path, "group", "create", "grief", "--title", "Grief"))
    for name in ("ash", "bo"):
        run("member", "join", name, "grief")
    post = run(
        "member", "post", "ash", "grief", "--text", "Missing her", "--title", "A day",
        "--cw", "loss",
    )["post"]  # fmt: skip

    edit = ("member", "edit", "ash", post)
    run(*edit, "--text", "Missing her today", "--title", "A hard day", "--content-warning", "death")
    assert shown(post) == ("A hard day", "death", "<p>Missing her today</p>")
    run(*edit, "--text", "Still missing her")  # the title and the warning stay
    assert shown(post) == ("A hard day", "death", "<p>Still missing her</p>")
    run(*edit, "--text", "Still missing her", "--content-warning", "", "--title", " ")
    assert shown(post) == ("A hard day", None, "<p>Still missing her</p>")

    for args, code, message in (
        (("member", "edit", "bo", post, "--text", "mine now"), 1, "only the author may change"),
        ((*edit, "--text", "  "), 2, "a post needs some text"),
        ((*edit, "--text", "x", "--cw", "w" * 501), 2, "a content warning is at most 500"),
        ((*edit, "--title", "no words"), 2, "the following arguments are required: --text"),
    ):
        result = cove(tmp_path, *args)
        assert result.returncode == code and message in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert shown(post) == ("A hard day", None, "<p>Still missing her</p>")
