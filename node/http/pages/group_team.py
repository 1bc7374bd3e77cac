"""A group's moderators, for its owner or a node admin: who they are, a member appointed or
taken off the team, and whether the public moderation log names them. The same roles and
checks as `cove group mod` and `cove group modlog-names`."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError
from node.http.pages.render import render, told
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.locale.languages import Sentence
from node.moderators import appointments, removals
from node.moderators.roles import Acting

routes = web.RouteTableDef()
TEAM = "/g/{name}/team"
DONE = ("appointed", "removed", "names")
NAMES_CHOICE = Sentence("choose whether the public log names the moderators")


async def _page(
    request: web.Request,
    acting: Acting,
    status: int = 200,
    *,
    username: str = "",
    problem: str | None = None,
) -> web.Response:
    """The team (the role checked first: a refusal shows nothing of the group)."""
    team = await appointments.team_of(request.app[NODE], acting, request.match_info["name"])
    done = request.query.get("done")
    return render(
        request,
        "group_team.html",
        status=status,
        group=team.group,
        team=team,
        username=username,
        problem=problem,
        done=done if status == 200 and done in DONE else None,
    )


def _username(text: str, domain: str) -> str:
    """A member here as typed: kim, @kim or @kim@this-node."""
    name, _, host = text.strip().lstrip("@").partition("@")
    return name if host.lower() in ("", domain) else text.strip()


@routes.get(TEAM)
async def team_page(request: web.Request) -> web.Response:
    return await _page(request, await acting_of(request))


async def _appointing(request: web.Request, moderator: bool) -> web.StreamResponse:
    node = request.app[NODE]
    acting = await acting_of(request)
    form = await checked_form(request)
    name = request.match_info["name"]
    typed = form.get("username", "")
    try:
        await appointments.set_moderator(
            node,
            request.app[CLIENT],
            acting,
            name,
            _username(typed, node.urls.domain),
            moderator=moderator,
        )
    except CoveError as e:
        shown = typed if moderator else ""
        return await _page(request, acting, e.status, username=shown, problem=told(request, e))
    done = "appointed" if moderator else "removed"
    raise web.HTTPSeeOther(f"/g/{name.lower()}/team?done={done}")


@routes.post(TEAM + "/appoint")
async def appoint(request: web.Request) -> web.StreamResponse:
    return await _appointing(request, moderator=True)


@routes.post(TEAM + "/remove")
async def remove(request: web.Request) -> web.StreamResponse:
    return await _appointing(request, moderator=False)


@routes.post(TEAM + "/modlog-names")
async def modlog_names(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    acting = await acting_of(request)
    form = await checked_form(request)
    name = request.match_info["name"]
    choice = form.get("names")
    if choice not in ("hide", "show"):
        return await _page(request, acting, 400, problem=told(request, NAMES_CHOICE))
    await removals.set_modlog_names_hidden(node, acting, name, hidden=choice == "hide")
    raise web.HTTPSeeOther(f"/g/{name.lower()}/team?done=names")
