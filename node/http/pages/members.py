"""Pages only a signed-in member reaches: who they are, or the way to sign in first (and, for
node staff the admin requires it of, the way to turn two-factor sign-in on first)."""

from __future__ import annotations

from aiohttp import web

from node.http.pages.render import visitor_of
from node.http.pages.sign_in import sign_in_first
from node.http.state import NODE
from node.members import two_factor
from node.members.accounts import AccountInfo

ENROL = "/settings/two-factor"


async def member_of(request: web.Request) -> AccountInfo:
    """The member signed in; otherwise a redirect to sign in and come back."""
    account = visitor_of(request).account
    if account is None:
        raise sign_in_first(request)
    enrolling = request.path.startswith(ENROL)
    if not enrolling and await two_factor.needs_two_factor_enrolment(request.app[NODE], account):
        raise web.HTTPSeeOther(ENROL)
    return account
