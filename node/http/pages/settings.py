"""A member's settings: their profile and language, their password, two-factor sign-in, and
the places they are signed in (each can be signed out)."""

from __future__ import annotations

import io

import segno
from aiohttp import web

from federation.errors import CoveError
from node.http.pages.members import member_of
from node.http.pages.render import render, told, visitor_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.locale.languages import Sentence
from node.members import passwords, profiles, two_factor, web_sessions
from node.members.accounts import AccountInfo

routes = web.RouteTableDef()


def _qr_svg(uri: str) -> str:
    """The otpauth URI as an SVG QR code, for the authenticator app's camera."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(
        out, kind="svg", xmldecl=False, scale=5, dark="#000", light="#fff", title="QR code"
    )
    return out.getvalue().decode()


async def _settings(
    request: web.Request, account: AccountInfo, status: int = 200, **notes: str | None
) -> web.Response:
    return render(
        request,
        "settings.html",
        status=status,
        account=account,
        saved=notes.get("saved"),
        problem=notes.get("problem"),
    )


@routes.get("/settings")
async def settings_page(request: web.Request) -> web.Response:
    saved = "profile" if request.query.get("saved") == "profile" else None
    return await _settings(request, await member_of(request), saved=saved)


@routes.post("/settings/profile")
async def save_profile(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    profile = profiles.Profile(
        display_name=form.get("display_name", ""),
        summary=form.get("summary", ""),
        discoverable=form.get("discoverable") == "yes",
        language=form.get("language") or None,
    )
    try:
        account = await profiles.update_profile(node, account.id, profile)
    except CoveError as e:
        return await _settings(request, account, e.status, problem=told(request, e))
    raise web.HTTPSeeOther("/settings?saved=profile")  # in the language just chosen


@routes.get("/settings/password")
async def password_page(request: web.Request) -> web.Response:
    await member_of(request)
    return render(request, "password.html", problem=None, saved=False)


@routes.post("/settings/password")
async def change_password(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    if form.get("password", "") != form.get("again", ""):
        problem = told(request, Sentence("the two new passwords are not the same"))
        return render(request, "password.html", status=400, problem=problem, saved=False)
    try:
        await passwords.change_password(
            node,
            account.id,
            form.get("current", ""),
            form.get("password", ""),
            visitor_of(request).session_id,
        )
    except CoveError as e:
        return render(
            request, "password.html", status=e.status, problem=told(request, e), saved=False
        )
    return render(request, "password.html", problem=None, saved=True)


def _two_factor(
    request: web.Request,
    account: AccountInfo,
    *,
    status: int = 200,
    required: bool = False,
    setup: two_factor.TwoFactorSetup | None = None,
    codes: list[str] | None = None,
    problem: str | None = None,
) -> web.Response:
    """The two-factor page at one of its steps: off or on, setting up, the recovery codes."""
    return render(
        request,
        "two_factor.html",
        status=status,
        account=account,
        required=required,
        setup=setup,
        qr=_qr_svg(setup.uri) if setup is not None else None,
        codes=codes,
        problem=problem,
    )


@routes.get("/settings/two-factor")
async def two_factor_page(request: web.Request) -> web.Response:
    account = await member_of(request)
    required = await two_factor.needs_two_factor_enrolment(request.app[NODE], account)
    return _two_factor(request, account, required=required)


@routes.post("/settings/two-factor/begin")
async def begin_two_factor(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    await checked_form(request)
    return _two_factor(request, account, setup=await two_factor.begin_two_factor(node, account.id))


@routes.post("/settings/two-factor/confirm")
async def confirm_two_factor(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    try:
        codes = await two_factor.confirm_two_factor(node, account.id, form.get("code", ""))
    except CoveError as e:
        setup = await two_factor.begin_two_factor(node, account.id)  # a new key: start again
        return _two_factor(request, account, status=e.status, setup=setup, problem=told(request, e))
    return _two_factor(request, account, codes=codes)


@routes.post("/settings/two-factor/off")
async def two_factor_off(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    form = await checked_form(request)
    try:
        await two_factor.disable_two_factor(node, account.id, form.get("password", ""))
    except CoveError as e:
        return _two_factor(request, account, status=e.status, problem=told(request, e))
    raise web.HTTPSeeOther("/settings/two-factor")


@routes.get("/settings/sessions")
async def sessions_page(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await member_of(request)
    found = await web_sessions.list_sessions(node, account.id)
    return render(request, "sessions.html", sessions=found, current=visitor_of(request).session_id)


@routes.post("/settings/sessions/{session_id:[0-9]{1,18}}/end")
async def end_session(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account = await member_of(request)
    await checked_form(request)
    await web_sessions.end_session(node, account.id, int(request.match_info["session_id"]))
    raise web.HTTPSeeOther("/settings/sessions")
