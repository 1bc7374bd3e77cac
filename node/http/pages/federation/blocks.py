"""The federation page itself: the domain blocks in force, a page at a time; a block added or
changed (a new suspension says first what it cuts, and waits for a yes) or lifted; the
allows; and how one domain is treated, and why."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from federation.errors import CoveError, Invalid
from moderation.bans import parse_duration
from moderation.blocklists import MAX_COMMENT, BlockEntry
from moderation.domains import labels_of, normalise_domain, parse_severity
from node.domain_policy import blocks, drafts, mode, why
from node.domain_policy.blocks import BlockInfo
from node.http.pages.render import done_of, page_links, page_number, render, told
from node.http.pages.staff import admin_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.runtime import Node

routes = web.RouteTableDef()
HOME = "/admin/federation"
BLOCK = HOME + "/block"
PER_PAGE = 50
DONE = ("blocked", "lifted", "allowed", "disallowed", "imported", "switched")
FLAGS = ("reject_media", "reject_reports", "obfuscate")
LENGTHS = ("", "1d", "1w", "30d", "90d", "52w")  # the choices the form offers
FIELDS = ("domain", "severity", *FLAGS, "public_comment", "private_comment", "labels", "lasts")


async def overview(
    request: web.Request,
    status: int = 200,
    *,
    problem: str | None = None,
    allow_domain: str = "",
    allow_comment: str = "",
) -> web.Response:
    node = request.app[NODE]
    page = page_number(request.query.get("page"))
    found, total = await blocks.blocks_page(node, page, PER_PAGE)
    before, after = page_links(HOME, page, page * PER_PAGE < total)
    return render(
        request,
        "federation/blocks.html",
        status=status,
        blocks=found,
        total=total,
        before=before,
        after=after,
        allows=await blocks.list_allows(node),
        mode=await mode.mode_in_force(node),
        configured=node.config.federation.mode,
        drafts_waiting=await drafts.drafts_waiting(node),
        done=done_of(request, DONE, problem),
        imported=(_count(request, "added"), _count(request, "changed")),
        problem=problem,
        allow_domain=allow_domain,
        allow_comment=allow_comment,
    )


def _count(request: web.Request, name: str) -> int:
    text = request.query.get(name, "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else 0


@routes.get(HOME)
async def federation_page(request: web.Request) -> web.Response:
    await admin_of(request)
    return await overview(request)


# A block ----------------------------------------------------------------------------------


def _values(block: BlockInfo | None) -> dict[str, str]:
    """The form's fields for a block as it stands (a new one: a suspension)."""
    if block is None:
        return {name: "" for name in FIELDS} | {"severity": "suspend"}
    return {
        "domain": block.domain,
        "severity": block.severity.value,
        **{name: "yes" if getattr(block, name) else "" for name in FLAGS},
        "public_comment": block.public_comment,
        "private_comment": block.private_comment,
        "labels": ", ".join(block.labels),
        "lasts": "keep" if block.expires_at else "",
    }


async def _block_form(
    request: web.Request,
    status: int = 200,
    *,
    form: dict[str, str],
    existing: BlockInfo | None,
    problem: str | None = None,
) -> web.Response:
    return render(
        request,
        "federation/block.html",
        status=status,
        form={name: form.get(name, "") for name in FIELDS},
        existing=existing,
        problem=problem,
    )


@routes.get(BLOCK)
async def block_page(request: web.Request) -> web.Response:
    await admin_of(request)
    node = request.app[NODE]
    asked = request.query.get("domain", "")[:300]
    try:
        existing = await blocks.find_block(node, asked) if asked else None
    except Invalid as e:
        return await _block_form(
            request, e.status, form=_values(None), existing=None, problem=told(request, e)
        )
    values = _values(existing) if existing else _values(None) | {"domain": asked}
    return await _block_form(request, form=values, existing=existing)


def _entry(form: dict[str, str]) -> BlockEntry:
    for name in ("public_comment", "private_comment"):
        if len(form.get(name, "")) > MAX_COMMENT:
            raise Invalid("{name} is longer than {limit} characters", name=name, limit=MAX_COMMENT)
    return BlockEntry(
        domain=normalise_domain(form.get("domain", "")),
        severity=parse_severity(form.get("severity", "")),
        reject_media=form.get("reject_media") == "yes",
        reject_reports=form.get("reject_reports") == "yes",
        obfuscate=form.get("obfuscate") == "yes",
        public_comment=form.get("public_comment", "").strip(),
        private_comment=form.get("private_comment", "").strip(),
        labels=labels_of(form.get("labels", "")[:2000].split(",")),
    )


def _until(node: Node, lasts: str, existing: BlockInfo | None) -> datetime | None:
    if lasts == "keep" and existing is not None:
        return existing.expires_at
    if lasts not in LENGTHS:
        raise Invalid("choose how long the block lasts")
    return node.clock() + parse_duration(lasts) if lasts else None


@routes.post(BLOCK)
async def save_block(request: web.Request) -> web.StreamResponse:
    """Block a domain or change its block. A change that newly suspends and would cut
    something is shown first, with what it cuts; it is applied once confirmed."""
    acting = await admin_of(request)
    node = request.app[NODE]
    form = await checked_form(request)
    existing: BlockInfo | None = None
    try:
        entry = _entry(form)
        existing = await blocks.find_block(node, entry.domain)
        until = _until(node, form.get("lasts", ""), existing)
        if form.get("confirmed") != "yes":
            preview = await blocks.set_block(node, acting, entry, until, dry_run=True)
            if preview.impact.anything:
                shown = {name: form.get(name, "") for name in FIELDS} | {"domain": entry.domain}
                return render(
                    request,
                    "federation/block_confirm.html",
                    form=shown,
                    target=entry.domain,
                    impact=preview.impact,
                )
        await blocks.set_block(node, acting, entry, until)
    except CoveError as e:
        return await _block_form(
            request, e.status, form=form, existing=existing, problem=told(request, e)
        )
    raise web.HTTPSeeOther(f"{HOME}?done=blocked")


@routes.post(BLOCK + "/lift")
async def lift_block(request: web.Request) -> web.StreamResponse:
    acting = await admin_of(request)
    form = await checked_form(request)
    try:
        await blocks.remove_block(request.app[NODE], acting, form.get("domain", ""))
    except CoveError as e:
        return await overview(request, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{HOME}?done=lifted")


# Allows -------------------------------------------------------------------------------------


@routes.post(HOME + "/allow")
async def allow_domain(request: web.Request) -> web.StreamResponse:
    acting = await admin_of(request)
    form = await checked_form(request)
    domain, comment = form.get("domain", ""), form.get("comment", "").strip()[:1000]
    try:
        await blocks.allow(request.app[NODE], acting, domain, comment)
    except CoveError as e:
        return await overview(
            request,
            e.status,
            problem=told(request, e),
            allow_domain=domain[:300],
            allow_comment=comment,
        )
    raise web.HTTPSeeOther(f"{HOME}?done=allowed#allows")


@routes.post(HOME + "/allow/remove")
async def disallow_domain(request: web.Request) -> web.StreamResponse:
    acting = await admin_of(request)
    form = await checked_form(request)
    try:
        await blocks.disallow(request.app[NODE], acting, form.get("domain", ""))
    except CoveError as e:
        return await overview(request, e.status, problem=told(request, e))
    raise web.HTTPSeeOther(f"{HOME}?done=disallowed#allows")


# Why ----------------------------------------------------------------------------------------


@routes.get(HOME + "/why")
async def why_page(request: web.Request) -> web.Response:
    await admin_of(request)
    asked = request.query.get("domain", "").strip()[:300]
    found, problem, status = None, None, 200
    if asked:
        try:
            found = await why.explain(request.app[NODE], asked)
        except CoveError as e:
            problem, status = told(request, e), e.status
    return render(
        request, "federation/why.html", status=status, why=found, asked=asked, problem=problem
    )
