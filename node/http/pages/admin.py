"""The admins' door: one page that leads to each part of running the node (accounts,
federation, health, crisis resources), each its own module."""

from __future__ import annotations

from aiohttp import web

from node.http.pages.render import render
from node.http.pages.staff import admin_of

routes = web.RouteTableDef()


@routes.get("/admin")
async def admin_page(request: web.Request) -> web.Response:
    await admin_of(request)
    return render(request, "admin.html")
