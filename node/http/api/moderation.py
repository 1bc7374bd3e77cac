"""The moderation JSON API behind bearer tokens: Mastodon's report endpoints under /api/v1,
Cove's group moderation under /api/cove/v1, as schemas/openapi/cove-api.json describes them."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

import schemas
from federation import jsontext
from federation.errors import Invalid, NotFound, Refused, Unauthorized
from federation.vocabulary import iso8601
from moderation import bans as ban_policy
from moderation.reports import ReportState
from moderation.rules import parse_rules
from node.groups import anonymous_posts, groups, rules
from node.groups.groups import GroupInfo, get_group
from node.http.responses import json_response
from node.http.state import CLIENT, NODE
from node.members import notifications, tokens
from node.members.accounts import AccountInfo
from node.moderators import appointments, bans, modlog, removals, suspensions
from node.moderators.reports import decisions, filed
from node.moderators.reports.info import ReportInfo
from node.moderators.roles import (
    Acting,
    require_group_moderator,
    require_log_reader,
    require_node_moderator,
)
from node.queue import delivery
from node.store.paging import Cursor
from node.store.states import ReportDirection
from node.store.tables import MAX_ID, ModLogEntry

routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MASTODON = "/api/v1"
COVE = "/api/cove/v1"
MAX_REPORTS = 200  # Mastodon's ceiling for `limit` on the admin report list
# Read once: the document is part of the code it describes.
DESCRIPTION = schemas.openapi_document()
TRUE = frozenset({"true", "1", "on", "yes"})
FALSE = frozenset({"false", "0", "off", "no"})


def routes_on(table: web.RouteTableDef) -> Callable[[str, str], Callable[[Handler], Handler]]:
    """A decorator registering handlers on `table`, with and without a trailing slash:
    clients differ on it."""

    def route(method: str, path: str) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            table.route(method, path)(handler)
            table.route(method, path + "/")(handler)
            return handler

        return register

    return route


_route = routes_on(routes)


# Who is asking ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Caller:
    account: AccountInfo
    acting: Acting
    scopes: frozenset[str]


async def _caller(request: web.Request, scope: str, *or_scopes: str) -> Caller:
    """The token's owner, if the token is good and carries `scope` (or one of `or_scopes`):
    401 and 403 otherwise."""
    node = request.app[NODE]
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("this needs a token: send the header Authorization: Bearer <token>")
    account, scopes = await tokens.authenticate(node, secret.strip())
    if not any(tokens.grants(scopes, s) for s in or_scopes):
        tokens.require_scope(scopes, scope)
    return Caller(account, Acting.member(node, account), scopes)


# Reading parameters -----------------------------------------------------------------------------


class Fields:
    """A request's parameters from a JSON object, a form (Mastodon clients send forms, with
    `name[]` for lists) or the query string, each read once into the type it must have."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = values

    @classmethod
    def of_pairs(cls, pairs: Iterable[tuple[str, Any]]) -> Fields:
        values: dict[str, Any] = {}
        for key, value in pairs:
            if not isinstance(value, str):
                raise Invalid(f"{key} must be text, not a file")
            _check_text([key, value])
            if key.endswith("[]"):
                values.setdefault(key[:-2], []).append(value)
            else:
                values[key] = value
        return cls(values)

    def text(self, name: str, default: str = "") -> str:
        value = self.values.get(name)
        if value is None:
            return default
        if not isinstance(value, str):
            raise Invalid(f"{name} must be a string")
        return value

    def optional(self, name: str) -> str | None:
        value = self.text(name)
        return value or None

    def required(self, name: str) -> str:
        value = self.text(name).strip()
        if not value:
            raise Invalid(f"give {name}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
            return value.strip().lower() in TRUE
        raise Invalid(f"{name} must be true or false")

    def texts(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
            raise Invalid(f"{name} must be a list of strings")
        return items

    def numbers(self, name: str) -> tuple[int, ...]:
        value = self.values.get(name)
        items = [value] if isinstance(value, str | int) else (value or [])
        if not isinstance(items, list):
            raise Invalid(f"{name} must be a list of numbers")
        return tuple(_number(name, i) for i in items)

    def limit(self, name: str, default: int, most: int) -> int:
        value = self.values.get(name)
        if value is None:
            return default
        number = _number(name, value)
        if not 1 <= number <= most:
            raise Invalid(f"{name} must be between 1 and {most}")
        return number


def _number(name: str, value: object) -> int:
    """A whole number that fits an id column, from JSON or from text."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    raise Invalid(f"{name} must hold whole numbers up to {MAX_ID}")


def _check_text(document: object) -> None:
    try:
        jsontext.check_text(document)
    except jsontext.UnstorableText as error:
        raise Invalid(str(error)) from None


async def _body(request: web.Request) -> Fields:
    if not request.body_exists:
        return Fields({})
    if request.content_type == "application/json":
        try:
            data = json.loads(await request.read())
        except (ValueError, RecursionError):
            raise Invalid("the body is not valid JSON") from None
        if not isinstance(data, dict):
            raise Invalid("the body must be a JSON object")
        _check_text(data)
        return Fields(data)
    if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        try:
            form = await request.post()
        except ValueError:  # a multipart body without its boundary, say, or not UTF-8
            raise Invalid("the form cannot be read") from None
        return Fields.of_pairs(form.items())
    raise Invalid("send the body as JSON or as a form")


def _query(request: web.Request) -> Fields:
    return Fields.of_pairs(request.query.items())


def _group_name(request: web.Request) -> str:
    name = request.match_info["name"]
    try:
        _check_text(name)
    except Invalid:
        raise NotFound("no such group") from None
    return name


def _path_id(request: web.Request, what: str) -> int:
    text = request.match_info["id"]
    try:
        return _number("id", text)
    except Invalid:
        raise NotFound(f"no {what} {text}") from None


def _url(field: str, value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise Invalid(f"{field} must be an http or https URL")
    return value


def _expiry(fields: Fields, now: datetime) -> datetime | None:
    """A ban's end, given as a moment (RFC 3339) or as a length from now (7d)."""
    moment, length = fields.optional("expires_at"), fields.optional("duration")
    if moment and length:
        raise Invalid("give expires_at or duration, not both")
    if length:
        return now + ban_policy.parse_duration(length)
    if not moment:
        return None
    try:
        return datetime.fromisoformat(moment.strip())
    except ValueError:
        raise Invalid("expires_at must be an RFC 3339 date-time") from None


# Rendering --------------------------------------------------------------------------------------


def _when(moment: datetime | None) -> str | None:
    return iso8601(moment) if moment else None


def _account(uri: str | None) -> dict[str, Any] | None:
    # Cove has no numeric ids for accounts on other servers: the actor's URL is the id.
    if uri is None:
        return None
    return {"id": uri, "url": uri, "domain": urlsplit(uri).netloc}


def _report(info: ReportInfo) -> dict[str, Any]:
    """Mastodon's Report entity, with Cove's state, urgency and outcome beside it."""
    decided = info.state != ReportState.OPEN
    return {
        "id": str(info.id),
        "action_taken": decided,
        "action_taken_at": _when(info.updated_at) if decided else None,
        "category": info.category.value,
        "comment": info.comment,
        # A report filed here about something elsewhere goes to that server (Mastodon's sense).
        "forwarded": info.direction == ReportDirection.SENT,
        "created_at": iso8601(info.created_at),
        "status_ids": [info.target_uri] if info.target_is_post else [],
        "rule_ids": [str(n) for n in info.rule_numbers],
        "target_account": _account(info.target_account_uri),
        "state": info.state.value,
        "urgent": info.urgent,
        "outcome": info.outcome,
    }


def _reported_content(info: ReportInfo) -> dict[str, Any]:
    """The reported status's text, as Mastodon shows it to moderators, once a report is read
    on its own (a removed post's text stays readable here, for them)."""
    if info.post is None:
        return {}
    return {
        "content": info.post.content_html,
        "spoiler_text": info.post.title or "",
        "removed": info.post.removed,
        "deleted": info.post.deleted,
    }


def _admin_report(info: ReportInfo) -> dict[str, Any]:
    """Mastodon's Admin::Report entity, with Cove's fields beside it."""
    cove = info.as_json()
    document = _report(info)
    del document["status_ids"]
    return document | {
        "updated_at": iso8601(info.updated_at),
        "account": _account(info.reporter_uri),
        "statuses": (
            [
                {"id": info.target_uri, "uri": info.target_uri, "url": info.target_uri}
                | _reported_content(info)
            ]
            if info.target_is_post
            else []
        ),
        "target": info.target_uri,
        "group": info.group_uri,
        "reporter_server": info.reporter_host,
        "history": cove["history"],
    }


def _log_entry(entry: ModLogEntry, *, hide_name: bool = False) -> dict[str, Any]:
    return {
        "id": str(entry.id),
        "action": entry.action,
        "moderator": None if hide_name else entry.moderator_uri,
        "target": entry.target_uri,
        "reason": entry.reason,
        "expires_at": _when(entry.expires_at),
        "created_at": iso8601(entry.created_at),
    }


def _done() -> web.Response:
    return web.Response(status=204)


# Mastodon: admin reports ------------------------------------------------------------------------


@_route("GET", f"{MASTODON}/admin/reports")
async def admin_reports(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:read:reports")
    query = _query(request)
    resolved = query.flag("resolved", False)
    limit = query.limit("limit", 100, MAX_REPORTS)
    node = request.app[NODE]
    # Mastodon has one closed state; Cove tells resolved from dismissed.
    closed = (ReportState.RESOLVED, ReportState.DISMISSED)
    states = closed if resolved else (ReportState.OPEN,)
    found = await decisions.list_reports(node, caller.acting, states, limit)
    return json_response([_admin_report(r) for r in found])


@_route("GET", MASTODON + "/admin/reports/{id}")
async def admin_report(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:read:reports")
    node = request.app[NODE]
    info = await decisions.get_report(node, caller.acting, _path_id(request, "report"))
    return json_response(_admin_report(info))


async def _decide(request: web.Request, state: ReportState) -> ReportInfo:
    caller = await _caller(request, "admin:write:reports")
    report_id = _path_id(request, "report")
    note = (await _body(request)).text("note")
    node = request.app[NODE]
    await decisions.decide(node, caller.acting, report_id, state, note)
    return await decisions.get_report(node, caller.acting, report_id)


@_route("POST", MASTODON + "/admin/reports/{id}/resolve")
async def admin_resolve(request: web.Request) -> web.Response:
    return json_response(_admin_report(await _decide(request, ReportState.RESOLVED)))


@_route("POST", MASTODON + "/admin/reports/{id}/reopen")
async def admin_reopen(request: web.Request) -> web.Response:
    return json_response(_admin_report(await _decide(request, ReportState.OPEN)))


# Mastodon: filing a report ----------------------------------------------------------------------


@_route("POST", f"{MASTODON}/reports")
async def file_report(request: web.Request) -> web.Response:
    """Mastodon's parameters, with URLs for ids: the report is about the first status given,
    else the account. Mastodon's `forward` is read and ignored: Cove always tells the server
    that hosts the reported thing. Cove's `identify` names the reporter there (default: the
    report comes from this node's instance actor, as Mastodon's forwarded reports do)."""
    caller = await _caller(request, "write:reports")
    fields = await _body(request)
    account_uri = _url("account_id", fields.required("account_id"))
    statuses = [_url("status_ids", s) for s in fields.texts("status_ids")]
    fields.flag("forward", False)
    info = await filed.file_report(
        request.app[NODE],
        request.app[CLIENT],
        caller.account,
        statuses[0] if statuses else account_uri,
        category=fields.optional("category"),
        rules=fields.numbers("rule_ids"),
        comment=fields.text("comment"),
        identify=fields.flag("identify", False),
    )
    return json_response(_report(info))


# Cove: reports ----------------------------------------------------------------------------------


@_route("POST", COVE + "/reports/{id}/resolve")
async def resolve(request: web.Request) -> web.Response:
    return json_response((await _decide(request, ReportState.RESOLVED)).as_json())


@_route("POST", COVE + "/reports/{id}/dismiss")
async def dismiss(request: web.Request) -> web.Response:
    return json_response((await _decide(request, ReportState.DISMISSED)).as_json())


@_route("POST", COVE + "/reports/{id}/reopen")
async def reopen(request: web.Request) -> web.Response:
    return json_response((await _decide(request, ReportState.OPEN)).as_json())


@_route("GET", f"{COVE}/reports/mine")
async def my_reports(request: web.Request) -> web.Response:
    # Mastodon has no scope for reading one's own reports: `read` covers it.
    caller = await _caller(request, "read")
    found = await decisions.my_reports(request.app[NODE], caller.account)
    return json_response([r.as_json() for r in found])


@_route("GET", f"{COVE}/notifications")
async def notifications_list(request: web.Request) -> web.Response:
    caller = await _caller(request, "read:notifications")
    found = await notifications.notifications(request.app[NODE], caller.account)
    return json_response([n.as_json() for n in found])


# Cove: group rules ------------------------------------------------------------------------------


@_route("GET", COVE + "/groups/{name}/rules")
async def group_rules(request: web.Request) -> web.Response:
    """A group's rules are public: people read them before they join."""
    _group, current = await rules.rules_of(request.app[NODE], _group_name(request))
    if current is None:
        return json_response(
            {"version": 0, "needs_acceptance": False, "updated_at": None, "rules": []}
        )
    return json_response(current.as_json())


@_route("PUT", COVE + "/groups/{name}/rules")
async def put_group_rules(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write")
    fields = await _body(request)
    items = fields.values.get("rules")
    if not isinstance(items, list):
        raise Invalid("rules must be a list of {title, text}")
    written = await rules.set_rules(
        request.app[NODE],
        caller.acting,
        _group_name(request),
        parse_rules(items),
        needs_acceptance=fields.flag("needs_acceptance", False),
    )
    return json_response(written.as_json())


# Cove: posts in a group -------------------------------------------------------------------------


@_route("POST", COVE + "/groups/{name}/posts/{action:remove|restore|lock|unlock|pin|unpin|purge}")
async def post_action(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write")
    fields = await _body(request)
    post = _url("post", fields.required("post"))
    reason = fields.text("reason").strip()
    node, client, acting = request.app[NODE], request.app[CLIENT], caller.acting
    name, action = _group_name(request), request.match_info["action"]
    if action in ("remove", "restore"):
        removed = action == "remove"
        await removals.set_removed(node, client, acting, name, post, reason, removed=removed)
    elif action in ("lock", "unlock"):
        locked = action == "lock"
        await removals.set_locked(node, client, acting, name, post, reason, locked=locked)
    elif action == "purge":
        await removals.purge(node, acting, name, post)
    else:
        pinned = action == "pin"
        await removals.set_pinned(node, client, acting, name, post, pinned=pinned)
    return _done()


@_route("GET", f"{COVE}/posts/author")
async def post_author(request: web.Request) -> web.Response:
    """Who really wrote a post (anonymous ones too): for its group's moderators only."""
    caller = await _caller(request, "admin:read")
    post = _url("post", _query(request).required("post"))
    found = await anonymous_posts.author_of(request.app[NODE], caller.acting, post)
    return json_response(found.as_json())


# Cove: bans and moderators ----------------------------------------------------------------------


@_route("GET", COVE + "/groups/{name}/bans")
async def list_bans(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:read:accounts")
    found = await bans.list_bans(request.app[NODE], caller.acting, _group_name(request))
    return json_response([b.as_json() for b in found])


@_route("POST", COVE + "/groups/{name}/bans")
async def ban(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write:accounts")
    fields = await _body(request)
    node = request.app[NODE]
    info = await bans.ban(
        node,
        request.app[CLIENT],
        caller.acting,
        _group_name(request),
        _url("actor", fields.required("actor")),
        fields.text("reason").strip(),
        _expiry(fields, node.clock()),
        remove_content=fields.flag("remove_content", False),
    )
    return json_response(info.as_json())


async def _unban(request: web.Request, caller: Caller, fields: Fields) -> web.Response:
    await bans.unban(
        request.app[NODE],
        request.app[CLIENT],
        caller.acting,
        _group_name(request),
        _url("actor", fields.required("actor")),
    )
    return _done()


@_route("DELETE", COVE + "/groups/{name}/bans")
async def delete_ban(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write:accounts")
    return await _unban(request, caller, _query(request))


@_route("POST", COVE + "/groups/{name}/unban")
async def unban(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write:accounts")
    return await _unban(request, caller, await _body(request))


async def _set_moderator(
    request: web.Request, caller: Caller, fields: Fields, *, moderator: bool
) -> web.Response:
    await appointments.set_moderator(
        request.app[NODE],
        request.app[CLIENT],
        caller.acting,
        _group_name(request),
        fields.required("account"),
        moderator=moderator,
    )
    return _done()


@_route("POST", COVE + "/groups/{name}/moderators")
async def add_moderator(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write:accounts")
    return await _set_moderator(request, caller, await _body(request), moderator=True)


@_route("DELETE", COVE + "/groups/{name}/moderators")
async def remove_moderator(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write:accounts")
    return await _set_moderator(request, caller, _query(request), moderator=False)


# Cove: suspensions of remote actors (Mastodon's admin account actions need local ids) -----------


@_route("GET", COVE + "/admin/suspensions")
async def list_suspensions(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:read:accounts")
    found = await suspensions.list_suspensions(request.app[NODE], caller.acting)
    return json_response([b.as_json() for b in found])


@_route("POST", COVE + "/admin/suspensions")
async def suspend(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write:accounts")
    fields = await _body(request)
    node = request.app[NODE]
    info = await suspensions.suspend(
        node,
        request.app[CLIENT],
        caller.acting,
        _url("actor", fields.required("actor")),
        fields.text("reason").strip(),
        _expiry(fields, node.clock()),
    )
    return json_response(info.as_json())


@_route("DELETE", COVE + "/admin/suspensions")
async def unsuspend(request: web.Request) -> web.Response:
    caller = await _caller(request, "admin:write:accounts")
    actor = _url("actor", _query(request).required("actor"))
    await suspensions.unsuspend(request.app[NODE], caller.acting, actor)
    return _done()


# Cove: the moderation log and the queues --------------------------------------------------------


def _cursor(query: Fields) -> Cursor:
    return Cursor.parse(query.text("max_id") or None, query.text("min_id") or None)


@_route("GET", COVE + "/groups/{name}/modlog")
async def group_modlog(request: web.Request) -> web.Response:
    """The group's log, newest first, paged with max_id (older) and min_id (newer) as
    Mastodon pages, the next and prev links given. Public for a public group, as on its web
    page (names hidden when the group hides them); a members-only group's needs a member's
    token; a moderator with `admin:read` always sees who did what."""
    caller = await _caller(request, "read", "admin:read") if _has_token(request) else None
    cursor = _cursor(_query(request))
    node = request.app[NODE]
    async with node.store.session() as session:
        group = await get_group(session, _group_name(request))
        if caller is None and group.members_only:
            raise Unauthorized(f"the log of {group.name} is for its members: send a token")
        if caller is not None:
            await require_log_reader(session, caller.acting, group)
        names = caller is not None and await _moderates(session, caller, group)
        hide = not names and await groups.hides_modlog_names(session, group.id)
        page = await modlog.log_page(session, group.id, cursor)
    here = f"{node.urls.base}{COVE}/groups/{group.name}/modlog"
    older, newer = page.oldest_id, page.newest_id
    return json_response(
        {
            "items": [_log_entry(entry, hide_name=hide) for _, entry in page.items],
            "next": f"{here}?{urlencode({'max_id': older})}"
            if page.has_older and older is not None
            else None,
            "prev": f"{here}?{urlencode({'min_id': newer})}"
            if page.has_newer and newer is not None
            else None,
        }
    )


def _has_token(request: web.Request) -> bool:
    return bool(request.headers.get("Authorization", "").strip())


async def _moderates(session: AsyncSession, caller: Caller, group: GroupInfo) -> bool:
    if not tokens.grants(caller.scopes, "admin:read"):
        return False
    try:
        await require_group_moderator(session, caller.acting, group)
    except Refused:
        return False
    return True


@_route("GET", f"{COVE}/admin/queue")
async def queue_figures(request: web.Request) -> web.Response:
    """The figures `cove queue status` shows."""
    caller = await _caller(request, "admin:read")
    require_node_moderator(caller.acting)
    node = request.app[NODE]
    async with node.store.session() as session:
        figures = await delivery.queue_figures(session, node.clock())
    document = asdict(figures)
    document["oldest_pending"] = _when(figures.oldest_pending)
    document["dead_hosts"] = [
        {"host": host, "failures": failures, "dead_until": _when(until)}
        for host, failures, until in figures.dead_hosts
    ]
    return json_response(document)


# The description ------------------------------------------------------------------------------


@_route("GET", f"{COVE}/openapi.json")
async def openapi(request: web.Request) -> web.Response:
    return json_response(DESCRIPTION | {"servers": [{"url": request.app[NODE].urls.base}]})
