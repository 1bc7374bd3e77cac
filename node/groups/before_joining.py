"""What a person looks for before joining a group, as facts the pages put in words: who
moderates it, how soon reports about it are acted on, and what it shares with whom."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from node.groups.groups import GroupInfo, get_group, moderator_uris
from node.members.accounts import account_at
from node.moderators.reports.response_times import ResponseTime, first_response
from node.runtime import Node
from node.store.states import GroupKind, PostingPolicy
from node.store.tables import RemoteActor

REPORT_WINDOW = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Moderator:
    name: str  # their display name (their handle when they have none)
    handle: str  # @user@host
    url: str


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What a group shares, and with whom.

    `anonymous_posting`: every group of this node lets whoever may post there post
    anonymously (there is no setting to turn it off); the group's moderators can still see
    who wrote it. `member_list_hidden`: other servers and visitors
    see how many belong, not who: the followers collection shows only its count unless the
    node publishes followers (privacy.expose_followers) and the group is not members-only.
    The moderators themselves are always public (the moderators collection)."""

    name: str
    title: str
    kind: GroupKind
    topics: tuple[str, ...]
    moderators: tuple[Moderator, ...]
    report_response: ResponseTime  # reports about the group, over REPORT_WINDOW
    posts_members_only: bool  # else public
    approves_members: bool
    posting_policy: PostingPolicy
    anonymous_posting: bool
    member_list_hidden: bool


async def group_facts(node: Node, name: str) -> GroupFacts:
    """The facts of a group of this node (NotFound for no such group)."""
    async with node.store.session() as session:
        group = await get_group(session, name)
        moderators = [
            await _moderator(session, node, uri) for uri in await moderator_uris(session, group.id)
        ]
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
        anonymous_posting=True,
        member_list_hidden=member_list_hidden(node, group),
    )


def member_list_hidden(node: Node, group: GroupInfo) -> bool:
    """As the followers collection decides (node.http.activitypub.collections)."""
    return not (node.config.privacy.expose_followers and not group.members_only)


async def _moderator(session: AsyncSession, node: Node, uri: str) -> Moderator:
    local = await account_at(session, node, uri)
    if local is not None:
        username = uri.rsplit("/", 1)[-1]
        handle = f"@{username}@{node.urls.domain}"
        return Moderator(local.display_name or handle, handle, uri)
    remote = (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()
    if remote is None or remote.username is None:
        return Moderator(uri, uri, uri)
    handle = f"@{remote.username}@{remote.domain}"
    return Moderator(remote.name or handle, handle, uri)
