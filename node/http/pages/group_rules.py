"""A group's rules editor, for its owner or a node admin: the rules in force, each row to
edit, remove or move, a few empty rows to add more (and a button for more still, with no
script), saved as a new version that members may have to accept again; the versions before it
below. The same roles and checks as `cove group rules set`."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from federation.errors import CoveError, Invalid
from moderation.rules import MAX_RULES, Rule, parse_rules
from node.groups import organizing, rules
from node.groups.groups import GroupInfo
from node.http.pages.render import render, told
from node.http.pages.staff import acting_of
from node.http.pages.visitors import checked_form
from node.http.state import NODE
from node.moderators.roles import Acting

routes = web.RouteTableDef()
RULES = "/g/{name}/rules"
EMPTY_ROWS = 3  # rows offered for new rules each time
MAX_ROWS = MAX_RULES + 2 * EMPTY_ROWS  # rows read from a form; the rules' own limit says more


@dataclass(frozen=True, slots=True)
class Row:
    """One rule as the form shows it, or as it came back."""

    title: str
    text: str
    position: str  # its place in the list, as typed
    remove: bool = False


def _rows_of(found: rules.GroupRules | None) -> list[Row]:
    kept = [Row(r.title, r.text, str(r.number)) for r in (found.rules if found else ())]
    return kept + _empty(len(kept))


def _empty(after: int) -> list[Row]:
    return [Row("", "", str(after + n)) for n in range(1, EMPTY_ROWS + 1)]


def _rows_from(form: dict[str, str]) -> list[Row]:
    rows = []
    for i in range(MAX_ROWS):
        if f"title_{i}" not in form:
            break
        rows.append(
            Row(
                form[f"title_{i}"],
                form.get(f"text_{i}", ""),
                form.get(f"position_{i}", "").strip(),
                form.get(f"remove_{i}") == "yes",
            )
        )
    return rows


def _written(rows: list[Row]) -> tuple[Rule, ...]:
    """The rules the rows say, in the order their places give (rows left empty, and rows
    marked to remove, are not rules)."""
    placed = []
    for i, row in enumerate(rows):
        if row.remove or not (row.title.strip() or row.text.strip()):
            continue
        if not (row.position.isascii() and row.position.isdigit() and len(row.position) <= 3):
            raise Invalid(
                "the place of the rule {title!r} in the list is not a whole number: {place!r}",
                title=row.title.strip(),
                place=row.position,
            )
        placed.append((int(row.position), i, row))
    placed.sort(key=lambda each: each[:2])
    return parse_rules([{"title": row.title, "text": row.text} for *_, row in placed])


async def _page(
    request: web.Request,
    acting: Acting,
    status: int = 200,
    *,
    rows: list[Row] | None = None,
    needs_acceptance: bool = False,
    problem: str | None = None,
) -> web.Response:
    """The editor: the rules in force, or the rows as they came back (the role checked
    first: a refusal shows nothing of the group)."""
    node = request.app[NODE]
    name = request.match_info["name"]
    group: GroupInfo = await organizing.group_to_organize(node, acting, name)
    _, versions = await rules.rule_versions(node, group.name)
    current = versions[0] if versions else None
    done = request.query.get("done")
    return render(
        request,
        "group_rules.html",
        status=status,
        group=group,
        current=current,
        versions=versions[1:],
        rows=rows if rows is not None else _rows_of(current),
        needs_acceptance=needs_acceptance,
        problem=problem,
        done=done if status == 200 and rows is None and done in ("created", "saved") else None,
    )


@routes.get(RULES)
async def rules_page(request: web.Request) -> web.Response:
    return await _page(request, await acting_of(request))


@routes.post(RULES)
async def save_rules(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    acting = await acting_of(request)
    form = await checked_form(request)
    name = request.match_info["name"]
    rows = _rows_from(form)
    again = form.get("needs_acceptance") == "yes"
    if form.get("more") == "yes":
        return await _page(request, acting, rows=rows + _empty(len(rows)), needs_acceptance=again)
    try:
        written = _written(rows)
        await organizing.write_rules(node, acting, name, written, needs_acceptance=again)
    except CoveError as e:
        said = told(request, e)
        return await _page(
            request, acting, e.status, rows=rows, needs_acceptance=again, problem=said
        )
    raise web.HTTPSeeOther(f"/g/{name.lower()}/rules?done=saved")
