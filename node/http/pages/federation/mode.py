"""The federation mode and the shared policy on the federation pages. The mode in force is the
one last applied; the configuration (federation.mode) names the one the admins want. When they
differ, the page lists what the switch cuts and switches once an admin confirms that list;
when they agree, it lists what the other mode would cut, and how to ask for it. The shared
policy: what this node publishes for other nodes, and which nodes follow it."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError
from moderation.domains import FederationMode
from node.domain_policy import mode, publishing
from node.http.pages.render import render, told
from node.http.pages.staff import admin_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE

routes = web.RouteTableDef()
MODE = "/admin/federation/mode"


def _other(current: FederationMode) -> FederationMode:
    if current == FederationMode.BLOCKLIST:
        return FederationMode.ALLOWLIST
    return FederationMode.BLOCKLIST


async def _mode_page(
    request: web.Request, status: int = 200, problem: str | None = None
) -> web.Response:
    node = request.app[NODE]
    configured = node.config.federation.mode
    in_force = await mode.mode_in_force(node)
    pending = configured != in_force
    other = _other(in_force)
    # Counting what a switch cuts reads every follower, post and delivery held: done for the
    # switch the configuration asks for, and for the other mode only when asked.
    asked = pending or request.query.get("preview") == other.value
    switch = await mode.preview(node, configured if pending else other) if asked else None
    return render(
        request,
        "federation/mode.html",
        status=status,
        in_force=in_force,
        configured=configured,
        other=other,
        pending=pending,
        switch=switch,
        problem=problem,
    )


@routes.get(MODE)
async def mode_page(request: web.Request) -> web.Response:
    await admin_of(request)
    return await _mode_page(request)


@routes.post(MODE)
async def switch(request: web.Request) -> web.StreamResponse:
    """Switch to the configured mode, cutting exactly the domains the page listed (a list
    that changed meanwhile is shown again instead)."""
    acting = await admin_of(request)
    form = await checked_form(request)
    shown = form.get("domains", "").split()
    try:
        await mode.switch_mode(request.app[NODE], acting, dry_run=False, expect=shown)
    except CoveError as e:
        return await _mode_page(request, e.status, told(request, e))
    raise web.HTTPSeeOther("/admin/federation?done=switched")


@routes.get("/admin/federation/shared")
async def shared_page(request: web.Request) -> web.Response:
    await admin_of(request)
    found = await publishing.shared_policy(request.app[NODE])
    return render(request, "federation/shared.html", shared=found)
