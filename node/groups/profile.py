"""The figures a group's page shows: followers, moderators, rules, the latest lines of its
log (what its actor document says is node.groups.actor)."""

from __future__ import annotations

from dataclasses import dataclass

from node.groups.groups import (
    GroupInfo,
    follower_count,
    hides_modlog_names,
    moderator_uris,
)
from node.groups.rules import GroupRules, current_rules
from node.moderators import modlog
from node.runtime import Node
from node.store.tables import ModLogEntry


@dataclass(frozen=True, slots=True)
class GroupProfile:
    """The figures of a group's page (its posts are asked of `posts.visible_to`)."""

    follower_count: int
    moderators: list[str]
    rules: GroupRules | None
    modlog: list[ModLogEntry]  # the latest lines; none for a members-only group
    hide_modlog_names: bool


async def group_profile(node: Node, group: GroupInfo, modlog_lines: int) -> GroupProfile:
    async with node.store.session() as session:
        followers = await follower_count(session, group.id)
        moderators = await moderator_uris(session, group.id)
        rules = await current_rules(session, group.id)
        if group.members_only:
            return GroupProfile(followers, moderators, rules, [], hide_modlog_names=False)
        hide = await hides_modlog_names(session, group.id)
        lines = await modlog.recent(session, group.id, modlog_lines)
    return GroupProfile(followers, moderators, rules, lines, hide)
