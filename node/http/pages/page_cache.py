"""The pages visitors who are not signed in see (front, group, thread, help), kept rendered for
a minute by address and language, and what every reader's pages share (a group's figures, a
page of a thread as stored); all dropped whenever what they are built from changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar, cast

from aiohttp import web

from node.cache import TtlCache
from node.http.pages.visitors import VISITOR, Visitor

TTL = timedelta(seconds=60)  # bounds only a change made behind the node's back
SIZE = 256  # pages kept at most (a group's page is some tens of kB)
FORM_MARK = b'name="form_token"'
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class KeptPage:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]
    sets_cookie: bool


class PageCache:
    """Rendered pages for visitors with no session. A page is the same for every such
    visitor: it carries no form token and no cookie (a page that does is never kept), and
    the visitors middleware sets each visitor's own form cookie on the answer afterwards."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._pages: TtlCache[tuple[str, str, str], KeptPage] = TtlCache(TTL, clock, SIZE)
        self._shared: TtlCache[tuple[object, ...], Any] = TtlCache(TTL, clock, SIZE)

    def clear(self) -> None:
        self._pages.clear()
        self._shared.clear()

    async def shared(self, key: tuple[object, ...], load: Callable[[], Awaitable[T]]) -> T:
        """What `load` reads that is the same whoever reads it (never anything that depends
        on the reader: who they are, what they may see), kept as the pages are. A key's
        first part names what it is."""
        return cast(T, await self._shared.get(key, load))

    async def page(
        self, request: web.Request, variant: str, render: Callable[[], Awaitable[web.Response]]
    ) -> web.Response:
        """The page `render` makes, kept for visitors not signed in. `variant` is what of the
        query the page reads (a page number, a country), so that other query strings do not
        each take a place."""
        visitor = request.get(VISITOR)
        if not isinstance(visitor, Visitor) or visitor.account is not None:
            return await render()  # a member's page is theirs alone: never kept, never shared
        fresh: list[web.Response] = []

        async def load() -> KeptPage:
            response = await render()
            fresh.append(response)
            return _kept(response)

        key = (request.path, variant, visitor.language)
        kept = await self._pages.get(key, load, keep=_shareable)
        if fresh:
            return fresh[0]
        return web.Response(body=kept.body, status=kept.status, headers=dict(kept.headers))


def _kept(response: web.Response) -> KeptPage:
    body = response.body if isinstance(response.body, bytes) else b""
    headers = tuple((k, v) for k, v in response.headers.items() if k.lower() != "content-length")
    return KeptPage(response.status, body, headers, bool(response.cookies))


def _shareable(page: KeptPage) -> bool:
    """Whether a page may be handed to another visitor: a whole page, with nothing of the
    visitor it was made for (a form token, a cookie)."""
    return page.status == 200 and not page.sets_cookie and FORM_MARK not in page.body
