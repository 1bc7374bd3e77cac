"""Group bans over the API: the list, a ban (for a time, content removed or kept), an unban."""

from __future__ import annotations

from aiohttp import web

from node.http.api import auth, entities, params
from node.http.api.auth import Caller
from node.http.api.params import Fields
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import CLIENT, NODE
from node.moderators import bans

routes = web.RouteTableDef()
_route = routes_on(routes)


@_route("GET", COVE + "/groups/{name}/bans")
async def list_bans(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:read:accounts")
    node = request.app[NODE]
    found = await bans.list_bans(node, caller.acting, params.group_name(request))
    return json_response([b.as_json() for b in found])


@_route("POST", COVE + "/groups/{name}/bans")
async def ban(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write:accounts")
    fields = await params.body(request)
    node = request.app[NODE]
    info = await bans.ban(
        node,
        request.app[CLIENT],
        caller.acting,
        params.group_name(request),
        params.url("actor", fields.required("actor")),
        fields.text("reason").strip(),
        params.expiry(fields, node.clock()),
        remove_content=fields.flag("remove_content", False),
    )
    return json_response(info.as_json())


async def _unban(request: web.Request, caller: Caller, fields: Fields) -> web.Response:
    await bans.unban(
        request.app[NODE],
        request.app[CLIENT],
        caller.acting,
        params.group_name(request),
        params.url("actor", fields.required("actor")),
    )
    return entities.done()


@_route("DELETE", COVE + "/groups/{name}/bans")
async def delete_ban(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write:accounts")
    return await _unban(request, caller, params.query(request))


@_route("POST", COVE + "/groups/{name}/unban")
async def unban(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write:accounts")
    return await _unban(request, caller, await params.body(request))
