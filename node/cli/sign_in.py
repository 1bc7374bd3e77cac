"""Signing up and in, from the console: invite links (`cove invite`), the node's own rules
(`cove node-rules`), and helping a person locked out (`cove account sessions`, `cove account
two-factor off`)."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, acting_option, emit, table, with_node

if TYPE_CHECKING:
    from node.runtime import Node


def add_commands(commands: Any, account: Any, common: Parser) -> None:
    invite = commands.add_parser("invite", help="invite links to sign up").add_subparsers(
        dest="invite_command", metavar="COMMAND", parser_class=Parser
    )
    invite.required = True
    icreate = invite.add_parser("create", parents=[common], help="a new invite link")
    icreate.add_argument("--uses", type=int, help="how many may sign up with it (default: any)")
    icreate.add_argument("--days", type=int, help="how many days it works (default: no end)")
    acting_option(icreate)
    icreate.set_defaults(run=cmd_invite_create)
    ilist = invite.add_parser("list", parents=[common], help="every invite link")
    acting_option(ilist)
    ilist.set_defaults(run=cmd_invite_list)
    irevoke = invite.add_parser("revoke", parents=[common], help="withdraw an invite link")
    irevoke.add_argument("code")
    acting_option(irevoke)
    irevoke.set_defaults(run=cmd_invite_revoke)

    rules = commands.add_parser(
        "node-rules", help="the node's own rules, agreed to at sign-up"
    ).add_subparsers(dest="rules_command", metavar="COMMAND", parser_class=Parser)
    rules.required = True
    radd = rules.add_parser("add", parents=[common], help="add a rule")
    radd.add_argument("text")
    acting_option(radd)
    radd.set_defaults(run=cmd_rules_add)
    rules.add_parser("list", parents=[common], help="the rules in force").set_defaults(
        run=cmd_rules_list
    )
    rremove = rules.add_parser("remove", parents=[common], help="remove a rule")
    rremove.add_argument("id", type=int)
    acting_option(rremove)
    rremove.set_defaults(run=cmd_rules_remove)

    sessions = account.add_parser("sessions", parents=[common], help="an account's web sessions")
    sessions.add_argument("name")
    ending = sessions.add_mutually_exclusive_group()
    ending.add_argument("--end-all", action="store_true", help="sign them out everywhere")
    ending.add_argument(
        "--end", type=int, metavar="ID", help="sign out one session (its ID from the list)"
    )
    acting_option(sessions)
    sessions.set_defaults(run=cmd_account_sessions)
    two_factor = account.add_parser(
        "two-factor", parents=[common], help="turn someone's two-factor sign-in off"
    )
    two_factor.add_argument("setting", choices=["off"])
    two_factor.add_argument("name")
    acting_option(two_factor)
    two_factor.set_defaults(run=cmd_two_factor_off)


def _when(moment: Any) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


async def cmd_invite_create(inv: Invocation) -> None:
    from node.members.invites import create_invite
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        made = await create_invite(node, await acting_as(node, a.as_account), a.uses, a.days)
        emit(
            inv,
            asdict(made),
            f"{made.url}\n(code {made.code}; `cove invite revoke {made.code}` ends it)",
        )

    await with_node(inv, work)


async def cmd_invite_list(inv: Invocation) -> None:
    from node.members.invites import list_invites
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        found = await list_invites(node, await acting_as(node, inv.args.as_account))
        rows = [
            [
                i.code,
                f"{i.uses}/{i.max_uses if i.max_uses is not None else '-'}",
                _when(i.expires_at),
                "withdrawn" if i.revoked_at else "",
                i.created_by or "operator",
            ]
            for i in found
        ]
        emit(inv, [asdict(i) for i in found], table(["CODE", "USES", "ENDS", "", "BY"], rows))

    await with_node(inv, work)


async def cmd_invite_revoke(inv: Invocation) -> None:
    from node.members.invites import revoke_invite
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        acting = await acting_as(node, inv.args.as_account)
        withdrawn = await revoke_invite(node, acting, inv.args.code)
        emit(inv, asdict(withdrawn), f"invite {withdrawn.code} withdrawn")

    await with_node(inv, work)


async def cmd_rules_add(inv: Invocation) -> None:
    from node.members.node_rules import add_node_rule
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        acting = await acting_as(node, inv.args.as_account)
        rule = await add_node_rule(node, acting, inv.args.text)
        emit(inv, asdict(rule), f"rule {rule.id} added")

    await with_node(inv, work)


async def cmd_rules_list(inv: Invocation) -> None:
    from node.members.node_rules import node_rules

    async def work(node: Node) -> None:
        found = await node_rules(node)
        emit(
            inv,
            [asdict(r) for r in found],
            table(["ID", "RULE"], [[str(r.id), r.text] for r in found]),
        )

    await with_node(inv, work)


async def cmd_rules_remove(inv: Invocation) -> None:
    from node.members.node_rules import remove_node_rule
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        acting = await acting_as(node, inv.args.as_account)
        rule = await remove_node_rule(node, acting, inv.args.id)
        emit(inv, asdict(rule), f"rule {rule.id} removed")

    await with_node(inv, work)


async def cmd_account_sessions(inv: Invocation) -> None:
    from node.members.accounts import get_account_by_name
    from node.members.web_sessions import end_other_sessions, end_session, list_sessions
    from node.moderators.roles import acting_as, require_own_account

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        account = await get_account_by_name(node, a.name)
        require_own_account(acting, account)
        if a.end_all:
            ended = await end_other_sessions(node, account.id, None)
            emit(inv, {"ended": ended}, f"{ended} web sessions of {account.username} ended")
            return
        if a.end is not None:
            await end_session(node, account.id, a.end)
            emit(
                inv, {"ended": 1, "session": a.end}, f"session {a.end} of {account.username} ended"
            )
            return
        found = await list_sessions(node, account.id)
        data = [
            {
                "id": s.id,
                "created_at": s.created_at,
                "last_seen_at": s.last_seen_at,
                "ip": s.ip,
                "user_agent": s.user_agent,
            }
            for s in found
        ]
        rows = [
            [str(s.id), _when(s.created_at), _when(s.last_seen_at), s.ip, s.user_agent[:40]]
            for s in found
        ]
        emit(inv, data, table(["ID", "SINCE", "LAST SEEN", "ADDRESS", "BROWSER"], rows))

    await with_node(inv, work)


async def cmd_two_factor_off(inv: Invocation) -> None:
    from node.members.two_factor import turn_off_two_factor
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        acting = await acting_as(node, inv.args.as_account)
        account = await turn_off_two_factor(node, acting, inv.args.name)
        emit(
            inv,
            {"account": account.username, "two_factor": account.two_factor},
            f"two-factor sign-in is off for {account.username}: they sign in with their"
            " password, and can turn it on again",
        )

    await with_node(inv, work)
