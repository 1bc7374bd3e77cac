"""Moderating posts in a group over the API: removals, locks, pins and purges, and who really
wrote a post (anonymous ones too), for the group's moderators."""

from __future__ import annotations

from aiohttp import web

from node.groups import anonymous_posts
from node.http.api import auth, entities, params
from node.http.api.paths import COVE, routes_on
from node.http.responses import json_response
from node.http.state import CLIENT, NODE
from node.moderators import removals

routes = web.RouteTableDef()
_route = routes_on(routes)


@_route("POST", COVE + "/groups/{name}/posts/{action:remove|restore|lock|unlock|pin|unpin|purge}")
async def post_action(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:write")
    fields = await params.body(request)
    post = params.url("post", fields.required("post"))
    reason = fields.text("reason").strip()
    node, client, acting = request.app[NODE], request.app[CLIENT], caller.acting
    name, action = params.group_name(request), request.match_info["action"]
    if action in ("remove", "restore"):
        removed = action == "remove"
        await removals.set_removed(node, client, acting, name, post, reason, removed=removed)
    elif action in ("lock", "unlock"):
        locked = action == "lock"
        await removals.set_locked(node, client, acting, name, post, reason, locked=locked)
    elif action == "purge":
        await removals.purge(node, acting, name, post)
    else:
        pinned = action == "pin"
        await removals.set_pinned(node, client, acting, name, post, pinned=pinned)
    return entities.done()


@_route("GET", f"{COVE}/posts/author")
async def post_author(request: web.Request) -> web.Response:
    """Who really wrote a post (anonymous ones too): for its group's moderators only."""
    caller = await auth.caller(request, "admin:read")
    post = params.url("post", params.query(request).required("post"))
    found = await anonymous_posts.author_of(request.app[NODE], caller.acting, post)
    return json_response(found.as_json())
