"""Requests to join, on the pages: who waits to join the groups a moderator moderates (every
group, for the node's staff), each let in or refused with a button."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError, Invalid
from node.http.pages.render import done_of, render, told
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.moderators import join_requests
from node.moderators.roles import Acting

routes = web.RouteTableDef()
REQUESTS = "/moderation/join-requests"
DONE = ("approved", "rejected")


async def _requests_page(
    request: web.Request, acting: Acting, status: int = 200, problem: str | None = None
) -> web.Response:
    return render(
        request,
        "join_requests.html",
        status=status,
        waiting=await join_requests.waiting(request.app[NODE], acting),
        problem=problem,
        done=done_of(request, DONE, problem),
    )


@routes.get(REQUESTS)
async def requests_page(request: web.Request) -> web.Response:
    return await _requests_page(request, await acting_of(request))


@routes.post(REQUESTS)
async def decide(request: web.Request) -> web.StreamResponse:
    acting = await acting_of(request)
    form = await checked_form(request)
    verdict = form.get("verdict", "")
    try:
        if verdict not in ("approve", "reject"):
            raise Invalid("choose to let them in or not")
        await join_requests.decide(
            request.app[NODE],
            request.app[CLIENT],
            acting,
            form.get("group", ""),
            form.get("actor", ""),
            approve=verdict == "approve",
        )
    except CoveError as e:
        return await _requests_page(request, acting, e.status, told(request, e))
    raise web.HTTPSeeOther(f"{REQUESTS}?done={verdict}d")
