"""Verified professionals at the console: an admin records, lists and revokes credentials;
no one else may; bad input is one line and a non-zero exit; a professional's note needs a
credential and is listed first; a group's moderators turn paging on. (In this process, as
tests/node/cli/test_moderation_roles_cli.py runs `cove`, to stay fast.)"""

from __future__ import annotations

import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cove_in_process as cove
from tests.node.cli.test_cli import as_json, ok

BASE = "http://127.0.0.1:8080"


@dataclass(frozen=True, slots=True)
class Stage:
    folder: Path
    thread: str  # mel's post in alpha

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return cove(self.folder, *args)

    def act(self, *args: str) -> Any:
        return as_json(self.run(*args, "--json"))

    def refused(self, code: int, *args: str) -> str:
        """The command fails with `code` and one line on stderr, which is returned."""
        result = self.run(*args)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        (line,) = result.stderr.splitlines()
        assert line.startswith("cove") and "Traceback" not in result.stderr
        return line

    def rows(self, query: str) -> list[tuple[Any, ...]]:
        with closing(sqlite3.connect(self.folder / "data" / "cove.db")) as db:
            return list(db.execute(query))


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Stage:
    folder = tmp_path_factory.mktemp("professionals")
    ok(cove(folder, "init", "--no-demo"))
    for name, role in (("ada", "admin"), ("nora", "moderator"), ("olive", "member")):
        ok(cove(folder, "account", "create", name, "--role", role))
    for name in ("mel", "pat", "nurse"):
        ok(cove(folder, "account", "create", name))
    ok(cove(folder, "group", "create", "alpha", "--title", "Alpha", "--owner", "olive"))
    for name in ("mel", "nurse"):
        ok(cove(folder, "member", "join", name, "alpha"))
    posted = as_json(
        cove(folder, "member", "post", "mel", "alpha", "--text", "Rough night.", "--json")
    )
    return Stage(folder, str(posted["post"]))


def test_an_admin_records_lists_and_revokes_a_credential(stage: Stage) -> None:
    added = stage.act(
        "member", "credential", "add", "pat",
        "--title", "Registered mental health nurse",
        "--checked-by", "ada, against the national register",
        "--checked-at", "2026-01-05",
        "--expires", "2099-01-01",
        "--as", "ada",
    )  # fmt: skip
    assert added["state"] == "counts"
    assert added["checked_at"].startswith("2026-01-05T00:00:00")
    listed = stage.act("member", "credential", "list", "pat")
    assert [(c["id"], c["title"], c["state"]) for c in listed] == [
        (added["id"], "Registered mental health nurse", "counts")
    ]
    human = stage.run("member", "credential", "list").stdout
    assert "Registered mental health nurse" in human and "2099-01-01" in human

    revoked = stage.act("member", "credential", "revoke", str(added["id"]), "--as", "ada")
    assert revoked["state"] == "revoked" and revoked["revoked_at"]
    assert stage.act("member", "credential", "list", "pat")[0]["state"] == "revoked"
    again = stage.refused(1, "member", "credential", "revoke", str(added["id"]))
    assert "revoked already" in again
    assert "no credential 99999" in stage.refused(3, "member", "credential", "revoke", "99999")


def test_only_a_node_admin_records_or_revokes_credentials(stage: Stage) -> None:
    kept = stage.act(
        "member", "credential", "add", "pat", "--title", "Counsellor", "--checked-by", "ada"
    )["id"]
    before = stage.rows("SELECT * FROM credential")
    for who in ("nora", "mel", "pat"):
        line = stage.refused(
            1, "member", "credential", "add", "pat", "--title", "Doctor", "--checked-by", who,
            "--as", who,
        )  # fmt: skip
        assert f"{who} is not an admin of this node" in line
        stage.refused(1, "member", "credential", "revoke", str(kept), "--as", who)
    assert stage.rows("SELECT * FROM credential") == before


@pytest.mark.parametrize(
    ("code", "args", "said"),
    [
        (2, ["--expires", "2001-01-01"], "already past"),
        (2, ["--checked-at", "last tuesday"], "is not a date"),
        (2, ["--checked-at", "2026-01-05T10:00"], "without a zone"),
        (2, ["--checked-at", "2999-01-01"], "in the future"),
        (2, ["--title", "   "], "--title needs some text"),
        (2, ["--title", "x" * 201], "longer than 200"),
    ],
)
def test_bad_credentials_are_one_line_and_change_nothing(
    stage: Stage, code: int, args: list[str], said: str
) -> None:
    before = stage.rows("SELECT * FROM credential")
    base = ["member", "credential", "add", "pat", "--title", "Nurse", "--checked-by", "ada"]
    assert said in stage.refused(code, *base, *args)
    assert stage.rows("SELECT * FROM credential") == before


def test_unknown_accounts_and_ids_are_named(stage: Stage) -> None:
    add = ["member", "credential", "add", "nobody", "--title", "Nurse", "--checked-by", "ada"]
    assert "no account named 'nobody'" in stage.refused(3, *add)
    assert "credential's number" in stage.refused(2, "member", "credential", "revoke", "abc")


def test_a_note_needs_a_credential_and_is_listed_first(stage: Stage) -> None:
    line = stage.refused(1, "member", "note", stage.thread, "--text", "I'm a nurse", "--as", "mel")
    assert "mel has no professional credential in force here" in line
    stage.act("member", "post", "mel", "alpha", "--text", "Same here.", "--reply-to", stage.thread)
    stage.act("member", "credential", "add", "nurse", "--title", "Nurse", "--checked-by", "ada")
    note = stage.act(
        "member", "note", stage.thread, "--text", "Please call someone tonight.", "--as", "nurse"
    )
    replies = stage.act("member", "replies", stage.thread)
    assert [(r["author"], r["professional_note"]) for r in replies] == [
        (f"{BASE}/u/nurse", True),
        (f"{BASE}/u/mel", False),
    ]
    assert replies[0]["post"] == note["post"]
    missing = f"{BASE}/posts/nothing-here"
    assert "no post" in stage.refused(3, "member", "note", missing, "--text", "x", "--as", "nurse")


def test_the_groups_moderators_turn_paging_of_professionals_on(stage: Stage) -> None:
    def paging() -> int:
        ((on,),) = stage.rows("SELECT page_professionals FROM community_group")
        return int(on)

    line = stage.refused(1, "group", "set-paging", "alpha", "on", "--as", "mel")
    assert "only the moderators of alpha or a node admin" in line
    assert paging() == 0
    stage.act("group", "set-paging", "alpha", "on", "--as", "olive")  # its owner
    assert paging() == 1
    stage.act("group", "set-paging", "alpha", "off", "--as", "ada")
    assert paging() == 0
    stage.refused(2, "group", "set-paging", "alpha", "maybe")
