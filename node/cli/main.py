"""The `cove` command: set up, serve, migrate, and manage groups and accounts.

Human output by default, `--json` for scripts; every failure is one line on stderr and a
non-zero exit code (chosen in `exit_code`, the only place errors become codes).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.exc import DBAPIError, OperationalError

from federation.client import FederationClient
from federation.errors import Conflict, CoveError, Invalid, NotFound
from node import __version__
from node.actors.instance import ensure_instance
from node.cli.blocks import add_blocks_commands
from node.cli.console import (
    CliError,
    Invocation,
    Parser,
    emit,
    node_config,
    redacted,
    require_current_schema,
    table,
    with_client,
    with_node,
)
from node.cli.moderation import add_moderation_commands
from node.config import default_config_text
from node.domain_policy import mode
from node.groups import anonymous_posts, groups, membership
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators import removals
from node.moderators.roles import acting_as
from node.queue import delivery
from node.queue.workers import Workers
from node.runtime import Node, open_node
from node.store import migrate
from node.store.states import AccountRole, PostingPolicy

DEFAULT_CONFIG = "cove.toml"
DEMO_GROUP = NewGroup(
    name="demo",
    title="Demo support group",
    summary=(
        "A place to try Cove. Follow this group from Mastodon, Lemmy or another Cove node,"
        " mention it in a public post, and the group shares your post with its members.\n\n"
        "Be kind. Nothing here replaces professional or emergency help."
    ),
    posting_policy=PostingPolicy.MEMBERS,
)


def build_parser() -> Parser:
    common = Parser(add_help=False)
    common.add_argument(
        "--config",
        default=argparse.SUPPRESS,
        help=f"config file (default: $COVE_CONFIG or {DEFAULT_CONFIG})",
    )
    common.add_argument(
        "--json", action="store_true", default=argparse.SUPPRESS, help="machine-readable output"
    )
    parser = Parser(prog="cove", description="Run and manage a Cove node.", parents=[common])
    parser.add_argument("--version", action="version", version=f"cove {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    commands.required = True

    init = commands.add_parser(
        "init", parents=[common], help="write a config if none, migrate, create the node"
    )
    init.add_argument("--no-demo", action="store_true", help="do not create the demo group")
    init.set_defaults(run=cmd_init)

    serve = commands.add_parser("serve", parents=[common], help="serve the node over HTTP")
    serve.add_argument(
        "--no-workers",
        action="store_true",
        help="web only: leave inbox processing and delivery to `cove worker` processes",
    )
    serve.set_defaults(run=cmd_serve)
    worker = commands.add_parser(
        "worker", parents=[common], help="apply received activities and deliver, without HTTP"
    )
    worker.set_defaults(run=cmd_worker)
    queue = commands.add_parser("queue", help="the inbox and delivery queues").add_subparsers(
        dest="queue_command", metavar="COMMAND", parser_class=Parser
    )
    queue.required = True
    queue.add_parser("status", parents=[common], help="queue figures").set_defaults(
        run=cmd_queue_status
    )

    db = commands.add_parser("db", help="database migrations").add_subparsers(
        dest="db_command", metavar="COMMAND", parser_class=Parser
    )
    db.required = True
    db.add_parser("upgrade", parents=[common], help="migrate to the newest schema").set_defaults(
        run=cmd_db_upgrade
    )
    db.add_parser("status", parents=[common], help="show the schema revision").set_defaults(
        run=cmd_db_status
    )

    group = commands.add_parser("group", help="community groups").add_subparsers(
        dest="group_command", metavar="COMMAND", parser_class=Parser
    )
    group.required = True
    create = group.add_parser("create", parents=[common], help="create a group")
    create.add_argument("name", help="the group's handle: lowercase letters, digits, _")
    create.add_argument("--title", required=True, help="the group's display name")
    create.add_argument("--summary", default="", help="what the group is for (plain text)")
    create.add_argument(
        "--posting",
        default=PostingPolicy.MEMBERS.value,
        choices=[p.value for p in PostingPolicy],
        help="who may post (default: members)",
    )
    create.add_argument(
        "--approve-members", action="store_true", help="moderators approve each join request"
    )
    create.add_argument(
        "--members-only",
        action="store_true",
        help="posts visible to members only (implies --approve-members)",
    )
    create.add_argument(
        "--discoverable", action="store_true", help="let directories and search list the group"
    )
    create.add_argument("--owner", help="username of the local account that owns the group")
    create.set_defaults(run=cmd_group_create)
    group.add_parser("list", parents=[common], help="list groups").set_defaults(run=cmd_group_list)
    show = group.add_parser("show", parents=[common], help="show one group")
    show.add_argument("name")
    show.set_defaults(run=cmd_group_show)

    for verb, helptext in (
        ("approve", "accept a pending request to join"),
        ("reject", "refuse a pending request to join"),
    ):
        decide = group.add_parser(verb, parents=[common], help=helptext)
        decide.add_argument("name", help="the group")
        decide.add_argument("actor", help="the actor URL that asked to join")
        decide.set_defaults(run=cmd_group_decide, approve=verb == "approve")
    pending = group.add_parser("pending", parents=[common], help="list pending requests to join")
    pending.add_argument("name")
    pending.set_defaults(run=cmd_group_pending)
    for verb, helptext in (("pin", "feature a post"), ("unpin", "stop featuring a post")):
        pin = group.add_parser(verb, parents=[common], help=helptext)
        pin.add_argument("name", help="the group")
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

    member = commands.add_parser(
        "member", help="act as a local member in groups here or elsewhere"
    ).add_subparsers(dest="member_command", metavar="COMMAND", parser_class=Parser)
    member.required = True
    join = member.add_parser("join", parents=[common], help="join (follow) a group")
    join.add_argument("account", help="the local member")
    join.add_argument("group", help="@name@host or the group's URL")
    join.add_argument(
        "--accept-rules",
        action="store_true",
        help="accept the group's rules (read them first: cove group rules show)",
    )
    join.set_defaults(run=cmd_member_join)
    post = member.add_parser("post", parents=[common], help="post or reply into a group")
    post.add_argument("account")
    post.add_argument("group", help="the group's URL")
    post.add_argument("--text", required=True)
    post.add_argument("--title", help="a title starts a thread")
    post.add_argument("--reply-to", help="URL of the post this replies to")
    post.add_argument(
        "--anonymous", action="store_true", help="show the group as author (groups here)"
    )
    post.set_defaults(run=cmd_member_post)
    edit = member.add_parser("edit", parents=[common], help="edit one of your posts")
    edit.add_argument("account")
    edit.add_argument("post", help="the post's URL")
    edit.add_argument("--text", required=True)
    edit.set_defaults(run=cmd_member_edit)
    for verb, helptext in (("delete", "delete one of your posts"), ("like", "like a post")):
        act = member.add_parser(verb, parents=[common], help=helptext)
        act.add_argument("account")
        act.add_argument("post", help="the post's URL")
        act.set_defaults(run=cmd_member_act, verb=verb)
    feed = member.add_parser("feed", parents=[common], help="posts of the member's groups")
    feed.add_argument("account")
    feed.set_defaults(run=cmd_member_feed)

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
    add_moderation_commands(commands, group, member, common)
    add_blocks_commands(commands, group, common)
    return parser


# Commands ------------------------------------------------------------------------------------


async def cmd_init(inv: Invocation) -> None:
    steps: dict[str, Any] = {}
    if not inv.config_path.exists():
        inv.config_path.write_text(default_config_text(), encoding="utf-8")
        steps["config_written"] = str(inv.config_path)
    config = node_config(inv)
    node = open_node(config)
    try:
        # Migrating first is safe whatever the base URL (as `cove db upgrade` is), and the
        # instance table must exist to be read. Then the first init pins the base URL, and a
        # later one with another refuses before it adds anything (the demo group).
        await migrate.upgrade(node.store)
        steps["database"] = redacted(config.database.url)
        steps["revision"] = migrate.head_revision()
        _, created = await ensure_instance(node)
        steps["instance_actor"] = node.urls.instance_actor()
        steps["instance_created"] = created
        async with node.store.session() as session:
            has_groups = bool(await groups.list_groups(session))
        if not has_groups and not inv.args.no_demo:
            demo = await groups.create_group(node, DEMO_GROUP)
            steps["demo_group"] = node.urls.group(demo.name)
    finally:
        await node.store.close()
    human = [f"config: {inv.config_path}" + (" (written)" if "config_written" in steps else "")]
    human.append(f"database: {steps['database']} at revision {steps['revision']}")
    human.append(
        f"instance actor: {steps['instance_actor']}" + (" (created)" if created else " (exists)")
    )
    if "demo_group" in steps:
        human.append(f"demo group: {steps['demo_group']} (created)")
    human.append(f"ready: {node.urls.base}")
    emit(inv, steps, "\n".join(human))


# `cove db upgrade` and `cove db status` skip the identity check on purpose: they touch only
# the schema and write no row that names an origin, the check itself needs the instance table
# they create, and they must keep working to repair a node whatever its configuration says.


async def cmd_db_upgrade(inv: Invocation) -> None:
    config = node_config(inv)
    node = open_node(config)
    try:
        before = await migrate.current_revision(node.store)
        await migrate.upgrade(node.store)
        after = await migrate.current_revision(node.store)
    finally:
        await node.store.close()
    data = {"database": redacted(config.database.url), "from": before, "to": after}
    emit(inv, data, f"database {data['database']}: {before or 'empty'} -> {after}")


async def cmd_db_status(inv: Invocation) -> None:
    config = node_config(inv)
    node = open_node(config)
    try:
        current = await migrate.current_revision(node.store)
    finally:
        await node.store.close()
    head = migrate.head_revision()
    data = {"database": redacted(config.database.url), "current": current, "head": head}
    state = "up to date" if current == head else "needs `cove db upgrade`"
    emit(inv, data, f"database {data['database']}: at {current or 'empty'}, newest {head}: {state}")


def cmd_serve_sync(inv: Invocation) -> None:
    config = node_config(inv)
    _setup_logging(config.log.level)

    async def serving_app() -> web.Application:
        from node.http.app import create_serving_app

        node = open_node(config)
        try:
            await require_current_schema(node)
            # Pins the base URL on a fresh database (`cove db upgrade` then `cove serve`), and
            # refuses to serve as another origin than the stored one.
            await ensure_instance(node)
            await require_applied_mode(node)
        except BaseException:
            await node.store.close()
            raise
        logging.getLogger("node").info(
            "event=serving url=%s listen=%s:%s database=%s",
            node.urls.base,
            config.http.host,
            config.http.port,
            redacted(config.database.url),
        )
        # Said only once the checks passed: a refused start must not claim to serve.
        print(f"Cove {__version__} serving {config.node.base_url} (Ctrl-C stops)", flush=True)
        return create_serving_app(node, workers=not inv.args.no_workers)

    try:
        web.run_app(
            serving_app(),
            host=config.http.host,
            port=config.http.port,
            access_log=None,
            print=None,
        )
    except OSError as e:
        raise CliError(
            f"cannot listen on {config.http.host}:{config.http.port}: {e.strerror}"
        ) from None


async def require_applied_mode(node: Node) -> None:
    """A changed federation.mode that would cut something is applied only on purpose."""
    pending = await mode.mode_mismatch(node)
    if pending is not None:
        raise CliError(
            f"federation.mode is {pending.mode.value} but this node runs in"
            f" {pending.previous.value} mode; switching cuts {len(pending.domains)} servers"
            f" ({pending.impact.describe()}): run `cove blocks switch-mode --dry-run` to see"
            " them, then `cove blocks switch-mode`"
        )


async def cmd_serve(inv: Invocation) -> None:  # pragma: no cover - dispatched synchronously
    raise AssertionError("serve runs outside asyncio.run")


async def cmd_worker(inv: Invocation) -> None:
    """Run the workers until SIGINT or SIGTERM; rows left mid-way are taken up again."""
    config = node_config(inv)
    _setup_logging(config.log.level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def work(node: Node, client: FederationClient) -> None:
        # `with_client` has checked the identity; this pins it on a fresh database.
        await ensure_instance(node)
        await require_applied_mode(node)
        print(f"Cove {__version__} worker for {node.urls.base} (Ctrl-C stops)", flush=True)
        await Workers(node, client).run_forever(stop)

    await with_client(inv, work)


async def cmd_queue_status(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        async with node.store.session() as session:
            figures = await delivery.queue_figures(session, node.clock())
        data = asdict(figures)
        lines = [
            "inbox:      "
            + (", ".join(f"{k} {v}" for k, v in sorted(figures.inbound.items())) or "empty"),
            "deliveries: "
            + (", ".join(f"{k} {v}" for k, v in sorted(figures.deliveries.items())) or "none"),
            f"due now:    {figures.due_now}",
            "oldest pending: "
            + (figures.oldest_pending.isoformat() if figures.oldest_pending else "-"),
        ]
        for host, failures, until in figures.dead_hosts:
            lines.append(
                f"dead host:  {host} ({failures} failures in a row, next probe "
                f"{until.isoformat() if until else 'now'})"
            )
        emit(inv, data, "\n".join(lines))

    await with_node(inv, work)


async def cmd_group_create(inv: Invocation) -> None:
    a = inv.args
    new = NewGroup(
        name=a.name,
        title=a.title,
        summary=a.summary,
        members_only=a.members_only,
        approves_members=a.approve_members,
        posting_policy=groups.parse_posting_policy(a.posting),
        discoverable=a.discoverable,
        owner=a.owner,
    )

    async def work(node: Node) -> None:
        group = await groups.create_group(node, new)
        emit(inv, _group_data(node, group), f"created group {_handle(node, group.name)}")

    await with_node(inv, work)


def _handle(node: Node, name: str) -> str:
    return f"@{name}@{node.urls.domain}"


def _group_data(node: Node, group: groups.GroupInfo, **extra: Any) -> dict[str, Any]:
    data = asdict(group)
    data.pop("id")
    data.pop("actor_id")
    data["handle"] = _handle(node, group.name)
    data["url"] = node.urls.group(group.name)
    data.update(extra)
    return data


async def cmd_group_list(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        async with node.store.session() as session:
            found = await groups.list_groups(session)
            counts = [await groups.follower_count(session, g.id) for g in found]
        data = [_group_data(node, g, members=n) for g, n in zip(found, counts, strict=True)]
        rows = [
            [g.name, g.title, str(n), g.posting_policy.value, _flags(g)]
            for g, n in zip(found, counts, strict=True)
        ]
        emit(inv, data, table(["NAME", "TITLE", "MEMBERS", "POSTING", "FLAGS"], rows))

    await with_node(inv, work)


def _flags(group: groups.GroupInfo) -> str:
    flags = [
        name
        for name, on in (
            ("members-only", group.members_only),
            ("approval", group.approves_members),
            ("discoverable", group.discoverable),
        )
        if on
    ]
    return ",".join(flags) or "-"


async def cmd_group_show(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        async with node.store.session() as session:
            group = await groups.get_group(session, inv.args.name)
            members = await groups.follower_count(session, group.id)
            moderators = await groups.moderator_uris(session, group.id)
        data = _group_data(node, group, members=members, moderators=moderators)
        human = "\n".join(
            [
                f"{group.title} ({data['handle']})",
                f"  url:          {data['url']}",
                f"  members:      {members}",
                f"  posting:      {group.posting_policy.value}",
                f"  members only: {'yes' if group.members_only else 'no'}",
                f"  approval:     {'yes' if group.approves_members else 'no'}",
                f"  discoverable: {'yes' if group.discoverable else 'no'}",
                f"  moderators:   {', '.join(moderators) or '(none)'}",
                f"  created:      {group.created_at.isoformat()}",
            ]
            + ([f"  summary:      {group.summary}"] if group.summary else [])
        )
        emit(inv, data, human)

    await with_node(inv, work)


async def cmd_account_create(inv: Invocation) -> None:
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
            f"created {account.role.value} account {_handle(node, account.username)}",
        )

    await with_node(inv, work)


def _account_data(node: Node, account: accounts.AccountInfo) -> dict[str, Any]:
    data = asdict(account)
    data.pop("id")
    data.pop("actor_id")
    data["handle"] = _handle(node, account.username)
    data["url"] = node.urls.person(account.username)
    return data


async def cmd_account_list(inv: Invocation) -> None:
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


# Moderation of joins and pins, and members' own actions ---------------------------------------


async def cmd_group_decide(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        await membership.decide_follow(node, client, a.name, a.actor, approve=a.approve)
        verdict = "approved" if a.approve else "rejected"
        emit(
            inv,
            {"group": a.name, "actor": a.actor, "decision": verdict},
            f"{verdict} {a.actor} for {a.name}",
        )

    await with_client(inv, work)


async def cmd_group_pending(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        actors = await membership.pending_follows(node, inv.args.name)
        emit(inv, actors, "\n".join(actors) or "(none)")

    await with_node(inv, work)


async def cmd_group_pin(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        acting = await acting_as(node, a.as_account)
        await removals.set_pinned(node, client, acting, a.name, a.post, pinned=a.pinned)
        emit(
            inv,
            {"group": a.name, "post": a.post, "pinned": a.pinned},
            f"{'pinned' if a.pinned else 'unpinned'} {a.post} in {a.name}",
        )

    await with_client(inv, work)


async def cmd_group_author(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        acting = await acting_as(node, inv.args.as_account)
        found = await anonymous_posts.author_of(node, acting, inv.args.post)
        emit(
            inv,
            found.as_json(),
            f"{found.author}" + (" (posted anonymously)" if found.anonymous else ""),
        )

    await with_node(inv, work)


async def cmd_member_join(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        state = await participation.join(
            node, client, account, a.group, accept_rules=a.accept_rules
        )
        emit(
            inv,
            {"account": account.username, "group": a.group, "state": state},
            f"{account.username} asked to join {a.group}: {state}",
        )

    await with_client(inv, work)


async def cmd_member_post(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        post_id = await participation.publish(
            node,
            client,
            account,
            a.group,
            a.text,
            title=a.title,
            in_reply_to=a.reply_to,
            anonymous=a.anonymous,
        )
        emit(inv, {"post": post_id, "group": a.group}, f"posted {post_id}")

    await with_client(inv, work)


async def cmd_member_edit(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        await participation.edit(node, client, account, a.post, a.text)
        emit(inv, {"post": a.post, "edited": True}, f"edited {a.post}")

    await with_client(inv, work)


async def cmd_member_act(inv: Invocation) -> None:
    a = inv.args

    async def work(node: Node, client: FederationClient) -> None:
        account = await accounts.get_account_by_name(node, a.account)
        act = participation.delete if a.verb == "delete" else participation.like
        await act(node, client, account, a.post)
        done = "deleted" if a.verb == "delete" else "liked"
        emit(inv, {"post": a.post, a.verb: True}, f"{done} {a.post}")

    await with_client(inv, work)


async def cmd_member_feed(inv: Invocation) -> None:
    async def work(node: Node) -> None:
        account = await accounts.get_account_by_name(node, inv.args.account)
        posts = await participation.feed(node, account)
        data = [
            {
                "post": p.uri,
                "group": p.group_uri,
                "author": p.author_uri if not p.anonymous else p.group_uri,
                "title": p.title,
                "content_html": p.content_html,
                "published": p.published,
            }
            for p in posts
        ]
        human = "\n".join(
            f"{p.published:%Y-%m-%d %H:%M}  {p.title or '(reply)'}  {p.uri}" for p in posts
        )
        emit(inv, data, human or "(nothing yet)")

    await with_node(inv, work)


# Entry point ---------------------------------------------------------------------------------


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    if level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)


def exit_code(error: BaseException) -> int:
    """The one mapping from failures to exit codes."""
    if isinstance(error, Invalid):
        return 2
    if isinstance(error, NotFound):
        return 3
    if isinstance(error, Conflict):
        return 4
    return 1


def describe(error: BaseException) -> str:
    if isinstance(error, CoveError):
        return error.reason
    if isinstance(error, DBAPIError | OperationalError):
        original = getattr(error, "orig", None) or error
        return f"database error: {str(original).splitlines()[0]}"
    if isinstance(error, OSError):
        return f"{error.strerror or error}" + (f": {error.filename}" if error.filename else "")
    return str(error)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    inv = Invocation(
        config_path=Path(
            getattr(args, "config", None) or os.environ.get("COVE_CONFIG") or DEFAULT_CONFIG
        ),
        json=getattr(args, "json", False),
        args=args,
    )
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    try:
        if args.run is cmd_serve:
            cmd_serve_sync(inv)
        else:
            asyncio.run(args.run(inv))
    except KeyboardInterrupt:
        return 130
    except (CoveError, CliError, DBAPIError, OSError) as e:
        print(f"cove: {describe(e)}", file=sys.stderr)
        return exit_code(e)
    return 0


if __name__ == "__main__":
    sys.exit(main())
