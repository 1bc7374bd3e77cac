"""The `cove account` and `cove token` commands: local accounts, their node roles, and the API
bearer tokens issued to them."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from moderation.roles import AccountRole
from node.cli.console import Invocation, Parser, acting_option, emit, local_handle, table, with_node

if TYPE_CHECKING:
    from node.members.accounts import AccountInfo
    from node.runtime import Node


def add_commands(commands: Any, common: Parser) -> None:
    account = commands.add_parser("account", help="local accounts").add_subparsers(
        dest="account_command", metavar="COMMAND", parser_class=Parser
    )
    account.required = True
    acreate = account.add_parser("create", parents=[common], help="create a local account")
    acreate.add_argument("name", help="username: lowercase letters, digits, _")
    acreate.add_argument(
        "--role",
        default=AccountRole.MEMBER.value,
        choices=[r.value for r in AccountRole],
        help="node role (default: member)",
    )
    acreate.add_argument("--display-name", help="the name shown to others")
    acreate.set_defaults(run=cmd_account_create)
    account.add_parser("list", parents=[common], help="list local accounts").set_defaults(
        run=cmd_account_list
    )

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
    acting_option(tcreate)
    tcreate.set_defaults(run=cmd_token_create)


async def cmd_account_create(inv: Invocation) -> None:
    from node.members import accounts

    async def work(node: Node) -> None:
        account = await accounts.create_account(
            node,
            inv.args.name,
            role=accounts.parse_role(inv.args.role),
            display_name=inv.args.display_name,
        )
        emit(
            inv,
            _account_data(node, account),
            f"created {account.role.value} account {local_handle(node, account.username)}",
        )

    await with_node(inv, work)


def _account_data(node: Node, account: AccountInfo) -> dict[str, Any]:
    data = asdict(account)
    data.pop("id")
    data.pop("actor_id")
    data["handle"] = local_handle(node, account.username)
    data["url"] = node.urls.person(account.username)
    return data


async def cmd_account_list(inv: Invocation) -> None:
    from node.members import accounts

    async def work(node: Node) -> None:
        async with node.store.session() as session:
            found = await accounts.list_accounts(session)
        rows = [[a.username, a.role.value, a.display_name] for a in found]
        emit(
            inv,
            [_account_data(node, a) for a in found],
            table(["USERNAME", "ROLE", "DISPLAY NAME"], rows),
        )

    await with_node(inv, work)


async def cmd_token_create(inv: Invocation) -> None:
    from node.members import tokens
    from node.moderators.roles import acting_as

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
