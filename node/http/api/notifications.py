"""A member's notifications over the API (report outcomes, blocklist alerts, outages)."""

from __future__ import annotations

from aiohttp import web

from node.http.api import auth
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import NODE
from node.members import notifications

routes = web.RouteTableDef()
_route = routes_on(routes)


@_route("GET", f"{COVE}/notifications")
async def notifications_list(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "read:notifications")
    found = await notifications.notifications(request.app[NODE], caller.account)
    return json_response([n.as_json() for n in found])
