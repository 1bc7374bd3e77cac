"""What a group's moderation page shows its moderators, read through the functions the CLI
calls: the bans in force, the servers kept out, the posts held for review that no report
brings to the queue; the groups one moderates; and a ban of whom a moderator names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select

from federation.client import FederationClient
from node.crisis import holds
from node.groups.bylines import Byline, people
from node.groups.groups import GroupInfo, get_group, group_named, list_groups
from node.groups.posts import PostInfo, info_of
from node.members.accounts import get_account_by_name
from node.moderators import bans, group_domain_blocks, suspensions
from node.moderators.bans import BanInfo
from node.moderators.group_domain_blocks import GroupDomainInfo
from node.moderators.roles import Acting, moderated_group_ids, require_group_moderator
from node.runtime import Node
from node.store.tables import Post


@dataclass(frozen=True, slots=True)
class HeldUnreported:
    """A post the group holds for review with no report about it (`cove safety held`)."""

    post: PostInfo
    reasons: int  # how many phrases Cove matched


@dataclass(frozen=True, slots=True)
class GroupModeration:
    group: GroupInfo
    bans: list[BanInfo]  # newest first
    kept_out: list[GroupDomainInfo]  # by name
    held: list[HeldUnreported]  # oldest first
    names: dict[str, Byline]  # who everyone named above is


async def group_moderation(node: Node, acting: Acting, group_name: str) -> GroupModeration:
    """The group's bans, blocked servers and unreported held posts, for its moderators (and
    the node's staff); refused to anyone else."""
    group = await group_named(node, group_name)
    in_force = await bans.list_bans(node, acting, group.name)
    kept_out = await group_domain_blocks.blocked_domains(node, acting, group.name)
    waiting = [h for h in await holds.held_posts(node, acting, group) if h.report_id is None]
    async with node.store.session() as session:
        rows = await session.exec(select(Post).where(col(Post.uri).in_([h.uri for h in waiting])))
        held = {p.uri: info_of(p) for p in rows.all()}
        named = {b.actor_uri for b in in_force} | {h.author_uri for h in waiting}
        named |= {b.moderator_uri for b in in_force if b.moderator_uri}
        names = await people(session, node, named)
    return GroupModeration(
        group,
        in_force,
        kept_out,
        [HeldUnreported(held[h.uri], len(h.reasons)) for h in waiting if h.uri in held],
        names,
    )


async def moderated_groups(node: Node, acting: Acting) -> list[GroupInfo]:
    """The groups here the actor moderates (every one, for the node's staff), by name."""
    async with node.store.session() as session:
        ids = await moderated_group_ids(session, acting)
        every = await list_groups(session)
    return [g for g in every if ids is None or g.id in ids]


async def ban_named(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    who: str,
    reason: str,
    expires_at: datetime | None,
    *,
    remove_content: bool = False,
) -> BanInfo:
    """Ban whom `who` names (a member's name here, @user@host, or an actor's URL) from a group,
    as `bans.ban` does. Refused before anyone is looked up to whoever does not moderate it."""
    async with node.store.session() as session:
        await require_group_moderator(session, acting, await get_group(session, group_name))
    target = await suspensions.named(node, client, who)
    actor_uri = target.name
    if target.local:  # a name here that is no one's is an error, not a ban of no one
        actor_uri = node.urls.person((await get_account_by_name(node, target.name)).username)
    return await bans.ban(
        node,
        client,
        acting,
        group_name,
        actor_uri,
        reason,
        expires_at,
        remove_content=remove_content,
    )
