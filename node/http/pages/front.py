"""The node's front page: what it is, and the directory of its listed groups by kind, topic
and words, a page at a time."""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web

from federation.errors import Invalid
from node.groups import directory
from node.groups.kinds import normalise_topic, parse_kind
from node.http.pages.render import render
from node.http.state import NODE, PAGE_CACHE
from node.store.states import GroupKind
from node.text import plain_to_html


def _cursor(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or len(text) > 18:
        raise Invalid("that page of the directory does not exist")
    return int(text)


DIRECTORY_QUERY = ("q", "kind", "topic", "before", "after")


async def front_page(request: web.Request) -> web.Response:
    asked = urlencode([(k, request.query[k][:200]) for k in DIRECTORY_QUERY if k in request.query])
    return await request.app[PAGE_CACHE].page(request, asked, lambda: _front_page(request))


async def _front_page(request: web.Request) -> web.Response:
    node = request.app[NODE]
    asked = request.query
    kind = parse_kind(asked["kind"]) if asked.get("kind") else None
    query = asked.get("q", "").strip() or None
    topic = asked.get("topic", "").strip() or None
    page = await directory.directory(
        node,
        kind=kind,
        query=query,
        topic=topic,
        before=_cursor(asked.get("before")),
        after=_cursor(asked.get("after")),
    )
    kept = {k: v for k, v in (("q", query), ("kind", kind), ("topic", topic)) if v}

    def link(**cursor: int) -> str:
        return "/?" + urlencode({**kept, **cursor})

    return render(
        request,
        "home.html",
        description_html=plain_to_html(node.config.node.description),
        listings=page.groups,
        kinds=[k.value for k in GroupKind],
        kind=kind.value if kind else "",
        query=query or "",
        topic=topic or "",
        searched=bool(kept),
        older_url=link(before=page.older) if page.older else None,
        newer_url=link(after=page.newer) if page.newer else None,
    )


routes = web.RouteTableDef()


@routes.get("/tags/{topic}")
async def topic_page(request: web.Request) -> web.StreamResponse:
    """A topic's Hashtag link (its href on a group's actor): the directory on that topic."""
    topic = normalise_topic(request.match_info["topic"])
    raise web.HTTPFound("/?" + urlencode({"topic": topic}))
