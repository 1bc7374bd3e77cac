"""A thread's page: its first post and the replies beneath it, a page of replies at a time,
as the visitor may see them."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from node.groups import membership, threads
from node.groups.bylines import bylines
from node.http.pages.render import page_links, page_number, render, visitor_of
from node.http.pages.visitors import viewer_of
from node.http.state import NODE, PAGE_CACHE

routes = web.RouteTableDef()


async def thread_at(request: web.Request) -> threads.Thread:
    """The first page of the thread the path names (/g/NAME/t/ID) as the visitor may see it:
    NotFound, as for a missing one, when they may not."""
    node = request.app[NODE]
    return await threads.thread(
        node,
        viewer_of(visitor_of(request), node.urls),
        request.match_info["name"],
        int(request.match_info["post_id"]),
    )


@routes.get("/g/{name}/t/{post_id:[0-9]{1,18}}")
async def thread_page(request: web.Request) -> web.Response:
    page = page_number(request.query.get("page"))
    made = partial(_thread_page, request, page)
    return await request.app[PAGE_CACHE].page(request, str(page), made)


async def _thread_page(request: web.Request, page: int) -> web.Response:
    node = request.app[NODE]
    visitor = visitor_of(request)
    kept = request.app[PAGE_CACHE]
    name, post_id = request.match_info["name"].lower(), int(request.match_info["post_id"])
    rows = await kept.shared(
        ("thread", name, post_id, page), partial(threads.thread_rows, node, name, post_id, page)
    )
    found = await threads.shown_to(node, viewer_of(visitor, node.urls), rows)
    names = await kept.shared(
        ("thread bylines", name, post_id, page),
        partial(bylines, node, [rows.post, *rows.replies]),
    )
    here = node.urls.thread(found.group.name, found.post.id or 0)
    me = node.urls.person(visitor.account.username) if visitor.account else None
    earlier, later = page_links(here, page, found.more)  # oldest first
    return render(
        request,
        "thread.html",
        group=found.group,
        group_url=node.urls.group(found.group.name),
        post=found.post,
        replies=found.replies,
        bylines=names,
        answered=found.answered,
        older_url=earlier,
        newer_url=later,
        page_number=page,
        me=me,
        standing=await membership.standing(node, found.group, me) if me else None,
    )
