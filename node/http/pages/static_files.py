"""The pages' own files (the stylesheet, a little script): served from the package, cached
for a year (their links carry a version that changes with them)."""

from __future__ import annotations

import functools
import mimetypes
from importlib import resources as package_files

from aiohttp import web

from federation.errors import NotFound

routes = web.RouteTableDef()
SERVED = frozenset({"cove.css", "cove.js"})


@functools.cache
def _content(name: str) -> bytes:
    return package_files.files("node.http.pages").joinpath("static", name).read_bytes()


@routes.get("/static/{name}")
async def static_file(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in SERVED:
        raise NotFound("no such file")
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return web.Response(
        body=_content(name),
        content_type=kind,
        charset="utf-8" if kind.startswith("text/") else None,
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
