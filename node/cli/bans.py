"""The `cove` commands that keep someone out: a group's bans (`cove group ban`), the servers a
group keeps out (`cove group block-domain`), and suspensions from the whole node (`cove actor
suspend`). They act as the node operator (a node admin) unless --as names the local account
doing it, whose roles are then checked."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from node.cli.console import (
    Invocation,
    Parser,
    acting_option,
    emit,
    ends_at,
    length_options,
    reason_option,
    table,
    with_client,
    with_node,
)
from node.cli.group_argument import GROUP_HERE_HELP, acting_on

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.moderators.suspensions import Named
    from node.runtime import Node


WHO_HELP = "their URL, @user@host (looked up), or the name of a member here"
SHOWN = 200  # suspended members listed, as on the page (the actors elsewhere are all listed)


def add_commands(commands: Any, group: Any, common: Parser) -> None:
    """`cove actor`, and the ban and server commands of `cove group`."""
    ban = group.add_parser("ban", parents=[common], help="ban an actor from a group")
    ban.add_argument("group", help=GROUP_HERE_HELP)
    ban.add_argument("actor", help="the actor's URL")
    reason_option(ban)
    length_options(ban)
    ban.add_argument("--remove-content", action="store_true", help="remove their posts there")
    acting_option(ban)
    ban.set_defaults(run=cmd_ban)
    unban = group.add_parser("unban", parents=[common], help="lift a ban")
    unban.add_argument("group", help=GROUP_HERE_HELP)
    unban.add_argument("actor")
    acting_option(unban)
    unban.set_defaults(run=cmd_unban)
    bans = group.add_parser("bans", parents=[common], help="bans in force")
    bans.add_argument("group", help=GROUP_HERE_HELP)
    acting_option(bans)
    bans.set_defaults(run=cmd_bans)

    keep_out = group.add_parser(
        "block-domain", parents=[common], help="keep a server out of one group"
    )
    keep_out.add_argument("group", help=GROUP_HERE_HELP)
    keep_out.add_argument("domain")
    keep_out.add_argument("--reason", default="")
    acting_option(keep_out)
    keep_out.set_defaults(run=cmd_group_block)
    let_in = group.add_parser("unblock-domain", parents=[common], help="let a server back in")
    let_in.add_argument("group", help=GROUP_HERE_HELP)
    let_in.add_argument("domain")
    acting_option(let_in)
    let_in.set_defaults(run=cmd_group_unblock)
    kept_out = group.add_parser(
        "blocked-domains", parents=[common], help="the servers a group keeps out"
    )
    kept_out.add_argument("group", help=GROUP_HERE_HELP)
    acting_option(kept_out)
    kept_out.set_defaults(run=cmd_group_blocked)

    actor = commands.add_parser("actor", help="suspensions from the whole node").add_subparsers(
        dest="actor_command", metavar="COMMAND", parser_class=Parser
    )
    actor.required = True
    suspend = actor.add_parser("suspend", parents=[common], help="cut off from the whole node")
    suspend.add_argument("actor", help=WHO_HELP)
    reason_option(suspend)
    suspend.add_argument(
        "--for", dest="duration", help="how long: 30m, 12h, 7d, 2w (actors elsewhere)"
    )
    acting_option(suspend)
    suspend.set_defaults(run=cmd_suspend, suspend=True)
    unsuspend = actor.add_parser("unsuspend", parents=[common], help="lift a suspension")
    unsuspend.add_argument("actor", help=WHO_HELP)
    acting_option(unsuspend)
    unsuspend.set_defaults(run=cmd_suspend, suspend=False)
    suspended = actor.add_parser(
        "suspended", parents=[common], help="the members here and actors elsewhere suspended"
    )
    acting_option(suspended)
    suspended.set_defaults(run=cmd_suspended)


async def cmd_ban(inv: Invocation) -> None:
    from node.moderators import bans

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        info = await bans.ban(
            node,
            client,
            acting,
            group,
            a.actor,
            a.reason,
            ends_at(node, a.duration, a.until),
            remove_content=a.remove_content,
        )
        until = f" until {info.expires_at:%Y-%m-%d %H:%M} UTC" if info.expires_at else ""
        emit(inv, info.as_json(), f"banned {a.actor} from {group}{until}")

    await with_client(inv, work)


async def cmd_unban(inv: Invocation) -> None:
    from node.moderators import bans

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        await bans.unban(node, client, acting, group, a.actor)
        emit(
            inv,
            {"group": group, "actor": a.actor, "banned": False},
            f"lifted the ban on {a.actor}",
        )

    await with_client(inv, work)


async def cmd_bans(inv: Invocation) -> None:
    from node.moderators import bans

    a = inv.args

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        found = await bans.list_bans(node, acting, group)
        rows = [
            [b.actor_uri, f"{b.expires_at:%Y-%m-%d %H:%M}" if b.expires_at else "-", b.reason]
            for b in found
        ]
        emit(inv, [b.as_json() for b in found], table(["ACTOR", "UNTIL", "REASON"], rows))

    await with_node(inv, work)


async def cmd_group_block(inv: Invocation) -> None:
    from node.moderators import group_domain_blocks

    a = inv.args

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        info, ended = await group_domain_blocks.block_domain(
            node, acting, group, a.domain, a.reason
        )
        emit(
            inv,
            {**info.as_json(), "follows_ended": ended},
            f"{info.domain} is kept out of {info.group} ({ended} follows ended)",
        )

    await with_node(inv, work)


async def cmd_group_unblock(inv: Invocation) -> None:
    from node.moderators import group_domain_blocks

    a = inv.args

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        await group_domain_blocks.unblock_domain(node, acting, group, a.domain)
        emit(inv, {"group": group, "domain": a.domain}, f"{a.domain} may take part in {group}")

    await with_node(inv, work)


async def cmd_group_blocked(inv: Invocation) -> None:
    from node.moderators import group_domain_blocks

    a = inv.args

    async def work(node: Node) -> None:
        acting, group = await acting_on(node, a.as_account, a.group)
        found = await group_domain_blocks.blocked_domains(node, acting, group)
        emit(
            inv,
            [x.as_json() for x in found],
            table(["DOMAIN", "REASON"], [[x.domain, x.reason] for x in found]),
        )

    await with_node(inv, work)


async def cmd_suspend(inv: Invocation) -> None:
    """As the admins' suspensions page: a member here has their account suspended, an actor
    elsewhere (named by URL, or by @user@host looked up by WebFinger) is cut off."""
    from node.moderators import suspensions
    from node.moderators.roles import acting_as

    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        if not a.suspend:
            target = await suspensions.lift_named(node, client, acting, a.actor)
            said = f"the account {target.name} may sign in again" if target.local else None
            emit(
                inv,
                _target_data(node, target, False),
                said or f"lifted the suspension of {target.name}",
            )
            return
        ends = ends_at(node, a.duration, None)
        target = await suspensions.suspend_named(node, client, acting, a.actor, a.reason, ends)
        if target.ban is not None:
            emit(inv, target.ban.as_json(), f"suspended {target.name}")
            return
        emit(
            inv,
            _target_data(node, target, True),
            f"suspended the account {target.name} here: no sign-in until `cove actor unsuspend`"
            + (" (--for is for actors elsewhere)" if ends is not None else ""),
        )

    await with_client(inv, work)


async def cmd_suspended(inv: Invocation) -> None:
    """What the admins' suspensions page lists: the members here first (at most 200, as
    there), then the actors elsewhere."""
    from node.members.account_roles import accounts_page
    from node.moderators import suspensions
    from node.moderators.roles import acting_as
    from node.store.states import AccountState

    async def work(node: Node) -> None:
        acting = await acting_as(node, inv.args.as_account)
        members = await accounts_page(node, acting, size=SHOWN, state=AccountState.SUSPENDED)
        elsewhere = await suspensions.list_suspensions(node, acting)
        here = [a.username for a in members.accounts]
        rows = [[f"{name} (a member here)", "when restored", ""] for name in here]
        rows += [[b.actor_uri, _day(b.expires_at), b.reason] for b in elsewhere]
        emit(
            inv,
            {"members": here, "elsewhere": [b.as_json() for b in elsewhere]},
            table(["WHO", "ENDS", "REASON"], rows),
        )

    await with_node(inv, work)


def _day(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "never"


def _target_data(node: Node, target: Named, suspended: bool) -> dict[str, Any]:
    if not target.local:
        return {"actor": target.name, "suspended": suspended}
    return {"actor": node.urls.person(target.name), "account": target.name, "suspended": suspended}
