"""Suspensions of remote actors from the whole node over the API (Mastodon's admin account
actions need local ids, so Cove names actors by URL here)."""

from __future__ import annotations

from aiohttp import web

from node.http.api import auth, entities, params
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import CLIENT, NODE
from node.moderators import suspensions

routes = web.RouteTableDef()
_route = routes_on(routes)


@_route("GET", COVE + "/admin/suspensions")
async def list_suspensions(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:read:accounts")
    found = await suspensions.list_suspensions(request.app[NODE], caller.acting)
    return json_response([b.as_json() for b in found])


@_route("POST", COVE + "/admin/suspensions")
async def suspend(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write:accounts")
    fields = await params.body(request)
    node = request.app[NODE]
    info = await suspensions.suspend(
        node,
        request.app[CLIENT],
        caller.acting,
        params.url("actor", fields.required("actor")),
        fields.text("reason").strip(),
        params.expiry(fields, node.clock()),
    )
    return json_response(info.as_json())


@_route("DELETE", COVE + "/admin/suspensions")
async def unsuspend(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write:accounts")
    actor = params.url("actor", params.query(request).required("actor"))
    await suspensions.unsuspend(request.app[NODE], caller.acting, actor)
    return entities.done()
