"""The `cove` commands for moderation: roles, rules, reports, removals, locks, bans,
suspensions, the moderation log and API tokens. Each acts as the node operator (a node
admin) unless --as names the local account doing it, whose roles are then checked."""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from federation.client import FederationClient
from federation.errors import Invalid
from moderation import bans as ban_policy
from moderation.reports import ReportCategory, ReportState
from moderation.rules import as_plain_text, parse_rules_text
from node.cli.console import Invocation, Parser, emit, table, with_client, with_node
from node.groups import rules
from node.groups.groups import get_group
from node.members import accounts, notifications, tokens
from node.moderators import appointments, bans, modlog, removals, suspensions
from node.moderators.reports import decisions, filed
from node.moderators.reports.info import ReportInfo
from node.moderators.roles import acting_as, require_log_reader
from node.runtime import Node
from node.store.paging import Cursor
from node.text import html_to_plain


def _acting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as", dest="as_account", metavar="ACCOUNT", help="act as this local account"
    )


def _reason(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--reason", default="", help="why (shown in the moderation log)")


def add_moderation_commands(commands: Any, group: Any, member: Any, common: Parser) -> None:
    """Add the moderation commands to the `cove` parser (its top-level commands, and the
    `group` and `member` command groups)."""
    mod = group.add_parser("mod", help="a group's moderators").add_subparsers(
        dest="mod_command", metavar="COMMAND", parser_class=Parser
    )
    mod.required = True
    for verb in ("add", "remove"):
        change = mod.add_parser(verb, parents=[common], help=f"{verb} a moderator")
        change.add_argument("group")
        change.add_argument("account", help="a local account")
        _acting(change)
        change.set_defaults(run=cmd_mod_change, moderator=verb == "add")

    rule_cmds = group.add_parser("rules", help="a group's rules").add_subparsers(
        dest="rules_command", metavar="COMMAND", parser_class=Parser
    )
    rule_cmds.required = True
    show = rule_cmds.add_parser("show", parents=[common], help="the rules in force")
    show.add_argument("group")
    show.set_defaults(run=cmd_rules_show)
    set_ = rule_cmds.add_parser(
        "set", parents=[common], help="write a new version (one rule a paragraph: title line, text)"
    )
    set_.add_argument("group")
    source = set_.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", type=Path, help="a text file with the rules")
    source.add_argument("--text", help="the rules as text")
    set_.add_argument(
        "--needs-acceptance", action="store_true", help="members accept again before posting"
    )
    _acting(set_)
    set_.set_defaults(run=cmd_rules_set)

    ban = group.add_parser("ban", parents=[common], help="ban an actor from a group")
    ban.add_argument("group")
    ban.add_argument("actor", help="the actor's URL")
    _reason(ban)
    length = ban.add_mutually_exclusive_group()
    length.add_argument("--for", dest="duration", help="how long: 30m, 12h, 7d, 2w")
    length.add_argument("--until", help="when it ends (ISO 8601 with a zone)")
    ban.add_argument("--remove-content", action="store_true", help="remove their posts there")
    _acting(ban)
    ban.set_defaults(run=cmd_ban)
    unban = group.add_parser("unban", parents=[common], help="lift a ban")
    unban.add_argument("group")
    unban.add_argument("actor")
    _acting(unban)
    unban.set_defaults(run=cmd_unban)
    bans = group.add_parser("bans", parents=[common], help="bans in force")
    bans.add_argument("group")
    _acting(bans)
    bans.set_defaults(run=cmd_bans)

    post = commands.add_parser("post", help="moderate posts").add_subparsers(
        dest="post_command", metavar="COMMAND", parser_class=Parser
    )
    post.required = True
    for verb, helptext in (
        ("remove", "remove a post (kept for moderators)"),
        ("restore", "restore a removed post"),
        ("lock", "lock a thread: no new replies"),
        ("unlock", "unlock a thread"),
    ):
        act = post.add_parser(verb, parents=[common], help=helptext)
        act.add_argument("group")
        act.add_argument("post", help="the post's URL")
        _reason(act)
        _acting(act)
        act.set_defaults(run=cmd_post_action, verb=verb)

    purge = post.add_parser(
        "purge", parents=[common], help="erase a removed post's content for good, here"
    )
    purge.add_argument("group")
    purge.add_argument("post", help="the post's URL")
    _acting(purge)
    purge.set_defaults(run=cmd_post_purge)

    report = commands.add_parser("report", help="reports").add_subparsers(
        dest="report_command", metavar="COMMAND", parser_class=Parser
    )
    report.required = True
    rlist = report.add_parser("list", parents=[common], help="reports to handle, urgent first")
    rlist.add_argument("--state", default="open", choices=[*(s.value for s in ReportState), "all"])
    _acting(rlist)
    rlist.set_defaults(run=cmd_report_list)
    rshow = report.add_parser("show", parents=[common], help="one report with its history")
    rshow.add_argument("id", type=int)
    _acting(rshow)
    rshow.set_defaults(run=cmd_report_show)
    for verb, state in (
        ("resolve", ReportState.RESOLVED),
        ("dismiss", ReportState.DISMISSED),
        ("reopen", ReportState.OPEN),
    ):
        decide = report.add_parser(verb, parents=[common], help=f"{verb} a report")
        decide.add_argument("id", type=int)
        decide.add_argument("--note", default="", help="what was done (the reporter is told)")
        _acting(decide)
        decide.set_defaults(run=cmd_report_decide, state=state)
    file_ = report.add_parser("file", parents=[common], help="a member reports a post or account")
    file_.add_argument("account", help="the reporting member")
    file_.add_argument("target", help="the post's or the account's URL")
    file_.add_argument("--category", choices=[c.value for c in ReportCategory])
    file_.add_argument("--rules", default="", help="rule numbers broken, e.g. 1,3")
    file_.add_argument("--comment", default="")
    file_.add_argument(
        "--identify", action="store_true", help="name the reporter to the other server"
    )
    file_.set_defaults(run=cmd_report_file)
    mine = report.add_parser("mine", parents=[common], help="a member's reports and outcomes")
    mine.add_argument("account")
    mine.set_defaults(run=cmd_report_mine)

    log = commands.add_parser("modlog", parents=[common], help="a group's moderation log")
    log.add_argument("group")
    log.add_argument(
        "--limit", type=_log_limit, default=50, help=f"newest N entries (1-{MAX_LOG_LINES})"
    )
    _acting(log)
    log.set_defaults(run=cmd_modlog)
    names = group.add_parser(
        "modlog-names",
        parents=[common],
        help="whether the public moderation log names the moderators",
    )
    names.add_argument("group")
    names.add_argument("choice", choices=["hide", "show"])
    _acting(names)
    names.set_defaults(run=cmd_modlog_names)

    actor = commands.add_parser("actor", help="remote actors").add_subparsers(
        dest="actor_command", metavar="COMMAND", parser_class=Parser
    )
    actor.required = True
    suspend = actor.add_parser("suspend", parents=[common], help="cut off from the whole node")
    suspend.add_argument("actor")
    _reason(suspend)
    suspend.add_argument("--for", dest="duration", help="how long: 30m, 12h, 7d, 2w")
    _acting(suspend)
    suspend.set_defaults(run=cmd_suspend, suspend=True)
    unsuspend = actor.add_parser("unsuspend", parents=[common], help="lift a suspension")
    unsuspend.add_argument("actor")
    _acting(unsuspend)
    unsuspend.set_defaults(run=cmd_suspend, suspend=False)

    token = commands.add_parser("token", help="API bearer tokens").add_subparsers(
        dest="token_command", metavar="COMMAND", parser_class=Parser
    )
    token.required = True
    tcreate = token.add_parser("create", parents=[common], help="a token for an account")
    tcreate.add_argument("account")
    tcreate.add_argument(
        "--scopes", required=True, help='Mastodon scope names, e.g. "read write admin:read"'
    )
    tcreate.add_argument("--name", default="", help="what the token is for")
    _acting(tcreate)
    tcreate.set_defaults(run=cmd_token_create)

    accept = member.add_parser("accept-rules", parents=[common], help="accept a group's rules")
    accept.add_argument("account")
    accept.add_argument("group")
    accept.add_argument("--version", type=int, required=True, help="the version you read")
    accept.set_defaults(run=cmd_accept_rules)
    notes = member.add_parser("notifications", parents=[common], help="a member's notifications")
    notes.add_argument("account")
    notes.set_defaults(run=cmd_notifications)


def _expiry(node: Node, duration: str | None, until: str | None) -> datetime | None:
    if duration:
        return node.clock() + ban_policy.parse_duration(duration)
    if until:
        try:
            return datetime.fromisoformat(until)
        except ValueError:
            raise Invalid(f"--until {until!r} is not an ISO 8601 time") from None
    return None


async def cmd_mod_change(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        await appointments.set_moderator(
            node, client, acting, a.group, a.account, moderator=a.moderator
        )
        done = "added" if a.moderator else "removed"
        emit(
            inv,
            {"group": a.group, "account": a.account, "moderator": a.moderator},
            f"{done} {a.account} as moderator of {a.group}",
        )

    await with_client(inv, work)


async def cmd_rules_show(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        group, current = await rules.rules_of(node, inv.args.group)
        if current is None:
            emit(inv, {"group": group.name, "version": None, "rules": []}, "(no rules yet)")
            return
        emit(
            inv,
            {"group": group.name, **current.as_json()},
            f"rules of {group.name}, version {current.version}:\n" + as_plain_text(current.rules),
        )

    await with_node(inv, work)


async def cmd_rules_set(inv: Invocation) -> None:
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
        if not parsed:
            raise Invalid("no rules given")
        acting = await acting_as(node, a.as_account)
        written = await rules.set_rules(
            node, acting, a.group, parsed, needs_acceptance=a.needs_acceptance
        )
        emit(
            inv,
            {"group": a.group, **written.as_json()},
            f"{a.group}: rules version {written.version} ({len(parsed)} rules)",
        )

    await with_node(inv, work)


async def cmd_ban(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        info = await bans.ban(
            node,
            client,
            acting,
            a.group,
            a.actor,
            a.reason,
            _expiry(node, a.duration, a.until),
            remove_content=a.remove_content,
        )
        until = f" until {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""
        emit(inv, info.as_json(), f"banned {a.actor} from {a.group}{until}")

    await with_client(inv, work)


async def cmd_unban(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        await bans.unban(node, client, acting, a.group, a.actor)
        emit(
            inv,
            {"group": a.group, "actor": a.actor, "banned": False},
            f"lifted the ban on {a.actor}",
        )

    await with_client(inv, work)


async def cmd_bans(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        found = await bans.list_bans(node, acting, a.group)
        rows = [
            [b.actor_uri, f"{b.expires_at:%Y-%m-%d %H:%M}" if b.expires_at else "-", b.reason]
            for b in found
        ]
        emit(inv, [b.as_json() for b in found], table(["ACTOR", "UNTIL", "REASON"], rows))

    await with_node(inv, work)


async def cmd_post_action(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        if a.verb in ("remove", "restore"):
            await removals.set_removed(
                node, client, acting, a.group, a.post, a.reason, removed=a.verb == "remove"
            )
        else:
            await removals.set_locked(
                node, client, acting, a.group, a.post, a.reason, locked=a.verb == "lock"
            )
        done = {"remove": "removed", "restore": "restored", "lock": "locked"}.get(
            a.verb, "unlocked"
        )
        emit(inv, {"group": a.group, "post": a.post, "action": done}, f"{done} {a.post}")

    await with_client(inv, work)


async def cmd_post_purge(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        emptied = await removals.purge(node, acting, a.group, a.post)
        emit(
            inv,
            {"group": a.group, "post": a.post, "action": "purged", "activities_emptied": emptied},
            f"purged {a.post} (and its content in {emptied} stored activities)",
        )

    await with_node(inv, work)


def _report_line(r: ReportInfo) -> list[str]:
    return [
        str(r.id),
        "URGENT" if r.urgent else "",
        r.category.value,
        r.state.value,
        r.target_uri,
        r.reporter_uri or f"(someone on {r.reporter_host})",
    ]


async def cmd_report_list(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        states = list(ReportState) if a.state == "all" else [ReportState(a.state)]
        found = await decisions.list_reports(node, acting, states)
        emit(
            inv,
            [r.as_json() for r in found],
            table(
                ["ID", "", "CATEGORY", "STATE", "TARGET", "REPORTER"],
                [_report_line(r) for r in found],
            ),
        )

    await with_node(inv, work)


async def cmd_report_show(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        r = await decisions.get_report(node, acting, a.id)
        lines = [
            f"report {r.id}{' (URGENT)' if r.urgent else ''}: {r.state.value}",
            f"  about     {r.target_uri}"
            + (f" by {r.target_account_uri}" if r.target_is_post else ""),
            f"  category  {r.category.value}"
            + (f" (rules {', '.join(map(str, r.rule_numbers))})" if r.rule_numbers else ""),
            f"  reporter  {r.reporter_uri or f'someone on {r.reporter_host}'}",
            f"  comment   {r.comment or '-'}",
        ]
        if r.outcome:
            lines.append(f"  outcome   {r.outcome}")
        if r.post is not None:
            state = "deleted" if r.post.deleted else "removed" if r.post.removed else "visible"
            lines.append(f"  the post ({state}):")
            text = html_to_plain(r.post.content_html)
            shown = ([r.post.title] if r.post.title else []) + text.splitlines()
            lines += [f"    | {line}" for line in shown]
        lines += [
            f"  {e.at:%Y-%m-%d %H:%M}  {e.action}"
            + (f" by {e.actor_uri}" if e.actor_uri else "")
            + (f": {e.note}" if e.note else "")
            for e in r.history
        ]
        emit(inv, r.as_json(), "\n".join(lines))

    await with_node(inv, work)


async def cmd_report_decide(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        r = await decisions.decide(node, acting, a.id, a.state, a.note)
        emit(inv, r.as_json(), f"report {r.id} is {r.state.value}")

    await with_node(inv, work)


def _rule_numbers(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise Invalid(f"--rules takes rule numbers separated by commas, not {text!r}")
    return tuple(int(p) for p in parts)


async def cmd_report_file(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        r = await filed.file_report(
            node,
            client,
            account,
            a.target,
            category=a.category,
            rules=_rule_numbers(a.rules),
            comment=a.comment,
            identify=a.identify,
        )
        where = "sent to the other servers" if r.direction.value == "sent" else "filed here"
        emit(inv, r.as_json(), f"report {r.id} {where}")

    await with_client(inv, work)


async def cmd_report_mine(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, inv.args.account)
        found = await decisions.my_reports(node, account)
        rows = [[str(r.id), r.state.value, r.target_uri, r.outcome or ""] for r in found]
        emit(inv, [r.as_json() for r in found], table(["ID", "STATE", "TARGET", "OUTCOME"], rows))

    await with_node(inv, work)


MAX_LOG_LINES = 1000


def _log_limit(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LOG_LINES:
        raise argparse.ArgumentTypeError(f"give a whole number from 1 to {MAX_LOG_LINES}")
    return int(text)


async def cmd_modlog(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        async with node.store.session() as session:
            group = await get_group(session, a.group)
            await require_log_reader(session, acting, group)
            page = await modlog.log_page(session, group.id, Cursor(), a.limit)
        entries = [e for _, e in page.items]
        data = [
            {
                "at": e.created_at,
                "action": e.action,
                "moderator": e.moderator_uri,
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
    a = inv.args
    hidden = a.choice == "hide"

    async def work(node: Node) -> None:
        await removals.set_modlog_names_hidden(
            node, await acting_as(node, a.as_account), a.group, hidden=hidden
        )
        said = "hides" if hidden else "shows"
        emit(
            inv,
            {"group": a.group, "hide_modlog_names": hidden},
            f"the moderation log of {a.group} now {said} who moderated",
        )

    await with_node(inv, work)


async def cmd_suspend(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        if a.suspend:
            info = await suspensions.suspend(
                node, client, acting, a.actor, a.reason, _expiry(node, a.duration, None)
            )
            emit(inv, info.as_json(), f"suspended {a.actor}")
        else:
            await suspensions.unsuspend(node, acting, a.actor)
            emit(inv, {"actor": a.actor, "suspended": False}, f"lifted the suspension of {a.actor}")

    await with_client(inv, work)


async def cmd_token_create(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        issuer = await acting_as(node, a.as_account)
        secret, _ = await tokens.create_token(node, a.account, a.scopes, a.name, issuer)
        emit(
            inv,
            {"token": secret, "account": a.account, "scopes": a.scopes.split()},
            f"{secret}\n(shown once: keep it; scopes: {a.scopes})",
        )

    await with_node(inv, work)


async def cmd_accept_rules(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        await rules.accept_rules(node, a.group, node.urls.person(account.username), a.version)
        emit(
            inv,
            {"account": a.account, "group": a.group, "version": a.version},
            f"{a.account} accepted version {a.version} of the rules of {a.group}",
        )

    await with_node(inv, work)


async def cmd_notifications(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, inv.args.account)
        found = await notifications.notifications(node, account)
        emit(
            inv,
            [n.as_json() for n in found],
            "\n".join(f"{n.created_at:%Y-%m-%d %H:%M}  {n.text}" for n in found) or "(none)",
        )

    await with_node(inv, work)
