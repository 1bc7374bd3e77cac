"""The node's accounts from the admins' pages: every account (paged, found by name) with its
role and state, each role changed by a form, and the sign-ups waiting for approval with the
reason they gave (and those whose address is not confirmed yet, to confirm for them). Each
page asks the role the console asks for the same action: roles are the admins', sign-ups
node staff's (a moderator opens that page too)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from federation.errors import CoveError, Invalid
from moderation import roles
from node.http.pages.render import done_of, page_number, render, told, visitor_of
from node.http.pages.staff import admin_of, staff_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.locale.languages import N_, word
from node.members import account_roles, approvals
from node.members.accounts import parse_role
from node.moderators.roles import Acting
from node.store.states import AccountRole, AccountState

routes = web.RouteTableDef()
ACCOUNTS = "/admin/accounts"
SIGN_UPS = "/admin/accounts/sign-ups"
MAX_NAME = 100  # a username as a form gives it (the domain checks it properly)


# How roles and states read on the pages (a role added later reads as its name until it
# has its words here).
ROLE_NAMES = {
    AccountRole.ADMIN: N_("admin"),
    AccountRole.MODERATOR: N_("moderator"),
    AccountRole.ORGANIZER: N_("organizer"),
    AccountRole.MEMBER: N_("member"),
}
STATE_NAMES = {
    AccountState.UNCONFIRMED: N_("email not confirmed"),
    AccountState.AWAITING_APPROVAL: N_("waiting for approval"),
    AccountState.ACTIVE: N_("active"),
    AccountState.REJECTED: N_("sign-up rejected"),
    AccountState.SUSPENDED: N_("suspended"),
}


def staff_pages(request: web.Request, acting: Acting, here: str) -> dict[str, Any]:
    """What every accounts page tells its template: where it is, whether the reader is an
    admin (who sees the accounts list as well as what node staff see), and the words for
    roles and states in the reader's language."""
    language = visitor_of(request).language
    return {
        "here": here,
        "is_admin": roles.may_administer_node(acting.role),
        "role_names": {r.value: word(ROLE_NAMES[r], language) for r in AccountRole},
        "state_names": {s.value: word(t, language) for s, t in STATE_NAMES.items()},
    }


async def _accounts(
    request: web.Request,
    acting: Acting,
    status: int = 200,
    problem: str | None = None,
) -> web.Response:
    node = request.app[NODE]
    search = request.query.get("q", "")[: account_roles.MAX_SEARCH]
    page = page_number(request.query.get("page"))
    found = await account_roles.accounts_page(node, acting, search, page)
    waiting = await approvals.account_requests(node, acting)
    done = request.query.get("done")
    return render(
        request,
        "admin_accounts.html",
        status=status,
        accounts=found.accounts,
        search=search,
        waiting=len(waiting),
        roles=[r.value for r in AccountRole],
        before=_listing(search, page - 1) if page > 1 else None,
        after=_listing(search, page + 1) if found.more else None,
        done=request.query.get("name", "")[:MAX_NAME] if done == "role" and not problem else None,
        problem=problem,
        **staff_pages(request, acting, ACCOUNTS),
    )


def _listing(search: str, page: int) -> str:
    """The address of one page of the accounts found by `search`."""
    query = {"q": search} if search else {}
    if page > 1:
        query["page"] = str(page)
    return f"{ACCOUNTS}?{urlencode(query)}" if query else ACCOUNTS


@routes.get(ACCOUNTS)
async def accounts_page(request: web.Request) -> web.Response:
    return await _accounts(request, await admin_of(request))


@routes.post(ACCOUNTS + "/role")
async def change_role(request: web.Request) -> web.Response:
    acting = await admin_of(request)
    form = await checked_form(request)
    name = form.get("name", "")[:MAX_NAME]
    try:
        role = parse_role(form.get("role", ""))
        changed = await account_roles.set_role(request.app[NODE], acting, name, role)
    except CoveError as e:
        return await _accounts(request, acting, e.status, told(request, e))
    raise web.HTTPSeeOther(f"{ACCOUNTS}?{urlencode({'done': 'role', 'name': changed.username})}")


async def _sign_ups(
    request: web.Request, acting: Acting, status: int = 200, problem: str | None = None
) -> web.Response:
    return render(
        request,
        "admin_sign_ups.html",
        status=status,
        requests=await approvals.account_requests(request.app[NODE], acting),
        unconfirmed=await approvals.unconfirmed_sign_ups(request.app[NODE], acting),
        done=done_of(request, tuple(DECISIONS.values()), problem),
        name=request.query.get("name", "")[:MAX_NAME],
        problem=problem,
        **staff_pages(request, acting, SIGN_UPS),
    )


# What each decision on a sign-up did, as the page's notice names it.
DECISIONS = {"approve": "approved", "reject": "rejected", "confirm": "confirmed"}


@routes.get(SIGN_UPS)
async def sign_ups_page(request: web.Request) -> web.Response:
    return await _sign_ups(request, await staff_of(request))


@routes.post(SIGN_UPS)
async def decide_sign_up(request: web.Request) -> web.Response:
    node = request.app[NODE]
    acting = await staff_of(request)
    form = await checked_form(request)
    name = form.get("name", "")[:MAX_NAME]
    decision = form.get("decision", "")
    try:
        if decision == "approve":
            account = await approvals.approve_account(node, acting, name, node.mailer)
        elif decision == "reject":
            account = await approvals.reject_account(node, acting, name)
        elif decision == "confirm":  # for someone whose mail never came (`cove account confirm`)
            account = await approvals.confirm_account(node, acting, name)
        else:
            raise Invalid("choose to approve or to reject the sign-up")
    except CoveError as e:
        return await _sign_ups(request, acting, e.status, told(request, e))
    done = DECISIONS[decision]
    raise web.HTTPSeeOther(f"{SIGN_UPS}?{urlencode({'done': done, 'name': account.username})}")
