"""Every GET route a node serves, listed from its router at run time, each with a rule that
turns it into the URLs to fetch for the things a test made (groups, people, posts, reports):
a property over "every route" stays one when routes are added, since a route without a
rule fails the test that walks them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

from node.http.app import create_app
from node.runtime import Node

Fetch = Callable[[str], Awaitable[tuple[int, str]]]
MAX_PAGES = 10  # collection pages followed from one fetch
AT_ONCE = 8  # fetches in flight at a time


@dataclass
class Site:
    """What exists on the node, to fill in route parameters."""

    base: str
    domain: str
    groups: list[str]
    people: list[str]
    post_tokens: list[str] = field(default_factory=list)
    report_ids: list[str] = field(default_factory=list)
    block_ids: list[str] = field(default_factory=list)
    allow_ids: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    thread_paths: list[str] = field(default_factory=list)  # /g/{name}/t/{id} of posts made

    @property
    def post_urls(self) -> list[str]:
        return [f"{self.base}/posts/{t}" for t in self.post_tokens]


def get_routes(node: Node) -> list[str]:
    """The canonical path of every GET route, as the node's own application registers them
    (a trailing-slash twin counts as the same route)."""
    app: web.Application = create_app(node, workers=False)
    found: list[str] = []
    for route in app.router.routes():
        if route.method != "GET":
            continue
        path = route.resource.canonical if route.resource is not None else ""
        path = path.rstrip("/") or "/"
        if path not in found:
            found.append(path)
    return found


def _paged(paths: Iterable[str]) -> list[str]:
    return [p for path in paths for p in (path, f"{path}?page=true")]


def _each(names: Iterable[str], template: str) -> list[str]:
    return [template.format(name=n) for n in names]


def rules(site: Site) -> dict[str, list[str]]:
    """The paths to fetch for each route (an empty list: nothing of that kind exists)."""
    handles = [f"acct:{n}@{site.domain}" for n in [*site.groups, *site.people, site.domain]]
    actors = [
        *_each(site.groups, site.base + "/g/{name}"),
        *_each(site.people, site.base + "/u/{name}"),
    ]
    cove = "/api/cove/v1"
    return {
        "/.well-known/webfinger": [
            f"/.well-known/webfinger?resource={quote(r)}" for r in [*handles, *actors]
        ],
        "/.well-known/host-meta": ["/.well-known/host-meta"],
        "/.well-known/nodeinfo": ["/.well-known/nodeinfo"],
        "/nodeinfo/2.1": ["/nodeinfo/2.1"],
        "/": ["/"],
        "/actor": ["/actor"],
        "/g/{name}": _each(site.groups, "/g/{name}"),
        "/u/{name}": _each(site.people, "/u/{name}"),
        "/actor/policy": ["/actor/policy", "/actor/policy?page=1"],
        "/actor/policy/{digest}": [f"/actor/policy/{d}" for d in site.digests],
        "/actor/outbox": _paged(["/actor/outbox"]),
        "/g/{name}/outbox": _paged(_each(site.groups, "/g/{name}/outbox")),
        "/g/{name}/followers": _paged(_each(site.groups, "/g/{name}/followers")),
        "/g/{name}/moderators": _paged(_each(site.groups, "/g/{name}/moderators")),
        "/g/{name}/featured": _paged(_each(site.groups, "/g/{name}/featured")),
        "/g/{name}/modlog": _paged(_each(site.groups, "/g/{name}/modlog")),
        "/u/{name}/outbox": _paged(_each(site.people, "/u/{name}/outbox")),
        "/u/{name}/followers": _paged(_each(site.people, "/u/{name}/followers")),
        "/u/{name}/following": _paged(_each(site.people, "/u/{name}/following")),
        "/posts/{token}": [f"/posts/{t}" for t in site.post_tokens],
        "/ns": ["/ns"],
        "/tags/{topic}": ["/tags/grief", "/tags/%23Bad%20topic%21"],
        "/help": ["/help", "/help?country=US", "/help?country=ZZZ"],
        "/static/{name}": ["/static/cove.css", "/static/nothing.js"],
        "/g/{name}/t/{post_id}": [
            p for path in site.thread_paths for p in (path, f"{path}?page=2")
        ],
        "/g/{name}/t/{post_id}/edit": [f"{p}/edit" for p in site.thread_paths],
        "/g/{name}/t/{post_id}/report": [f"{p}/report" for p in site.thread_paths],
        "/auth/sign-in": ["/auth/sign-in", "/auth/sign-in?next=/settings"],
        "/auth/sign-up": ["/auth/sign-up", "/auth/sign-up?invite=nothing"],
        "/auth/confirm": ["/auth/confirm?token=nothing"],
        "/auth/resend": ["/auth/resend"],
        "/auth/forgot": ["/auth/forgot"],
        "/auth/reset": ["/auth/reset?token=nothing"],
        "/settings": ["/settings"],
        "/settings/password": ["/settings/password"],
        "/settings/two-factor": ["/settings/two-factor"],
        "/settings/sessions": ["/settings/sessions"],
        "/settings/people": [
            "/settings/people",
            "/settings/people?done=block",
            *[f"/settings/people?person={quote(u)}" for u in actors],
        ],
        "/settings/export": ["/settings/export"],
        "/settings/delete": ["/settings/delete"],
        "/notifications": ["/notifications"],
        "/moderation/reports": ["/moderation/reports", "/moderation/reports?state=decided"],
        "/moderation/reports/{report_id}": [
            f"/moderation/reports/{i}{shown}"
            for i in site.report_ids
            for shown in ("", "?words=shown")
        ],
        "/moderation/join-requests": ["/moderation/join-requests"],
        "/moderation/duty": ["/moderation/duty"],
        "/moderation/groups": ["/moderation/groups"],
        "/g/{name}/moderation": _each(site.groups, "/g/{name}/moderation"),
        "/admin": ["/admin"],
        "/admin/accounts": [
            "/admin/accounts",
            "/admin/accounts?page=2",
            "/admin/accounts?q=a&done=role&name=a",
        ],
        "/admin/accounts/sign-ups": ["/admin/accounts/sign-ups"],
        "/admin/accounts/suspensions": ["/admin/accounts/suspensions"],
        "/admin/accounts/invites": ["/admin/accounts/invites", "/admin/accounts/invites?made=x"],
        "/admin/health": ["/admin/health"],
        "/admin/crisis-resources": ["/admin/crisis-resources"],
        "/admin/crisis-resources/{id}": ["/admin/crisis-resources/1", "/admin/crisis-resources/x"],
        "/admin/federation": [
            "/admin/federation",
            "/admin/federation?page=2",
            "/admin/federation?done=imported&added=3&changed=x",
        ],
        "/admin/federation/block": [
            "/admin/federation/block",
            "/admin/federation/block?domain=evil.example",
            "/admin/federation/block?domain=not%20a%20domain",
        ],
        "/admin/federation/why": [
            "/admin/federation/why",
            "/admin/federation/why?domain=evil.example",
            "/admin/federation/why?domain=http%3A%2F%2Fx",
        ],
        "/admin/federation/import": ["/admin/federation/import"],
        "/admin/federation/export": [
            f"/admin/federation/export?format={f}" for f in ("mastodon", "gotosocial", "x")
        ],
        "/admin/federation/subscriptions": ["/admin/federation/subscriptions"],
        "/admin/federation/mode": [
            "/admin/federation/mode",
            "/admin/federation/mode?preview=allowlist",
        ],
        "/admin/federation/shared": ["/admin/federation/shared"],
        "/groups/new": ["/groups/new"],
        "/g/{name}/settings": _each(site.groups, "/g/{name}/settings"),
        "/g/{name}/rules": _each(site.groups, "/g/{name}/rules"),
        "/g/{name}/team": _each(site.groups, "/g/{name}/team"),
        "/api/v1/admin/reports": ["/api/v1/admin/reports", "/api/v1/admin/reports?resolved=true"],
        "/api/v1/admin/reports/{id}": [f"/api/v1/admin/reports/{i}" for i in site.report_ids],
        f"{cove}/reports/mine": [f"{cove}/reports/mine"],
        f"{cove}/notifications": [f"{cove}/notifications"],
        f"{cove}/groups/{{name}}/rules": _each(site.groups, cove + "/groups/{name}/rules"),
        f"{cove}/posts/author": [f"{cove}/posts/author?post={quote(u)}" for u in site.post_urls],
        f"{cove}/groups/{{name}}/bans": _each(site.groups, cove + "/groups/{name}/bans"),
        f"{cove}/admin/suspensions": [f"{cove}/admin/suspensions"],
        f"{cove}/groups/{{name}}/modlog": _each(site.groups, cove + "/groups/{name}/modlog"),
        f"{cove}/admin/queue": [f"{cove}/admin/queue"],
        f"{cove}/openapi.json": [f"{cove}/openapi.json"],
        "/api/v1/admin/domain_blocks": ["/api/v1/admin/domain_blocks"],
        "/api/v1/admin/domain_blocks/{id}": [
            f"/api/v1/admin/domain_blocks/{i}" for i in site.block_ids
        ],
        "/api/v1/admin/domain_allows": ["/api/v1/admin/domain_allows"],
        "/api/v1/admin/domain_allows/{id}": [
            f"/api/v1/admin/domain_allows/{i}" for i in site.allow_ids
        ],
        "/api/v1/instance/domain_blocks": ["/api/v1/instance/domain_blocks"],
    }


def paths_to_fetch(node: Node, site: Site) -> list[str]:
    """Every path to fetch; AssertionError naming any route that has no rule here yet."""
    known = rules(site)
    missing = [route for route in get_routes(node) if route not in known]
    assert not missing, f"GET routes with no fetch rule in tests/support/route_walk.py: {missing}"
    return [path for route in get_routes(node) for path in known[route]]


def links_in(text: str, base: str) -> list[str]:
    """The collection links (first, next, prev) a JSON answer gives on this node."""
    try:
        document: Any = json.loads(text)
    except ValueError:
        return []
    found = []
    for key in ("first", "next", "prev"):
        value = document.get(key) if isinstance(document, dict) else None
        if isinstance(value, dict):
            value = value.get("id")
        if isinstance(value, str) and value.startswith(base):
            found.append(value[len(base) :])
    return found


async def walk(fetch: Fetch, paths: Iterable[str], base: str) -> list[tuple[str, int, str]]:
    """Fetch every path (and the pages its answers link to, a few deep): (path, status,
    body) for each. A few fetches at a time: the node answers one while it waits on its
    database for another."""
    pending = list(dict.fromkeys(paths))
    seen: set[str] = set()
    answers: list[tuple[str, int, str]] = []
    pages = 0
    while pending:
        batch = [p for p in dict.fromkeys(pending[:AT_ONCE]) if p not in seen]
        del pending[:AT_ONCE]
        seen.update(batch)
        fetched = await asyncio.gather(*map(fetch, batch))
        for path, (status, text) in zip(batch, fetched, strict=True):
            answers.append((path, status, text))
            for link in links_in(text, base):
                if link not in seen and pages < MAX_PAGES * 20:
                    pages += 1
                    pending.append(link)
    return answers
