"""Who starts a group and shapes it: starting one (node admins and the organizers they name;
whoever starts it owns it), changing what it is and how it works, and writing its rules (its
owner or a node admin; what it gathers around, its moderators too). Every change that other
servers see in the group's actor is sent to its followers' servers (node.groups.actor)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from federation.errors import Invalid, Refused
from moderation import roles
from moderation.rules import Rule
from node.groups import actor, rules
from node.groups.groups import (
    GroupInfo,
    NewGroup,
    checked_summary,
    checked_title,
    create_group,
    get_group,
    get_group_by_id,
)
from node.groups.kinds import normalise_topics
from node.moderators.roles import (
    Acting,
    appoints,
    require_appointer,
    require_group_moderator,
)
from node.runtime import Node
from node.store.states import AccountRole, GroupKind, PostingPolicy
from node.store.tables import CommunityGroup

log = logging.getLogger(__name__)


def require_founder(acting: Acting) -> None:
    """Refused unless a node admin or an organizer acts (the operator at the console is an
    admin): who may start groups, asked before a new group's form is shown too."""
    if not roles.may_found_group(acting.role):
        raise Refused("{who} may not start groups: node admins and organizers do", who=acting.name)


async def found_group(node: Node, acting: Acting, new: NewGroup) -> GroupInfo:
    """A group started by a node admin or an organizer. A member who starts one owns it; only
    an admin may name someone else its owner (an organizer's trust is to run what they start,
    not to hand groups out)."""
    require_founder(acting)
    if acting.account is not None:
        named = (new.owner or "").strip().lstrip("@").lower()
        if not named:
            new = dataclasses.replace(new, owner=acting.account.username)
        elif named != acting.account.username and acting.role != AccountRole.ADMIN:
            raise Refused(
                "an organizer owns the groups they start: only a node admin names another owner"
            )
    group = await create_group(node, new)
    log.info("event=group_started group=%s by=%s", group.name, acting.uri)
    return group


@dataclass(frozen=True, slots=True)
class GroupChanges:
    """What to change of a group; None leaves it as it is."""

    title: str | None = None
    summary: str | None = None
    kind: GroupKind | None = None
    topics: tuple[str, ...] | None = None
    posting_policy: PostingPolicy | None = None
    approves_members: bool | None = None
    members_only: bool | None = None
    discoverable: bool | None = None
    anonymous_posts: bool | None = None

    def given(self) -> dict[str, object]:
        return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


# What the group gathers around is for its moderators to describe (node.groups.kinds); how
# it works, its owner's (or a node admin's) to decide.
DESCRIPTION = frozenset({"kind", "topics"})


async def change_group(node: Node, acting: Acting, name: str, changes: GroupChanges) -> GroupInfo:
    """Change a group's settings. As when it is created, a members-only group approves its
    members and is listed nowhere. Its followers' servers are sent the group as it is now
    when anything they see changed."""
    given = changes.given()
    if not given:
        raise Invalid("say what to change")
    title = checked_title(changes.title) if changes.title is not None else None
    summary = checked_summary(changes.summary) if changes.summary is not None else None
    topics = normalise_topics(changes.topics) if changes.topics is not None else None
    async with node.store.transaction() as session:
        before = await get_group(session, name)
        if given.keys() - DESCRIPTION:
            await require_appointer(session, acting, before)
        else:
            await require_group_moderator(session, acting, before)
        row = await session.get(CommunityGroup, before.id)
        assert row is not None
        _apply(row, dataclasses.replace(changes, title=title, summary=summary), topics)
        await session.flush()
        after = await get_group_by_id(session, before.id)
    log.info("event=group_changed group=%s by=%s what=%s", after.name, acting.uri, ",".join(given))
    if _seen_elsewhere(before) != _seen_elsewhere(after):
        await actor.tell_followers(node, after.name, acting)
    return after


def _apply(row: CommunityGroup, changes: GroupChanges, topics: list[str] | None) -> None:
    for field, value in changes.given().items():
        setattr(row, field, topics if field == "topics" else value)
    if row.members_only:
        # Membership is who may read a members-only group: a moderator lets each one in.
        row.approves_members, row.discoverable = True, False


def _seen_elsewhere(group: GroupInfo) -> GroupInfo:
    """The group as its actor document shows it (whether it takes anonymous posts is not
    there: they are written here)."""
    return dataclasses.replace(group, anonymous_posts=True)


async def write_rules(
    node: Node, acting: Acting, name: str, written: tuple[Rule, ...], *, needs_acceptance: bool
) -> rules.GroupRules:
    """A new version of the group's rules (node.groups.rules.set_rules), sent with the group
    to its followers' servers (its actor carries them). A version has at least one rule (said
    once the role is checked: anyone else learns no more than that they may not)."""
    if not written:
        async with node.store.session() as session:
            await require_appointer(session, acting, await get_group(session, name))
        raise Invalid("give at least one rule")
    version = await rules.set_rules(node, acting, name, written, needs_acceptance=needs_acceptance)
    await actor.tell_followers(node, name, acting)
    return version


@dataclass(frozen=True, slots=True)
class GroupSettings:
    """A group's settings as one who may change some of them sees them."""

    group: GroupInfo
    hold_acute: bool
    hide_modlog_names: bool
    care_words: str | None  # the group's own (None: Cove's)
    hold_words: str | None
    # Its owner or a node admin, who change everything; its other moderators change only
    # what it gathers around (DESCRIPTION) and its care words (node.crisis.care_words).
    organizes: bool


async def group_to_organize(node: Node, acting: Acting, name: str) -> GroupInfo:
    """The group, for those who may change how it works: its owner or a node admin."""
    async with node.store.session() as session:
        group = await get_group(session, name)
        await require_appointer(session, acting, group)
        return group


async def settings_of(node: Node, acting: Acting, name: str) -> GroupSettings:
    """A group's settings, for its moderators (the node's staff among them): refused to
    anyone who may change none of them; `organizes` says whether they may change all."""
    async with node.store.session() as session:
        group = await get_group(session, name)
        await require_group_moderator(session, acting, group)
        organizes = await appoints(session, acting, group)
        row = await session.get(CommunityGroup, group.id)
        assert row is not None
        return GroupSettings(
            group,
            row.hold_acute,
            row.hide_modlog_names,
            row.care_template,
            row.hold_template,
            organizes,
        )
