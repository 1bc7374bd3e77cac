"""A group's moderators over the API: appointed and dismissed by its owner or an admin."""

from __future__ import annotations

from aiohttp import web

from node.http.api import auth, entities, params
from node.http.api.auth import Caller
from node.http.api.params import Fields
from node.http.api.paths import COVE, routes_on
from node.http.state import CLIENT, NODE
from node.moderators import appointments

routes = web.RouteTableDef()
_route = routes_on(routes)


async def _set_moderator(
    request: web.Request, caller: Caller, fields: Fields, *, moderator: bool
) -> web.Response:
    await appointments.set_moderator(
        request.app[NODE],
        request.app[CLIENT],
        caller.acting,
        params.group_name(request),
        fields.required("account"),
        moderator=moderator,
    )
    return entities.done()


@_route("POST", COVE + "/groups/{name}/moderators")
async def add_moderator(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write:accounts")
    return await _set_moderator(request, caller, await params.body(request), moderator=True)


@_route("DELETE", COVE + "/groups/{name}/moderators")
async def remove_moderator(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write:accounts")
    return await _set_moderator(request, caller, params.query(request), moderator=False)
