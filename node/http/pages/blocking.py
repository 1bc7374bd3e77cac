"""A member's blocks and mutes of people on the pages: whom they keep away, a form to block
or mute someone (reached from a post too), and each one undone by a button."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError, Invalid
from node.http.pages.members import member_of
from node.http.pages.render import done_of, render, told
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.members import person_blocks
from node.members.accounts import AccountInfo
from node.store.states import PersonBlockKind

routes = web.RouteTableDef()
PEOPLE = "/settings/people"
DONE = ("block", "mute", "unblock", "unmute")


async def _people(
    request: web.Request,
    account: AccountInfo,
    status: int = 200,
    *,
    person: str = "",
    problem: str | None = None,
) -> web.Response:
    return render(
        request,
        "people.html",
        status=status,
        kept_away=await person_blocks.blocks_of(request.app[NODE], account.id),
        person=person,
        problem=problem,
        done=done_of(request, DONE, problem),
        local_prefix=request.app[NODE].urls.person(""),
    )


def _kind(form: dict[str, str]) -> PersonBlockKind:
    try:
        return PersonBlockKind(form.get("kind", ""))
    except ValueError:
        raise Invalid("choose to block or to mute") from None


@routes.get(PEOPLE)
async def people_page(request: web.Request) -> web.Response:
    account = await member_of(request)
    return await _people(request, account, person=request.query.get("person", "")[:500])


@routes.post(PEOPLE)
async def keep_away(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    person = form.get("person", "")
    try:
        kind = _kind(form)
        act = person_blocks.block if kind == PersonBlockKind.BLOCK else person_blocks.mute
        await act(node, request.app[CLIENT], account, person)
    except CoveError as e:
        return await _people(request, account, e.status, person=person, problem=told(request, e))
    raise web.HTTPSeeOther(f"{PEOPLE}?done={kind.value}")


@routes.post(PEOPLE + "/undo")
async def let_back(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    try:
        kind = _kind(form)
        act = person_blocks.unblock if kind == PersonBlockKind.BLOCK else person_blocks.unmute
        await act(node, request.app[CLIENT], account, form.get("person", ""))
    except CoveError as e:
        return await _people(request, account, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{PEOPLE}?done=un{kind.value}")
