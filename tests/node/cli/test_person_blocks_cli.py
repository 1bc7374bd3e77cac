"""A member blocks and mutes people at the console: listed, lifted, and hidden from their feed;
bad input (an unknown member, a group, themself, a block made twice, a block never made) is
one line and a non-zero exit. (In this process, as the other CLI tests run `cove`.)"""

from __future__ import annotations

import subprocess
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
    posts: dict[str, str]  # author -> their thread in alpha

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return cove(self.folder, *args)

    def act(self, *args: str) -> Any:
        return as_json(self.run(*args, "--json"))

    def refused(self, code: int, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
        (line,) = result.stderr.splitlines()
        assert line.startswith("cove: ") and "Traceback" not in result.stderr
        return line

    def feed_authors(self, name: str) -> set[str]:
        return {p["author"] for p in self.act("member", "feed", name)}


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Stage:
    folder = tmp_path_factory.mktemp("person_blocks")
    ok(cove(folder, "init", "--no-demo"))
    for name in ("ann", "ben", "cat", "dot"):
        ok(cove(folder, "account", "create", name))
    ok(cove(folder, "group", "create", "alpha", "--title", "Alpha", "--owner", "ann"))
    posts = {}
    for name in ("ann", "ben", "cat", "dot"):
        if name != "ann":
            ok(cove(folder, "member", "join", name, "alpha"))
        posted = cove(folder, "member", "post", name, "alpha", "--text", "hi", "--json")
        posts[name] = str(as_json(posted)["post"])
    return Stage(folder, posts)


def test_a_block_and_a_mute_are_listed_hide_their_posts_and_are_lifted(stage: Stage) -> None:
    everyone = {f"{BASE}/u/{n}" for n in ("ann", "ben", "cat", "dot")}
    assert stage.feed_authors("ann") == everyone
    blocked = stage.run("member", "block", "ann", "ben")
    ok(blocked)
    assert blocked.stdout.strip() == "ann blocked ben"
    ok(stage.run("member", "mute", "ann", "@cat@127.0.0.1:8080"))
    listed = stage.act("member", "blocks", "ann")
    assert [(b["kind"], b["person"]) for b in listed] == [
        ("mute", f"{BASE}/u/cat"),
        ("block", f"{BASE}/u/ben"),
    ]
    human = stage.run("member", "blocks", "ann").stdout
    assert "block" in human and f"{BASE}/u/ben" in human
    assert stage.feed_authors("ann") == {f"{BASE}/u/ann", f"{BASE}/u/dot"}
    # Only ann hides them: dot still reads everyone.
    assert stage.feed_authors("dot") == everyone

    ok(stage.run("member", "unblock", "ann", f"{BASE}/u/ben"))
    ok(stage.run("member", "unmute", "ann", "@cat"))
    assert stage.act("member", "blocks", "ann") == []
    assert stage.feed_authors("ann") == everyone


@pytest.mark.parametrize(
    ("code", "args", "says"),
    [
        (3, ("member", "block", "nobody", "ben"), "no account named 'nobody'"),
        (3, ("member", "block", "dot", "nobody"), "no member named 'nobody'"),
        (2, ("member", "block", "dot", "alpha"), "alpha is a group, not a person"),
        (2, ("member", "mute", "dot", f"{BASE}/g/alpha"), "is not a person of this node"),
        (2, ("member", "block", "dot", "dot"), "cannot block or mute themself"),
        (2, ("member", "block", "dot", "@"), "is not a person"),
        (2, ("member", "block", "dot", "ftp://x.example/u/a"), "is not an http(s) URL"),
        (3, ("member", "unblock", "dot", "ben"), "dot does not block"),
        (3, ("member", "unmute", "dot", "ben"), "dot does not mute"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(
    stage: Stage, code: int, args: tuple[str, ...], says: str
) -> None:
    assert says in stage.refused(code, *args)


def test_blocking_twice_is_refused_but_a_block_and_a_mute_may_both_stand(stage: Stage) -> None:
    ok(stage.run("member", "block", "dot", "cat"))
    assert "dot already blocks" in stage.refused(4, "member", "block", "dot", "cat")
    ok(stage.run("member", "mute", "dot", "cat"))
    assert "dot already mutes" in stage.refused(4, "member", "mute", "dot", "@cat")
    assert {b["kind"] for b in stage.act("member", "blocks", "dot")} == {"block", "mute"}
    # Lifting the block leaves the mute: cat stays hidden.
    ok(stage.run("member", "unblock", "dot", "cat"))
    assert [b["kind"] for b in stage.act("member", "blocks", "dot")] == ["mute"]
    assert f"{BASE}/u/cat" not in stage.feed_authors("dot")
    ok(stage.run("member", "unmute", "dot", "cat"))
