"""Blocklist files on the federation pages: an import, uploaded or pasted, is read and its dry
run shown (what it adds, changes, leaves, skips and cuts); applying it sends the same text
back with the dry run's fingerprint, and the import is refused if it would now do anything
else. An export is a download in the formats `cove blocks export` writes."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from federation.errors import CoveError, Invalid
from moderation.blocklists import MAX_FILE_BYTES, FileFormat
from node.domain_policy import files
from node.domain_policy.files import ImportReport
from node.http.pages.render import render, told
from node.http.pages.staff import admin_of
from node.http.pages.uploads import uploaded_form
from node.http.state import NODE

routes = web.RouteTableDef()
IMPORT = "/admin/federation/import"
FORMATS = ("auto", *(f.value for f in FileFormat))
SHOWN = 500  # entries of each kind listed on a dry run (all are counted)
DOWNLOADS = {
    FileFormat.MASTODON: ("text/csv", "domain_blocks.csv"),
    FileFormat.GOTOSOCIAL: ("application/json", "domain_blocks.json"),
    FileFormat.PLAIN: ("text/plain", "domain_blocks.txt"),
}


def _import_form(
    request: web.Request, status: int = 200, *, chosen: str = "auto", problem: str | None = None
) -> web.Response:
    return render(
        request,
        "federation/import.html",
        status=status,
        chosen=chosen if chosen in FORMATS else "auto",
        problem=problem,
        megabytes=MAX_FILE_BYTES // 1_000_000,
    )


@routes.get(IMPORT)
async def import_page(request: web.Request) -> web.Response:
    await admin_of(request)
    return _import_form(request)


def _format(text: str) -> FileFormat | None:
    if text not in FORMATS:
        raise Invalid("choose a format: automatic, Mastodon CSV, GoToSocial JSON or plain list")
    return None if text == "auto" else FileFormat(text)


def _the_list(form: dict[str, str]) -> str:
    """The list as given (a file wins over pasted text), its line ends made one kind: the
    text goes back and forth through a form, which turns them into CR LF."""
    text = form.get("file") or form.get("text", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise Invalid("choose a file, or paste the list")
    return text


def _dry_run(
    request: web.Request,
    report: ImportReport,
    text: str,
    chosen: str,
    status: int = 200,
    problem: str | None = None,
) -> web.Response:
    return render(
        request,
        "federation/dry_run.html",
        status=status,
        report=report,
        diff=report.diff,
        shown=SHOWN,
        text=text,
        chosen=chosen,
        problem=problem,
        said=partial(told, request),
    )


@routes.post(IMPORT)
async def import_list(request: web.Request) -> web.StreamResponse:
    """Step one (no fingerprint): the dry run. Step two: apply what it showed, or nothing."""
    acting = await admin_of(request)
    node = request.app[NODE]
    try:
        form = await uploaded_form(request, MAX_FILE_BYTES)
    except Invalid as e:  # too large, or not text: said on the form (a bad token is a 403)
        return _import_form(request, e.status, problem=told(request, e))
    chosen = form.get("format", "auto")
    expect = form.get("shown")
    try:
        file_format = _format(chosen)
        text = _the_list(form)
        if expect is None:
            report = await files.import_list(node, acting, text, file_format, dry_run=True)
            return _dry_run(request, report, text, chosen)
        done = await files.import_list(
            node, acting, text, file_format, dry_run=False, expect=expect
        )
    except CoveError as e:
        if expect is None or e.status != 409:
            return _import_form(request, e.status, chosen=chosen, problem=told(request, e))
        # The blocks changed since: the new dry run, said to be new.
        report = await files.import_list(node, acting, text, file_format, dry_run=True)
        return _dry_run(request, report, text, chosen, e.status, told(request, e))
    added, changed = len(done.diff.add), len(done.diff.change)
    raise web.HTTPSeeOther(f"/admin/federation?done=imported&added={added}&changed={changed}")


@routes.get("/admin/federation/export")
async def export_list(request: web.Request) -> web.StreamResponse:
    await admin_of(request)
    try:
        chosen = FileFormat(request.query.get("format", "mastodon"))
    except ValueError:
        problem = told(
            request, Invalid("choose a format: Mastodon CSV, GoToSocial JSON or plain list")
        )
        return _import_form(request, 400, problem=problem)
    text = await files.export_list(request.app[NODE], chosen)
    kind, name = DOWNLOADS[chosen]
    return web.Response(
        text=text,
        content_type=kind,
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
