"""A group's page, for a person with a browser: what it is, its rules, how to join, its
pinned and recent posts, its moderators and the latest lines of its moderation log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from aiohttp import web
from babel.dates import format_timedelta

from moderation import roles
from node.groups import before_joining, groups, posts
from node.groups.before_joining import GroupFacts
from node.groups.bylines import Byline, bylines
from node.groups.groups import GroupInfo
from node.groups.posts import PostInfo, Visible
from node.groups.profile import GroupProfile, group_profile
from node.http.pages.modlog import modlog_line
from node.http.pages.render import page_links, page_number, render, visitor_of
from node.http.pages.visitors import viewer_of
from node.http.state import NODE, PAGE_CACHE, READERS
from node.runtime import Node
from node.store.states import Visibility
from node.text import plain_to_html

MODLOG_ON_PAGE = 10
THREADS_PER_PAGE = 20


def _spoken(delay: timedelta | None, language: str) -> str | None:
    """A delay as a person says it, in their language ("about 3 hours")."""
    if delay is None:
        return None
    return format_timedelta(delay, threshold=1.5, locale=language)


async def group_page(request: web.Request, name: str) -> web.Response:
    page = page_number(request.query.get("page"))
    made = partial(_group_page, request, name, page)
    return await request.app[PAGE_CACHE].page(request, str(page), made)


@dataclass(frozen=True, slots=True)
class Listing:
    """A page of a group's threads and its pinned posts as one reader sees them, and who
    wrote them."""

    listed: tuple[Visibility, ...]
    found: list[PostInfo]  # a thread more than the page shows: there is a next page
    pinned: list[PostInfo]
    bylines: dict[str, Byline]


async def _facts(node: Node, name: str) -> tuple[GroupInfo, GroupProfile, GroupFacts]:
    group = await groups.group_named(node, name)
    profile = await group_profile(node, group, MODLOG_ON_PAGE)
    return group, profile, await before_joining.group_facts(node, group.name)


async def _listing(shown: Visible, group: GroupInfo, page: int) -> Listing:
    listed = await shown.listed_in(group)
    found = await shown.threads(group, THREADS_PER_PAGE + 1, (page - 1) * THREADS_PER_PAGE)
    pinned = await shown.featured(group) if page == 1 else []
    names = await bylines(shown.node, [*pinned, *found[:THREADS_PER_PAGE]])
    return Listing(listed, found, pinned, names)


async def group_page_again(
    request: web.Request, name: str, status: int, problem: str
) -> web.Response:
    """A member's group page again, with why what they just sent was refused (a member's
    page is never kept: it is read afresh, its rules as they are now)."""
    return await _group_page(request, name, 1, status=status, problem=problem)


async def _group_page(
    request: web.Request, name: str, page: int, *, status: int = 200, problem: str | None = None
) -> web.Response:
    node = request.app[NODE]
    kept = request.app[PAGE_CACHE]
    group, profile, facts = await kept.shared(("group", name.lower()), partial(_facts, node, name))
    # A browser carries no server's signature: it sees what anyone may, or what the member
    # signed in may. A member who hides no one sees a group open to all as anyone does.
    visitor = visitor_of(request)
    shown = posts.visible_to(node, viewer_of(visitor, node.urls))
    if group.members_only or await shown.hidden():
        listing = await _listing(shown, group, page)
    else:
        anyone = posts.visible_to(node, posts.NOBODY)
        listing = await kept.shared(
            ("group listing", group.name, page), partial(_listing, anyone, group, page)
        )
    group_uri = node.urls.group(group.name)
    hide = profile.hide_modlog_names
    threads = listing.found[:THREADS_PER_PAGE]
    pinned = listing.pinned
    here = node.urls.group(group.name)
    me = node.urls.person(visitor.account.username) if visitor.account else None
    # Newest first: the page before holds newer threads, the page after older ones.
    newer, older = page_links(here, page, len(listing.found) > THREADS_PER_PAGE)
    standing = await request.app[READERS].standing(node, group, me) if me else None
    role = visitor.account.role if visitor.account else None
    return render(
        request,
        "group.html",
        status=status,
        problem=problem,
        group=group,
        summary_html=plain_to_html(group.summary),
        posting_policy=group.posting_policy.value,
        members_only=group.members_only,
        shows_posts=bool(listing.listed),
        follower_count=profile.follower_count,
        pinned=pinned,
        threads=threads,
        links={p.uri: node.urls.thread(group.name, p.id or 0) for p in [*pinned, *threads]},
        bylines=listing.bylines,
        newer_url=newer,
        older_url=older,
        rules=profile.rules,
        modlog=[
            modlog_line(e, group_uri, visitor.language, hide_names=hide) for e in profile.modlog
        ],
        modlog_url=node.urls.modlog(group_uri),
        group_url=group_uri,
        standing=standing,
        organizes=role is not None
        and (roles.may_administer_node(role) or bool(standing and standing.owns)),
        # Its other moderators (and the node's) open its settings too: what it gathers
        # around, its care words.
        moderates=bool(standing and standing.lets_moderate(role)),
        facts=facts,
        usual_response=_spoken(facts.report_response.median, visitor.language),
    )
