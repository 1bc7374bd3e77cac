"""The `cove member block|unblock|mute|unmute|blocks` commands: a member keeps a person away
(here or elsewhere), lets them back, and lists whom they block and mute."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, emit, table, with_client, with_node

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.runtime import Node

PERSON_HELP = "the person: @user@host, a member's name here, or their URL"
VERBS = {
    "block": "block a person: hidden from you, and their server is told",
    "unblock": "lift a block (their server is told)",
    "mute": "mute a person: hidden from you, and no one is told",
    "unmute": "lift a mute",
}
DONE = {"block": "blocked", "unblock": "unblocked", "mute": "muted", "unmute": "unmuted"}


def add_commands(member: Any, common: Parser) -> None:
    """The blocking commands, added to `cove member`."""
    for verb, helptext in VERBS.items():
        act = member.add_parser(verb, parents=[common], help=helptext)
        act.add_argument("account", help="the local member")
        act.add_argument("person", help=PERSON_HELP)
        act.set_defaults(run=cmd_keep_away, verb=verb)
    listed = member.add_parser("blocks", parents=[common], help="whom a member blocks or mutes")
    listed.add_argument("account", help="the local member")
    listed.set_defaults(run=cmd_blocks)


async def cmd_keep_away(inv: Invocation) -> None:
    from node.members import accounts, person_blocks

    a = inv.args
    act = {
        "block": person_blocks.block,
        "mute": person_blocks.mute,
        "unblock": person_blocks.unblock,
        "unmute": person_blocks.unmute,
    }[a.verb]

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        await act(node, client, account, a.person)
        emit(
            inv,
            {"account": account.username, "person": a.person, a.verb: True},
            f"{account.username} {DONE[a.verb]} {a.person}",
        )

    await with_client(inv, work)


async def cmd_blocks(inv: Invocation) -> None:
    from node.members import accounts, person_blocks

    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, inv.args.account)
        found = await person_blocks.blocks_of(node, account.id)
        data = [{"person": b.person_uri, "kind": b.kind, "since": b.created_at} for b in found]
        rows = [(b.kind.value, b.person_uri, f"{b.created_at:%Y-%m-%d %H:%M}") for b in found]
        emit(inv, data, table(("KIND", "PERSON", "SINCE"), rows))

    await with_node(inv, work)
