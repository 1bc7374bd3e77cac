"""The `cove` commands that moderate posts in a group: remove, restore, lock, unlock and purge
(`cove post`), pin and unpin, and who really wrote a post (`cove group author`). They act as
the node operator (a node admin) unless --as names the local account doing it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.cli.console import (
    Invocation,
    Parser,
    acting_option,
    emit,
    reason_option,
    with_client,
    with_node,
)
from node.cli.group_argument import GROUP_HERE_HELP, acting_on

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.runtime import Node


def add_commands(commands: Any, group: Any, common: Parser) -> None:
    """`cove post`, and the post commands of `cove group`."""
    for verb, helptext in (("pin", "feature a post"), ("unpin", "stop featuring a post")):
        pin = group.add_parser(verb, parents=[common], help=helptext)
        pin.add_argument("name", help=GROUP_HERE_HELP)
        pin.add_argument("post", help="the post's URL")
        pin.add_argument("--as", dest="as_account", metavar="ACCOUNT", help="act as this account")
        pin.set_defaults(run=cmd_group_pin, pinned=verb == "pin")
    author = group.add_parser(
        "author", parents=[common], help="who really wrote a post (anonymous ones too)"
    )
    author.add_argument("post", help="the post's URL")
    author.add_argument(
        "--as", dest="as_account", metavar="ACCOUNT", help="ask as this account (a moderator)"
    )
    author.set_defaults(run=cmd_group_author)

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
        act.add_argument("group", help=GROUP_HERE_HELP)
        act.add_argument("post", help="the post's URL")
        reason_option(act)
        acting_option(act)
        act.set_defaults(run=cmd_post_action, verb=verb)

    purge = post.add_parser(
        "purge", parents=[common], help="erase a removed post's content for good, here"
    )
    purge.add_argument("group", help=GROUP_HERE_HELP)
    purge.add_argument("post", help="the post's URL")
    acting_option(purge)
    purge.set_defaults(run=cmd_post_purge)


async def cmd_group_pin(inv: Invocation) -> None:
    from node.moderators import removals

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting, group = await acting_on(node, a.as_account, a.name)
        await removals.set_pinned(node, client, acting, group, a.post, pinned=a.pinned)
        emit(
            inv,
            {"group": group, "post": a.post, "pinned": a.pinned},
            f"{'pinned' if a.pinned else 'unpinned'} {a.post} in {group}",
        )

    await with_client(inv, work)


async def cmd_group_author(inv: Invocation) -> None:
    from node.groups import anonymous_posts
    from node.moderators.roles import acting_as

    async def work(node: Node) -> None:
        acting = await acting_as(node, inv.args.as_account)
        found = await anonymous_posts.author_of(node, acting, inv.args.post)
        emit(
            inv,
            found.as_json(),
            f"{found.author}" + (" (posted anonymously)" if found.anonymous else ""),
        )

    await with_node(inv, work)


async def cmd_post_action(inv: Invocation) -> None:
    from node.moderators import removals

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        if a.verb in ("remove", "restore"):
            await removals.set_removed(
                node, client, acting, group, a.post, a.reason, removed=a.verb == "remove"
            )
        else:
            await removals.set_locked(
                node, client, acting, group, a.post, a.reason, locked=a.verb == "lock"
            )
        done = {"remove": "removed", "restore": "restored", "lock": "locked"}.get(
            a.verb, "unlocked"
        )
        emit(inv, {"group": group, "post": a.post, "action": done}, f"{done} {a.post}")

    await with_client(inv, work)


async def cmd_post_purge(inv: Invocation) -> None:
    from node.moderators import removals

    a = inv.args

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        emptied = await removals.purge(node, acting, group, a.post)
        emit(
            inv,
            {"group": group, "post": a.post, "action": "purged", "activities_emptied": emptied},
            f"purged {a.post} (and its content in {emptied} stored activities)",
        )

    await with_node(inv, work)
