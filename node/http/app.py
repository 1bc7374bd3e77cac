"""The aiohttp application factory: routes, middlewares, and the lifetime of shared things."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from functools import partial

from aiohttp import web

from node.cache import TtlCache
from node.http.activitypub import actors, collections, discovery, inbox, posts, vocabulary
from node.http.activitypub.inbox_limits import Backlog, InboxLimits
from node.http.api import (
    bans,
    description,
    domain_blocks,
    moderators,
    modlog,
    notifications,
    post_moderation,
    queue,
    reports,
    rules,
    suspensions,
)
from node.http.errors import error_middleware
from node.http.pages import (
    account_data,
    admin,
    admin_accounts,
    admin_crisis,
    admin_health,
    admin_invites,
    admin_suspensions,
    blocking,
    duty,
    front,
    group_moderation,
    group_rules,
    group_team,
    help,
    inbox_pages,
    join_requests,
    organizing,
    report_actions,
    report_queue,
    reporting,
    settings,
    sign_in,
    sign_up,
    static_files,
    taking_part,
    thread,
    thread_moderation,
)
from node.http.pages.federation import blocks as federation_blocks
from node.http.pages.federation import files as federation_files
from node.http.pages.federation import mode as federation_mode
from node.http.pages.federation import subscriptions as federation_subscriptions
from node.http.pages.page_cache import PageCache
from node.http.pages.readers import Readers
from node.http.pages.sessions import find_session
from node.http.pages.templating import Templates
from node.http.pages.visitors import visitor_middleware
from node.http.state import (
    ACTOR_DOCUMENTS,
    BACKLOG,
    CLIENT,
    DOCUMENTS,
    GROUPS,
    INBOX_LIMITS,
    INBOX_WRITER,
    KEYS,
    NODE,
    OUTAGE,
    PAGE_CACHE,
    READERS,
    SUSPENSIONS,
    TEMPLATES,
)
from node.outage import OutageTracker
from node.queue.inbox import InboxWriter, waiting_from
from node.queue.workers import Workers
from node.runtime import Node, federation_client
from node.store.changes import ACTORS, BANS, PAGES
from node.store.changes import READERS as READERS_TOPIC

log = logging.getLogger("node.http.access")


@web.middleware
async def access_log_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    started = time.perf_counter()
    response = await handler(request)
    log.info(
        "event=request method=%s path=%s status=%s ms=%.1f",
        request.method,
        request.path,
        response.status,
        (time.perf_counter() - started) * 1000,
    )
    return response


# RFC 7033 section 5: WebFinger answers (errors included) carry a CORS header, so browser
# clients can look people up; the other discovery documents are public in the same way.
CORS_PREFIXES = ("/.well-known/", "/nodeinfo/", "/ns")


@web.middleware
async def cors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    response = await handler(request)
    if request.path.startswith(CORS_PREFIXES):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def create_app(node: Node, *, workers: bool = True) -> web.Application:
    """Build the web application for a node; the caller owns the node's store. With
    `workers`, the same process applies received activities and delivers outbound ones."""
    app = web.Application(
        middlewares=[
            access_log_middleware,
            cors_middleware,
            error_middleware,
            visitor_middleware(find_session, base_url=node.config.node.base_url),
        ],
        client_max_size=node.config.inbox.max_body_kb * 1024,
    )
    app[NODE] = node
    app[TEMPLATES] = Templates()
    app[CLIENT] = federation_client(node)
    app[OUTAGE] = OutageTracker(node)
    app[INBOX_WRITER] = InboxWriter(node, outage=app[OUTAGE])
    limits = node.config.inbox
    app[INBOX_LIMITS] = InboxLimits(limits.actor_per_minute, limits.host_per_minute)
    app[BACKLOG] = Backlog(limits.host_pending, partial(waiting_from, node), node.clock)
    # Remote keys: a rotated key is fetched again at once when a signature fails with it.
    app[KEYS] = TtlCache(timedelta(minutes=5), node.clock)
    # Built from local actors: cleared by any process's write to their tables (the time to
    # live only bounds what a change made behind the node's back would leave).
    app[GROUPS] = TtlCache(timedelta(minutes=5), node.clock)
    app[DOCUMENTS] = TtlCache(timedelta(minutes=5), node.clock)
    app[ACTOR_DOCUMENTS] = TtlCache(timedelta(minutes=5), node.clock)
    app[SUSPENSIONS] = TtlCache(timedelta(minutes=5), node.clock)
    for cache in (app[GROUPS], app[DOCUMENTS], app[ACTOR_DOCUMENTS]):
        node.store.changes.subscribe(ACTORS, cache.clear)
    node.store.changes.subscribe(BANS, app[SUSPENSIONS].clear)
    # The pages of visitors not signed in: cleared in the same way.
    app[PAGE_CACHE] = PageCache(node.clock)
    node.store.changes.subscribe(PAGES, app[PAGE_CACHE].clear)
    app[READERS] = Readers(node.clock)
    node.store.changes.subscribe(READERS_TOPIC, app[READERS].clear)
    for table in (
        discovery.routes,
        actors.routes,
        collections.routes,
        inbox.routes,
        posts.routes,
        vocabulary.routes,
        # Pages for people in browsers (the actors' pages answer at the actors' own URLs).
        help.routes,
        front.routes,
        static_files.routes,
        thread.routes,
        sign_in.routes,
        sign_up.routes,
        settings.routes,
        blocking.routes,
        account_data.routes,
        taking_part.routes,
        reporting.routes,
        inbox_pages.routes,
        report_queue.routes,
        report_actions.routes,
        join_requests.routes,
        duty.routes,
        thread_moderation.routes,
        group_moderation.routes,
        admin.routes,
        admin_accounts.routes,
        admin_suspensions.routes,
        admin_invites.routes,
        admin_health.routes,
        admin_crisis.routes,
        federation_blocks.routes,
        federation_files.routes,
        federation_subscriptions.routes,
        federation_mode.routes,
        organizing.routes,
        group_rules.routes,
        group_team.routes,
        # The JSON APIs, one module a resource, as schemas/openapi/cove-api.json describes them.
        reports.routes,
        notifications.routes,
        rules.routes,
        post_moderation.routes,
        bans.routes,
        moderators.routes,
        suspensions.routes,
        modlog.routes,
        queue.routes,
        description.routes,
        domain_blocks.routes,
    ):
        app.add_routes(table)

    async def client_lifetime(app: web.Application) -> AsyncIterator[None]:
        async with app[CLIENT]:
            yield

    async def workers_lifetime(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        workers = Workers(node, app[CLIENT], wake=app[INBOX_WRITER].committed, outage=app[OUTAGE])
        task = asyncio.create_task(workers.run_forever(stop))
        yield
        stop.set()
        await task

    async def inbox_writer_lifetime(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = app[INBOX_WRITER].start(stop)
        yield
        stop.set()
        await task

    async def change_watch_lifetime(app: web.Application) -> AsyncIterator[None]:
        stop = asyncio.Event()
        outage = app[OUTAGE]
        polling = node.store.watch_changes(stop, on_fault=lambda e: outage.absorbs(e, "poll"))
        task = asyncio.create_task(polling)
        yield
        stop.set()
        await task

    async def outage_lifetime(app: web.Application) -> AsyncIterator[None]:
        yield
        await app[OUTAGE].settle()  # after the workers: an outage's end may still be told

    app.cleanup_ctx.append(outage_lifetime)
    app.cleanup_ctx.append(client_lifetime)
    app.cleanup_ctx.append(inbox_writer_lifetime)
    app.cleanup_ctx.append(change_watch_lifetime)
    if workers:
        app.cleanup_ctx.append(workers_lifetime)
    return app


def create_serving_app(node: Node, *, workers: bool = True) -> web.Application:
    """The application `cove serve` runs: it also closes the store when the server stops."""
    app = create_app(node, workers=workers)

    async def store_lifetime(_app: web.Application) -> AsyncIterator[None]:
        yield
        await node.store.close()

    app.cleanup_ctx.append(store_lifetime)
    return app
