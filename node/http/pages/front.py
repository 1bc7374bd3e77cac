"""The node's front page: what it is, and its groups."""

from __future__ import annotations

from aiohttp import web

from node.groups import groups
from node.http.pages.render import render
from node.http.state import NODE, PAGE_CACHE
from node.text import plain_to_html


async def front_page(request: web.Request) -> web.Response:
    return await request.app[PAGE_CACHE].page(request, "", lambda: _front_page(request))


async def _front_page(request: web.Request) -> web.Response:
    node = request.app[NODE]
    all_groups = await groups.all_groups(node)
    listed = [
        {
            "name": g.name,
            "title": g.title,
            "url": node.urls.group(g.name),
            "members_only": g.members_only,
            "approves_members": g.approves_members,
        }
        for g in all_groups
    ]
    return render(
        request,
        "home.html",
        description_html=plain_to_html(node.config.node.description),
        groups=listed,
    )
