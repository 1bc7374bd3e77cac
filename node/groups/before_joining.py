"""What a person looks for before joining a group, as facts the pages put in words: who
moderates it, how soon reports about it are acted on, and what it shares with whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from node.groups.bylines import Byline, people
from node.groups.groups import GroupInfo, get_group, moderator_uris
from node.moderators.reports.response_times import ResponseTime, first_response
from node.runtime import Node
from node.store.states import GroupKind, PostingPolicy

REPORT_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What a group shares, and with whom. `anonymous_posts`: members here may post as the
    group, their name known to its moderators alone. `member_list_hidden`: other servers and
    visitors see how many belong, not who: the followers collection shows only its count
    unless the node publishes followers (privacy.expose_followers) and the group is not
    members-only. The moderators themselves are always public (the moderators collection)."""

    name: str
    title: str
    kind: GroupKind
    topics: tuple[str, ...]
    moderators: tuple[Byline, ...]  # by display name, handle and address
    report_response: ResponseTime  # reports about the group, over REPORT_WINDOW
    posts_members_only: bool  # else public
    approves_members: bool
    posting_policy: PostingPolicy
    member_list_hidden: bool
    anonymous_posts: bool


async def group_facts(node: Node, name: str) -> GroupFacts:
    """The facts of a group of this node (NotFound for no such group)."""
    async with node.store.session() as session:
        group = await get_group(session, name)
        uris = await moderator_uris(session, group.id)
        named = await people(session, node, uris)
        moderators = [named[u] for u in uris]
        response = await first_response(session, group.id, node.clock(), REPORT_WINDOW)
    return GroupFacts(
        name=group.name,
        title=group.title,
        kind=group.kind,
        topics=group.topics,
        moderators=tuple(moderators),
        report_response=response,
        posts_members_only=group.members_only,
        approves_members=group.approves_members,
        posting_policy=group.posting_policy,
        member_list_hidden=member_list_hidden(node, group),
        anonymous_posts=group.anonymous_posts,
    )


def member_list_hidden(node: Node, group: GroupInfo) -> bool:
    """As the followers collection decides (node.http.activitypub.collections)."""
    return not (node.config.privacy.expose_followers and not group.members_only)
