"""The moderators' queue as the pages show it, a page at a time: the reports one may handle,
urgent first, each crisis item with why Cove flagged it; and, above them, the posts still held
for review whose reports were decided already (a held post never waits out of sight)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import NotFound
from moderation.reports import ReportState
from node.crisis.readings import CrisisReading, held_report_ids, readings_of
from node.groups.groups import get_group, local_group_name
from node.groups.rules import current_rules
from node.moderators.reports import decisions
from node.moderators.reports.info import ReportInfo, report_info
from node.moderators.roles import Acting, moderated_group_ids
from node.runtime import Node
from node.store.tables import Report

PER_PAGE = 20


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One report as the queue lists it: the reason, never the reported words."""

    report: ReportInfo
    group: str | None  # the group's title; None: a report for the node's staff
    reading: CrisisReading | None  # why Cove flagged it, when Cove raised it
    rules: dict[int, str]  # the titles of the rules it cites, by number, as they read now

    @property
    def held(self) -> bool:
        return self.reading is not None and self.reading.held


@dataclass(frozen=True, slots=True)
class QueuePage:
    entries: list[QueueEntry]
    still_held: list[QueueEntry]  # on the first page: held posts whose reports are decided
    more: bool  # a page after this one


async def queue_page(
    node: Node, acting: Acting, states: Collection[ReportState], page: int = 1
) -> QueuePage:
    """A page of the reports `acting` may handle in these states (refused to someone who
    moderates nothing, as `list_reports` refuses)."""
    found = await decisions.list_reports(node, acting, states, PER_PAGE + 1, (page - 1) * PER_PAGE)
    shown = found[:PER_PAGE]
    async with node.store.session() as session:
        still = await _still_held(session, acting, {r.id for r in shown}) if page == 1 else []
        listed = [*still, *shown]
        readings = await readings_of(session, [r.id for r in listed])
        groups = await _groups(session, node, {r.group_uri for r in listed if r.group_uri})

    def entry(r: ReportInfo) -> QueueEntry:
        title, rules = groups.get(r.group_uri or "", (None, {}))
        cited = {n: rules[n] for n in r.rule_numbers if n in rules}
        return QueueEntry(r, title, readings.get(r.id), cited)

    return QueuePage([entry(r) for r in shown], [entry(r) for r in still], len(found) > PER_PAGE)


async def _still_held(session: AsyncSession, acting: Acting, listed: set[int]) -> list[ReportInfo]:
    """The decided reports of posts still held in the groups `acting` moderates."""
    groups = await moderated_group_ids(session, acting)
    found = []
    for report_id in await held_report_ids(session, groups):
        row = await session.get(Report, report_id)
        if row is not None and row.id not in listed and row.state != ReportState.OPEN:
            found.append(report_info(row))
    return found


async def _groups(
    session: AsyncSession, node: Node, group_uris: set[str]
) -> dict[str, tuple[str, dict[int, str]]]:
    """Each group's title and its rules' titles by number."""
    found = {}
    for uri in group_uris:
        name = local_group_name(node, uri)
        if name is None:
            continue
        try:
            group = await get_group(session, name)
        except NotFound:  # a group deleted since: the report still names its address
            continue
        found[uri] = (group.title, await rule_titles(session, group.id))
    return found


async def rule_titles(session: AsyncSession, group_id: int) -> dict[int, str]:
    """The titles of a group's rules in force, by number (reports cite them by number)."""
    current = await current_rules(session, group_id)
    return {n: rule.title for n, rule in enumerate(current.rules, 1)} if current else {}
