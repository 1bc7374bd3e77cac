"""A group's moderation log as people read it in a browser: its page, and its lines as the
group's page shows them too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from federation.errors import Refused, Unauthorized
from moderation.modlog import ModAction
from node.http.pages.render import render, visitor_of
from node.http.pages.staff import optional_acting_of
from node.http.state import NODE
from node.locale.languages import N_, word
from node.moderators import modlog
from node.store.paging import Cursor
from node.store.tables import ModLogEntry

MODLOG_PAGE_SIZE = 50

# How each action reads on the group's web page: "<who> <what> <target>"; an action with no
# moderator (a ban running out) reads without the "who".
WHAT = {
    ModAction.REMOVE_POST: N_("removed a post"),
    ModAction.RESTORE_POST: N_("restored a post"),
    ModAction.PURGE_POST: N_("purged a removed post"),
    ModAction.LOCK_POST: N_("locked a thread"),
    ModAction.UNLOCK_POST: N_("unlocked a thread"),
    ModAction.PIN_POST: N_("pinned a post"),
    ModAction.UNPIN_POST: N_("unpinned a post"),
    ModAction.BAN: N_("banned"),
    ModAction.UNBAN: N_("lifted the ban on"),
    ModAction.BAN_EXPIRED: N_("the ban ran out for"),
    ModAction.ADD_MODERATOR: N_("made a moderator:"),
    ModAction.REMOVE_MODERATOR: N_("removed as moderator:"),
    ModAction.CHANGE_RULES: N_("changed the rules"),
    ModAction.SUSPEND: N_("suspended"),
    ModAction.UNSUSPEND: N_("lifted the suspension of"),
    ModAction.BLOCK_DOMAIN: N_("kept out of the group the server"),
    ModAction.UNBLOCK_DOMAIN: N_("let back into the group the server"),
    ModAction.CHANGE_ROLE: N_("changed the node role of"),
}


def _web_link(uri: str) -> bool:
    return uri.startswith(("https://", "http://"))


def modlog_line(
    entry: ModLogEntry, group_uri: str, language: str, *, hide_names: bool
) -> dict[str, Any]:
    """One line of a group's moderation log as the group's web page shows it."""
    who = None
    if entry.moderator_uri is not None:
        who = word(N_("A moderator"), language) if hide_names else entry.moderator_uri
    target = None if entry.target_uri == group_uri else entry.target_uri
    return {
        "when": entry.created_at.strftime("%Y-%m-%d %H:%M"),
        "who": who,
        "who_href": who if who and _web_link(who) else None,
        "what": word(WHAT[ModAction(entry.action)], language),
        "target": target,
        "target_href": target if target and _web_link(target) else None,
        "reason": entry.reason,
        "until": entry.expires_at.strftime("%Y-%m-%d %H:%M") if entry.expires_at else None,
    }


async def modlog_page(request: web.Request) -> web.Response:
    """The log for a person with a browser, paged back with ?max_id=: read as `cove modlog`
    reads it (`require_log_reader`), so a members-only group's log is for its members and
    moderators and the node's staff, signed in; its moderators see who did what even when
    the group hides that from others."""
    node = request.app[NODE]
    asked = Cursor.parse(request.query.get("max_id"), request.query.get("min_id"))
    cursor = Cursor(max_id=asked.max_id)
    reader = await optional_acting_of(request)
    name = request.match_info["name"]
    try:
        log = await modlog.log_read_by(
            node, reader, name, cursor, names_scope=True, limit=MODLOG_PAGE_SIZE
        )
    except Unauthorized:
        # Someone not signed in: the same refusal as a stranger's, and the way in for a member.
        raise Refused(
            "the moderation log of {group} is for its members only: sign in if you are one",
            group=name.lower(),
        ) from None
    group, page = log.group, log.page
    group_uri = node.urls.group(group.name)
    language = visitor_of(request).language
    older = None
    if page.has_older and page.oldest_id is not None:
        older = f"{node.urls.modlog(group_uri)}?{urlencode({'max_id': page.oldest_id})}"
    return render(
        request,
        "modlog.html",
        group=group,
        group_url=group_uri,
        entries=[
            modlog_line(e, group_uri, language, hide_names=log.hide_names) for _, e in page.items
        ],
        names_shown_to_moderators=log.names_shown_to_moderators,
        older_url=older,
    )
