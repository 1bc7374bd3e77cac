"""Who may moderate, as a person at the console meets it: every moderation command, run
through the `cove` command's entry point by a plain member, a moderator of another group, a
group's moderator and owner, a node moderator and a node admin. A refusal is one line, exit 1,
and changes nothing. (In this process: a new interpreter per command would cost a second
each, and `tests/node/cli/test_cli.py` already runs `cove` as real processes.)"""

from __future__ import annotations

import re
import sqlite3
import subprocess
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from node import __version__
from node.queue.scheduler import run_job
from tests.conftest import cove_in_process as cove
from tests.conftest import free_port
from tests.node.cli.test_accounts_cli import run_on_node
from tests.node.cli.test_cli import as_json, ok
from tests.node.http.pages.test_admin_health import failing, received

BASE = "http://127.0.0.1:8080"
ALPHA = f"{BASE}/g/alpha"
BETA = f"{BASE}/g/beta"
# Actors on another server: bans and suspensions name them by URL, nothing is fetched.
TROLL = "https://elsewhere.example/u/troll"  # banned from beta before any test
PEST = "https://elsewhere.example/u/pest"  # banned by nobody: new bans are aimed at it
SPAMMER = "https://elsewhere.example/u/spammer"  # suspended before any test
INTRUDER = "https://elsewhere.example/u/intruder"  # suspended by nobody
RULES = "Be kind\nNo mockery, no cruelty.\n\nNo advertising\nSupport, not sales."

# The people on the node. Alpha is public; beta is members-only (its log is not public).
CAST = {
    "ada": "admin",  # a node admin, with no role in any group
    "nora": "moderator",  # a node moderator, with no role in any group
    "mel": "member",  # a plain member: an accepted member of beta, author of its posts
    "al": "member",  # alpha's moderator (appointed), nothing in beta
    "bea": "member",  # beta's owner
    "bo": "member",  # beta's moderator (appointed), not its owner
    "cy": "member",  # a plain member outside beta, until the last tests appoint and remove her
    "pat": "member",  # waits to join beta: the refused decisions aim at her request
    "quin": "member",  # waits to join beta until beta's moderator lets him in
}


def person(name: str) -> str:
    return f"{BASE}/u/{name}"


@dataclass(frozen=True, slots=True)
class Stage:
    """The node every test here shares, and what is on it by name: posts (their URLs) and
    reports (their ids), for `{name}` placeholders in command lines and messages."""

    folder: Path
    names: dict[str, str]

    def fill(self, text: str) -> str:
        return text.format_map(self.names)

    def run(self, *args: str, who: str | None = None) -> subprocess.CompletedProcess[str]:
        acting = ["--as", who] if who is not None else []
        return cove(self.folder, *(self.fill(a) for a in args), *acting)

    def act(self, who: str, *args: str) -> Any:
        """A command that must succeed for `who`; its JSON output."""
        return as_json(self.run(*args, "--json", who=who))

    def log_by(self, group: str, who: str) -> list[tuple[str, str]]:
        """The group's moderation log (read by the operator) of what `who` did, newest first."""
        entries = as_json(self.run("modlog", group, "--json"))
        return [(e["action"], e["target"]) for e in entries if e["moderator"] == person(who)]


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Stage:
    """One node, set up by its operator. Everything a refused command aims at is in the state
    the command would change: a post as posted, a post removed, locked and pinned, a ban and a
    suspension in force, an open report and a resolved one. The success tests work on objects
    of their own, so the refusals are unaffected by them."""
    folder = tmp_path_factory.mktemp("moderation-roles")

    def run(*args: str) -> Any:
        return as_json(cove(folder, *args, "--json"))

    ok(cove(folder, "init", "--no-demo"))
    for name, role in CAST.items():
        run("account", "create", name, "--role", role)
    run("group", "create", "alpha", "--title", "Alpha")
    run("group", "create", "beta", "--title", "Beta", "--members-only", "--owner", "bea")
    run("group", "mod", "add", "alpha", "al")
    run("group", "mod", "add", "beta", "bo")
    run("member", "join", "mel", BETA)
    run("group", "approve", "beta", person("mel"))
    for waiting in ("pat", "quin"):
        run("member", "join", waiting, BETA)

    def post(author: str, group: str, title: str) -> str:
        return str(
            run("member", "post", author, group, "--text", "Hard week.", "--title", title)["post"]
        )

    names = {
        "calm": post("mel", BETA, "As posted"),
        "marked": post("mel", BETA, "Removed, locked and pinned"),
        "for_bo": post("mel", BETA, "For bo to moderate"),
        "for_ada": post("mel", BETA, "For ada to moderate"),
        "in_alpha": post("al", ALPHA, "For ada to moderate in alpha"),
    }
    run("post", "remove", "beta", names["marked"])
    run("post", "lock", "beta", names["marked"])
    run("group", "pin", "beta", names["marked"])
    run("group", "ban", "beta", TROLL, "--reason", "abuse")
    run("actor", "suspend", SPAMMER, "--reason", "spam")

    def report(reporter: str, target: str) -> str:
        return str(run("report", "file", reporter, target, "--comment", "please look")["id"])

    names |= {
        "open_report": report("mel", names["calm"]),
        "closed_report": report("cy", names["calm"]),
        "bo_report": report("mel", names["for_bo"]),
        "ada_beta_report": report("mel", names["for_ada"]),
        "ada_alpha_report": report("mel", names["in_alpha"]),
        "account_report": report("mel", person("al")),  # about an account: the node's staff
    }
    run("report", "resolve", names["closed_report"], "--note", "dealt with")
    return Stage(folder, names)


def stored_rows(folder: Path) -> dict[str, Counter[tuple[Any, ...]]]:
    """Every row of every table of the node's database: a refused command changes none."""
    with closing(sqlite3.connect(folder / "data" / "cove.db")) as db:
        tables = [
            name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        return {t: Counter(db.execute(f'SELECT * FROM "{t}"')) for t in tables}


def changed(
    before: dict[str, Counter[tuple[Any, ...]]], after: dict[str, Counter[tuple[Any, ...]]]
) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    """The rows that went and came, by table, for the tables that differ."""
    differ = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    empty: Counter[tuple[Any, ...]] = Counter()
    return {
        t: {
            "gone": list((before.get(t, empty) - after.get(t, empty)).elements()),
            "new": list((after.get(t, empty) - before.get(t, empty)).elements()),
        }
        for t in differ
    }


# What a group's moderators do, each aimed at beta and at something it would change there.
MODERATING: dict[str, tuple[str, ...]] = {
    "post-remove": ("post", "remove", "beta", "{calm}", "--reason", "off topic"),
    "post-restore": ("post", "restore", "beta", "{marked}"),
    "post-lock": ("post", "lock", "beta", "{calm}"),
    "post-unlock": ("post", "unlock", "beta", "{marked}"),
    "group-pin": ("group", "pin", "beta", "{calm}"),
    "group-unpin": ("group", "unpin", "beta", "{marked}"),
    "group-ban": ("group", "ban", "beta", PEST, "--reason", "spam"),
    "group-unban": ("group", "unban", "beta", TROLL),
    "group-bans": ("group", "bans", "beta"),
    "group-pending": ("group", "pending", "beta"),
    "group-approve": ("group", "approve", "beta", person("pat")),
    "group-reject": ("group", "reject", "beta", person("pat")),
    "report-resolve": ("report", "resolve", "{open_report}", "--note", "removed"),
    "report-dismiss": ("report", "dismiss", "{open_report}"),
    "report-reopen": ("report", "reopen", "{closed_report}"),
}
# What only a group's owner or a node admin does.
APPOINTING: dict[str, tuple[str, ...]] = {
    "group-mod-add": ("group", "mod", "add", "beta", "cy"),
    "group-mod-remove": ("group", "mod", "remove", "beta", "bo"),
    "group-rules-set": ("group", "rules", "set", "beta", "--text", RULES),
    "group-modlog-names": ("group", "modlog-names", "beta", "hide"),
}
# What only the node's staff (its admins and moderators) do.
NODE_WIDE: dict[str, tuple[str, ...]] = {
    "actor-suspend": ("actor", "suspend", INTRUDER, "--reason", "spam"),
    "actor-suspend-member": ("actor", "suspend", "quin"),
    "actor-unsuspend": ("actor", "unsuspend", SPAMMER),
    "actor-suspended": ("actor", "suspended"),
}


def refusals() -> list[Any]:
    """(who, command, what the one line on stderr says) for each refusal."""
    cases: list[Any] = []

    def case(who: str, action: str, args: tuple[str, ...], message: str) -> None:
        cases.append(pytest.param(who, args, message, id=f"{who}-{action}"))

    # mel is a member of beta, al moderates alpha: neither moderates beta.
    for who in ("mel", "al"):
        for action, args in MODERATING.items():
            case(who, action, args, f"{who} is not a moderator of beta")
        case(
            who,
            "report-show",
            ("report", "show", "{open_report}"),
            f"{who} may not see report {{open_report}}",
        )
        for action, args in NODE_WIDE.items():
            case(who, action, args, f"{who} is not a moderator of this node")
    # The node's health (where its database lives, its version) is for its admins alone, as
    # on /admin/health: not for a node moderator either.
    for who in ("mel", "al", "nora"):
        case(
            who,
            "queue-status",
            ("queue", "status"),
            f"{who} is not an admin of this node (the node's health figures are theirs)",
        )
    # The log of a members-only group is for its members: not for a member of the node outside
    # the group, nor for another group's moderator.
    for who in ("cy", "al"):
        case(
            who,
            "modlog-members-only",
            ("modlog", "beta"),
            f"{who} is not a member of beta, whose moderation log is for its members only",
        )
    # Appointing moderators, rules and the log's names: beta's owner or a node admin only, so
    # not beta's moderator, nor a node moderator.
    for who in ("mel", "al", "bo", "nora"):
        for action, args in APPOINTING.items():
            if who == "bo" and action == "group-mod-remove":
                continue  # bo would be removing himself: stepping down is another question
            case(who, action, args, "only the owner of beta or a node admin may do that")
    # A group's moderator handles reports about the group's content, not about accounts.
    case(
        "bo",
        "report-show-account",
        ("report", "show", "{account_report}"),
        "bo may not see report {account_report}",
    )
    case(
        "bo",
        "report-resolve-account",
        ("report", "resolve", "{account_report}"),
        "bo is not a moderator of this node",
    )
    # Someone who moderates nothing has no reports to list (Mastodon answers 403).
    case(
        "mel",
        "report-list",
        ("report", "list"),
        "mel moderates no group here and may not see reports",
    )
    # A member's profile and web sessions are theirs: not another member's, nor a node admin's
    # (the operator at the console, acting for the node, may change them).
    for who, other in (("mel", "al"), ("ada", "mel")):
        for action, args in (
            ("profile", ("account", "profile", other, "--summary", "changed")),
            ("sessions", ("account", "sessions", other, "--end-all")),
        ):
            case(
                who,
                f"{action}-of-{other}",
                args,
                f"{who} may change only their own profile and web sessions, not {other}'s",
            )
    # A token speaks for its account: a member or a group moderator issues none for another.
    for who, other in (("mel", "al"), ("al", "mel")):
        case(
            who,
            f"token-create-for-{other}",
            ("token", "create", other, "--scopes", "read"),
            f"{who} may not issue a token for {other}: only a node admin may",
        )
    return cases


@pytest.mark.parametrize(("who", "args", "message"), refusals())
def test_refused_without_the_role_and_nothing_changes(
    stage: Stage, who: str, args: tuple[str, ...], message: str
) -> None:
    before = stored_rows(stage.folder)
    result = stage.run(*args, who=who)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr.startswith("cove: ") and stage.fill(message) in result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert changed(before, stored_rows(stage.folder)) == {}


@pytest.mark.parametrize(
    ("who", "group", "post", "report"),
    [
        pytest.param("bo", "beta", "for_bo", "bo_report", id="beta-moderator-in-beta"),
        pytest.param("ada", "beta", "for_ada", "ada_beta_report", id="node-admin-in-beta"),
        pytest.param("ada", "alpha", "in_alpha", "ada_alpha_report", id="node-admin-in-alpha"),
    ],
)
def test_a_groups_moderator_or_a_node_admin_moderates_it(
    stage: Stage, who: str, group: str, post: str, report: str
) -> None:
    p, r, group_uri = stage.names[post], stage.names[report], f"{BASE}/g/{group}"
    for verb, done in (
        ("remove", "removed"),
        ("restore", "restored"),
        ("lock", "locked"),
        ("unlock", "unlocked"),
    ):
        said = stage.act(who, "post", verb, group, p, "--reason", "checking")
        assert said == {"group": group, "post": p, "action": done}
    for verb, pinned in (("pin", True), ("unpin", False)):
        said = stage.act(who, "group", verb, group, p)
        assert said == {"group": group, "post": p, "pinned": pinned}

    banned = stage.act(who, "group", "ban", group, PEST, "--reason", "spam")
    assert (banned["group"], banned["actor"], banned["state"]) == (group_uri, PEST, "active")
    assert PEST in [b["actor"] for b in stage.act(who, "group", "bans", group)]
    assert stage.act(who, "group", "unban", group, PEST)["banned"] is False

    shown = stage.act(who, "report", "show", r)
    assert (shown["id"], shown["group"], shown["state"]) == (r, group_uri, "open")
    for verb, state in (("resolve", "resolved"), ("reopen", "open"), ("dismiss", "dismissed")):
        assert stage.act(who, "report", verb, r, "--note", "seen")["state"] == state

    assert stage.log_by(group, who) == [
        ("unban", PEST),
        ("ban", PEST),
        ("unpin_post", p),
        ("pin_post", p),
        ("unlock_post", p),
        ("lock_post", p),
        ("restore_post", p),
        ("remove_post", p),
    ]


def test_a_groups_moderator_lets_someone_in(stage: Stage) -> None:
    assert stage.act("bo", "group", "pending", "beta") == [person("pat"), person("quin")]
    said = stage.act("bo", "group", "approve", "beta", person("quin"))
    assert said == {"group": "beta", "actor": person("quin"), "decision": "approved"}
    assert stage.act("bo", "group", "pending", "beta") == [person("pat")]


@pytest.mark.parametrize(
    ("who", "group"),
    [
        pytest.param("bo", "beta", id="beta-moderator-in-beta"),
        pytest.param("mel", "beta", id="beta-member-in-beta"),
        pytest.param("ada", "beta", id="node-admin-in-beta"),
        pytest.param("ada", "alpha", id="node-admin-in-alpha"),
        pytest.param("cy", "alpha", id="anyone-in-public-alpha"),
    ],
)
def test_a_groups_members_and_the_node_staff_read_its_log(
    stage: Stage, who: str, group: str
) -> None:
    entries = stage.act(who, "modlog", group)
    assert ("add_moderator", person("bo" if group == "beta" else "al")) in [
        (e["action"], e["target"]) for e in entries
    ]


@pytest.mark.parametrize(
    ("who", "reports"),
    [
        pytest.param(
            "bo",
            ("open_report", "closed_report", "bo_report", "ada_beta_report"),
            id="beta-moderator-sees-beta",
        ),
        pytest.param("al", ("ada_alpha_report",), id="alpha-moderator-sees-alpha"),
        pytest.param("nora", "all", id="node-moderator-sees-all"),
        pytest.param("ada", "all", id="node-admin-sees-all"),
    ],
)
def test_each_moderator_lists_the_reports_they_may_handle(
    stage: Stage, who: str, reports: tuple[str, ...] | str
) -> None:
    everything = [name for name in stage.names if name.endswith("_report")]
    expected = everything if reports == "all" else list(reports)
    listed = stage.act(who, "report", "list", "--state", "all")
    assert sorted(r["id"] for r in listed) == sorted(stage.names[name] for name in expected)


@pytest.mark.parametrize(
    ("who", "group"),
    [
        pytest.param("bea", "beta", id="beta-owner-in-beta"),
        pytest.param("ada", "beta", id="node-admin-in-beta"),
        pytest.param("ada", "alpha", id="node-admin-in-alpha"),
    ],
)
def test_a_groups_owner_or_a_node_admin_appoints_and_sets_rules(
    stage: Stage, who: str, group: str
) -> None:
    for verb, moderator in (("add", True), ("remove", False)):
        said = stage.act(who, "group", "mod", verb, group, "cy")
        assert said == {"group": group, "account": "cy", "moderator": moderator}
    written = stage.act(who, "group", "rules", "set", group, "--text", RULES)
    assert [rule["title"] for rule in written["rules"]] == ["Be kind", "No advertising"]
    assert stage.log_by(group, who)[:3] == [
        ("change_rules", f"{BASE}/g/{group}"),
        ("remove_moderator", person("cy")),
        ("add_moderator", person("cy")),
    ]
    said = stage.act(who, "group", "modlog-names", group, "hide")
    assert said == {"group": group, "hide_modlog_names": True}


def test_a_node_admin_suspends_and_handles_reports_about_accounts(stage: Stage) -> None:
    suspended = stage.act("ada", "actor", "suspend", INTRUDER, "--reason", "spam")
    assert (suspended["actor"], suspended["group"], suspended["state"]) == (
        INTRUDER,
        None,
        "active",
    )
    assert stage.act("ada", "actor", "unsuspend", SPAMMER) == {
        "actor": SPAMMER,
        "suspended": False,
    }
    r = stage.names["account_report"]
    assert stage.act("ada", "report", "show", r)["target"] == person("al")
    assert stage.act("ada", "report", "resolve", r, "--note", "warned")["state"] == "resolved"


def test_a_node_admin_issues_a_token_for_another_account(stage: Stage) -> None:
    token = stage.act("ada", "token", "create", "al", "--scopes", "read")
    assert (token["account"], token["scopes"]) == ("al", ["read"]) and token["token"]


def test_a_member_issues_a_token_for_herself(stage: Stage) -> None:
    token = stage.act("mel", "token", "create", "mel", "--scopes", "read write:reports")
    assert (token["account"], token["scopes"]) == ("mel", ["read", "write:reports"])


def test_node_staff_suspend_a_member_here_by_name_and_lift_it_by_handle(stage: Stage) -> None:
    ok(stage.run("account", "create", "spammy"))
    said = stage.act("nora", "actor", "suspend", "spammy", "--reason", "ads")
    assert said == {"actor": person("spammy"), "account": "spammy", "suspended": True}
    listed = stage.act("nora", "actor", "suspended")
    assert listed["members"] == ["spammy"]
    elsewhere = {b["actor"] for b in listed["elsewhere"]}  # as other tests left them
    assert elsewhere and elsewhere <= {SPAMMER, INTRUDER}
    accounts = as_json(stage.run("account", "list", "--json"))
    assert {a["username"]: a["state"] for a in accounts}["spammy"] == "suspended"
    lifted = stage.act("nora", "actor", "unsuspend", "@spammy@127.0.0.1:8080")
    assert lifted == {"actor": person("spammy"), "account": "spammy", "suspended": False}
    assert stage.act("nora", "actor", "suspended")["members"] == []


@pytest.mark.parametrize(
    ("target", "code", "message"),
    [
        ("ftp://elsewhere.example/u/x", 2, "is not an http(s) URL"),
        ("@spam@127.0.0.1:CLOSED", 3, "cannot look up @spam@127.0.0.1:CLOSED"),
        ("nobody", 3, "no account named 'nobody'"),
        (ALPHA, 2, f"{ALPHA} is not a person of this node"),
        ("", 2, "name someone"),
    ],
)
def test_a_suspension_that_would_match_no_one_is_refused_and_nothing_is_kept(
    stage: Stage, target: str, code: int, message: str
) -> None:
    closed = str(free_port())  # a server that does not answer
    target, message = target.replace("CLOSED", closed), message.replace("CLOSED", closed)
    before = stored_rows(stage.folder)
    result = stage.run("actor", "suspend", target, "--reason", "spam")
    assert result.returncode == code and message in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert changed(before, stored_rows(stage.folder)) == {}


def test_an_admin_reads_the_nodes_health_as_the_page_shows_it(stage: Stage) -> None:
    async def troubled(node: Any) -> None:
        await failing(node, "down.example", 7, timedelta(minutes=30))
        await failing(node, "flaky.example", 2, None)
        await received(node, "busy.example", 2)

        async def prune(who: Any) -> int:
            return 3

        await run_job(node, "prune_deliveries", prune)

    run_on_node(stage.folder, troubled)
    health = stage.act("ada", "queue", "status")
    down, flaky = health["failing_hosts"]
    assert (down["host"], down["failures"], down["breaker"], down["pending"]) == (
        "down.example",
        7,
        "open",
        0,
    )
    assert (flaky["host"], flaky["breaker"], flaky["until"]) == ("flaky.example", "closed", None)
    assert health["backlog"] == [{"host": "busy.example", "received": 2}]
    assert health["inbound"]["received"] == 2 and "due_now" in health and "deliveries" in health
    [prune] = [job for job in health["jobs"] if job["name"] == "prune_deliveries"]
    assert (prune["every_seconds"], prune["last"]["outcome"], prune["last"]["result"]) == (
        3600,
        "done",
        3,
    )
    assert (health["version"], health["database"]) == (__version__, "sqlite")
    assert health["database_at"] == str(stage.folder / "data" / "cove.db")

    text = ok(stage.run("queue", "status", who="ada"))
    assert f"Cove {__version__}; database: SQLite, the file {stage.folder}" in text
    assert re.search(r"down\.example +7 +paused +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +0\n", text)
    assert re.search(r"flaky\.example +2 +still trying +- +0\n", text)
    assert re.search(r"busy\.example +2\n", text)
    assert re.search(r"prune_deliveries +3600 s +[-0-9: ]+ done \(counted 3\)\n", text)
    assert re.search(r"expire_bans +60 s +not run yet", text)
