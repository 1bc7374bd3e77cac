"""A member's page, for a person with a browser: who they are, and what they wrote under their
own name that the visitor may see (node.groups.by_person), newest first, a page at a time."""

from __future__ import annotations

from aiohttp import web

from node.groups import by_person
from node.groups.posts import visible_to
from node.http.pages.render import page_links, page_number, render, visitor_of
from node.http.pages.visitors import viewer_of
from node.http.state import NODE
from node.members import accounts
from node.text import plain_to_html

POSTS_PER_PAGE = 20


async def person_page(request: web.Request, name: str) -> web.Response:
    node = request.app[NODE]
    account = accounts.in_use(await accounts.get_account_by_name(node, name))
    page = page_number(request.query.get("page"))
    shown = visible_to(node, viewer_of(visitor_of(request), node.urls))
    here = node.urls.person(account.username)
    found = await by_person.posts_by(shown, here, POSTS_PER_PAGE + 1, (page - 1) * POSTS_PER_PAGE)
    posts, names = found.posts[:POSTS_PER_PAGE], found.group_names
    newer, older = page_links(here, page, len(found.posts) > POSTS_PER_PAGE)
    return render(
        request,
        "person.html",
        account=account,
        summary_html=plain_to_html(account.summary),
        posts=posts,
        # A post in a group here opens on its page, one elsewhere where it was written.
        links={
            p.uri: node.urls.thread(names[p.group_id], p.id or 0) if p.group_id in names else p.uri
            for p in posts
        },
        groups={p.uri: names.get(p.group_id or 0) for p in posts},
        newer_url=newer,
        older_url=older,
    )
