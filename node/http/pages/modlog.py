"""A group's moderation log as people read it in a browser: its page, and its lines as the
group's page shows them too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from federation.errors import Refused
from moderation.modlog import DESCRIPTION, ModAction
from node.http.pages.render import render
from node.http.state import NODE
from node.moderators import modlog
from node.store.paging import Cursor
from node.store.tables import ModLogEntry

MODLOG_PAGE_SIZE = 50


def _web_link(uri: str) -> bool:
    return uri.startswith(("https://", "http://"))


def modlog_line(entry: ModLogEntry, group_uri: str, *, hide_names: bool) -> dict[str, Any]:
    """One line of a group's moderation log as the group's web page shows it."""
    who = None
    if entry.moderator_uri is not None:
        who = "A moderator" if hide_names else entry.moderator_uri
    target = None if entry.target_uri == group_uri else entry.target_uri
    return {
        "when": entry.created_at.strftime("%Y-%m-%d %H:%M"),
        "who": who,
        "who_href": who if who and _web_link(who) else None,
        "what": DESCRIPTION.get(ModAction(entry.action), entry.action),
        "target": target,
        "target_href": target if target and _web_link(target) else None,
        "reason": entry.reason,
        "until": entry.expires_at.strftime("%Y-%m-%d %H:%M") if entry.expires_at else None,
    }


async def modlog_page(request: web.Request) -> web.Response:
    """The log for a person with a browser: a members-only group's log is not shown (a browser
    carries no member's signature), others page back with ?max_id=."""
    node = request.app[NODE]
    asked = Cursor.parse(request.query.get("max_id"), request.query.get("min_id"))
    cursor = Cursor(max_id=asked.max_id)
    log = await modlog.public_log(node, request.match_info["name"], cursor, MODLOG_PAGE_SIZE)
    group, page = log.group, log.page
    if group.members_only:
        raise Refused(f"the moderation log of {group.name} is for its members only")
    group_uri = node.urls.group(group.name)
    older = None
    if page.has_older and page.oldest_id is not None:
        older = f"{node.urls.modlog(group_uri)}?{urlencode({'max_id': page.oldest_id})}"
    return render(
        request,
        "modlog.html",
        group=group,
        group_url=group_uri,
        entries=[modlog_line(e, group_uri, hide_names=log.hide_names) for _, e in page.items],
        older_url=older,
    )
