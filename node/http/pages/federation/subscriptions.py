"""Subscribed blocklists on the federation pages: each source with its trust, state, last fetch
and last error; subscribing (to a file's URL or another Cove node's actor), unsubscribing and
syncing now; the drafts the sources leave for an admin, accepted (a suspension says first what
it cuts) or rejected, and excluded; and the excludes."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError, Invalid
from moderation.domains import Severity, parse_severity
from node.domain_policy import cuts, drafts, sharing, sources, syncing
from node.http.pages.render import done_of, render, told
from node.http.pages.staff import admin_of
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.store.states import SourceKind

routes = web.RouteTableDef()
HERE = "/admin/federation/subscriptions"
DRAFTS = "/admin/federation/drafts"
EXCLUDES = "/admin/federation/excludes"
DRAFTS_SHOWN = 50
DONE = (
    "subscribed",
    "unsubscribed",
    "synced",
    "sync-failed",
    "accepted",
    "rejected",
    "excluded",
    "unexcluded",
)
FIELDS = ("location", "kind", "format", "max_severity", "mode")


async def _page(
    request: web.Request,
    status: int = 200,
    *,
    problem: str | None = None,
    form: dict[str, str] | None = None,
    exclude: dict[str, str] | None = None,
) -> web.Response:
    node = request.app[NODE]
    found = await sources.list_sources(node)
    return render(
        request,
        "federation/subscriptions.html",
        status=status,
        sources=found,
        where={s.id: s.location for s in found},
        drafts=await drafts.list_drafts(node, limit=DRAFTS_SHOWN),
        waiting=await drafts.drafts_waiting(node),
        excludes=await drafts.list_excludes(node),
        done=done_of(request, DONE, problem),
        problem=problem,
        form={name: (form or {}).get(name, "") for name in FIELDS},
        exclude={name: (exclude or {}).get(name, "") for name in ("domain", "source", "reason")},
    )


@routes.get(HERE)
async def subscriptions_page(request: web.Request) -> web.Response:
    await admin_of(request)
    return await _page(request)


def _key(form: dict[str, str], name: str) -> str:
    value = form.get(name, "").strip()
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        raise Invalid("choose which one")
    return value


@routes.post(HERE)
async def subscribe(request: web.Request) -> web.StreamResponse:
    """As `cove blocks subscribe`: the source is added, then read at once (a file fetched, or
    the node's actor followed and its published list read)."""
    acting = await admin_of(request)
    node, client = request.app[NODE], request.app[CLIENT]
    form = await checked_form(request)
    try:
        kind = SourceKind.ACTOR if form.get("kind") == "actor" else SourceKind.URL
        mode = form.get("mode", "draft")
        if mode not in ("draft", "apply"):
            raise Invalid("choose whether its changes wait for an admin or apply at once")
        source = await sources.add_source(
            node,
            acting,
            form.get("location", ""),
            kind=kind,
            file_format="cove"
            if kind == SourceKind.ACTOR
            else sources.parse_format(form.get("format", "auto")),
            max_severity=parse_severity(form.get("max_severity", "suspend")),
            drafts=mode == "draft",
        )
        if kind == SourceKind.ACTOR:
            done = await sharing.follow_source(node, client, source.id)
        else:
            done = await syncing.sync(node, client, str(source.id))
    except CoveError as e:
        return await _page(request, e.status, problem=told(request, e), form=form)
    said = "sync-failed" if done.status == "failed" else "subscribed"
    raise web.HTTPSeeOther(f"{HERE}?done={said}")


@routes.post(HERE + "/unsubscribe")
async def unsubscribe(request: web.Request) -> web.StreamResponse:
    acting = await admin_of(request)
    node = request.app[NODE]
    form = await checked_form(request)
    try:
        info, _ = await sources.remove_source(node, acting, _key(form, "source"))
        if info.kind == SourceKind.ACTOR:
            await sharing.unfollow_source(node, info)
    except CoveError as e:
        return await _page(request, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{HERE}?done=unsubscribed")


@routes.post(HERE + "/sync")
async def sync_now(request: web.Request) -> web.StreamResponse:
    await admin_of(request)  # as `cove blocks sync`: fetching changes nothing by hand
    form = await checked_form(request)
    try:
        done = await syncing.sync(request.app[NODE], request.app[CLIENT], _key(form, "source"))
    except CoveError as e:
        return await _page(request, e.status, problem=told(request, e))
    said = "sync-failed" if done.status == "failed" else "synced"
    raise web.HTTPSeeOther(f"{HERE}?done={said}")


# Drafts -------------------------------------------------------------------------------------


@routes.post(DRAFTS + "/accept")
async def accept(request: web.Request) -> web.StreamResponse:
    """Apply a draft as proposed; a suspension that would cut something is shown first."""
    acting = await admin_of(request)
    node = request.app[NODE]
    form = await checked_form(request)
    try:
        key = _key(form, "draft")
        if form.get("confirmed") != "yes":
            draft = await drafts.waiting_draft(node, int(key))
            suspends = (draft.proposed or {}).get("severity") == Severity.SUSPEND.value
            impact = await cuts.impact(node, [draft.domain]) if suspends else cuts.Impact()
            if impact.anything:
                return render(request, "federation/draft_confirm.html", draft=draft, impact=impact)
        await drafts.accept_draft(node, acting, int(key))
    except CoveError as e:
        return await _page(request, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{HERE}?done=accepted#drafts")


@routes.post(DRAFTS + "/reject")
async def reject(request: web.Request) -> web.StreamResponse:
    acting = await admin_of(request)
    form = await checked_form(request)
    try:
        key = int(_key(form, "draft"))
        exclude = form.get("exclude") == "yes"
        await drafts.reject_draft(request.app[NODE], acting, key, exclude=exclude)
    except CoveError as e:
        return await _page(request, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{HERE}?done=rejected#drafts")


# Excludes -----------------------------------------------------------------------------------


@routes.post(EXCLUDES)
async def exclude(request: web.Request) -> web.StreamResponse:
    acting = await admin_of(request)
    form = await checked_form(request)
    source = form.get("source", "").strip() or None
    try:
        await drafts.exclude(
            request.app[NODE],
            acting,
            form.get("domain", ""),
            _key(form, "source") if source else None,
            form.get("reason", "").strip()[:1000],
        )
    except CoveError as e:
        return await _page(request, e.status, problem=told(request, e), exclude=form)
    raise web.HTTPSeeOther(f"{HERE}?done=excluded#excludes")


@routes.post(EXCLUDES + "/remove")
async def unexclude(request: web.Request) -> web.StreamResponse:
    acting = await admin_of(request)
    form = await checked_form(request)
    source = form.get("source", "").strip() or None
    try:
        await drafts.unexclude(
            request.app[NODE],
            acting,
            form.get("domain", ""),
            _key(form, "source") if source else None,
        )
    except CoveError as e:
        return await _page(request, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{HERE}?done=unexcluded#excludes")
