"""A member's export: everything of theirs (anonymous posts too, since they are theirs), and
nothing of anyone else's: no token secret, no other reporter, no anonymous author they
reported."""

from __future__ import annotations

import json
from pathlib import Path

from node.actors.instance import ensure_instance
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, export, participation, person_blocks, tokens
from node.members.notifications import NotificationKind, notify
from node.runtime import Node
from tests.conftest import client_for, cove_in_process


async def test_an_export_holds_the_members_own_data_and_no_one_elses(node: Node) -> None:
    await ensure_instance(node)
    ann = await accounts.create_account(node, "ann", display_name="Ann", summary="Hello there")
    bo = await accounts.create_account(node, "bo")
    secret, _ = await tokens.create_token(node, "ann", "read write:reports", "phone")
    await groups.create_group(node, NewGroup(name="calm", title="Calm"))
    async with client_for(node) as client:
        for who in (ann, bo):
            await participation.join(node, client, who, node.urls.group("calm"))
        mine = await participation.publish(node, client, ann, node.urls.group("calm"), "Mine.")
        hidden = await participation.publish(
            node, client, ann, node.urls.group("calm"), "Quietly mine.", anonymous=True
        )
        theirs = await participation.publish(
            node, client, bo, node.urls.group("calm"), "Bo's secret.", anonymous=True
        )
        from node.moderators.reports import filed

        await filed.file_report(node, client, ann, theirs, category="spam", comment="odd")
        await filed.file_report(node, client, bo, mine, category="spam", comment="bo's words")
        await person_blocks.mute(node, client, ann, "bo")
        await person_blocks.block(node, client, bo, "ann")  # bo's, not in ann's export

    async with node.store.transaction() as session:
        notify(session, [ann.id], NotificationKind.CARE, "We are here for you.", node.clock())
        notify(session, [bo.id], NotificationKind.CARE, "Bo's own note.", node.clock())

    data = await export.export_account(node, ann.id)
    text = json.dumps(data)
    assert data["profile"]["display_name"] == "Ann" and data["profile"]["bio"] == "Hello there"
    assert [(p["id"], p["anonymous"]) for p in data["posts"]] == [(mine, False), (hidden, True)]
    assert [g["group"] for g in data["groups"]] == [node.urls.group("calm")]
    assert [(b["person"], b["kind"]) for b in data["blocks"]] == [(node.urls.person("bo"), "mute")]
    (report,) = data["reports"]
    assert report["reported"] == theirs and report["comment"] == "odd"
    # Bo wrote the anonymous post Ann reported: she sees the group, as everyone does.
    assert report["author"] == node.urls.group("calm")
    # Bo appears only as the person ann mutes: none of bo's own doings.
    without_blocks = json.dumps({k: v for k, v in data.items() if k != "blocks"})
    assert node.urls.person("bo") not in without_blocks and "bo's words" not in text
    (token,) = data["tokens"]
    assert token["name"] == "phone" and token["scopes"] == ["read", "write:reports"]
    assert secret not in text and tokens.digest(secret) not in text
    assert [(n["kind"], n["text"]) for n in data["notifications"]] == [
        ("care", "We are here for you.")
    ]


def test_the_export_and_delete_commands(tmp_path: Path) -> None:
    def ok(*args: str) -> str:
        result = cove_in_process(tmp_path, *args)
        assert result.returncode == 0, result.stderr
        return result.stdout

    ok("init", "--no-demo")
    ok("account", "create", "ann", "--display-name", "Ann")
    ok("group", "create", "runs", "--title", "Runs", "--kind", "lifestyle", "--topic", "#Running")
    shown = json.loads(ok("group", "show", "runs", "--json"))
    assert (shown["kind"], shown["topics"]) == ("lifestyle", ["running"])
    changed = json.loads(
        ok("group", "set", "runs", "--topic", "parkrun", "--topic", "5k", "--json")
    )
    assert changed["topics"] == ["parkrun", "5k"] and changed["kind"] == "lifestyle"

    out = tmp_path / "ann.json"
    ok("account", "export", "ann", "--out", str(out))
    assert json.loads(out.read_text())["profile"]["display_name"] == "Ann"
    assert out.stat().st_mode & 0o077 == 0  # only its owner reads it

    for args, reason in [
        (("group", "set", "runs", "--topic", "two words"), "only letters"),
        (("group", "set", "runs"), "say what to change"),
        (("group", "create", "x", "--title", "X", "--kind", "hobby"), "invalid choice"),
        (("account", "export", "ann", "--out", str(out)), "cannot write"),
        (("account", "delete", "ann"), "--yes"),
        (("account", "export", "nobody"), "no account named"),
    ]:
        result = cove_in_process(tmp_path, *args)
        assert result.returncode != 0
        assert reason in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "Traceback" not in result.stderr

    ok("account", "delete", "ann", "--yes")
    result = cove_in_process(tmp_path, "account", "create", "ann")
    assert result.returncode != 0 and "already taken" in result.stderr
    assert "ann" not in ok("account", "list")
