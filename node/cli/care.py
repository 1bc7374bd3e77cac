"""The care commands: a group's own words for its care and hold messages (`cove group
care-template`), and a member's choice to get care messages or not (`cove member care`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, acting_option, emit, with_node
from node.cli.group_argument import GROUP_HERE_HELP, acting_on

if TYPE_CHECKING:
    from node.runtime import Node


def add_commands(group: Any, member: Any, common: Parser) -> None:
    words = group.add_parser(
        "care-template",
        parents=[common],
        help="show or change the words of the group's care (or, --hold, hold) messages",
    )
    words.add_argument("group", help=GROUP_HERE_HELP)
    change = words.add_mutually_exclusive_group()
    change.add_argument(
        "--set", dest="text", help="the group's own words; {group} and {resources} are filled in"
    )
    change.add_argument("--reset", action="store_true", help="use Cove's own words again")
    words.add_argument(
        "--hold", action="store_true", help="the words sent when a post waits for a moderator"
    )
    acting_option(words)
    words.set_defaults(run=cmd_care_template)
    care = member.add_parser("care", parents=[common], help="get care messages, or not")
    care.add_argument("choice", choices=["on", "off"])
    care.add_argument("--as", dest="as_account", metavar="ACCOUNT", required=True)
    care.set_defaults(run=cmd_member_care)


async def cmd_care_template(inv: Invocation) -> None:
    from node.crisis.care_words import group_words

    a = inv.args

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        found = await group_words(node, acting, group, hold=a.hold, change=a.text, reset=a.reset)
        kind = "hold" if a.hold else "care"
        whose = "the group's own" if found.own else "Cove's own"
        emit(inv, found.as_json(), f"{group}'s {kind} words ({whose}):\n\n{found.in_use}")

    await with_node(inv, work)


async def cmd_member_care(inv: Invocation) -> None:
    from node.crisis.care import set_care
    from node.members import accounts

    a = inv.args

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, a.as_account)
        wanted = await set_care(node, account, a.choice == "on")
        said = "will get care messages" if wanted else "will get no care messages"
        emit(inv, {"account": account.username, "care": wanted}, f"{account.username} {said}")

    await with_node(inv, work)
