"""Server-rendered HTML pages for people in browsers: Jinja2 templates (autoescaped), one
environment per language the pages speak, and what every page is told (who is visiting, in
which language, the form token, the way to help)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from aiohttp import web

from federation.errors import CoveError
from node.http.pages.visitors import VISITOR, Visitor, anonymous
from node.http.state import NODE, TEMPLATES
from node.locale import languages
from node.locale.languages import Sentence

STYLESHEET_VERSION = "5"  # raised with each change to static/ (its files are cached a year)


def visitor_of(request: web.Request) -> Visitor:
    """Who is visiting: set by the visitors middleware, or (before it ran) nobody known."""
    found = request.get(VISITOR)
    if isinstance(found, Visitor):
        return found
    return anonymous(languages.choose(None, request.headers.get("Accept-Language")))


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    node = request.app[NODE]
    visitor = visitor_of(request)
    page = (
        request.app[TEMPLATES]
        .get(visitor.language, template)
        .render(
            node_name=node.config.node.name,
            domain=node.urls.domain,
            visitor=visitor,
            lang=visitor.language,
            stylesheet=f"/static/cove.css?v={STYLESHEET_VERSION}",
            script=f"/static/cove.js?v={STYLESHEET_VERSION}",
            **context,
        )
    )
    response = web.Response(
        text=page,
        status=status,
        content_type="text/html",
        charset="utf-8",
        headers={
            "Vary": "Accept, Accept-Language, Cookie",
            "Content-Language": visitor.language,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        },
    )
    if visitor.account is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# Pages load nothing from elsewhere and run no inline script: a post's HTML that slipped
# past sanitising still could not run or send anything anywhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' https: data:; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def page_number(text: str | None) -> int:
    """A ?page= number as given, from 1 (anything else: the first page)."""
    return max(1, int(text)) if text and text.isdigit() and len(text) < 6 else 1


def done_of(request: web.Request, known: Collection[str], problem: object = None) -> str | None:
    """What a form just did, from the ?done= its redirect carried, when the page knows that
    word and has no problem to show instead (anything else: nothing to say)."""
    done = request.query.get("done")
    return done if done in known and problem is None else None


def page_links(here: str, page: int, more: bool) -> tuple[str | None, str | None]:
    """The links to the page before this one and the one after (None where there is none)."""
    before = (f"{here}?page={page - 1}" if page > 2 else here) if page > 1 else None
    return before, f"{here}?page={page + 1}" if more else None


def told(request: web.Request, *said: CoveError | Sentence) -> str:
    """Reasons and sentences in the visitor's language, one after the other."""
    language = visitor_of(request).language
    return " ".join(languages.say(each, language) for each in said)


def render_error(request: web.Request, error: CoveError) -> web.Response:
    status = error.status
    return render(
        request, "error.html", status=status, status_code=status, reason=told(request, error)
    )
