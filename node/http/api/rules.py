"""A group's rules over the API: read by anyone, written by the group's owner or an admin."""

from __future__ import annotations

from aiohttp import web

from federation.errors import Invalid
from moderation.rules import parse_rules
from node.groups import organizing, rules
from node.http.api import auth, params
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import NODE

routes = web.RouteTableDef()
_route = routes_on(routes)


@_route("GET", COVE + "/groups/{name}/rules")
async def group_rules(request: web.Request) -> web.Response:
    """A group's rules are public: people read them before they join."""
    _group, current = await rules.rules_of(request.app[NODE], params.group_name(request))
    if current is None:
        return json_response(
            {"version": 0, "needs_acceptance": False, "updated_at": None, "rules": []}
        )
    return json_response(current.as_json())


@_route("PUT", COVE + "/groups/{name}/rules")
async def put_group_rules(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write")
    fields = await params.body(request)
    items = fields.values.get("rules")
    if not isinstance(items, list):
        raise Invalid("rules must be a list of {title, text}")
    written = await organizing.write_rules(
        request.app[NODE],
        caller.acting,
        params.group_name(request),
        parse_rules(items),
        needs_acceptance=fields.flag("needs_acceptance", False),
    )
    return json_response(written.as_json())
