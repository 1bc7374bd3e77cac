"""Membership of this node's groups: asking to join (opened or reopened, accepted at once unless
the group approves its members), the answers to a remote follower with the group's welcome,
and the requests its moderators decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import NotFound
from federation.vocabulary import iso8601
from moderation.roles import MODERATING, may_moderate_group
from moderation.rules import as_plain_text
from node.groups import admission
from node.groups.groups import GroupInfo, get_group
from node.groups.rules import current_rules, must_accept
from node.queue.delivery import queue
from node.queue.outbox import stored_document
from node.runtime import Node
from node.store.states import (
    AccountRole,
    GroupRole,
    MembershipState,
    Visibility,
    advance,
)
from node.store.tables import Membership, RemoteActor
from node.text import plain_to_html


async def ask_to_join(
    session: AsyncSession,
    group: GroupInfo,
    actor_uri: str,
    now: datetime,
    *,
    remote_actor_id: int | None = None,
    account_id: int | None = None,
    needs_approval: bool = False,
) -> Membership:
    """Someone (here or elsewhere) asks to join: a membership is opened or reopened, and
    accepted at once unless the group approves its members (or this request needs it)."""
    membership = await admission.membership_of(session, group.id, actor_uri)
    if membership is None:
        membership = Membership(
            group_id=group.id,
            actor_uri=actor_uri,
            role=GroupRole.MEMBER,
            state=MembershipState.PENDING,
            created_at=now,
            updated_at=now,
        )
        session.add(membership)
    elif membership.state in (MembershipState.LEFT, MembershipState.REJECTED):
        move(membership, MembershipState.PENDING, now)
    membership.remote_actor_id = remote_actor_id or membership.remote_actor_id
    membership.account_id = account_id or membership.account_id
    approval = group.approves_members or needs_approval
    if membership.state == MembershipState.PENDING and not approval:
        move(membership, MembershipState.ACCEPTED, now)
    return membership


def move(membership: Membership, state: MembershipState, now: datetime) -> None:
    advance(membership, state)
    membership.updated_at = now


async def answer_follow(
    node: Node,
    session: AsyncSession,
    group: GroupInfo,
    follower: RemoteActor,
    follow: dict[str, Any],
    *,
    accept: bool,
) -> None:
    group_uri = node.urls.group(group.name)
    build = builders.accept if accept else builders.reject
    answer = "accept" if accept else "reject"
    document = build(
        node.urls.derived_activity(answer, group_uri, str(follow.get("id"))),
        group_uri,
        follow,
        follower.uri,
    )
    await queue(
        session, group.actor_id, document, Visibility.DIRECT, [follower.inbox], node.clock()
    )
    if accept:
        await _welcome(node, session, group, follower, str(follow.get("id")))


async def _welcome(
    node: Node, session: AsyncSession, group: GroupInfo, follower: RemoteActor, follow_id: str
) -> None:
    """The group's rules, once, in a direct note to a remote follower whose follow it accepts
    (members here accept them when they join)."""
    current = await current_rules(session, group.id)
    if current is None or not current.rules:
        return
    group_uri = node.urls.group(group.name)
    text = f"Welcome to {group.title}. Please read the group's rules:\n\n" + as_plain_text(
        current.rules
    )
    note = builders.welcome(
        node.urls.derived_activity("welcome", group_uri, follow_id, str(current.version)),
        group_uri,
        follower.uri,
        plain_to_html(text),
        iso8601(node.clock()),
    )
    activity = builders.create(
        node.urls.derived_activity("welcome-create", group_uri, follow_id, str(current.version)),
        group_uri,
        note,
    )
    await queue(
        session, group.actor_id, activity, Visibility.DIRECT, [follower.inbox], node.clock()
    )


async def decide_follow(
    node: Node, client: FederationClient, group_name: str, actor_uri: str, *, approve: bool
) -> None:
    """A moderator approves or rejects a pending follow (Accept or Reject{Follow} is sent)."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
    async with node.store.transaction() as session:
        membership = await admission.membership_of(session, group.id, actor_uri)
        if membership is None or membership.state != MembershipState.PENDING:
            raise NotFound(
                "no pending request from {actor_uri} to join {group}",
                actor_uri=actor_uri,
                group=group_name,
            )
        move(
            membership,
            MembershipState.ACCEPTED if approve else MembershipState.REJECTED,
            node.clock(),
        )
        if membership.remote_actor_id is None:
            return
        follower = await session.get(RemoteActor, membership.remote_actor_id)
        assert follower is not None
        follow = await stored_document(session, membership.follow_uri) or {
            "id": membership.follow_uri,
            "type": "Follow",
            "actor": actor_uri,
            "object": node.urls.group(group.name),
        }
        await answer_follow(node, session, group, follower, follow, accept=approve)


async def pending_follows(node: Node, group_name: str) -> list[str]:
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        rows = await session.exec(
            select(Membership.actor_uri)
            .where(Membership.group_id == group.id, Membership.state == MembershipState.PENDING)
            .order_by(col(Membership.id))
        )
        return list(rows.all())


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a person stands with a group here, as its page shows them: a member or not,
    waiting for a moderator, moderating or owning it, or with newer rules to accept before
    taking part."""

    state: MembershipState | None
    role: GroupRole | None
    rules_to_accept: int | None

    @property
    def member(self) -> bool:
        return self.state == MembershipState.ACCEPTED

    @property
    def moderates(self) -> bool:
        return self.member and self.role in MODERATING

    @property
    def owns(self) -> bool:
        return self.member and self.role == GroupRole.OWNER

    def lets_moderate(self, node_role: AccountRole | None) -> bool:
        """Whether the person, with this role on the node, moderates the group: the rule
        node.moderators.roles.moderates asks, from what is read already."""
        return may_moderate_group(node_role, self.role if self.member else None)


async def standing(node: Node, group: GroupInfo, actor_uri: str) -> Standing:
    async with node.store.session() as session:
        found = await admission.membership_of(session, group.id, actor_uri)
        if found is None:
            return Standing(None, None, None)
        pending = await must_accept(session, group.id, found.rules_accepted)
    return Standing(found.state, found.role, pending)
