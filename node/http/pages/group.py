"""A group's page, for a person with a browser: what it is, its rules, how to join, its
pinned and recent posts, its moderators and the latest lines of its moderation log."""

from __future__ import annotations

from aiohttp import web

from node.groups import groups, posts
from node.groups.profile import group_profile
from node.http.pages.modlog import modlog_line
from node.http.pages.render import render
from node.http.state import NODE
from node.text import plain_to_html

MODLOG_ON_PAGE = 10


async def group_page(request: web.Request, name: str) -> web.Response:
    node = request.app[NODE]
    group = await groups.group_named(node, name)
    profile = await group_profile(node, group, MODLOG_ON_PAGE)
    # A browser carries no server's signature: it sees what anyone may.
    shown = posts.visible_to(node, posts.NOBODY)
    group_uri = node.urls.group(group.name)
    hide = profile.hide_modlog_names
    return render(
        request,
        "group.html",
        group=group,
        summary_html=plain_to_html(group.summary),
        posting_policy=group.posting_policy.value,
        members_only=group.members_only,
        follower_count=profile.follower_count,
        pinned=await shown.featured(group),
        threads=await shown.threads(group),
        moderators=profile.moderators,
        rules=profile.rules,
        modlog=[modlog_line(e, group_uri, hide_names=hide) for e in profile.modlog],
        modlog_url=node.urls.modlog(group_uri),
    )
