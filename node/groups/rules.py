"""A group's rules: versions written by its owner, accepted by local members when they join
(and again when a change asks for it), sent to remote followers in a welcome note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, NotFound
from federation.vocabulary import iso8601
from moderation.modlog import ModAction
from moderation.rules import Rule
from node.groups.groups import GroupInfo, get_group
from node.moderators import modlog
from node.moderators.roles import Acting, require_appointer
from node.runtime import Node
from node.store.tables import Membership, RuleSet


@dataclass(frozen=True, slots=True)
class GroupRules:
    version: int
    rules: tuple[Rule, ...]
    needs_acceptance: bool
    created_at: datetime

    def as_json(self) -> dict[str, object]:
        return {
            "version": self.version,
            "needs_acceptance": self.needs_acceptance,
            "updated_at": iso8601(self.created_at),
            "rules": [{"number": r.number, "title": r.title, "text": r.text} for r in self.rules],
        }


def _rules(row: RuleSet) -> GroupRules:
    return GroupRules(
        version=row.version,
        rules=tuple(Rule(int(r["number"]), str(r["title"]), str(r["text"])) for r in row.rules),
        needs_acceptance=row.needs_acceptance,
        created_at=row.created_at,
    )


async def current_rules(session: AsyncSession, group_id: int) -> GroupRules | None:
    """The rules in force; None for a group that has written none."""
    row = (
        await session.exec(
            select(RuleSet)
            .where(RuleSet.group_id == group_id)
            .order_by(col(RuleSet.version).desc())
            .limit(1)
        )
    ).first()
    return _rules(row) if row is not None else None


async def rule_versions(node: Node, group_name: str) -> tuple[GroupInfo, list[GroupRules]]:
    """Every version of a group's rules, newest first: a new version never replaces an old
    one."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        found = await session.exec(
            select(RuleSet)
            .where(RuleSet.group_id == group.id)
            .order_by(col(RuleSet.version).desc())
        )
        return group, [_rules(row) for row in found.all()]


async def rules_of(node: Node, group_name: str) -> tuple[GroupInfo, GroupRules | None]:
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        return group, await current_rules(session, group.id)


async def set_rules(
    node: Node, acting: Acting, group_name: str, rules: tuple[Rule, ...], *, needs_acceptance: bool
) -> GroupRules:
    """A new version of the group's rules (the owner or a node admin writes them)."""
    now = node.clock()
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_appointer(session, acting, group)
        current = await current_rules(session, group.id)
        version = current.version + 1 if current else 1
        session.add(
            RuleSet(
                group_id=group.id,
                version=version,
                rules=[{"number": r.number, "title": r.title, "text": r.text} for r in rules],
                needs_acceptance=needs_acceptance,
                author_uri=acting.uri,
                created_at=now,
            )
        )
        modlog.record(
            session,
            group.id,
            ModAction.CHANGE_RULES,
            acting.uri,
            node.urls.group(group.name),
            now,
            reason=f"version {version}" + (", members asked to accept" if needs_acceptance else ""),
        )
    return GroupRules(version, rules, needs_acceptance, now)


async def must_accept(session: AsyncSession, group_id: int, accepted: int | None) -> int | None:
    """The version a member still has to accept before taking part, or None: the newest
    version marked as needing it, if they accepted an older one."""
    found = await session.exec(
        select(RuleSet.version)
        .where(RuleSet.group_id == group_id, col(RuleSet.needs_acceptance).is_(True))
        .order_by(col(RuleSet.version).desc())
        .limit(1)
    )
    needed = found.first()
    if needed is None or (accepted is not None and accepted >= needed):
        return None
    return needed


def require_read(group: GroupInfo, current: GroupRules, version: int | None) -> None:
    """Rules are accepted as read: a version published since the one read (`version`; None:
    not said) is a conflict, never accepted unseen."""
    if version is not None and version != current.version:
        raise Conflict(
            "the rules of {group} are at version {version} now: read them"
            " again and accept that version",
            group=group.name,
            version=current.version,
        )


async def accept_rules(node: Node, group_name: str, actor_uri: str, version: int) -> None:
    """A local member accepts the rules in force (the version they read): a conflict when a
    newer version came out since, which they have not read."""
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        current = await current_rules(session, group.id)
        if current is None:
            raise NotFound("{group} has no rules to accept", group=group.name)
        require_read(group, current, version)
        membership = (
            await session.exec(
                select(Membership).where(
                    Membership.group_id == group.id, Membership.actor_uri == actor_uri
                )
            )
        ).first()
        if membership is None:
            raise NotFound("not a member of {group}: join it first", group=group.name)
        membership.rules_accepted = version
        membership.updated_at = node.clock()
