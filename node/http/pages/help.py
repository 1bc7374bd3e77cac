"""The "Need help now?" page every page links to: the crisis lines and services for the
visitor's country and language, from the table crisis care uses (admins edit it)."""

from __future__ import annotations

from functools import partial

from aiohttp import web
from babel import Locale

from moderation.crisis.places import parse_country
from node.crisis import resources
from node.http.pages.render import render, visitor_of
from node.http.state import NODE, PAGE_CACHE

routes = web.RouteTableDef()


@routes.get("/help")
async def help_page(request: web.Request) -> web.Response:
    asked = request.query.get("country", "").strip()
    made = partial(_help_page, request, asked)
    return await request.app[PAGE_CACHE].page(request, asked.upper(), made)


async def _help_page(request: web.Request, asked: str) -> web.Response:
    node = request.app[NODE]
    country = parse_country(asked, anywhere=False) if asked else node.config.crisis.default_country
    language = visitor_of(request).language
    found, countries = await resources.help_lines(node, country, language)
    names = Locale.parse(language).territories
    return render(
        request,
        "help.html",
        resources=found,
        country=country or "",
        countries=[(c, names.get(c, c)) for c in countries],
    )
