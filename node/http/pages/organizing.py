"""The pages where a group is started and shaped: a new group (node admins and organizers),
and a group's settings: what it is, how it works, and its crisis care, all for its owner or a
node admin, what it gathers around and its care words for its other moderators too. Every
form is checked against the same roles as the CLI (node.groups.organizing), and sends only
what its reader may change; a refused or missing group is a 403 or 404 page that shows
nothing of it."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError
from node.crisis import holds
from node.crisis.care_words import checked_words, cove_words, group_words, words_language
from node.groups import organizing
from node.groups.groups import GroupInfo, NewGroup, parse_posting_policy
from node.groups.kinds import normalise_topics, parse_kind, topics_in
from node.groups.organizing import GroupChanges, GroupSettings
from node.http.pages.render import render, told, visitor_of
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.moderators.roles import Acting
from node.store.states import GroupKind, PostingPolicy

routes = web.RouteTableDef()
NEW = "/groups/new"
SETTINGS = "/g/{name}/settings"
KINDS = [k.value for k in GroupKind]
POLICIES = [p.value for p in PostingPolicy]
SWITCHES = ("approves_members", "members_only", "discoverable", "anonymous_posts")
# Every field of the group forms, blank: what came back from a form may lack some (an
# unchecked box is not sent).
FIELDS = dict.fromkeys(("name", "title", "summary", "kind", "topics", "posting", *SWITCHES), "")
CARE_FIELDS = dict.fromkeys(("hold_acute", "care_words", "hold_words"), "")
NEW_GROUP = {
    **FIELDS,
    "title": "",
    "summary": "",
    "kind": GroupKind.GENERAL.value,
    "topics": "",
    "posting": PostingPolicy.MEMBERS.value,
    "anonymous_posts": "yes",
}


def _on(form: dict[str, str], field: str) -> bool:
    return form.get(field) == "yes"


def _yes(on: bool) -> str:
    return "yes" if on else ""


async def _founder(request: web.Request) -> Acting:
    acting = await acting_of(request)
    organizing.require_founder(acting)
    return acting


def _new_page(
    request: web.Request, form: dict[str, str], status: int = 200, problem: str | None = None
) -> web.Response:
    return render(
        request,
        "group_new.html",
        status=status,
        form={**FIELDS, **form},
        kinds=KINDS,
        policies=POLICIES,
        problem=problem,
    )


@routes.get(NEW)
async def new_group_page(request: web.Request) -> web.Response:
    await _founder(request)
    return _new_page(request, NEW_GROUP)


@routes.post(NEW)
async def start_group(request: web.Request) -> web.StreamResponse:
    acting = await _founder(request)
    form = await checked_form(request)
    try:
        new = NewGroup(
            name=form.get("name", ""),
            title=form.get("title", ""),
            summary=form.get("summary", ""),
            kind=parse_kind(form.get("kind", "")),
            topics=tuple(normalise_topics(topics_in(form.get("topics", "")))),
            posting_policy=parse_posting_policy(form.get("posting", "")),
            **{field: _on(form, field) for field in SWITCHES},  # type: ignore[arg-type]
        )
        group = await organizing.found_group(request.app[NODE], acting, new)
    except CoveError as e:
        return _new_page(request, form, e.status, told(request, e))
    # Rules next: people read them before they join.
    raise web.HTTPSeeOther(f"/g/{group.name}/rules?done=created")


def _values(group: GroupInfo) -> dict[str, str]:
    """The settings form as the group is now."""
    return {
        "title": group.title,
        "summary": group.summary,
        "kind": group.kind.value,
        "topics": ", ".join(group.topics),
        "posting": group.posting_policy.value,
        **{field: _yes(getattr(group, field)) for field in SWITCHES},
    }


def _care_values(found: GroupSettings) -> dict[str, str]:
    return {
        "hold_acute": _yes(found.hold_acute),
        "care_words": found.care_words or "",
        "hold_words": found.hold_words or "",
    }


async def _settings_page(
    request: web.Request,
    acting: Acting,
    status: int = 200,
    *,
    form: dict[str, str] | None = None,
    care: dict[str, str] | None = None,
    problem: str | None = None,
    care_problem: str | None = None,
) -> web.Response:
    """The settings page, with what was typed and why it was refused (the roles checked
    again: a refusal shows nothing of the group)."""
    node = request.app[NODE]
    found = await organizing.settings_of(node, acting, request.match_info["name"])
    language = words_language(node, visitor_of(request).language)
    done = request.query.get("done")
    care = {**CARE_FIELDS, **(care or _care_values(found))}
    if not found.organizes:  # not theirs to change, so not in what they sent
        care["hold_acute"] = _yes(found.hold_acute)
    return render(
        request,
        "group_settings.html",
        status=status,
        group=found.group,
        organizes=found.organizes,
        form={**FIELDS, **(form or _values(found.group))},
        care=care,
        kinds=KINDS,
        policies=POLICIES,
        cove_care=cove_words(language, hold=False),
        cove_hold=cove_words(language, hold=True),
        problem=problem,
        care_problem=care_problem,
        done=done if status == 200 and done in ("saved", "care") else None,
    )


@routes.get(SETTINGS)
async def settings_page(request: web.Request) -> web.Response:
    return await _settings_page(request, await acting_of(request))


def _changes(form: dict[str, str], *, organizes: bool) -> GroupChanges:
    """What the settings form changes: all of it for the group's owner or a node admin;
    for its other moderators, whose form has no more, what the group gathers around
    (`organizing.DESCRIPTION`)."""
    kind = parse_kind(form.get("kind", ""))
    topics = tuple(topics_in(form.get("topics", "")))
    if not organizes:
        return GroupChanges(kind=kind, topics=topics)
    return GroupChanges(
        title=form.get("title", ""),
        summary=form.get("summary", ""),
        kind=kind,
        topics=topics,
        posting_policy=parse_posting_policy(form.get("posting", "")),
        **{field: _on(form, field) for field in SWITCHES},
    )


@routes.post(SETTINGS)
async def save_settings(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    acting = await acting_of(request)
    form = await checked_form(request)
    name = request.match_info["name"]
    try:
        found = await organizing.settings_of(node, acting, name)
        changes = _changes(form, organizes=found.organizes)
        group = await organizing.change_group(node, acting, name, changes)
    except CoveError as e:
        return await _settings_page(request, acting, e.status, form=form, problem=told(request, e))
    raise web.HTTPSeeOther(f"/g/{group.name}/settings?done=saved")


@routes.post(SETTINGS + "/care")
async def save_care(request: web.Request) -> web.StreamResponse:
    """Whether acute posts wait for a moderator (`cove group hold`: its owner's or a node
    admin's to decide) and the group's own care and hold words (`cove group care-template`:
    its moderators' too); blank words are Cove's own."""
    node = request.app[NODE]
    acting = await acting_of(request)
    form = await checked_form(request)
    name = request.match_info["name"]
    words = {hold: form.get("hold_words" if hold else "care_words", "") for hold in (False, True)}
    try:
        found = await organizing.settings_of(node, acting, name)
        for text in words.values():
            if text.strip():
                checked_words(text)  # all checked before anything is changed
        if found.organizes:
            await holds.set_hold(node, acting, name, _on(form, "hold_acute"))
        for hold, text in words.items():
            own = text if text.strip() else None
            await group_words(node, acting, name, hold=hold, change=own, reset=own is None)
    except CoveError as e:
        said = told(request, e)
        return await _settings_page(request, acting, e.status, care=form, care_problem=said)
    raise web.HTTPSeeOther(f"/g/{name.lower()}/settings?done=care#care")
