"""Where the JSON APIs live: Mastodon's prefix and Cove's, and the route tables, which answer
each path with and without a trailing slash (clients differ on it)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MASTODON = "/api/v1"
COVE = "/api/cove/v1"


def routes_on(table: web.RouteTableDef) -> Callable[[str, str], Callable[[Handler], Handler]]:
    """A decorator registering handlers on `table`, with and without a trailing slash:
    clients differ on it."""

    def route(method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            table.route(method, path)(handler)
            table.route(method, path + "/")(handler)
            return handler

        return register

    return route
