"""The moderators' queue on the pages: the reports to handle, urgent first (crisis items on
top with why they were flagged), a page at a time; and one report's page with its history and
what a moderator can do about it. The reported words stay out of both pages until asked for."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from federation.errors import NotFound
from moderation.reports import ReportState
from node.http.pages.render import done_of, page_number, render
from node.http.pages.staff import acting_of
from node.http.state import NODE
from node.moderators.reports import item as items
from node.moderators.reports import queue
from node.moderators.roles import Acting

routes = web.RouteTableDef()
QUEUE = "/moderation/reports"
SHOWN = {
    "open": (ReportState.OPEN,),
    "decided": (ReportState.RESOLVED, ReportState.DISMISSED),
}
# What an action on a report's page did, as the notice after it says (the actions module
# redirects here with one of these).
DONE = (
    "resolved",
    "dismissed",
    "reopened",
    "removed",
    "restored",
    "purged",
    "locked",
    "unlocked",
    "pinned",
    "unpinned",
    "banned",
    "unbanned",
    "kept_out",
    "let_in",
    "released",
    "referred",
)


def report_path(report_id: int) -> str:
    return f"{QUEUE}/{report_id}"


def _page_url(state: str, page: int) -> str:
    query = {k: v for k, v in (("state", state), ("page", str(page))) if v not in ("open", "1")}
    return f"{QUEUE}?{urlencode(query)}" if query else QUEUE


@routes.get(QUEUE)
async def queue_page(request: web.Request) -> web.Response:
    node = request.app[NODE]
    acting = await acting_of(request)
    state = request.query.get("state", "open")
    state = state if state in SHOWN else "open"
    page = page_number(request.query.get("page"))
    found = await queue.queue_page(node, acting, SHOWN[state], page)
    entries = found.entries
    return render(
        request,
        "queue.html",
        state=state,
        still_held=found.still_held,
        urgent=[e for e in entries if e.report.urgent],
        others=[e for e in entries if not e.report.urgent],
        newer_url=_page_url(state, page - 1) if page > 1 else None,
        older_url=_page_url(state, page + 1) if found.more else None,
        open_url=_page_url("open", 1),
        decided_url=_page_url("decided", 1),
    )


def report_id_of(request: web.Request) -> int:
    text = request.match_info["report_id"]
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        raise NotFound("no report {report_id}", report_id=text)
    return int(text)


async def item_page(
    request: web.Request,
    acting: Acting,
    report_id: int,
    *,
    status: int = 200,
    problem: str | None = None,
    form: dict[str, str] | None = None,
) -> web.Response:
    """One report's page; after a refused action, with its reason and what was typed."""
    node = request.app[NODE]
    words = request.query.get("words") == "shown" and problem is None
    shown = await items.report_item(node, acting, report_id, words=words)
    return render(
        request,
        "report_item.html",
        status=status,
        item=shown,
        report=shown.report,
        here=report_path(report_id),
        problem=problem,
        done=done_of(request, DONE, problem),
        form=form or {},
    )


@routes.get(QUEUE + "/{report_id}")
async def report_page(request: web.Request) -> web.Response:
    return await item_page(request, await acting_of(request), report_id_of(request))
