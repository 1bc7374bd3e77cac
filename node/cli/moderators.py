"""The `cove` commands for how a group is moderated: its moderators (`cove group mod`), its
rules (`cove group rules`) and its moderation log (`cove modlog`). They act as the node
operator (a node admin) unless --as names the local account doing it, whose roles are checked."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from federation.errors import Invalid
from moderation.rules import as_plain_text, parse_rules_text
from node.cli.console import Invocation, Parser, acting_option, emit, table, with_client, with_node
from node.cli.group_argument import GROUP_HERE_HELP, acting_on, local_group

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.runtime import Node


def add_commands(commands: Any, group: Any, common: Parser) -> None:
    """`cove modlog`, and the moderators, rules and log commands of `cove group`."""
    mod = group.add_parser("mod", help="a group's moderators").add_subparsers(
        dest="mod_command", metavar="COMMAND", parser_class=Parser
    )
    mod.required = True
    for verb in ("add", "remove"):
        change = mod.add_parser(verb, parents=[common], help=f"{verb} a moderator")
        change.add_argument("group", help=GROUP_HERE_HELP)
        change.add_argument("account", help="a local account")
        acting_option(change)
        change.set_defaults(run=cmd_mod_change, moderator=verb == "add")

    rule_cmds = group.add_parser("rules", help="a group's rules").add_subparsers(
        dest="rules_command", metavar="COMMAND", parser_class=Parser
    )
    rule_cmds.required = True
    show = rule_cmds.add_parser("show", parents=[common], help="the rules in force")
    show.add_argument("group", help=GROUP_HERE_HELP)
    show.set_defaults(run=cmd_rules_show)
    history = rule_cmds.add_parser(
        "history", parents=[common], help="every version of the rules, newest first"
    )
    history.add_argument("group", help=GROUP_HERE_HELP)
    history.set_defaults(run=cmd_rules_history)
    set_ = rule_cmds.add_parser(
        "set", parents=[common], help="write a new version (one rule a paragraph: title line, text)"
    )
    set_.add_argument("group", help=GROUP_HERE_HELP)
    source = set_.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help="a text file with the rules")
    source.add_argument("--text", help="the rules as text")
    set_.add_argument(
        "--needs-acceptance", action="store_true", help="members accept again before posting"
    )
    acting_option(set_)
    set_.set_defaults(run=cmd_rules_set)

    log = commands.add_parser("modlog", parents=[common], help="a group's moderation log")
    log.add_argument("group", help=GROUP_HERE_HELP)
    log.add_argument(
        "--limit", type=_log_limit, default=50, help=f"newest N entries (1-{MAX_LOG_LINES})"
    )
    acting_option(log)
    log.set_defaults(run=cmd_modlog)
    names = group.add_parser(
        "modlog-names",
        parents=[common],
        help="whether the public moderation log names the moderators",
    )
    names.add_argument("group", help=GROUP_HERE_HELP)
    names.add_argument("choice", choices=["hide", "show"])
    acting_option(names)
    names.set_defaults(run=cmd_modlog_names)


async def cmd_mod_change(inv: Invocation) -> None:
    from node.moderators import appointments

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        await appointments.set_moderator(
            node, client, acting, group, a.account, moderator=a.moderator
        )
        done = "added" if a.moderator else "removed"
        emit(
            inv,
            {"group": group, "account": a.account, "moderator": a.moderator},
            f"{done} {a.account} as moderator of {group}",
        )

    await with_client(inv, work)


async def cmd_rules_show(inv: Invocation) -> None:
    from node.groups import rules

    async def work(node: Node) -> None:
        group, current = await rules.rules_of(node, local_group(node, inv.args.group))
        if current is None:
            emit(inv, {"group": group.name, "version": None, "rules": []}, "(no rules yet)")
            return
        emit(
            inv,
            {"group": group.name, **current.as_json()},
            f"rules of {group.name}, version {current.version}:\n" + as_plain_text(current.rules),
        )

    await with_node(inv, work)


async def cmd_rules_history(inv: Invocation) -> None:
    from node.groups import rules

    async def work(node: Node) -> None:
        _group, versions = await rules.rule_versions(node, local_group(node, inv.args.group))
        human = "\n\n".join(
            f"version {v.version}, {v.created_at:%Y-%m-%d %H:%M}"
            + (" (members asked to accept)" if v.needs_acceptance else "")
            + ":\n"
            + as_plain_text(v.rules)
            for v in versions
        )
        emit(inv, [v.as_json() for v in versions], human or "(no rules yet)")

    await with_node(inv, work)


async def cmd_rules_set(inv: Invocation) -> None:
    from node.groups import organizing

    a = inv.args

    async def work(node: Node) -> None:
        if a.file is not None:
            try:
                text = a.file.read_text(encoding="utf-8")
            except OSError as e:
                raise Invalid(f"cannot read {a.file}: {e.strerror}") from None
        else:
            text = a.text
        parsed = parse_rules_text(text)
        acting, group = await acting_on(node, a.as_account, a.group)
        written = await organizing.write_rules(
            node, acting, group, parsed, needs_acceptance=a.needs_acceptance
        )
        emit(
            inv,
            {"group": group, **written.as_json()},
            f"{group}: rules version {written.version} ({len(parsed)} rules)",
        )

    await with_node(inv, work)


MAX_LOG_LINES = 1000


def _log_limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LOG_LINES:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MAX_LOG_LINES}")
    return int(text)


async def cmd_modlog(inv: Invocation) -> None:
    from node.moderators import modlog
    from node.store.paging import Cursor

    a = inv.args

    async def work(node: Node) -> None:
        acting, name = await acting_on(node, a.as_account, a.group)
        # As the log's page and the API read it: a member reads who acted only when the
        # group names its moderators; its moderators and the node's staff always do.
        log = await modlog.log_read_by(
            node, acting, name, Cursor(), names_scope=True, limit=a.limit
        )
        entries = [e for _, e in log.page.items]
        data = [
            {
                "at": e.created_at,
                "action": e.action,
                "moderator": None if log.hide_names else e.moderator_uri,
                "target": e.target_uri,
                "reason": e.reason,
                "expires_at": e.expires_at,
            }
            for e in entries
        ]
        rows = [
            [f"{e.created_at:%Y-%m-%d %H:%M}", e.action, e.target_uri, e.reason or ""]
            for e in entries
        ]
        emit(inv, data, table(["WHEN", "ACTION", "TARGET", "REASON"], rows))

    await with_node(inv, work)


async def cmd_modlog_names(inv: Invocation) -> None:
    from node.moderators import removals

    a = inv.args
    hidden = a.choice == "hide"

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        await removals.set_modlog_names_hidden(node, acting, group, hidden=hidden)
        said = "hides" if hidden else "shows"
        emit(
            inv,
            {"group": group, "hide_modlog_names": hidden},
            f"the moderation log of {group} now {said} who moderated",
        )

    await with_node(inv, work)
