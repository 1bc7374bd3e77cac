"""A thread's page: its first post and the replies beneath it, a page of replies at a time,
as the visitor may see them; to one who moderates its group, its removed posts too, each
post with a moderator's controls (thread_moderation.py takes what they send)."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from node.groups import threads
from node.groups.bylines import bylines
from node.http.pages.moderator_forms import POST_DONE
from node.http.pages.render import done_of, page_links, page_number, render, visitor_of
from node.http.pages.visitors import viewer_of
from node.http.state import NODE, PAGE_CACHE, READERS
from node.moderators import thread_moderation
from node.moderators.roles import Acting
from node.moderators.thread_moderation import ModeratedThread

routes = web.RouteTableDef()
# What a moderator's form on the page did, as the notice after it says.
DONE = (*POST_DONE, "banned", "kept_out")


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
    name, post_id = request.match_info["name"], int(request.match_info["post_id"])
    made = partial(shown_thread, request, name, post_id, page)
    return await request.app[PAGE_CACHE].page(request, str(page), made)


async def shown_thread(
    request: web.Request,
    name: str,
    post_id: int,
    page: int,
    *,
    status: int = 200,
    problem: str | None = None,
) -> web.Response:
    """A page of the thread; after a moderator's refused action, with its reason."""
    node = request.app[NODE]
    visitor = visitor_of(request)
    kept = request.app[PAGE_CACHE]
    name = name.lower()
    rows = await kept.shared(
        ("thread", name, post_id, page), partial(threads.thread_rows, node, name, post_id, page)
    )
    viewer = viewer_of(visitor, node.urls)
    acting = Acting.member(node, visitor.account) if visitor.account else None
    me = acting.uri if acting else None
    standing = await request.app[READERS].standing(node, rows.group, me) if me else None
    moderated: ModeratedThread | None = None
    if acting is not None and standing is not None and standing.lets_moderate(acting.role):
        moderated = await thread_moderation.moderated_thread(
            node, acting, viewer, name, post_id, page
        )
        found = moderated.thread
        names = await bylines(node, [found.post, *found.replies])
    else:
        found = await threads.shown_to(node, viewer, rows)
        names = await kept.shared(
            ("thread bylines", name, post_id, page),
            partial(bylines, node, [rows.post, *rows.replies]),
        )
    here = node.urls.thread(found.group.name, found.post.id or 0)
    earlier, later = page_links(here, page, found.more)  # oldest first
    return render(
        request,
        "thread.html",
        status=status,
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
        standing=standing,
        moderated=moderated,
        problem=problem,
        done=done_of(request, DONE, problem) if moderated else None,
    )
