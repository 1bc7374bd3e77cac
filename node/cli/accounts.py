"""The `cove account` and `cove token` commands: local accounts, their node roles, passwords
and sign-up requests, and the API bearer tokens issued to them. A password is read from a
prompt that does not echo, or from standard input: never from the command line, which shells
keep in their history."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from federation.errors import Invalid
from moderation.roles import AccountRole
from node.cli.console import (
    CliError,
    Invocation,
    Parser,
    acting_option,
    emit,
    local_handle,
    table,
    with_node,
)

if TYPE_CHECKING:
    from node.members.accounts import AccountInfo
    from node.runtime import Node


def add_commands(commands: Any, common: Parser) -> Any:
    """Adds `cove account` and `cove token`; returns the account family (others add to it)."""
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
    acreate.add_argument("--email", help="their email address (for password resets)")
    given = acreate.add_mutually_exclusive_group()
    given.add_argument(
        "--ask-password", action="store_true", help="ask for a password (for web sign-in)"
    )
    password_stdin_option(given)
    acreate.set_defaults(run=cmd_account_create)
    account.add_parser("list", parents=[common], help="list local accounts").set_defaults(
        run=cmd_account_list
    )
    apassword = account.add_parser("password", parents=[common], help="set a new password")
    apassword.add_argument("name")
    password_stdin_option(apassword)
    apassword.set_defaults(run=cmd_account_password)
    role = account.add_parser(
        "role", parents=[common], help="give an account a node role (organizers start groups)"
    )
    role.add_argument("name")
    role.add_argument("role", choices=[r.value for r in AccountRole])
    acting_option(role)
    role.set_defaults(run=cmd_account_role)
    requests = account.add_parser("requests", parents=[common], help="sign-ups awaiting approval")
    acting_option(requests)
    requests.set_defaults(run=cmd_account_requests)
    for verb, helptext in STAFF_MOVES.items():
        move = account.add_parser(verb, parents=[common], help=helptext)
        move.add_argument("name")
        acting_option(move)
        move.set_defaults(run=cmd_account_move, verb=verb)
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
    return account


STAFF_MOVES = {
    "confirm": "confirm a sign-up's email for them (when the node cannot send mail)",
    "approve": "let a sign-up awaiting approval in",
    "reject": "turn a sign-up down",
    "suspend": "stop an account (no web sign-in)",
    "unsuspend": "let a suspended account back in",
}


def password_stdin_option(parser: Any) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )


def read_password(from_stdin: bool) -> str:
    """A new password from standard input's first line, or typed twice at a prompt that does
    not echo it; its length is checked before anything else is done."""
    from node.members.passwords import check_length

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise Invalid("no password on standard input")
        return check_length(password)
    if not sys.stdin.isatty():
        raise Invalid("there is no terminal to ask for the password: use --password-stdin")
    password = check_length(getpass.getpass("New password: "))
    if getpass.getpass("The same again: ") != password:
        raise Invalid("the two passwords differ: nothing was changed")
    return password


async def cmd_account_create(inv: Invocation) -> None:
    from node.members import accounts
    from node.members.passwords import hash_password

    a = inv.args
    role = accounts.parse_role(a.role)

    async def work(node: Node) -> None:
        hashed = None
        if a.ask_password or a.password_stdin:
            password = await asyncio.to_thread(read_password, a.password_stdin)
            hashed = await hash_password(node, password)
        account = await accounts.create_account(
            node,
            a.name,
            role=role,
            display_name=a.display_name,
            email=a.email,
            password_hash=hashed,
        )
        emit(
            inv,
            _account_data(node, account),
            f"created {account.role.value} account {local_handle(node, account.username)}",
        )

    await with_node(inv, work)


async def cmd_account_password(inv: Invocation) -> None:
    from node.members.accounts import get_account_by_name
    from node.members.passwords import set_password

    async def work(node: Node) -> None:
        account = await get_account_by_name(node, inv.args.name)
        # Asked once the node is known to be this one, and the account to exist.
        password = await asyncio.to_thread(read_password, inv.args.password_stdin)
        await set_password(node, account.id, password)
        emit(
            inv,
            {"account": account.username, "password_set": True},
            f"new password set for {account.username}; their web sessions have ended",
        )

    await with_node(inv, work)


async def cmd_account_move(inv: Invocation) -> None:
    from node.members import approvals
    from node.moderators.roles import acting_as

    a = inv.args
    moves = {
        "confirm": approvals.confirm_account,
        "reject": approvals.reject_account,
        "suspend": approvals.suspend_account,
        "unsuspend": approvals.unsuspend_account,
    }

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        if a.verb == "approve":
            account = await approvals.approve_account(node, acting, a.name, node.mailer)
        else:
            account = await moves[a.verb](node, acting, a.name)
        state = account.state.value.replace("_", " ")
        emit(inv, _account_data(node, account), f"{account.username} is now {state}")

    await with_node(inv, work)


async def cmd_account_role(inv: Invocation) -> None:
    from node.members import accounts
    from node.members.account_roles import set_role
    from node.moderators.roles import acting_as

    a = inv.args
    role = accounts.parse_role(a.role)

    async def work(node: Node) -> None:
        account = await set_role(node, await acting_as(node, a.as_account), a.name, role)
        emit(inv, _account_data(node, account), f"{account.username} is now {account.role.value}")

    await with_node(inv, work)


async def cmd_account_requests(inv: Invocation) -> None:
    from node.members.approvals import account_requests
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        found = await account_requests(node, await acting_as(node, inv.args.as_account))
        rows = [
            [r.username, r.email or "", r.created_at.strftime("%Y-%m-%d"), r.reason or ""]
            for r in found
        ]
        emit(
            inv,
            [asdict(r) for r in found],
            table(["USERNAME", "EMAIL", "SIGNED UP", "REASON"], rows),
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

    async def work(node: Node) -> None:
        if not a.yes:  # once the node is open: another origin's refusal comes first
            raise Invalid(
                f"deleting {a.name} cannot be undone: their posts go, their name stays taken;"
                " add --yes to confirm"
            )
        account = await accounts.get_account_by_name(node, a.name)
        await deletion.delete_account(node, account.id)
        emit(
            inv,
            {"account": account.username, "deleted": True},
            f"deleted {local_handle(node, account.username)}; servers that know them are told",
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
