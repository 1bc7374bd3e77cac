"""A server of blocklist files on loopback, as a subscription fetches them: each file with an
ETag and a Last-Modified (conditional fetches answer 304), a status or content type to answer
instead when told, and every ask counted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from tests.conftest import free_port, serving_app


@dataclass
class ListServer:
    """Serves blocklist files by name, with an ETag and Last-Modified each; counts asks."""

    base: str
    files: dict[str, str] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)  # name -> a status to answer instead
    content_type: dict[str, str] = field(default_factory=dict)
    asked: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


@asynccontextmanager
async def list_server() -> AsyncIterator[ListServer]:
    port = free_port()
    server = ListServer(f"http://127.0.0.1:{port}")

    async def serve(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        server.asked.append(
            (name, request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since"))
        )
        if name in server.status:
            return web.Response(status=server.status[name], text="no")
        text = server.files.get(name)
        if text is None:
            raise web.HTTPNotFound()
        tag = f'"{hash(text) & 0xFFFFFFFF:x}"'
        modified = "Tue, 01 Dec 2026 10:00:00 GMT"
        if request.headers.get("If-None-Match") == tag:
            return web.Response(status=304, headers={"ETag": tag})
        kind = server.content_type.get(name, "text/csv")
        headers = {"ETag": tag, "Last-Modified": modified, "Content-Type": kind}
        return web.Response(body=text.encode(), headers=headers)

    app = web.Application()
    app.router.add_get("/{name}", serve)
    async with serving_app(app, port):
        yield server
