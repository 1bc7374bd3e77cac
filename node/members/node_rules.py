"""The node's own rules (Mastodon's server rules): shown at sign-up and agreed to by everyone
who joins; added and removed by node admins. Their version counts every change, so an
account's agreed version says whether the rules moved since."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound
from node.moderators.roles import Acting, require_node_admin
from node.runtime import Node
from node.store.tables import MAX_ID, NodeRule

log = logging.getLogger(__name__)

MAX_RULE = 1000


@dataclass(frozen=True, slots=True)
class NodeRuleInfo:
    id: int
    text: str
    created_at: datetime


def _info(row: NodeRule) -> NodeRuleInfo:
    assert row.id is not None
    return NodeRuleInfo(id=row.id, text=row.text, created_at=row.created_at)


async def rules_in_force(session: AsyncSession) -> list[NodeRuleInfo]:
    found = await session.exec(
        select(NodeRule).where(col(NodeRule.removed_at).is_(None)).order_by(col(NodeRule.id))
    )
    return [_info(row) for row in found.all()]


async def rules_version(session: AsyncSession) -> int:
    """How many times the rules changed: one for each rule added, one more for each removed
    (rules are never deleted, so this only grows)."""
    added = (await session.exec(select(func.count()).select_from(NodeRule))).one()
    removed = (
        await session.exec(
            select(func.count()).select_from(NodeRule).where(col(NodeRule.removed_at).isnot(None))
        )
    ).one()
    return int(added) + int(removed)


async def node_rules(node: Node) -> list[NodeRuleInfo]:
    """The rules in force, in the order they were added: what a person agrees to at sign-up."""
    async with node.store.session() as session:
        return await rules_in_force(session)


async def current_rules_version(node: Node) -> int:
    async with node.store.session() as session:
        return await rules_version(session)


async def add_node_rule(node: Node, acting: Acting, text: str) -> NodeRuleInfo:
    require_node_admin(acting, "the node's rules")
    text = text.strip()
    if not text:
        raise Invalid("a rule needs some text")
    if len(text) > MAX_RULE:
        raise Invalid("a rule is at most {limit} characters long", limit=MAX_RULE)
    async with node.store.transaction() as session:
        row = NodeRule(text=text, created_at=node.clock())
        session.add(row)
        await session.flush()
        info = _info(row)
    log.info("event=node_rule_added id=%s by=%s", info.id, acting.name)
    return info


async def remove_node_rule(node: Node, acting: Acting, rule_id: int) -> NodeRuleInfo:
    require_node_admin(acting, "the node's rules")
    if not 0 < rule_id <= MAX_ID:
        raise NotFound("no rule {rule_id}", rule_id=rule_id)
    async with node.store.transaction() as session:
        row = await session.get(NodeRule, rule_id)
        if row is None:
            raise NotFound("no rule {rule_id}", rule_id=rule_id)
        if row.removed_at is not None:
            raise Conflict("rule {rule_id} was removed already", rule_id=rule_id)
        row.removed_at = node.clock()
        info = _info(row)
    log.info("event=node_rule_removed id=%s by=%s", rule_id, acting.name)
    return info
