"""The node's queues over the API: the figures `cove queue status` shows, for its moderators."""

from __future__ import annotations

from aiohttp import web

from node.http.api import auth, entities
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import NODE
from node.moderators.roles import require_node_moderator
from node.queue import delivery

routes = web.RouteTableDef()
_route = routes_on(routes)


@_route("GET", f"{COVE}/admin/queue")
async def queue_figures(request: web.Request) -> web.Response:
    """The figures `cove queue status` shows."""
    caller = await auth.caller(request, "admin:read")
    require_node_moderator(caller.acting)
    figures = await delivery.queue_status(request.app[NODE])
    return json_response(entities.queue_figures(figures))
