"""The `cove` commands that set a node up and run it: init, serve, worker and the
database migrations."""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys
from typing import TYPE_CHECKING, Any

from node import __version__
from node.cli.console import (
    CliError,
    Invocation,
    Parser,
    emit,
    node_config,
    redacted,
    require_current_schema,
    with_client,
)

if TYPE_CHECKING:
    from aiohttp import web

    from federation.client import FederationClient
    from node.groups.groups import NewGroup
    from node.runtime import Node


def add_commands(commands: Any, common: Parser) -> None:
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


def demo_group() -> NewGroup:
    """The group `cove init` creates on a node that has none."""
    from node.groups.groups import NewGroup
    from node.store.states import PostingPolicy

    return NewGroup(
        name="demo",
        title="Demo support group",
        summary=(
            "A place to try Cove. Follow this group from Mastodon, Lemmy or another Cove node,"
            " mention it in a public post, and the group shares your post with its members.\n\n"
            "Be kind. Nothing here replaces professional or emergency help."
        ),
        posting_policy=PostingPolicy.MEMBERS,
        discoverable=True,  # so the front page of a fresh node shows it
    )


async def cmd_init(inv: Invocation) -> None:
    from node.actors.instance import ensure_instance
    from node.config import default_config_text
    from node.crisis.resources import seed_if_empty
    from node.groups import groups
    from node.runtime import open_node
    from node.store import migrate

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
        async with node.store.transaction() as session:
            steps["crisis_resources_seeded"] = await seed_if_empty(session, node.clock())
        if not has_groups and not inv.args.no_demo:
            demo = await groups.create_group(node, demo_group())
            steps["demo_group"] = node.urls.group(demo.name)
    finally:
        await node.store.close()
    human = [f"config: {inv.config_path}" + (" (written)" if "config_written" in steps else "")]
    human.append(f"database: {steps['database']} at revision {steps['revision']}")
    human.append(
        f"instance actor: {steps['instance_actor']}" + (" (created)" if created else " (exists)")
    )
    if steps["crisis_resources_seeded"]:
        human.append(
            f"crisis resources: {steps['crisis_resources_seeded']} shipped lines added; check"
            " them for your region with `cove safety resources list`"
        )
    if "demo_group" in steps:
        human.append(f"demo group: {steps['demo_group']} (created)")
    human.append(f"ready: {node.urls.base}")
    emit(inv, steps, "\n".join(human))


# `cove db upgrade` and `cove db status` skip the identity check on purpose: they touch only
# the schema and write no row that names an origin, the check itself needs the instance table
# they create, and they must keep working to repair a node whatever its configuration says.


async def cmd_db_upgrade(inv: Invocation) -> None:
    from node.runtime import open_node
    from node.store import migrate

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
    from node.runtime import open_node
    from node.store import migrate

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


def cmd_serve(inv: Invocation) -> None:
    """Serve until stopped; aiohttp runs its own event loop (the one command not run in
    `asyncio.run`)."""
    from aiohttp import web

    from node.actors.instance import ensure_instance
    from node.runtime import open_node

    config = node_config(inv)
    setup_logging(config.log.level)

    async def serving_app() -> web.Application:
        from node.http.app import create_serving_app

        node = open_node(config)
        try:
            await require_current_schema(node)
            # Pins the base URL on a fresh database (`cove db upgrade` then `cove serve`), and
            # refuses to serve as another origin than the stored one.
            await ensure_instance(node)
            await say_pending_mode(node)
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
        app = create_serving_app(node, workers=not inv.args.no_workers)
        settle()
        return app

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


async def say_pending_mode(node: Node) -> None:
    """A changed federation.mode that would cut something is applied only on purpose: until an
    admin switches, the node serves in the mode last applied, and says so."""
    from node.domain_policy import mode

    pending = await mode.mode_mismatch(node)
    if pending is None:
        return
    said = (
        f"federation.mode is {pending.mode.value} but this node runs in {pending.previous.value}"
        f" mode until an admin switches; switching cuts {len(pending.domains)} servers"
        f" ({pending.impact.describe()}): see /admin/federation/mode, or run"
        " `cove blocks switch-mode --dry-run`, then `cove blocks switch-mode`"
    )
    logging.getLogger("node").warning("event=federation_mode_pending %s", said)
    print(f"Note: {said}", file=sys.stderr, flush=True)


async def cmd_worker(inv: Invocation) -> None:
    """Run the workers until SIGINT or SIGTERM; rows left mid-way are taken up again."""
    from node.actors.instance import ensure_instance
    from node.queue.workers import Workers

    config = node_config(inv)
    setup_logging(config.log.level)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    async def work(node: Node, client: FederationClient) -> None:
        # `with_client` has checked the identity; this pins it on a fresh database.
        await ensure_instance(node)
        await say_pending_mode(node)
        print(f"Cove {__version__} worker for {node.urls.base} (Ctrl-C stops)", flush=True)
        settle()
        await Workers(node, client).run_forever(stop)

    await with_client(inv, work)


def settle() -> None:
    """Before a long-running process starts its work: the crisis lists compiled, and what it
    has built so far (modules, those lists, its configuration, all kept for its whole life)
    set aside from the cyclic collector. Its full passes over them held the event loop 0.15 to
    0.2 s about every 20 s of load (the members' pages' worst latencies). What is garbage
    already is collected first, so that none is kept for good."""
    from moderation.crisis import detector

    detector.prepare()
    gc.collect()
    gc.freeze()


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        force=True,
    )
    # The scheduler says "executed successfully" for every run of every job (crisis pages are
    # looked for every 5 s): our own job lines say what was done.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.root.level))
    if level != "debug":
        logging.getLogger("alembic").setLevel(logging.WARNING)
