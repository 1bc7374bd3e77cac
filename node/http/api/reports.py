"""Reports over the API: Mastodon's admin report endpoints and its filing endpoint under
/api/v1, Cove's decisions (resolve, dismiss, reopen) and a member's own reports."""

from __future__ import annotations

from aiohttp import web

from moderation.reports import ReportState
from node.http.api import auth, entities, params
from node.http.api.paths import COVE, MASTODON, routes_on
from node.http.responses import json_response
from node.http.state import CLIENT, NODE
from node.moderators.reports import decisions, filed
from node.moderators.reports.info import ReportInfo

routes = web.RouteTableDef()
_route = routes_on(routes)
MAX_REPORTS = 200  # Mastodon's ceiling for `limit` on the admin report list


# Mastodon: admin reports ------------------------------------------------------------------------


@_route("GET", f"{MASTODON}/admin/reports")
async def admin_reports(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:read:reports")
    query = params.query(request)
    resolved = query.flag("resolved", False)
    limit = query.limit("limit", 100, MAX_REPORTS)
    node = request.app[NODE]
    # Mastodon has one closed state; Cove tells resolved from dismissed.
    closed = (ReportState.RESOLVED, ReportState.DISMISSED)
    states = closed if resolved else (ReportState.OPEN,)
    found = await decisions.list_reports(node, caller.acting, states, limit)
    return json_response([entities.admin_report(r) for r in found])


@_route("GET", MASTODON + "/admin/reports/{id}")
async def admin_report(request: web.Request) -> web.Response:
    caller = await auth.caller(request, "admin:read:reports")
    node = request.app[NODE]
    info = await decisions.get_report(node, caller.acting, params.path_id(request, "report"))
    # A crisis report's post is read on request (`?text=true`): the reason comes first.
    with_text = request.query.get("text", "").lower() in ("1", "true")
    return json_response(entities.admin_report(info.guarded(with_text)))


async def _decide(request: web.Request, state: ReportState) -> ReportInfo:
    caller = await auth.caller(request, "admin:write:reports")
    report_id = params.path_id(request, "report")
    note = (await params.body(request)).text("note")
    node = request.app[NODE]
    await decisions.decide(node, caller.acting, report_id, state, note)
    return await decisions.get_report(node, caller.acting, report_id)


@_route("POST", MASTODON + "/admin/reports/{id}/resolve")
async def admin_resolve(request: web.Request) -> web.Response:
    return json_response(entities.admin_report(await _decide(request, ReportState.RESOLVED)))


@_route("POST", MASTODON + "/admin/reports/{id}/reopen")
async def admin_reopen(request: web.Request) -> web.Response:
    return json_response(entities.admin_report(await _decide(request, ReportState.OPEN)))


# Mastodon: filing a report ----------------------------------------------------------------------


@_route("POST", f"{MASTODON}/reports")
async def file_report(request: web.Request) -> web.Response:
    """Mastodon's parameters, with URLs for ids: the report is about the first status given,
    else the account. Mastodon's `forward` is read and ignored: Cove always tells the server
    that hosts the reported thing. Cove's `identify` names the reporter there (default: the
    report comes from this node's instance actor, as Mastodon's forwarded reports do)."""
    caller = await auth.caller(request, "write:reports")
    fields = await params.body(request)
    account_uri = params.url("account_id", fields.required("account_id"))
    statuses = [params.url("status_ids", s) for s in fields.texts("status_ids")]
    fields.flag("forward", False)
    info = await filed.file_report(
        request.app[NODE],
        request.app[CLIENT],
        caller.account,
        statuses[0] if statuses else account_uri,
        category=fields.optional("category"),
        rules=fields.numbers("rule_ids"),
        comment=fields.text("comment"),
        identify=fields.flag("identify", False),
    )
    return json_response(entities.report(info))


# Cove: reports ----------------------------------------------------------------------------------


@_route("POST", COVE + "/reports/{id}/resolve")
async def resolve(request: web.Request) -> web.Response:
    return json_response((await _decide(request, ReportState.RESOLVED)).as_json())


@_route("POST", COVE + "/reports/{id}/dismiss")
async def dismiss(request: web.Request) -> web.Response:
    return json_response((await _decide(request, ReportState.DISMISSED)).as_json())


@_route("POST", COVE + "/reports/{id}/reopen")
async def reopen(request: web.Request) -> web.Response:
    return json_response((await _decide(request, ReportState.OPEN)).as_json())


@_route("GET", f"{COVE}/reports/mine")
async def my_reports(request: web.Request) -> web.Response:
    # Mastodon has no scope for reading one's own reports: `read` covers it.
    caller = await auth.caller(request, "read")
    found = await decisions.my_reports(request.app[NODE], caller.account)
    return json_response([r.as_json() for r in found])
