"""`cove account profile`: what a member says about themselves (display name, bio, whether
directories list them, the language the node speaks to them), read or changed as the settings
page changes it. A member changes their own (--as themselves); the operator anyone's."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, acting_option, emit, local_handle, with_node

if TYPE_CHECKING:
    from node.members.accounts import AccountInfo
    from node.runtime import Node


def add_commands(account: Any, common: Parser) -> None:
    profile = account.add_parser(
        "profile", parents=[common], help="show or change a member's profile"
    )
    profile.add_argument("name", help="the account's username")
    profile.add_argument("--display-name", help='the name shown to others ("": their username)')
    profile.add_argument("--summary", help='their bio ("" takes it off)')
    listed = profile.add_mutually_exclusive_group()
    listed.add_argument(
        "--discoverable",
        dest="discoverable",
        action="store_true",
        default=None,
        help="directories and searches may list them",
    )
    listed.add_argument(
        "--not-discoverable",
        dest="discoverable",
        action="store_false",
        help="directories and searches leave them out",
    )
    profile.add_argument(
        "--language", help='the language of their pages and care messages: en, es ("": as asked)'
    )
    acting_option(profile)
    profile.set_defaults(run=cmd_account_profile)


def _changes(args: Any) -> dict[str, Any]:
    """The options given: a field left out keeps its value; an empty language is the
    browser's, as on the settings page."""
    given = {
        "display_name": args.display_name,
        "summary": args.summary,
        "discoverable": args.discoverable,
        "language": args.language,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if "language" in changes:
        changes["language"] = changes["language"].strip() or None
    return changes


def _shown(node: Node, account: AccountInfo) -> tuple[dict[str, Any], str]:
    data = {
        "account": account.username,
        "handle": local_handle(node, account.username),
        "display_name": account.display_name,
        "summary": account.summary,
        "discoverable": account.discoverable,
        "language": account.language,
    }
    human = "\n".join(
        [
            local_handle(node, account.username),
            f"display name: {account.display_name}",
            f"discoverable: {'yes' if account.discoverable else 'no'}",
            f"language:     {account.language or 'as their browser asks'}",
            "bio:" + (f"\n{account.summary}" if account.summary else " (none)"),
        ]
    )
    return data, human


async def cmd_account_profile(inv: Invocation) -> None:
    from node.members import profiles
    from node.members.accounts import get_account_by_name
    from node.moderators.roles import acting_as, require_own_account

    a = inv.args
    changes = _changes(a)

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        account = await get_account_by_name(node, a.name)
        require_own_account(acting, account)
        if changes:
            now = profiles.Profile(
                account.display_name, account.summary, account.discoverable, account.language
            )
            account = await profiles.update_profile(node, account.id, replace(now, **changes))
        emit(inv, *_shown(node, account))

    await with_node(inv, work)
