"""What is waiting for a member: their notifications. (A moderator's reports to handle are
the queue's own pages: queue.py.)"""

from __future__ import annotations

from aiohttp import web

from node.http.pages.members import member_of
from node.http.pages.render import render
from node.http.state import NODE
from node.members import notifications

routes = web.RouteTableDef()


@routes.get("/notifications")
async def notifications_page(request: web.Request) -> web.Response:
    account = await member_of(request)
    found = await notifications.notifications(request.app[NODE], account)
    return render(request, "notifications.html", notifications=found)
