"""Who visits a page: nobody known, or a member signed in through a web session; in which
language the pages speak to them; and the form token that proves a form came from here
(bound to the session, or to a cookie of its own before signing in)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware

from federation.errors import Refused
from node.groups.posts import NOBODY, Viewer
from node.locale import languages
from node.members.accounts import AccountInfo
from node.urls import Urls

SESSION_COOKIE = "cove_session"
FORM_COOKIE = "cove_form"
FORM_FIELD = "form_token"


@dataclass(frozen=True, slots=True)
class Visitor:
    """A person in a browser. `form_token` goes in every form; `new_form_cookie` is set on
    the answer when the visitor had none (before signing in)."""

    language: str
    form_token: str
    account: AccountInfo | None = None
    session_id: int | None = None
    new_form_cookie: bool = False
    moderates: bool = False  # node staff, or a group's owner or moderator: the queue is theirs
    hidden: frozenset[str] = frozenset()  # a member's: the people whose posts they are not shown


VISITOR = web.RequestKey("visitor", Visitor)
ORIGIN = web.RequestKey("origin", str)  # the node's own origin: where its forms come from


def anonymous(language: str, form_cookie: str | None = None) -> Visitor:
    if form_cookie and 20 <= len(form_cookie) <= 100:
        return Visitor(language, form_cookie)
    return Visitor(language, secrets.token_urlsafe(32), new_form_cookie=True)


def same_origin(request: web.Request, base_url: str) -> bool:
    """Whether a form was posted from this node's own pages, as far as the browser says (an
    absent Origin is allowed: the token decides)."""
    origin = request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return origin.rstrip("/") == base_url.rstrip("/")


async def checked_form(request: web.Request) -> dict[str, str]:
    """A posted form's fields, once its token is checked: a form from elsewhere is refused."""
    require_same_origin(request)
    data = await request.post()
    fields = {k: v for k, v in data.items() if isinstance(v, str)}
    require_token(request, fields)
    return fields


def require_same_origin(request: web.Request) -> None:
    if not same_origin(request, request[ORIGIN]):
        raise Refused("this form was sent from another site; go back and try again")


def require_token(request: web.Request, fields: dict[str, str]) -> None:
    """The form's token (taken out of `fields`) is the visitor's, or the form is refused."""
    visitor = request.get(VISITOR)
    given = fields.pop(FORM_FIELD, "")
    if visitor is None or not hmac.compare_digest(given.encode(), visitor.form_token.encode()):
        raise Refused("this form has expired; go back, reload the page and try again")


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def visitor_middleware(
    find_session: Callable[[web.Request, str], Awaitable[Visitor | None]],
    *,
    base_url: str,
) -> Middleware:
    """Tell each request who visits: `find_session` turns a session cookie into a signed-in
    visitor (None: unknown, ended or expired, and the cookie is cleared). Cookies are Secure
    when the node (`base_url`) is served over https, whatever a proxy in front says."""
    secure = base_url.startswith("https:")

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        language = languages.choose(None, request.headers.get("Accept-Language"))
        secret = request.cookies.get(SESSION_COOKIE)
        visitor = await find_session(request, secret) if secret else None
        stale = secret is not None and visitor is None
        if visitor is None:
            visitor = anonymous(language, request.cookies.get(FORM_COOKIE))
        request[VISITOR] = visitor
        request[ORIGIN] = base_url.rstrip("/")
        response = await handler(request)
        if stale:
            response.del_cookie(SESSION_COOKIE, path="/")
        if visitor.new_form_cookie and response.content_type == "text/html":
            response.set_cookie(
                FORM_COOKIE,
                visitor.form_token,
                path="/",
                httponly=True,
                samesite="Lax",
                secure=secure,
            )
        return response

    return middleware


def viewer_of(visitor: Visitor, urls: Urls) -> Viewer:
    """Whose eyes `visible_to` sees through: the member signed in, or nobody known."""
    if visitor.account is None:
        return NOBODY
    return Viewer.member(urls.person(visitor.account.username), visitor.account.id, visitor.hidden)
