"""The `cove account` and `cove token` commands: local accounts, their node roles, and the API
bearer tokens issued to them."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moderation.roles import AccountRole
from node.cli.console import (
    CliError,
    Invocation,
    Parser,
    acting_option,
    emit,
    local_handle,
    table,
    with_client,
    with_node,
)

if TYPE_CHECKING:
    from federation.client import FederationClient
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
    export = account.add_parser("export", parents=[common], help="a member's own data, as JSON")
    export.add_argument("name", help="the account's username")
    export.add_argument("--out", type=Path, help="write it to this file (default: print it)")
    export.set_defaults(run=cmd_account_export)
    remove = account.add_parser(
        "delete", parents=[common], help="delete an account for good (its name stays taken)"
    )
    remove.add_argument("name", help="the account's username")
    remove.add_argument("--yes", action="store_true", help="confirm: this cannot be undone")
    remove.set_defaults(run=cmd_account_delete)

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


async def cmd_account_export(inv: Invocation) -> None:
    from node.members import accounts, export

    a = inv.args

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, a.name)
        data = await export.export_account(node, account.id)
        text = json.dumps(data, indent=2, ensure_ascii=False)
        if a.out is None:
            print(text)
            return
        try:
            # Only its owner may read it: it holds everything they wrote, anonymous posts too.
            a.out.touch(mode=0o600, exist_ok=False)
            a.out.write_text(text + "\n", encoding="utf-8")
        except OSError as e:
            raise CliError(f"cannot write {a.out}: {e.strerror or e}") from None
        summary = {"account": account.username, "file": str(a.out), "posts": len(data["posts"])}
        emit(inv, summary, f"wrote the data of {account.username} to {a.out}")

    await with_node(inv, work)


async def cmd_account_delete(inv: Invocation) -> None:
    from federation.errors import Invalid
    from node.members import accounts, deletion

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        if not a.yes:  # once the node is open: another origin's refusal comes first
            raise Invalid(
                f"deleting {a.name} cannot be undone: their posts go, their name stays taken;"
                " add --yes to confirm"
            )
        account = await accounts.get_account_by_name(node, a.name)
        await deletion.delete_account(node, client, account.id)
        emit(
            inv,
            {"account": account.username, "deleted": True},
            f"deleted {local_handle(node, account.username)}; servers that know them are told",
        )

    await with_client(inv, work)


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
