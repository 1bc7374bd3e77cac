"""Who runs things from the pages: the member signed in as the one acting (the same `Acting`
the CLI and the API check), and the door to what only a node admin does. A refusal is a 403
page with its reason and nothing of what lies behind it."""

from __future__ import annotations

from aiohttp import web

from federation.errors import Refused
from moderation import roles
from node.http.pages.members import member_of
from node.http.pages.render import visitor_of
from node.http.state import NODE
from node.moderators.roles import Acting


async def acting_of(request: web.Request) -> Acting:
    """The member signed in, acting (or the way to sign in first)."""
    return Acting.member(request.app[NODE], await member_of(request))


async def optional_acting_of(request: web.Request) -> Acting | None:
    """The member signed in, acting, on a page anyone may open (None: no one signed in)."""
    if visitor_of(request).account is None:
        return None
    return await acting_of(request)


async def admin_of(request: web.Request) -> Acting:
    """The member signed in, acting as a node admin; a 403 for anyone else."""
    acting = await acting_of(request)
    if not roles.may_administer_node(acting.role):
        raise Refused("only the node's admins can open this page")
    return acting


async def staff_of(request: web.Request) -> Acting:
    """The member signed in, acting as node staff (a moderator or an admin); a 403 else."""
    acting = await acting_of(request)
    if not roles.may_moderate_node(acting.role):
        raise Refused("only the node's moderators and admins can open this page")
    return acting
