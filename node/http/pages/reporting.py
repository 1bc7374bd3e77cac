"""Reporting from the pages: a post (or, named post, the person who wrote it) to the group's
moderators, with the rule it breaks or "I'm worried about this person", which brings care,
never a sanction."""

from __future__ import annotations

from aiohttp import web

from moderation.reports import ReportCategory
from node.groups.profile import group_profile
from node.http.pages.members import member_of
from node.http.pages.render import render
from node.http.pages.thread import thread_at
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.moderators.reports.filed import file_report

routes = web.RouteTableDef()
REPORT = "/g/{name}/t/{post_id:[0-9]{1,18}}/report"
CHOICES = tuple(c.value for c in ReportCategory)


@routes.get(REPORT)
async def report_page(request: web.Request) -> web.Response:
    await member_of(request)
    found = await thread_at(request)
    profile = await group_profile(request.app[NODE], found.group, 0)
    return render(
        request,
        "report.html",
        post=found.post,
        group=found.group,
        rules=profile.rules.rules if profile.rules else [],
        choices=CHOICES,
        problem=None,
    )


@routes.post(REPORT)
async def report(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    found = await thread_at(request)
    data = await request.post()
    rules = tuple(int(r) for r in data.getall("rule", []) if isinstance(r, str) and r.isdigit())
    category = form.get("category")
    person = form.get("about") == "person" and not found.post.anonymous
    filed = await file_report(
        node,
        request.app[CLIENT],
        account,
        found.post.author_uri if person else found.post.uri,
        category=category if category in CHOICES else None,
        rules=rules[:20],
        comment=form.get("comment", ""),
        identify=form.get("identify") == "yes",
    )
    return render(request, "reported.html", report=filed, group=found.group)
