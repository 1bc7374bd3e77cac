"""Signed in or not: the session cookie turned into a visitor (their account, their language,
their session's form token), set when a person signs in and cleared when they sign out."""

from __future__ import annotations

from aiohttp import web

from moderation.roles import may_moderate_node
from node.http.pages.visitors import SESSION_COOKIE, Visitor
from node.http.state import NODE, READERS
from node.locale import languages


async def find_session(request: web.Request, secret: str) -> Visitor | None:
    """The member a session cookie speaks for, or None (unknown, ended, expired, or the
    account no longer active)."""
    node, readers = request.app[NODE], request.app[READERS]
    found = await readers.session(node, secret)
    if found is None:
        return None
    language = languages.choose(found.account.language, request.headers.get("Accept-Language"))
    moderates = found.moderates_a_group or may_moderate_node(found.account.role)
    hidden = await readers.hidden(node, found.account.id)
    return Visitor(
        language, found.csrf_secret, found.account, found.id, moderates=moderates, hidden=hidden
    )


def keep_session(request: web.Request, response: web.StreamResponse, secret: str) -> None:
    """The cookie that keeps a person signed in: for this node's pages only, never read by
    scripts, not sent along from other sites' forms."""
    node = request.app[NODE]
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        path="/",
        max_age=node.config.registrations.session_days * 86400,
        httponly=True,
        samesite="Lax",
        secure=node.config.node.base_url.startswith("https:"),
    )


def forget_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
