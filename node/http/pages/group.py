"""A group's page, for a person with a browser: what it is, its rules, how to join, its
pinned and recent posts, its moderators and the latest lines of its moderation log."""

from __future__ import annotations

from functools import partial

from aiohttp import web

from node.groups import groups, membership, posts
from node.groups.bylines import bylines
from node.groups.profile import group_profile
from node.http.pages.modlog import modlog_line
from node.http.pages.render import page_number, render, visitor_of
from node.http.pages.visitors import viewer_of
from node.http.state import NODE, PAGE_CACHE
from node.text import plain_to_html

MODLOG_ON_PAGE = 10
THREADS_PER_PAGE = 20


async def group_page(request: web.Request, name: str) -> web.Response:
    page = page_number(request.query.get("page"))
    made = partial(_group_page, request, name, page)
    return await request.app[PAGE_CACHE].page(request, str(page), made)


async def _group_page(request: web.Request, name: str, page: int) -> web.Response:
    node = request.app[NODE]
    group = await groups.group_named(node, name)
    profile = await group_profile(node, group, MODLOG_ON_PAGE)
    # A browser carries no server's signature: it sees what anyone may, or what the member
    # signed in may.
    shown = posts.visible_to(node, viewer_of(visitor_of(request), node.urls))
    listed = await shown.listed_in(group)
    group_uri = node.urls.group(group.name)
    hide = profile.hide_modlog_names
    found = await shown.threads(group, THREADS_PER_PAGE + 1, (page - 1) * THREADS_PER_PAGE)
    threads = found[:THREADS_PER_PAGE]
    pinned = await shown.featured(group) if page == 1 else []
    here = node.urls.group(group.name)
    visitor = visitor_of(request)
    me = node.urls.person(visitor.account.username) if visitor.account else None
    return render(
        request,
        "group.html",
        group=group,
        summary_html=plain_to_html(group.summary),
        posting_policy=group.posting_policy.value,
        members_only=group.members_only,
        shows_posts=bool(listed),
        follower_count=profile.follower_count,
        pinned=pinned,
        threads=threads,
        links={p.uri: node.urls.thread(group.name, p.id or 0) for p in [*pinned, *threads]},
        bylines=await bylines(node, [*pinned, *threads]),
        older_url=f"{here}?page={page + 1}" if len(found) > THREADS_PER_PAGE else None,
        newer_url=(f"{here}?page={page - 1}" if page > 2 else here) if page > 1 else None,
        moderators=profile.moderators,
        rules=profile.rules,
        modlog=[modlog_line(e, group_uri, hide_names=hide) for e in profile.modlog],
        modlog_url=node.urls.modlog(group_uri),
        group_url=group_uri,
        standing=await membership.standing(node, group, me) if me else None,
    )
