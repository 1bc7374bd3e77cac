"""Paging the API's lists as Mastodon pages them: newest first, max_id for older items and
min_id for newer, the neighbours given in a Link header or as next/prev in the body."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from node.http.api.params import Fields, number, query
from node.http.responses import json_response
from node.http.state import NODE
from node.store.paging import Cursor, Page

T = TypeVar("T")
PAGE_LIMIT, PAGE_MOST = 100, 200  # Mastodon's default and most for the admin lists


def cursor(fields: Fields) -> Cursor:
    return Cursor.parse(fields.text("max_id") or None, fields.text("min_id") or None)


def neighbours(here: str, page: Page[T]) -> dict[str, str | None]:
    """The next (older) and prev (newer) pages' URLs of a keyset page, None at either end."""
    older, newer = page.oldest_id, page.newest_id
    return {
        "next": f"{here}?{urlencode({'max_id': older})}"
        if page.has_older and older is not None
        else None,
        "prev": f"{here}?{urlencode({'min_id': newer})}"
        if page.has_newer and newer is not None
        else None,
    }


def linked_page(
    request: web.Request, items: list[tuple[int, dict[str, Any]]], path: str
) -> web.Response:
    """A newest-first page by id, with Mastodon's Link header (max_id older, min_id newer)."""
    fields = query(request)
    limit = fields.limit("limit", PAGE_LIMIT, PAGE_MOST)
    max_id = number("max_id", fields.text("max_id")) if fields.text("max_id") else None
    since = fields.text("since_id") or fields.text("min_id")
    min_id = number("min_id", since) if since else None
    chosen = [
        (i, e)
        for i, e in sorted(items, key=lambda pair: pair[0], reverse=True)
        if (max_id is None or i < max_id) and (min_id is None or i > min_id)
    ]
    if fields.text("min_id"):  # the page just newer than min_id, still newest first
        chosen = chosen[-limit:]
    page = chosen[:limit]
    response = json_response([e for _, e in page])
    if page:
        base = f"{request.app[NODE].urls.base}{path}"
        links = (
            [f'<{base}?{urlencode({"max_id": page[-1][0]})}>; rel="next"']
            if len(chosen) > limit
            else []
        )
        links.append(f'<{base}?{urlencode({"min_id": page[0][0]})}>; rel="prev"')
        response.headers["Link"] = ", ".join(links)
    return response
