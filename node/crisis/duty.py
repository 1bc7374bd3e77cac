"""Who is on duty: moderators for the groups they moderate, node staff for the node; and who
is told of a crisis item at each stage of its escalation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Refused
from moderation.roles import MODERATING, STAFF
from node.groups.groups import GroupInfo
from node.moderators.roles import (
    Acting,
    group_role,
    require_group_moderator,
    require_node_moderator,
)
from node.runtime import Node
from node.store.states import DutyState, MembershipState
from node.store.tables import Account, CommunityGroup, LocalActor, Membership, ModeratorDuty


@dataclass(frozen=True, slots=True)
class DutyInfo:
    username: str
    group: str | None  # None: the node
    on: bool
    changed_at: datetime


async def set_duty(node: Node, acting: Acting, group: GroupInfo | None, on: bool) -> DutyInfo:
    """Go on or off duty for a group the account moderates, or (no group) for the node as
    one of its staff. The operator at the console has no account to notify: refused."""
    if acting.account is None:
        raise Refused("duty is for an account: give --as ACCOUNT")
    now = node.clock()
    async with node.store.transaction() as session:
        if group is None:
            if acting.role not in STAFF:
                raise Refused("{who} is not on this node's staff", who=acting.name)
        elif await group_role(session, group.id, acting.uri) not in MODERATING:
            raise Refused("{who} is not a moderator of {group}", who=acting.name, group=group.name)
        found = await session.exec(
            select(ModeratorDuty).where(
                ModeratorDuty.account_id == acting.account.id,
                ModeratorDuty.group_id == (group.id if group else None),
            )
        )
        row = found.first()
        if row is None:
            row = ModeratorDuty(
                account_id=acting.account.id,
                group_id=group.id if group else None,
                state=DutyState.OFF,
                changed_at=now,
            )
            session.add(row)
        row.state = DutyState.ON if on else DutyState.OFF
        row.changed_at = now
    return DutyInfo(acting.account.username, group.name if group else None, on, now)


async def on_duty(session: AsyncSession, group_id: int | None) -> list[int]:
    """Accounts on duty for a group (its moderators on duty, and node staff on duty), or for
    the node alone (no group)."""
    scopes: Any = col(ModeratorDuty.group_id).is_(None)
    if group_id is not None:
        scopes = scopes | (col(ModeratorDuty.group_id) == group_id)
    found = await session.exec(
        select(ModeratorDuty.account_id, ModeratorDuty.group_id, Account.role)
        .join(Account, col(Account.id) == col(ModeratorDuty.account_id))
        .where(ModeratorDuty.state == DutyState.ON, scopes)
    )
    moderators = set(await group_moderators(session, group_id)) if group_id is not None else set()
    # Someone no longer staff, or no longer the group's moderator, is not paged on an old row.
    on = {
        a for a, scope, role in found.all() if (role in STAFF if scope is None else a in moderators)
    }
    return sorted(on)


async def group_moderators(session: AsyncSession, group_id: int) -> list[int]:
    """Every local moderator of a group, on duty or not."""
    found = await session.exec(
        select(Membership.account_id).where(
            Membership.group_id == group_id,
            Membership.state == MembershipState.ACCEPTED,
            col(Membership.role).in_(MODERATING),
            col(Membership.account_id).is_not(None),
        )
    )
    return sorted({a for a in found.all() if a is not None})


async def node_staff(session: AsyncSession) -> list[int]:
    """Every admin and moderator of the node."""
    found = await session.exec(select(Account.id).where(col(Account.role).in_(STAFF)))
    return sorted({a for a in found.all() if a is not None})


async def duty_roster(node: Node, acting: Acting, group: GroupInfo | None) -> list[DutyInfo]:
    """Who is on or off duty for a group (or the node), for `cove mod duty list` and the duty
    page: the node's roster for its staff, a group's for its moderators (and the node's
    staff, who moderate every group). Someone no longer in that role is left out: they are
    paged no more (`on_duty`)."""
    async with node.store.session() as session:
        if group is None:
            require_node_moderator(acting)
            still = set(await node_staff(session))
        else:
            await require_group_moderator(session, acting, group)
            still = set(await group_moderators(session, group.id))
        found = await session.exec(
            select(ModeratorDuty, LocalActor.username)
            .join(Account, col(Account.id) == col(ModeratorDuty.account_id))
            .join(LocalActor, col(LocalActor.id) == col(Account.actor_id))
            .where(ModeratorDuty.group_id == (group.id if group else None))
            .order_by(col(LocalActor.username))
        )
        return [
            DutyInfo(
                name or "", group.name if group else None, row.state == DutyState.ON, row.changed_at
            )
            for row, name in found.all()
            if row.account_id in still
        ]


@dataclass(frozen=True, slots=True)
class DutyScope:
    """Somewhere an account can be on duty, and whether it is."""

    group: str | None  # the group's name; None: the node
    title: str | None  # the group's title
    on: bool
    since: datetime | None  # when it last changed; None: never on duty here


async def duty_of(node: Node, acting: Acting) -> list[DutyScope]:
    """Where the account can be on duty (the node, for its staff; each group it moderates)
    and whether it is now. Refused to someone who can be on duty nowhere."""
    if acting.account is None:
        raise Refused("duty is for an account: give --as ACCOUNT")
    async with node.store.session() as session:
        moderated = await session.exec(
            select(CommunityGroup, LocalActor.username)
            .join(Membership, col(Membership.group_id) == col(CommunityGroup.id))
            .join(LocalActor, col(LocalActor.id) == col(CommunityGroup.actor_id))
            .where(
                Membership.actor_uri == acting.uri,
                Membership.state == MembershipState.ACCEPTED,
                col(Membership.role).in_(MODERATING),
            )
            .order_by(col(LocalActor.username))
        )
        scopes: list[tuple[int | None, str | None, str | None]] = [
            (g.id, name, g.title) for g, name in moderated.all()
        ]
        if acting.role in STAFF:
            scopes.insert(0, (None, None, None))
        if not scopes:
            raise Refused("{who} moderates no group here", who=acting.name)
        rows = await session.exec(
            select(ModeratorDuty).where(ModeratorDuty.account_id == acting.account.id)
        )
        now = {r.group_id: r for r in rows.all()}
    return [
        DutyScope(
            name,
            title,
            group_id in now and now[group_id].state == DutyState.ON,
            now[group_id].changed_at if group_id in now else None,
        )
        for group_id, name, title in scopes
    ]
