"""Joining the node on the pages, as Mastodon does it: its rules first, then a username (a
pseudonym: no real name asked), an email and a password, a reason where staff approve
sign-ups, an invite where sign-up is closed; the mailed links that confirm an address and
reset a password."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError
from node.http.pages.render import render, told, visitor_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.locale.languages import Sentence
from node.members import email_links, node_rules, registrations

routes = web.RouteTableDef()


async def _sign_up_form(
    request: web.Request, status: int = 200, problem: str | None = None, **given: str
) -> web.Response:
    node = request.app[NODE]
    return render(
        request,
        "sign_up.html",
        status=status,
        problem=problem,
        mode=node.config.registrations.mode,
        rules=await node_rules.node_rules(node),
        rules_version=await node_rules.current_rules_version(node),
        given={k: given.get(k, "") for k in ("username", "email", "reason", "invite")},
    )


@routes.get("/auth/sign-up")
async def sign_up_page(request: web.Request) -> web.Response:
    return await _sign_up_form(request, invite=request.query.get("invite", "")[:100])


@routes.post("/auth/sign-up")
async def sign_up(request: web.Request) -> web.Response:
    node = request.app[NODE]
    form = await checked_form(request)
    given = {k: form.get(k, "").strip() for k in ("username", "email", "reason", "invite")}
    version = form.get("rules_version", "")
    try:
        done = await registrations.register(
            node,
            node.mailer,
            registrations.Registration(
                username=given["username"],
                email=given["email"],
                password=form.get("password", ""),
                agreed_to_rules=form.get("agree") == "yes",
                reason=given["reason"] or None,
                invite=given["invite"] or None,
                language=visitor_of(request).language,
                rules_version=int(version) if version.isdigit() else None,
            ),
        )
    except CoveError as e:
        return await _sign_up_form(request, e.status, told(request, e), **given)
    return render(request, "notice.html", kind="signed_up", message=told(request, *done.next_step))


@routes.get("/auth/confirm")
async def confirm(request: web.Request) -> web.Response:
    account = await email_links.confirm_email(request.app[NODE], request.query.get("token", ""))
    return render(request, "confirmed.html", account=account)


@routes.get("/auth/resend")
async def resend_page(request: web.Request) -> web.Response:
    return render(request, "resend.html", problem=None)


@routes.post("/auth/resend")
async def resend(request: web.Request) -> web.Response:
    node = request.app[NODE]
    form = await checked_form(request)
    await email_links.resend_confirmation(node, node.mailer, form.get("login", ""))
    return render(request, "notice.html", kind="mail_sent", message=None)


@routes.get("/auth/forgot")
async def forgot_page(request: web.Request) -> web.Response:
    return render(request, "forgot.html")


@routes.post("/auth/forgot")
async def forgot(request: web.Request) -> web.Response:
    node = request.app[NODE]
    form = await checked_form(request)
    await email_links.request_password_reset(node, node.mailer, form.get("email", ""))
    return render(request, "notice.html", kind="mail_sent", message=None)


@routes.get("/auth/reset")
async def reset_page(request: web.Request) -> web.Response:
    return render(request, "reset.html", secret=request.query.get("token", ""), problem=None)


@routes.post("/auth/reset")
async def reset(request: web.Request) -> web.Response:
    node = request.app[NODE]
    form = await checked_form(request)
    secret = form.get("token", "")
    if form.get("password", "") != form.get("again", ""):
        problem = told(request, Sentence("the two passwords are not the same"))
        return render(request, "reset.html", status=400, secret=secret, problem=problem)
    try:
        await email_links.reset_password(node, secret, form.get("password", ""))
    except CoveError as e:
        return render(
            request, "reset.html", status=e.status, secret=secret, problem=told(request, e)
        )
    return render(request, "notice.html", kind="password_changed", message=None)
