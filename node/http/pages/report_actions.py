"""What a moderator does from a report's page: decide it (the reporter hears the note), act on
its post (remove, restore, purge, lock its thread, pin, release it when held) and on its person
(ban from the group for a while or for good, keep their server out of the group, tell their
server of a worry for their safety). Each is the domain function the CLI calls, checked
against the same role; the post and the person are the report's, never a form's."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from federation.errors import CoveError, Invalid, NotFound
from moderation.reports import ReportState
from node.crisis import holds, referrals
from node.groups.groups import GroupInfo
from node.http.pages.moderator_forms import act_on_post, ban_from_form, keep_server_out
from node.http.pages.render import told
from node.http.pages.report_queue import item_page, report_id_of, report_path
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.moderators import bans, group_domain_blocks
from node.moderators.reports import decisions
from node.moderators.reports import item as items
from node.moderators.reports.item import PostStanding, ReportItem
from node.moderators.roles import Acting

routes = web.RouteTableDef()
ITEM = "/moderation/reports/{report_id}"
VERDICTS = {
    "resolve": (ReportState.RESOLVED, "resolved"),
    "dismiss": (ReportState.DISMISSED, "dismissed"),
    "reopen": (ReportState.OPEN, "reopened"),
}

Action = Callable[[web.Request, Acting, ReportItem, dict[str, str]], Awaitable[str]]


async def _act(request: web.Request, action: Action) -> web.StreamResponse:
    """Check the form, find the report as the one acting may see it, do the action; back to
    the report's page with what was done, or with why not."""
    acting = await acting_of(request)
    form = await checked_form(request)
    report_id = report_id_of(request)
    item = await items.report_item(request.app[NODE], acting, report_id, words=False)
    try:
        done = await action(request, acting, item, form)
    except CoveError as e:
        problem = told(request, e)
        return await item_page(
            request, acting, report_id, status=e.status, problem=problem, form=form
        )
    raise web.HTTPSeeOther(f"{report_path(report_id)}?done={done}")


def _post_of(item: ReportItem) -> tuple[GroupInfo, PostStanding]:
    if item.group is None or item.post is None or item.post.gone:
        raise NotFound("this report is about no post kept in a group here")
    return item.group, item.post


def _person_of(item: ReportItem) -> tuple[GroupInfo, str]:
    if item.group is None or item.person is None:
        raise NotFound("this report is about no one in a group here")
    return item.group, item.person


async def _decide(
    request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]
) -> str:
    verdict = VERDICTS.get(form.get("verdict", ""))
    if verdict is None:
        raise Invalid("choose to resolve, dismiss or reopen the report")
    state, done = verdict
    await decisions.decide(request.app[NODE], acting, item.report.id, state, form.get("note", ""))
    return done


async def _on_post(
    request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]
) -> str:
    group, post = _post_of(item)
    node, client = request.app[NODE], request.app[CLIENT]
    return await act_on_post(node, client, acting, group.name, post.uri, post.thread_uri, form)


async def _release(
    request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]
) -> str:
    _, post = _post_of(item)
    resources = form.get("with_resources") == "yes"
    await holds.release(
        request.app[NODE], request.app[CLIENT], acting, post.uri, with_resources=resources
    )
    return "released"


async def _ban(request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]) -> str:
    group, person = _person_of(item)
    node, client = request.app[NODE], request.app[CLIENT]
    return await ban_from_form(node, client, acting, group.name, person, form)


async def _unban(
    request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]
) -> str:
    group, person = _person_of(item)
    await bans.unban(request.app[NODE], request.app[CLIENT], acting, group.name, person)
    return "unbanned"


def _server_of(item: ReportItem) -> tuple[GroupInfo, str]:
    group, _ = _person_of(item)
    if item.person_server is None:
        raise Invalid("they are a member of this node: ban them instead")
    return group, item.person_server


async def _keep_out(
    request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]
) -> str:
    group, server = _server_of(item)
    return await keep_server_out(request.app[NODE], acting, group.name, server, form)


async def _let_in(
    request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]
) -> str:
    group, server = _server_of(item)
    await group_domain_blocks.unblock_domain(request.app[NODE], acting, group.name, server)
    return "let_in"


async def _refer(
    request: web.Request, acting: Acting, item: ReportItem, form: dict[str, str]
) -> str:
    """Tell the person's home server of a worry for their safety (`cove report refer`)."""
    await referrals.refer(
        request.app[NODE], request.app[CLIENT], acting, item.report.id, form.get("comment", "")
    )
    return "referred"


ACTIONS: dict[str, Action] = {
    "decide": _decide,
    "post": _on_post,
    "release": _release,
    "ban": _ban,
    "unban": _unban,
    "keep-out": _keep_out,
    "let-in": _let_in,
    "refer": _refer,
}


@routes.post(ITEM + "/{action}")
async def act(request: web.Request) -> web.StreamResponse:
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise NotFound("nothing here")
    return await _act(request, action)
