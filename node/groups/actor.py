"""A group as other servers read it: its actor document (what it is, its keys, how it works,
its rules), and the Update that tells its followers' servers when any of that changes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.actors import Actor, actor_document
from federation.vocabulary import cove_context
from moderation.rules import Rule, as_plain_text
from node.actors.local import PublishedKeys
from node.groups.groups import GroupInfo, get_group, group_public_keys
from node.groups.rules import current_rules
from node.moderators.roles import Acting
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import GroupRole, MembershipState, PostingPolicy, Visibility
from node.store.tables import CommunityGroup, Membership, RemoteActor
from node.text import plain_to_html
from node.urls import Urls

log = logging.getLogger(__name__)


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


def actor_of(urls: Urls, group: GroupInfo, keys: PublishedKeys, rules: Sequence[Rule]) -> Actor:
    actor_id = urls.group(group.name)
    summary = group.summary
    if rules:
        # Software that knows no `rules` property shows the summary: the rules go there too.
        summary = f"{summary}\n\nRules:\n{as_plain_text(rules)}".strip()
    return Actor(
        **keys.addresses(urls, actor_id),
        type="Group",
        preferred_username=group.name,
        name=group.title,
        summary_html=plain_to_html(summary),
        url=actor_id,
        published=group.created_at,
        webfinger=f"{group.name}@{urls.domain}",
        followers=urls.followers(actor_id),
        featured=urls.featured(actor_id),
        moderators=urls.moderators(actor_id),
        manually_approves_followers=group.approves_members,
        discoverable=group.discoverable,
        indexable=False,
        posting_restricted_to_mods=group.posting_policy == PostingPolicy.MODERATORS,
        extensions={
            # Topics as Mastodon writes a profile's hashtags and WordPress a blog's tags.
            "tag": [
                {"type": "Hashtag", "name": f"#{t}", "href": urls.topic(t)} for t in group.topics
            ],
            "groupKind": group.kind.value,
            "postingPolicy": group.posting_policy.value,
            "membersOnly": group.members_only,
            "modlog": urls.modlog(actor_id),
            **({"rules": [{"name": r.title, "content": r.text} for r in rules]} if rules else {}),
        },
    )


async def group_document(node: Node, name: str) -> dict[str, Any]:
    """The group's actor document as it is served at its id."""
    found = await group_actor(node, name)
    actor = actor_of(node.urls, found.group, found.keys, found.rules)
    return actor_document(actor, cove_context(node.urls.vocabulary()))


async def tell_followers(node: Node, name: str, acting: Acting | None = None) -> None:
    """Send the group's followers' servers its actor as it is now, in the two shapes the
    fediverse reads a group's change in: an Update of the Group from the group itself (as
    Mastodon sends a changed profile; Mastodon, PieFed and Lemmy 1.0 read it), and the
    group's Announce of an Update by a person of this node (as Lemmy and PieFed send a
    community's change; Lemmy 0.19, Mbin and PieFed read it; see `_editor` for who). A
    members-only group addresses both to its members alone."""
    document = await group_document(node, name)
    async with node.store.transaction() as session:
        group = await get_group(session, name)
        found = await session.exec(
            select(RemoteActor.inbox, RemoteActor.shared_inbox)
            .join(Membership, col(Membership.remote_actor_id) == col(RemoteActor.id))
            .where(Membership.group_id == group.id, Membership.state == MembershipState.ACCEPTED)
        )
        inboxes = sorted({shared or inbox for inbox, shared in found.all()})
        group_uri = node.urls.group(group.name)
        followers = node.urls.followers(group_uri)
        public = not group.members_only
        shown = Visibility.MEMBERS_ONLY if group.members_only else Visibility.UNLISTED
        now = node.clock()
        update = builders.actor_update(
            node.urls.activity(node.token()), document, followers, public
        )
        await queue(session, group.actor_id, update, shown, inboxes, now)
        editor = await _editor(session, group, acting)
        if editor is not None:
            by = builders.group_update_by(
                node.urls.activity(node.token()), editor, document, followers, public
            )
            announce = builders.announce_activity(
                node.urls.activity(node.token()), group_uri, by, followers, public
            )
            await queue(session, group.actor_id, announce, shown, inboxes, now)
    log.info(
        "event=group_updated group=%s servers=%d announced=%s",
        group.name,
        len(inboxes),
        editor is not None,
    )


async def _editor(session: AsyncSession, group: GroupInfo, acting: Acting | None) -> str | None:
    """Who the announced Update names as having made the change: the group's owner, whose
    the settings are (never the moderator who made it when the group keeps its moderators'
    names out of its public log), else the person who made it when the group names them;
    None (no announced shape: those servers see the change at their next read of the
    group) when the change came from the node's console with no owner to name."""
    owner = await session.exec(
        select(Membership.actor_uri).where(
            Membership.group_id == group.id,
            Membership.role == GroupRole.OWNER,
            Membership.state == MembershipState.ACCEPTED,
            col(Membership.account_id).is_not(None),
        )
    )
    found = owner.first()
    if found is not None:
        return found
    if acting is None or acting.account is None:
        return None
    row = await session.get(CommunityGroup, group.id)
    return None if row is None or row.hide_modlog_names else acting.uri
