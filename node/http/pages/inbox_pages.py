"""What is waiting for a member: their notifications, and, for a moderator, the reports to
handle (a plain list, urgent first; a crisis report's words stay back until opened)."""

from __future__ import annotations

from aiohttp import web

from node.http.pages.members import member_of
from node.http.pages.render import render
from node.http.state import NODE
from node.members import notifications
from node.moderators.reports import decisions
from node.moderators.roles import Acting

routes = web.RouteTableDef()


@routes.get("/notifications")
async def notifications_page(request: web.Request) -> web.Response:
    account = await member_of(request)
    found = await notifications.notifications(request.app[NODE], account)
    return render(request, "notifications.html", notifications=found)


@routes.get("/moderation/reports")
async def reports_page(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    found = await decisions.list_reports(node, Acting.member(node, account))
    return render(request, "queue.html", reports=[r.guarded(False) for r in found])
