"""Signing in and out on the pages: the password (and the two-factor code when it is on), a
clear reason when it fails, a limit on tries, and back to where the person was going."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from federation.errors import CoveError
from node.http.pages.render import render, told, visitor_of
from node.http.pages.sessions import forget_session, keep_session
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.members import login, two_factor, web_sessions

routes = web.RouteTableDef()
SIGN_IN = "/auth/sign-in"


def where_next(target: str | None) -> str:
    """Where to go after signing in: a path on this node only (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target[:500]


def sign_in_first(request: web.Request) -> web.HTTPSeeOther:
    """The redirect for a page that needs a member: sign in, then come back here."""
    return web.HTTPSeeOther(f"{SIGN_IN}?next={quote(request.path_qs)}")


@routes.get(SIGN_IN)
async def sign_in_page(request: web.Request) -> web.Response:
    if visitor_of(request).account is not None:
        raise web.HTTPSeeOther(where_next(request.query.get("next")))
    return render(
        request,
        "sign_in.html",
        login="",
        problem=None,
        ask_code=False,
        next_path=where_next(request.query.get("next")),
    )


@routes.post(SIGN_IN)
async def sign_in(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    form = await checked_form(request)
    name = form.get("login", "").strip()
    after = where_next(form.get("next"))
    try:
        secret, session = await login.log_in(
            node,
            name,
            form.get("password", ""),
            form.get("code") or None,
            request.remote or "",
            request.headers.get("User-Agent", ""),
        )
    except login.TwoFactorNeeded as e:
        return render(
            request,
            "sign_in.html",
            status=401,
            login=name,
            problem=told(request, e),
            ask_code=True,
            next_path=after,
        )
    except CoveError as e:
        answer = render(
            request,
            "sign_in.html",
            status=e.status,
            login=name,
            problem=told(request, e),
            ask_code=False,
            next_path=after,
        )
        if isinstance(e, login.TooManyAttempts):
            answer.headers["Retry-After"] = str(e.retry_after)
        return answer
    if await two_factor.needs_two_factor_enrolment(node, session.account):
        after = "/settings/two-factor"
    response = web.Response(status=303, headers={"Location": after})
    keep_session(request, response, secret)
    return response


@routes.post("/auth/sign-out")
async def sign_out(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    await checked_form(request)
    visitor = visitor_of(request)
    if visitor.account is not None and visitor.session_id is not None:
        await web_sessions.end_session(node, visitor.account.id, visitor.session_id)
    response = web.Response(status=303, headers={"Location": "/"})
    forget_session(response)
    return response
