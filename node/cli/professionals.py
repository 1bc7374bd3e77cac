"""The `cove` commands for verified professionals: their credentials (`cove member credential`,
node admins), their notes on posts (`cove member note`), a post's replies with the notes first
(`cove member replies`), and whether a group pages its professionals (`cove group set-paging`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from node.cli.console import (
    Invocation,
    Parser,
    acting_option,
    emit,
    table,
    with_client,
    with_node,
)
from node.cli.group_argument import GROUP_HERE_HELP, acting_on

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.crisis.professionals import CredentialInfo
    from node.runtime import Node

MOMENT_HELP = "YYYY-MM-DD (midnight UTC) or a time with its zone"


def add_commands(member: Any, group: Any, common: Parser) -> None:
    """`cove member credential|note|replies` and `cove group set-paging`."""
    credential = member.add_parser(
        "credential", help="members' professional credentials (node admins)"
    ).add_subparsers(dest="credential_command", metavar="COMMAND", parser_class=Parser)
    credential.required = True
    add = credential.add_parser("add", parents=[common], help="record a checked credential")
    add.add_argument("account", help="the local member")
    add.add_argument("--title", required=True, help='what: "Registered mental health nurse"')
    add.add_argument("--checked-by", required=True, help="who checked it, and how")
    add.add_argument("--checked-at", help=f"when it was checked (default: now): {MOMENT_HELP}")
    add.add_argument("--expires", help=f"when it lapses (default: never): {MOMENT_HELP}")
    acting_option(add)
    add.set_defaults(run=cmd_credential_add)
    listing = credential.add_parser("list", parents=[common], help="credentials recorded here")
    listing.add_argument("account", nargs="?", help="one member's only")
    listing.set_defaults(run=cmd_credential_list)
    revoke = credential.add_parser("revoke", parents=[common], help="revoke a credential")
    revoke.add_argument("id", type=_credential_id, help="the credential's number (see list)")
    acting_option(revoke)
    revoke.set_defaults(run=cmd_credential_revoke)

    note = member.add_parser(
        "note", parents=[common], help="a verified professional's note on a post"
    )
    note.add_argument("post", help="the post's URL")
    note.add_argument("--text", required=True)
    note.add_argument(
        "--as", dest="as_account", metavar="ACCOUNT", required=True, help="the professional"
    )
    note.set_defaults(run=cmd_note)
    replies = member.add_parser(
        "replies", parents=[common], help="a post's replies, professionals' notes first"
    )
    replies.add_argument("post", help="the post's URL")
    replies.set_defaults(run=cmd_replies)

    paging = group.add_parser(
        "set-paging", parents=[common], help="page the group's professionals on acute items"
    )
    paging.add_argument("name", help=GROUP_HERE_HELP)
    paging.add_argument("choice", choices=["on", "off"])
    acting_option(paging)
    paging.set_defaults(run=cmd_set_paging)


def _credential_id(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError("give the credential's number (see credential list)")
    return int(text)


def _data(node: Node, found: CredentialInfo) -> dict[str, Any]:
    return {
        "id": found.id,
        "account": found.account,
        "title": found.title,
        "checked_by": found.checked_by,
        "checked_at": found.checked_at,
        "expires_at": found.expires_at,
        "revoked_at": found.revoked_at,
        "state": found.state(node.clock()),
    }


async def cmd_credential_add(inv: Invocation) -> None:
    from node.crisis import professionals
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        new = professionals.parse_credential(
            a.title, a.checked_by, a.checked_at, a.expires, node.clock()
        )
        acting = await acting_as(node, a.as_account)
        added = await professionals.add_credential(node, acting, a.account, new)
        emit(
            inv,
            _data(node, added),
            f"credential {added.id}: {added.account} is a verified {added.title}",
        )

    await with_node(inv, work)


async def cmd_credential_list(inv: Invocation) -> None:
    from node.crisis import professionals

    async def work(node: Node) -> None:
        found = [_data(node, c) for c in await professionals.credentials(node, inv.args.account)]
        rows = [
            [
                str(c["id"]),
                c["account"],
                c["title"],
                c["checked_by"],
                f"{c['checked_at']:%Y-%m-%d}",
                f"{c['expires_at']:%Y-%m-%d}" if c["expires_at"] else "-",
                c["state"],
            ]
            for c in found
        ]
        headers = ["ID", "ACCOUNT", "TITLE", "CHECKED BY", "CHECKED", "EXPIRES", "STATE"]
        emit(inv, found, table(headers, rows))

    await with_node(inv, work)


async def cmd_credential_revoke(inv: Invocation) -> None:
    from node.crisis import professionals
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        revoked = await professionals.revoke_credential(node, acting, a.id)
        emit(inv, _data(node, revoked), f"revoked credential {revoked.id} of {revoked.account}")

    await with_node(inv, work)


async def cmd_note(inv: Invocation) -> None:
    from node.crisis import notes
    from node.members import accounts

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.as_account)
        note = await notes.add_note(node, client, account, a.post, a.text)
        emit(inv, {"post": note, "in_reply_to": a.post}, f"noted {note}")

    await with_client(inv, work)


async def cmd_replies(inv: Invocation) -> None:
    from node.crisis import professionals

    async def work(node: Node) -> None:
        found = await professionals.replies(node, inv.args.post.strip())
        data = [
            {
                "post": p.uri,
                "author": p.group_uri if p.anonymous else p.author_uri,
                "professional_note": p.professional_note,
                "content_html": p.content_html,
                "published": p.published,
            }
            for p in found
        ]
        rows = [
            [f"{p.published:%Y-%m-%d %H:%M}", "note" if p.professional_note else "", p.uri]
            for p in found
        ]
        emit(inv, data, table(["WHEN", "PROFESSIONAL", "REPLY"], rows))

    await with_node(inv, work)


async def cmd_set_paging(inv: Invocation) -> None:
    from node.crisis import professionals

    a = inv.args
    on = a.choice == "on"

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.name)
        await professionals.set_paging(node, acting, group, on=on)
        said = "pages" if on else "does not page"
        emit(
            inv,
            {"group": group, "page_professionals": on},
            f"{group} now {said} its verified professionals on acute items",
        )

    await with_node(inv, work)
