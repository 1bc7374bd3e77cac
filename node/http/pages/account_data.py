"""A member's own account on the pages: their data downloaded as JSON, and the account
deleted for good (the password and their typed name asked first), then signed out."""

from __future__ import annotations

import json

from aiohttp import web

from federation.errors import CoveError, Invalid, Refused
from node.http.pages.members import member_of
from node.http.pages.render import render, told, visitor_of
from node.http.pages.sessions import forget_session
from node.http.pages.visitors import VISITOR, anonymous, checked_form
from node.http.state import NODE
from node.members import deletion, export, passwords
from node.members.accounts import AccountInfo

routes = web.RouteTableDef()


@routes.get("/settings/export")
async def export_page(request: web.Request) -> web.Response:
    await member_of(request)
    return render(request, "export.html")


@routes.post("/settings/export")
async def download(request: web.Request) -> web.Response:
    """The export as a file to save; posted, so no other site can make a browser fetch it."""
    node = request.app[NODE]
    account = await member_of(request)
    await checked_form(request)
    document = await export.export_account(node, account.id)
    day = node.clock().strftime("%Y-%m-%d")
    return web.Response(
        body=json.dumps(document, ensure_ascii=False, indent=2).encode(),
        content_type="application/json",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{account.username}-{day}.json"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@routes.get("/settings/delete")
async def delete_page(request: web.Request) -> web.Response:
    account = await member_of(request)
    return render(request, "delete_account.html", account=account, problem=None)


@routes.post("/settings/delete")
async def delete_for_good(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    try:
        await _confirmed(request, account, form)
        await deletion.delete_account(node, account.id)
    except CoveError as e:
        return render(
            request,
            "delete_account.html",
            status=e.status,
            account=account,
            problem=told(request, e),
        )
    # The session ended with the account: the goodbye is said to nobody signed in.
    request[VISITOR] = anonymous(visitor_of(request).language)
    response = render(request, "goodbye.html")
    response.headers["Cache-Control"] = "no-store"
    forget_session(response)
    return response


async def _confirmed(request: web.Request, account: AccountInfo, form: dict[str, str]) -> None:
    """The member typed their own name and their password: nobody deletes an account by a
    slip, nor from a browser left signed in."""
    typed = form.get("confirm", "").strip().lstrip("@").lower()
    if typed != account.username.lower():
        raise Invalid("type your username, {username}, to confirm", username=account.username)
    if not await passwords.check_password(request.app[NODE], account.id, form.get("password", "")):
        raise Refused("that is not your password; the account is not deleted")
