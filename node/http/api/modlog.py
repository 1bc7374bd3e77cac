"""A group's moderation log over the API, newest first, paged as Mastodon pages."""

from __future__ import annotations

from aiohttp import web

from node.http.api import auth, entities, paging, params
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import NODE
from node.moderators import modlog

routes = web.RouteTableDef()
_route = routes_on(routes)


@_route("GET", COVE + "/groups/{name}/modlog")
async def group_modlog(request: web.Request) -> web.Response:
    """The group's log, newest first, paged with max_id (older) and min_id (newer) as
    Mastodon pages, the next and prev links given. Public for a public group, as on its web
    page (names hidden when the group hides them); a members-only group's needs a member's
    token; a moderator with `admin:read` always sees who did what."""
    caller = await auth.caller(request, "read", "admin:read") if auth.has_token(request) else None
    cursor = paging.cursor(params.query(request))
    node = request.app[NODE]
    log = await modlog.log_read_by(
        node,
        caller.acting if caller is not None else None,
        params.group_name(request),
        cursor,
        names_scope=caller is not None and caller.grants("admin:read"),
    )
    here = f"{node.urls.base}{COVE}/groups/{log.group.name}/modlog"
    items = [entities.log_entry(entry, hide_name=log.hide_names) for _, entry in log.page.items]
    return json_response({"items": items, **paging.neighbours(here, log.page)})
