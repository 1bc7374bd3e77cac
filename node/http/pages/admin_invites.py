"""Invite links from the staff's pages: every invite with its uses and end, a form to make one
(how many may use it, for how many days) whose link is shown to copy, and each withdrawn by
a button. Node staff's, as on the console: a moderator opens this page too."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from federation.errors import CoveError, Invalid
from node.http.pages.admin_accounts import staff_pages
from node.http.pages.render import render, told
from node.http.pages.staff import staff_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.members import invites
from node.moderators.roles import Acting

routes = web.RouteTableDef()
INVITES = "/admin/accounts/invites"


async def _invites(
    request: web.Request,
    acting: Acting,
    status: int = 200,
    *,
    form: dict[str, str] | None = None,
    problem: str | None = None,
) -> web.Response:
    found = await invites.list_invites(request.app[NODE], acting)
    made = request.query.get("made") if problem is None else None
    done = request.query.get("done")
    return render(
        request,
        "admin_invites.html",
        status=status,
        invites=found,
        made=next((i for i in found if i.code == made), None),
        withdrawn=request.query.get("code", "") if done == "withdrawn" and not problem else None,
        now=request.app[NODE].clock(),
        form=form or {"uses": "", "days": ""},
        max_uses=invites.MAX_USES,
        max_days=invites.MAX_DAYS,
        problem=problem,
        **staff_pages(request, acting, INVITES),
    )


@routes.get(INVITES)
async def invites_page(request: web.Request) -> web.Response:
    return await _invites(request, await staff_of(request))


def _number(text: str) -> int | None:
    """A whole number a form gives, or None where it gives none (ValueError: not one)."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise ValueError(text)
    return int(text)


def _limits(given: dict[str, str]) -> tuple[int | None, int | None]:
    try:
        uses = _number(given["uses"])
    except ValueError:
        raise Invalid("the number of uses must be a whole number") from None
    try:
        days = _number(given["days"])
    except ValueError:
        raise Invalid("the number of days must be a whole number") from None
    return uses, days


@routes.post(INVITES)
async def make_invite(request: web.Request) -> web.Response:
    acting = await staff_of(request)
    form = await checked_form(request)
    given = {"uses": form.get("uses", "")[:20], "days": form.get("days", "")[:20]}
    try:
        uses, days = _limits(given)
        made = await invites.create_invite(request.app[NODE], acting, uses, days)
    except CoveError as e:
        return await _invites(request, acting, e.status, form=given, problem=told(request, e))
    raise web.HTTPSeeOther(f"{INVITES}?{urlencode({'made': made.code})}")


@routes.post(INVITES + "/revoke")
async def withdraw(request: web.Request) -> web.Response:
    acting = await staff_of(request)
    form = await checked_form(request)
    try:
        withdrawn = await invites.revoke_invite(request.app[NODE], acting, form.get("code", ""))
    except CoveError as e:
        return await _invites(request, acting, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{INVITES}?{urlencode({'done': 'withdrawn', 'code': withdrawn.code})}")
