"""The crisis resources from the admins' pages: the table of crisis lines and services by
country and language that crisis care and the "Need help now?" page give, each entry added,
edited, checked for the node's region or removed, with the console's own checks. The help
page shows a change at once: its kept pages are dropped when this table changes."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError, NotFound
from node.crisis import resources
from node.http.pages.render import done_of, render, told
from node.http.pages.staff import admin_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE

routes = web.RouteTableDef()
RESOURCES = "/admin/crisis-resources"
FIELDS = ("country", "language", "name", "contact", "url", "description")
LONGEST = resources.MAX_URL  # no field a form sends is longer than this
DONE = ("added", "edited", "removed", "verified", "seeded")


def _given(form: dict[str, str]) -> dict[str, str]:
    return {f: form.get(f, "")[:LONGEST] for f in FIELDS}


async def _resources(
    request: web.Request,
    status: int = 200,
    *,
    given: dict[str, str] | None = None,
    problem: str | None = None,
) -> web.Response:
    return render(
        request,
        "admin_crisis.html",
        status=status,
        resources=await resources.list_resources(request.app[NODE]),
        given=given or dict.fromkeys(FIELDS, ""),
        done=done_of(request, DONE, problem),
        problem=problem,
    )


@routes.get(RESOURCES)
async def resources_page(request: web.Request) -> web.Response:
    await admin_of(request)
    return await _resources(request)


@routes.post(RESOURCES)
async def add(request: web.Request) -> web.Response:
    acting = await admin_of(request)
    given = _given(await checked_form(request))
    try:
        new = resources.Resource(
            country=given["country"],
            language=given["language"],
            name=given["name"],
            contact=given["contact"],
            url=given["url"],
            description=given["description"],
        )
        await resources.add_resource(request.app[NODE], acting, new)
    except CoveError as e:
        return await _resources(request, e.status, given=given, problem=told(request, e))
    raise web.HTTPSeeOther(f"{RESOURCES}?done=added")


@routes.post(RESOURCES + "/seed")
async def seed(request: web.Request) -> web.Response:
    acting = await admin_of(request)
    await checked_form(request)
    await resources.seed_missing(request.app[NODE], acting)
    raise web.HTTPSeeOther(f"{RESOURCES}?done=seeded")


def _number(request: web.Request) -> int:
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 9:
        raise NotFound("no crisis resource {resource_id}", resource_id=text[:20])
    return int(text)


async def _edit_form(
    request: web.Request,
    resource: resources.Resource,
    status: int = 200,
    given: dict[str, str] | None = None,
    problem: str | None = None,
) -> web.Response:
    shown = given or {f: getattr(resource, f) or "" for f in FIELDS}
    return render(
        request,
        "admin_crisis_edit.html",
        status=status,
        resource=resource,
        given=shown,
        problem=problem,
    )


@routes.get(RESOURCES + "/{id}")
async def edit_page(request: web.Request) -> web.Response:
    await admin_of(request)
    resource = await resources.get_resource(request.app[NODE], _number(request))
    return await _edit_form(request, resource)


@routes.post(RESOURCES + "/{id}")
async def edit(request: web.Request) -> web.Response:
    acting = await admin_of(request)
    given = _given(await checked_form(request))
    node = request.app[NODE]
    resource = await resources.get_resource(node, _number(request))
    changes: dict[str, str | None] = dict(given)
    try:
        await resources.edit_resource(node, acting, _number(request), changes)
    except CoveError as e:
        return await _edit_form(request, resource, e.status, given, told(request, e))
    raise web.HTTPSeeOther(f"{RESOURCES}?done=edited")


@routes.post(RESOURCES + "/{id}/remove")
async def remove(request: web.Request) -> web.Response:
    acting = await admin_of(request)
    await checked_form(request)
    await resources.remove_resource(request.app[NODE], acting, _number(request))
    raise web.HTTPSeeOther(f"{RESOURCES}?done=removed")


@routes.post(RESOURCES + "/{id}/verified")
async def verified(request: web.Request) -> web.Response:
    acting = await admin_of(request)
    await checked_form(request)
    await resources.mark_verified(request.app[NODE], acting, _number(request))
    raise web.HTTPSeeOther(f"{RESOURCES}?done=verified")
