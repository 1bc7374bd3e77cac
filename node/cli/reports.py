"""The `cove report` commands: moderators list, read and decide reports (urgent first), and a
member files one and follows what became of theirs. Moderators act as the node operator (a node
admin) unless --as names the local account doing it, whose roles are then checked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from federation.errors import Invalid
from moderation.reports import ReportCategory, ReportState
from node.cli.console import Invocation, Parser, acting_option, emit, table, with_client, with_node

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.moderators.reports.info import ReportInfo
    from node.runtime import Node


def add_commands(commands: Any, common: Parser) -> None:
    report = commands.add_parser("report", help="reports").add_subparsers(
        dest="report_command", metavar="COMMAND", parser_class=Parser
    )
    report.required = True
    rlist = report.add_parser("list", parents=[common], help="reports to handle, urgent first")
    rlist.add_argument("--state", default="open", choices=[*(s.value for s in ReportState), "all"])
    acting_option(rlist)
    rlist.set_defaults(run=cmd_report_list)
    rshow = report.add_parser("show", parents=[common], help="one report with its history")
    rshow.add_argument("id", type=int)
    rshow.add_argument(
        "--text", action="store_true", help="show a crisis report's post (its reason comes first)"
    )
    acting_option(rshow)
    rshow.set_defaults(run=cmd_report_show)
    for verb, state in (
        ("resolve", ReportState.RESOLVED),
        ("dismiss", ReportState.DISMISSED),
        ("reopen", ReportState.OPEN),
    ):
        decide = report.add_parser(verb, parents=[common], help=f"{verb} a report")
        decide.add_argument("id", type=int)
        decide.add_argument("--note", default="", help="what was done (the reporter is told)")
        acting_option(decide)
        decide.set_defaults(run=cmd_report_decide, state=state)
    refer = report.add_parser(
        "refer",
        parents=[common],
        help="tell a person's home server you are worried about their safety (self-harm risk)",
    )
    refer.add_argument("id", type=int, help="a report about a person on another server")
    refer.add_argument("--comment", default="", help="added after Cove's words")
    acting_option(refer)
    refer.set_defaults(run=cmd_report_refer)
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
    from node.moderators.reports import decisions
    from node.moderators.roles import acting_as

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
    from node.moderators.reports import decisions
    from node.moderators.roles import acting_as
    from node.text import html_to_plain

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        r = (await decisions.get_report(node, acting, a.id)).guarded(a.text)
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
        if r.text_hidden:
            lines.append("  the post  (a crisis report: its text is shown with --text)")
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
    from node.moderators.reports import decisions
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        r = await decisions.decide(node, acting, a.id, a.state, a.note)
        emit(inv, r.as_json(), f"report {r.id} is {r.state.value}")

    await with_node(inv, work)


async def cmd_report_refer(inv: Invocation) -> None:
    from node.crisis import referrals
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        r = await referrals.refer(node, client, acting, a.id, a.comment)
        emit(inv, r.as_json(), f"report {r.id} referred to {r.target_account_uri}'s server")

    await with_client(inv, work)


def _rule_numbers(text: str) -> tuple[int, ...]:
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise Invalid(f"--rules takes rule numbers separated by commas, not {text!r}")
    return tuple(int(p) for p in parts)


async def cmd_report_file(inv: Invocation) -> None:
    from node.members import accounts
    from node.moderators.reports import filed

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
    from node.members import accounts
    from node.moderators.reports import decisions

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, inv.args.account)
        found = await decisions.my_reports(node, account)
        rows = [[str(r.id), r.state.value, r.target_uri, r.outcome or ""] for r in found]
        emit(inv, [r.as_json() for r in found], table(["ID", "STATE", "TARGET", "OUTCOME"], rows))

    await with_node(inv, work)
