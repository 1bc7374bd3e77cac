"""The `cove` commands of crisis care that people run day to day: going on and off duty
(`cove mod duty`), the webhooks that page organizers, held posts and their release
(`cove safety ...`), and whether a group holds acute posts (`cove group hold`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, acting_option, emit, table, with_client, with_node
from node.cli.group_argument import GROUP_HERE_HELP, acting_on, local_group

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.runtime import Node


def add_commands(commands: Any, safety: Any, group: Any, common: Parser) -> None:
    mod = commands.add_parser("mod", help="moderators' own settings").add_subparsers(
        dest="mod_own_command", metavar="COMMAND", parser_class=Parser
    )
    mod.required = True
    duty = mod.add_parser("duty", parents=[common], help="go on or off duty, or see who is on")
    duty.add_argument("state", choices=["on", "off", "list"])
    duty.add_argument(
        "--group", help=f"a group you moderate ({GROUP_HERE_HELP}); default: the node"
    )
    acting_option(duty)
    duty.set_defaults(run=cmd_duty)

    hooks = safety.add_parser("webhook", help="webhooks paged on acute items").add_subparsers(
        dest="webhook_command", metavar="COMMAND", parser_class=Parser
    )
    hooks.required = True
    for verb, helptext in (
        ("add", "page a URL (signed with a new secret)"),
        ("list", "the webhooks, what waits and the last error"),
        ("remove", "stop paging a webhook"),
    ):
        parser = hooks.add_parser(verb, parents=[common], help=helptext)
        parser.add_argument("--group", help="a group's webhook (default: the node's)")
        acting_option(parser)
        parser.set_defaults(run=cmd_webhook, verb=verb)
    hooks.choices["add"].add_argument("url")
    hooks.choices["remove"].add_argument("id", type=int)

    held = safety.add_parser("held", parents=[common], help="posts a group holds for review")
    held.add_argument("group", help=GROUP_HERE_HELP)
    acting_option(held)
    held.set_defaults(run=cmd_held)
    release = safety.add_parser("release", parents=[common], help="release a held post")
    release.add_argument("post", help="the post's id (URL)")
    release.add_argument(
        "--with-resources",
        action="store_true",
        help="the group replies under it with crisis resources",
    )
    acting_option(release)
    release.set_defaults(run=cmd_release)

    hold = group.add_parser("hold", parents=[common], help="hold acute posts for a moderator")
    hold.add_argument("group", help=GROUP_HERE_HELP)
    hold.add_argument("choice", choices=["on", "off"])
    acting_option(hold)
    hold.set_defaults(run=cmd_group_hold)


async def cmd_duty(inv: Invocation) -> None:
    from node.crisis import duty
    from node.groups.groups import get_group
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        group = None
        if a.group is not None:
            async with node.store.session() as session:
                group = await get_group(session, local_group(node, a.group))
        where = group.name if group else "the node"
        if a.state == "list":
            roster = await duty.duty_roster(node, acting, group)
            rows = [[d.username, "on" if d.on else "off", d.changed_at.isoformat()] for d in roster]
            human = table(["account", "duty", "since"], rows) if rows else f"no one for {where}"
            emit(inv, [{"account": d.username, "on": d.on} for d in roster], human)
            return
        info = await duty.set_duty(node, acting, group, a.state == "on")
        emit(
            inv,
            {"account": info.username, "group": info.group, "on": info.on},
            f"{info.username} is {'on' if info.on else 'off'} duty for {where}",
        )

    await with_node(inv, work)


async def cmd_webhook(inv: Invocation) -> None:
    from node.crisis import webhooks
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node) -> None:
        acting = await acting_as(node, a.as_account)
        name = local_group(node, a.group) if a.group else None
        scope = await webhooks.scope_for(node, acting, name)
        where = name or "the node"
        if a.verb == "add":
            hook = await webhooks.add_webhook(node, scope, a.url)
            emit(
                inv,
                {"id": hook.id, "url": hook.url, "secret": hook.secret},
                f"webhook {hook.id} pages {hook.url} for {where}\n"
                f"secret (shown once; check X-Cove-Signature with it): {hook.secret}",
            )
        elif a.verb == "remove":
            await webhooks.remove_webhook(node, scope, a.id)
            emit(inv, {"id": a.id, "removed": True}, f"webhook {a.id} removed")
        else:
            hooks = await webhooks.list_webhooks(node, scope)
            rows = [
                [str(h.id), h.url, str(h.pending), str(h.failed), h.last_error or "-"]
                for h in hooks
            ]
            data = [
                {"id": h.id, "url": h.url, "pending": h.pending, "failed": h.failed,
                 "last_error": h.last_error}
                for h in hooks
            ]  # fmt: skip
            headers = ["id", "url", "waiting", "failed", "last error"]
            emit(inv, data, table(headers, rows) if rows else f"no webhooks for {where}")

    await with_node(inv, work)


async def cmd_held(inv: Invocation) -> None:
    from node.crisis import holds
    from node.groups.groups import get_group

    a = inv.args

    async def work(node: Node) -> None:
        acting, name = await acting_on(node, a.as_account, a.group)
        async with node.store.session() as session:
            group = await get_group(session, name)
        held = await holds.held_posts(node, acting, group)
        rows = [[h.uri, str(h.report_id or "-"), ", ".join(h.reasons)] for h in held]
        data = [{"post": h.uri, "report_id": h.report_id, "reasons": list(h.reasons)} for h in held]
        emit(inv, data, table(["post", "report", "why"], rows) if rows else "nothing is held")

    await with_node(inv, work)


async def cmd_release(inv: Invocation) -> None:
    from node.crisis import holds
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        done = await holds.release(node, client, acting, a.post, with_resources=a.with_resources)
        said = f" with a resource reply ({done.reply_uri})" if done.reply_uri else ""
        emit(
            inv,
            {"post": done.post_uri, "group": done.group, "reply": done.reply_uri},
            f"released {done.post_uri} in {done.group}{said}",
        )

    await with_client(inv, work)


async def cmd_group_hold(inv: Invocation) -> None:
    from node.crisis import holds

    a = inv.args

    async def work(node: Node) -> None:
        acting, name = await acting_on(node, a.as_account, a.group)
        await holds.set_hold(node, acting, name, a.choice == "on")
        said = (
            "now holds acute posts for a moderator"
            if a.choice == "on"
            else "no longer holds acute posts"
        )
        emit(inv, {"group": name, "hold_acute": a.choice == "on"}, f"{name} {said}")

    await with_node(inv, work)
