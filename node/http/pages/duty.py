"""Going on and off duty from the pages, as `cove mod duty` does: for the node (its staff) and
for each group one moderates. Those on duty are told at once of an acute crisis item."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError, Invalid
from node.crisis import duty
from node.groups.groups import group_named
from node.http.pages.render import done_of, render, told
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.moderators.roles import Acting

routes = web.RouteTableDef()
DUTY = "/moderation/duty"
DONE = ("on", "off")


async def _duty_page(
    request: web.Request, acting: Acting, status: int = 200, problem: str | None = None
) -> web.Response:
    return render(
        request,
        "duty.html",
        status=status,
        scopes=await duty.duty_of(request.app[NODE], acting),
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
