"""Accounts, sign-up requests, invites, the node's rules and sign-in help from the console: a
password only ever from a prompt that does not echo or from standard input, every refusal
one line and a non-zero exit."""

from __future__ import annotations

import asyncio
import io
import os
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from node.config import load_config
from node.members.login import log_in
from node.members.registrations import Registration, register
from node.runtime import open_node
from tests.conftest import cove_in_process
from tests.node.cli.test_cli import as_json, ok

CHEAP_HASHES = "\n[passwords]\ntime_cost = 1\nmemory_kib = 8\nparallelism = 1\n"
PASSWORD = "a long password here"


def cove(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """`cove ARGS` in this process, with `stdin` as its standard input."""
    saved = sys.stdin
    sys.stdin = io.StringIO(stdin or "")
    try:
        return cove_in_process(folder, *args)
    finally:
        sys.stdin = saved


def refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    assert result.returncode != 0, result.stdout
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def run_on_node(folder: Path, work: Any) -> Any:
    """Run `work(node)` against the node in `folder`, as its web pages would."""

    async def go() -> Any:
        node = open_node(load_config(folder / "cove.toml", {}))
        try:
            return await work(node)
        finally:
            await node.store.close()

    return asyncio.run(go())


def signs_in(folder: Path, login: str, password: str) -> str:
    async def work(node: Any) -> str:
        _, session = await log_in(node, login, password, None, "127.0.0.1", "test")
        return str(session.account.username)

    return str(run_on_node(folder, work))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    ok(cove(tmp_path, "init", "--no-demo"))
    with (tmp_path / "cove.toml").open("a", encoding="utf-8") as config:
        config.write(CHEAP_HASHES + '\n[registrations]\nmode = "approval"\n')
    return tmp_path


def test_passwords_come_from_standard_input_and_are_never_printed(folder: Path) -> None:
    made = cove(
        folder,
        "account",
        "create",
        "ada",
        "--role",
        "admin",
        "--email",
        "Ada@Mail.test",
        "--password-stdin",
        "--json",
        stdin=PASSWORD + "\n",
    )
    created = as_json(made)
    assert created["has_password"] and created["state"] == "active"
    assert PASSWORD not in made.stdout + made.stderr
    assert signs_in(folder, "ada@mail.test", PASSWORD) == "ada"
    ok(cove(folder, "account", "create", "api_only"))  # no password: as before

    changed = cove(
        folder, "account", "password", "ada", "--password-stdin", stdin="new one, long\n"
    )
    assert "new password set for ada" in ok(changed) and "new one" not in changed.stdout
    assert signs_in(folder, "ada", "new one, long") == "ada"

    refused(cove(folder, "account", "password", "ada", "--password-stdin", stdin="short\n"), "10")
    refused(cove(folder, "account", "password", "ada", "--password-stdin"), "no password on")
    refused(cove(folder, "account", "password", "ada"), "use --password-stdin")
    refused(cove(folder, "account", "password", "nobody", "--password-stdin", stdin=PASSWORD), "")
    again = cove(folder, "account", "create", "bo", "--email", "ADA@mail.test")
    refused(again, "already uses that email address")
    assert again.returncode == 4
    refused(cove(folder, "account", "create", "bo", "--email", "no address"), "not an email")
    assert "bo" not in [a["username"] for a in as_json(cove(folder, "account", "list", "--json"))]


def test_the_password_prompt_does_not_echo(folder: Path) -> None:
    ok(cove(folder, "account", "create", "cy"))
    controller, terminal = os.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVE_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "node.cli.main", "account", "password", "cy"],
        cwd=folder,
        env=env,
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,  # no controlling terminal: the prompt uses this one
    )
    os.close(terminal)
    seen = b""

    def read_until(words: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while words not in seen and time.monotonic() < deadline:
            if select.select([controller], [], [], 0.5)[0]:
                try:
                    seen += os.read(controller, 1024)
                except OSError:  # the command ended
                    break
        assert words in seen, seen

    try:
        read_until(b"New password: ")
        os.write(controller, PASSWORD.encode() + b"\n")
        read_until(b"The same again: ")
        os.write(controller, PASSWORD.encode() + b"\n")
        read_until(b"new password set for cy")
        assert process.wait(timeout=30) == 0
    finally:
        process.kill()
        os.close(controller)
    assert PASSWORD.encode() not in seen
    assert signs_in(folder, "cy", PASSWORD) == "cy"


def test_sign_up_requests_invites_and_rules_from_the_console(folder: Path) -> None:
    def run(*args: str) -> Any:
        return as_json(cove(folder, *args, "--json"))

    ok(cove(folder, "account", "create", "mel"))
    rule = run("node-rules", "add", "Be kind to each other.")
    assert [r["text"] for r in run("node-rules", "list")] == ["Be kind to each other."]
    refused(cove(folder, "node-rules", "add", "Mine", "--as", "mel"), "not an admin")

    async def sign_up(node: Any) -> None:
        form = Registration("dee", "dee@mail.test", PASSWORD, True, reason="I need a place")
        await register(node, node.mailer, form)

    run_on_node(folder, sign_up)
    refused(cove(folder, "account", "approve", "dee"), "has not confirmed their email")
    assert run("account", "confirm", "dee")["state"] == "awaiting_approval"
    [request] = run("account", "requests")
    assert (request["username"], request["reason"]) == ("dee", "I need a place")
    refused(cove(folder, "account", "approve", "dee", "--as", "mel"), "not a moderator")
    assert run("account", "approve", "dee")["state"] == "active"
    refused(cove(folder, "account", "reject", "dee"), "is active")
    assert signs_in(folder, "dee", PASSWORD) == "dee"
    assert run("account", "requests") == []

    [session] = run("account", "sessions", "dee")
    assert session["ip"] == "127.0.0.1" and "csrf_secret" not in session
    assert run("account", "sessions", "dee", "--end-all") == {"ended": 1}
    assert run("account", "sessions", "dee") == []
    refused(cove(folder, "account", "two-factor", "off", "dee"), "off already")
    assert run("account", "suspend", "dee")["state"] == "suspended"
    assert run("account", "unsuspend", "dee")["state"] == "active"

    invite = run("invite", "create", "--uses", "2", "--days", "3")
    assert invite["max_uses"] == 2 and invite["url"].endswith(f"invite={invite['code']}")
    refused(cove(folder, "invite", "create", "--uses", "0"), "uses must be from 1")
    refused(cove(folder, "invite", "create", "--as", "mel"), "not a moderator")
    assert [i["code"] for i in run("invite", "list")] == [invite["code"]]
    assert run("invite", "revoke", invite["code"])["revoked_at"]
    refused(cove(folder, "invite", "revoke", invite["code"]), "withdrawn already")
    refused(cove(folder, "invite", "revoke", "nothing"), "no invite")

    assert run("node-rules", "remove", str(rule["id"]))["id"] == rule["id"]
    assert run("node-rules", "list") == []
    refused(cove(folder, "node-rules", "remove", "99"), "no rule 99")
    refused(cove(folder, "node-rules", "remove", "one"), "invalid int value")


def test_an_admin_changes_roles_from_the_console_but_never_the_last_admins(folder: Path) -> None:
    def run(*args: str) -> Any:
        return as_json(cove(folder, *args, "--json"))

    ok(cove(folder, "account", "create", "ada", "--role", "admin"))
    ok(cove(folder, "account", "create", "mel"))
    assert run("account", "role", "mel", "moderator")["role"] == "moderator"
    refused(cove(folder, "account", "role", "mel", "admin", "--as", "mel"), "not an admin")
    refused(cove(folder, "account", "role", "mel", "moderator"), "is moderator already")
    refused(cove(folder, "account", "role", "mel", "owner"), "invalid choice")
    refused(cove(folder, "account", "role", "nobody", "member"), "no account named")
    last = cove(folder, "account", "role", "ada", "member")
    refused(last, "ada is the node's last admin")
    assert last.returncode == 4
    assert run("account", "role", "mel", "admin")["role"] == "admin"
    demoted = cove(folder, "account", "role", "ada", "member", "--as", "mel")
    assert "ada is now member" in ok(demoted)
    roles = {a["username"]: a["role"] for a in run("account", "list")}
    assert roles == {"ada": "member", "mel": "admin"}


def test_a_member_changes_their_own_profile_and_sessions_the_operator_anyones(
    folder: Path,
) -> None:
    def run(*args: str) -> Any:
        return as_json(cove(folder, *args, "--json"))

    for name, role in (("mel", "member"), ("ada", "admin")):
        ok(cove(folder, "account", "create", name, "--role", role))
    shown = run("account", "profile", "mel", "--as", "mel")
    assert (shown["display_name"], shown["summary"], shown["language"]) == ("mel", "", None)
    changed = run(
        "account", "profile", "mel", "--display-name", "Mel B.", "--summary", "Here to listen.",
        "--not-discoverable", "--language", "es", "--as", "mel",
    )  # fmt: skip
    assert changed == {
        "account": "mel",
        "handle": "@mel@127.0.0.1:8080",
        "display_name": "Mel B.",
        "summary": "Here to listen.",
        "discoverable": False,
        "language": "es",
    }
    # What is not given stays; "" is the browser's language, as on the settings page.
    assert run("account", "profile", "mel", "--summary", "Here to listen.")["discoverable"] is False
    kept = run("account", "profile", "mel", "--discoverable", "--language", "")
    assert (kept["display_name"], kept["discoverable"], kept["language"]) == ("Mel B.", True, None)
    said = ok(cove(folder, "account", "profile", "mel"))
    assert "display name: Mel B.\n" in said and said.endswith("bio:\nHere to listen.\n")

    # Another member, a node admin included, neither reads nor changes it; bad values are told.
    for who in ("ada", "ghost"):
        refused(cove(folder, "account", "profile", "mel", "--summary", "x", "--as", who), "")
    refused(
        cove(folder, "account", "profile", "mel", "--as", "ada"),
        "ada may change only their own profile and web sessions, not mel's",
    )
    refused(cove(folder, "account", "profile", "mel", "--language", "fr"), "unknown language 'fr'")
    refused(cove(folder, "account", "profile", "mel", "--summary", "x" * 2001), "longer than 2000")
    refused(cove(folder, "account", "profile", "nobody"), "no account named 'nobody'")
    refused(cove(folder, "account", "profile", "mel", "--discoverable", "--not-discoverable"), "")
    assert run("account", "profile", "mel")["summary"] == "Here to listen."

    # Ending one web session, as the sessions page does.
    ok(cove(folder, "account", "password", "mel", "--password-stdin", stdin=PASSWORD + "\n"))
    ok(cove(folder, "account", "create", "bo", "--password-stdin", stdin=PASSWORD + "\n"))
    for _ in range(2):
        signs_in(folder, "mel", PASSWORD)
    signs_in(folder, "bo", PASSWORD)
    first, second = (s["id"] for s in run("account", "sessions", "mel", "--as", "mel"))
    [theirs] = (s["id"] for s in run("account", "sessions", "bo"))

    refused(
        cove(folder, "account", "sessions", "mel", "--end", str(first), "--as", "bo"),
        "bo may change only their own profile and web sessions, not mel's",
    )
    refused(
        cove(folder, "account", "sessions", "mel", "--end", str(theirs)),
        f"no session {theirs} of this account is open",
    )
    refused(cove(folder, "account", "sessions", "mel", "--end", "0"), "no session 0")
    refused(cove(folder, "account", "sessions", "mel", "--end", "one"), "invalid int value")
    refused(cove(folder, "account", "sessions", "mel", "--end", "1", "--end-all"), "not allowed")
    assert len(run("account", "sessions", "mel")) == 2

    ended = run("account", "sessions", "mel", "--end", str(first), "--as", "mel")
    assert ended == {"ended": 1, "session": first}
    assert [s["id"] for s in run("account", "sessions", "mel")] == [second]
    refused(cove(folder, "account", "sessions", "mel", "--end", str(first)), "no session")
    assert "session" in ok(cove(folder, "account", "sessions", "mel", "--end", str(second)))
    assert run("account", "sessions", "mel") == []
    assert [s["id"] for s in run("account", "sessions", "bo")] == [theirs]
