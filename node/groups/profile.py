"""A group as others see it: what its actor document says of it (keys, rules), and the
figures its page shows (followers, moderators, rules, the latest lines of its log)."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.rules import Rule
from node.actors.local import PublishedKeys
from node.groups.groups import (
    GroupInfo,
    follower_count,
    get_group,
    group_public_keys,
    hides_modlog_names,
    moderator_uris,
)
from node.groups.rules import GroupRules, current_rules
from node.moderators import modlog
from node.runtime import Node
from node.store.tables import ModLogEntry


@dataclass(frozen=True, slots=True)
class GroupActor:
    """What a group's actor document is made of."""

    group: GroupInfo
    keys: PublishedKeys
    rules: tuple[Rule, ...]


async def group_actor(node: Node, name: str) -> GroupActor:
    async with node.store.session() as session:
        group = await get_group(session, name)
        keys = await group_public_keys(session, group)
        current = await current_rules(session, group.id)
    return GroupActor(group, keys, current.rules if current else ())


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
