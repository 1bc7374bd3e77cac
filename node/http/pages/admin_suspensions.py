"""Suspensions from the staff's pages: the members here and the actors elsewhere cut off from
the node, a form to suspend someone (by name, handle or URL) and each lifted by a button.
Node staff's, as on the console: a moderator opens this page too."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from aiohttp import web

from federation.errors import CoveError, Invalid
from node.http.pages.admin_accounts import staff_pages
from node.http.pages.render import done_of, render, told
from node.http.pages.staff import staff_of
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.members import account_roles
from node.moderators import suspensions
from node.moderators.roles import Acting
from node.store.states import AccountState

routes = web.RouteTableDef()
SUSPENSIONS = "/admin/accounts/suspensions"
DURATIONS = ("1", "7", "30", "365")  # days a suspension of an actor elsewhere may last
MAX_WHO = 500
MAX_REASON = 1000
SHOWN = 200  # suspended members listed (the list of actors elsewhere is whole)


async def _suspensions(
    request: web.Request,
    acting: Acting,
    status: int = 200,
    *,
    who: str = "",
    reason: str = "",
    problem: str | None = None,
) -> web.Response:
    node = request.app[NODE]
    members = await account_roles.accounts_page(
        node, acting, size=SHOWN, state=AccountState.SUSPENDED
    )
    return render(
        request,
        "admin_suspensions.html",
        status=status,
        members=members.accounts,
        elsewhere=await suspensions.list_suspensions(node, acting),
        durations=DURATIONS,
        who=who,
        reason=reason,
        done=done_of(request, ("suspended", "lifted"), problem),
        name=request.query.get("name", "")[:MAX_WHO],
        problem=problem,
        **staff_pages(request, acting, SUSPENSIONS),
    )


@routes.get(SUSPENSIONS)
async def suspensions_page(request: web.Request) -> web.Response:
    return await _suspensions(request, await staff_of(request))


def _days(text: str) -> int | None:
    if not text:
        return None
    if text not in DURATIONS:
        raise Invalid("choose how long the suspension lasts from the list")
    return int(text)


def _done(what: str, target: suspensions.Named) -> str:
    return f"{SUSPENSIONS}?{urlencode({'done': what, 'name': target.name})}"


@routes.post(SUSPENSIONS)
async def suspend(request: web.Request) -> web.Response:
    node = request.app[NODE]
    acting = await staff_of(request)
    form = await checked_form(request)
    who = form.get("who", "")[:MAX_WHO]
    reason = form.get("reason", "").strip()
    try:
        if len(reason) > MAX_REASON:
            raise Invalid("a reason is at most {limit} characters long", limit=MAX_REASON)
        days = _days(form.get("days", ""))
        ends = node.clock() + timedelta(days=days) if days is not None else None
        target = await suspensions.suspend_named(
            node, request.app[CLIENT], acting, who, reason, ends
        )
    except CoveError as e:
        return await _suspensions(
            request, acting, e.status, who=who, reason=reason, problem=told(request, e)
        )
    raise web.HTTPSeeOther(_done("suspended", target))


@routes.post(SUSPENSIONS + "/lift")
async def lift(request: web.Request) -> web.Response:
    node = request.app[NODE]
    acting = await staff_of(request)
    form = await checked_form(request)
    try:
        target = await suspensions.lift_named(
            node, request.app[CLIENT], acting, form.get("who", "")[:MAX_WHO]
        )
    except CoveError as e:
        return await _suspensions(request, acting, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(_done("lifted", target))
