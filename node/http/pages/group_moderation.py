"""A group's moderation page (/g/NAME/moderation), for its moderators and the node's staff: the
bans in force, lifted with a button, and a ban of anyone named (`cove group ban|unban|bans`);
the servers kept out of the group, let in again, and a server kept out (`cove group
block-domain|unblock-domain|blocked-domains`); the posts held for review that no report brings
to the queue, released (`cove safety held|release`). And the list of the groups one moderates
(/moderation/groups), which leads to each one's page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from federation.errors import CoveError, Invalid, NotFound, Refused
from moderation import roles
from node.crisis import holds
from node.http.pages.moderator_forms import ban_end, keep_server_out, reason_of
from node.http.pages.render import done_of, render, told
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.moderators import bans, group_domain_blocks, group_moderation
from node.moderators.roles import Acting

routes = web.RouteTableDef()
PAGE = "/g/{name}/moderation"
GROUPS = "/moderation/groups"
DONE = ("banned", "unbanned", "kept_out", "let_in", "released", "purged")
MAX_WHO = 500  # a handle or an actor's URL

Action = Callable[[web.Request, Acting, str, dict[str, str]], Awaitable[str]]


def _path(name: str) -> str:
    return f"/g/{name}/moderation"


async def _page(
    request: web.Request,
    acting: Acting,
    name: str,
    *,
    status: int = 200,
    problem: str | None = None,
    form: dict[str, str] | None = None,
) -> web.Response:
    shown = await group_moderation.group_moderation(request.app[NODE], acting, name)
    return render(
        request,
        "group_moderation.html",
        status=status,
        shown=shown,
        group=shown.group,
        here=_path(shown.group.name),
        group_url=request.app[NODE].urls.group(shown.group.name),
        problem=problem,
        done=done_of(request, DONE, problem),
        form=form or {},
    )


@routes.get(PAGE)
async def moderation_page(request: web.Request) -> web.Response:
    return await _page(request, await acting_of(request), request.match_info["name"])


async def _ban(request: web.Request, acting: Acting, group: str, form: dict[str, str]) -> str:
    node = request.app[NODE]
    who = form.get("who", "").strip()
    if len(who) > MAX_WHO:
        raise Invalid("name someone: a member's name here, @user@host, or their URL")
    ends, reason = ban_end(node.clock(), form), reason_of(form)
    await group_moderation.ban_named(
        node,
        request.app[CLIENT],
        acting,
        group,
        who,
        reason,
        ends,
        remove_content=form.get("remove_content") == "yes",
    )
    return "banned"


async def _unban(request: web.Request, acting: Acting, group: str, form: dict[str, str]) -> str:
    node, client = request.app[NODE], request.app[CLIENT]
    await bans.unban(node, client, acting, group, form.get("actor", ""))
    return "unbanned"


async def _keep_out(request: web.Request, acting: Acting, group: str, form: dict[str, str]) -> str:
    server = form.get("server", "").strip()
    if not server:
        raise Invalid("write the server's name, as in example.social")
    return await keep_server_out(request.app[NODE], acting, group, server, form)


async def _let_in(request: web.Request, acting: Acting, group: str, form: dict[str, str]) -> str:
    server = form.get("server", "")
    await group_domain_blocks.unblock_domain(request.app[NODE], acting, group, server)
    return "let_in"


async def _release(request: web.Request, acting: Acting, group: str, form: dict[str, str]) -> str:
    node, client = request.app[NODE], request.app[CLIENT]
    resources = form.get("with_resources") == "yes"
    await holds.release(node, client, acting, form.get("post", ""), with_resources=resources)
    return "released"


ACTIONS: dict[str, Action] = {
    "ban": _ban,
    "unban": _unban,
    "keep-out": _keep_out,
    "let-in": _let_in,
    "release": _release,
}


@routes.post(PAGE + "/{action}")
async def act(request: web.Request) -> web.StreamResponse:
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise NotFound("nothing here")
    acting = await acting_of(request)
    form = await checked_form(request)
    name = request.match_info["name"].lower()
    try:
        done = await action(request, acting, name, form)
    except CoveError as e:
        # Refused to one who moderates it: the page says why; to anyone else, a 403 page.
        problem = told(request, e)
        return await _page(request, acting, name, status=e.status, problem=problem, form=form)
    raise web.HTTPSeeOther(f"{_path(name)}?done={done}")


@routes.get(GROUPS)
async def groups_page(request: web.Request) -> web.Response:
    acting = await acting_of(request)
    found = await group_moderation.moderated_groups(request.app[NODE], acting)
    if not found and not roles.may_moderate_node(acting.role):
        raise Refused("{who} moderates no group here", who=acting.name)
    return render(request, "moderated_groups.html", groups=found)
