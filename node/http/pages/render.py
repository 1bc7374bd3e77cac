"""Server-rendered HTML pages for people in browsers (Jinja2 templates, autoescaped)."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from node.http.state import NODE, TEMPLATES


def template_environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("node.http.pages", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    node = request.app[NODE]
    page = (
        request.app[TEMPLATES]
        .get_template(template)
        .render(node_name=node.config.node.name, domain=node.urls.domain, **context)
    )
    return web.Response(
        text=page,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={"Vary": "Accept"},
    )


def render_error(request: web.Request, status: int, reason: str) -> web.Response:
    return render(request, "error.html", status=status, status_code=status, reason=reason)
