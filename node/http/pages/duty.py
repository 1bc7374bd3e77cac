"""Going on and off duty from the pages, as `cove mod duty` does: for the node (its staff) and
for each group one moderates, with who else is on duty there (`cove mod duty list`). Those on
duty are told at once of an acute crisis item."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError, Invalid
from node.crisis import duty
from node.crisis.duty import DutyScope
from node.groups.groups import group_named
from node.http.pages.render import done_of, render, told
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.moderators.roles import Acting
from node.runtime import Node

routes = web.RouteTableDef()
DUTY = "/moderation/duty"
DONE = ("on", "off")


async def _rosters(node: Node, acting: Acting, scopes: list[DutyScope]) -> dict[str, list[str]]:
    """Who is on duty in each scope (by the group's name; "" for the node), as the roster
    shows it to the one acting."""
    on: dict[str, list[str]] = {}
    for scope in scopes:
        group = await group_named(node, scope.group) if scope.group else None
        roster = await duty.duty_roster(node, acting, group)
        on[scope.group or ""] = [d.username for d in roster if d.on]
    return on


async def _duty_page(
    request: web.Request, acting: Acting, status: int = 200, problem: str | None = None
) -> web.Response:
    node = request.app[NODE]
    scopes = await duty.duty_of(node, acting)
    return render(
        request,
        "duty.html",
        status=status,
        scopes=scopes,
        on_duty=await _rosters(node, acting, scopes),
        problem=problem,
        done=done_of(request, DONE, problem),
    )


@routes.get(DUTY)
async def duty_page(request: web.Request) -> web.Response:
    return await _duty_page(request, await acting_of(request))


@routes.post(DUTY)
async def set_duty(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    acting = await acting_of(request)
    form = await checked_form(request)
    state, name = form.get("duty", ""), form.get("group", "")
    try:
        if state not in DONE:
            raise Invalid("choose to go on or off duty")
        group = await group_named(node, name) if name else None
        await duty.set_duty(node, acting, group, state == "on")
    except CoveError as e:
        return await _duty_page(request, acting, e.status, told(request, e))
    raise web.HTTPSeeOther(f"{DUTY}?done={state}")
