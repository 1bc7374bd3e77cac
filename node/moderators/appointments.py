"""Who moderates a group: its team as its owner sees it, a local account appointed a group's
moderator (joining it if need be), or the role taken back; the group's moderators collection
follows."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from federation.client import FederationClient
from federation.errors import Conflict, NotFound, Refused
from moderation.modlog import ModAction
from moderation.roles import MODERATING
from node.groups import announcing
from node.groups.bylines import Byline, people
from node.groups.groups import GroupInfo, get_group, hides_modlog_names
from node.members.accounts import get_account
from node.moderators import modlog
from node.moderators.roles import Acting, require_appointer
from node.runtime import Node
from node.store.states import GroupRole, MembershipState, advance
from node.store.tables import Account, LocalActor, Membership


@dataclass(frozen=True, slots=True)
class TeamMember:
    username: str
    byline: Byline
    owner: bool


@dataclass(frozen=True, slots=True)
class Team:
    """Who moderates a group, owner first, and whether its public log names them."""

    group: GroupInfo
    moderators: tuple[TeamMember, ...]
    hide_modlog_names: bool


async def team_of(node: Node, acting: Acting, group_name: str) -> Team:
    """A group's team, for those who may change it: its owner or a node admin."""
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        await require_appointer(session, acting, group)
        rows = await session.exec(
            select(LocalActor.username, Membership.actor_uri, Membership.role)
            .join(Account, col(Account.id) == col(Membership.account_id))
            .join(LocalActor, col(LocalActor.id) == col(Account.actor_id))
            .where(
                Membership.group_id == group.id,
                Membership.state == MembershipState.ACCEPTED,
                col(Membership.role).in_(MODERATING),
            )
            .order_by(col(Membership.role) != GroupRole.OWNER, col(Membership.id))
        )
        found = rows.all()
        named = await people(session, node, [uri for _, uri, _ in found])
        hidden = await hides_modlog_names(session, group.id)
    team = tuple(
        TeamMember(username or "", named[uri], role == GroupRole.OWNER)
        for username, uri, role in found
    )
    return Team(group, team, hidden)


async def set_moderator(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group_name: str,
    username: str,
    *,
    moderator: bool,
) -> None:
    """Make a local account a moderator of a group (joining them if need be), or take the
    role back. The group's moderators collection and attributedTo follow at once."""
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_appointer(session, acting, group)
        account = await get_account(session, username)
        uri = node.urls.person(account.username)
        membership = (
            await session.exec(
                select(Membership).where(
                    Membership.group_id == group.id, Membership.actor_uri == uri
                )
            )
        ).first()
        now = node.clock()
        if moderator:
            if (
                membership is not None
                and membership.role in MODERATING
                and membership.state == MembershipState.ACCEPTED
            ):
                raise Conflict(
                    "{username} is already a moderator of {group}",
                    username=username,
                    group=group.name,
                )
            if membership is None:
                membership = Membership(
                    group_id=group.id,
                    actor_uri=uri,
                    account_id=account.id,
                    role=GroupRole.MODERATOR,
                    state=MembershipState.ACCEPTED,
                    created_at=now,
                    updated_at=now,
                )
                session.add(membership)
            elif membership.state != MembershipState.ACCEPTED:
                # Appointed by the owner: any pending or past request to join is accepted.
                if membership.state == MembershipState.REJECTED:
                    advance(membership, MembershipState.PENDING)
                advance(membership, MembershipState.ACCEPTED)
            membership.role = GroupRole.MODERATOR
            action = ModAction.ADD_MODERATOR
        else:
            if membership is None or membership.role != GroupRole.MODERATOR:
                if membership is not None and membership.role == GroupRole.OWNER:
                    raise Refused(
                        "{username} owns {group}; an owner stays a moderator",
                        username=username,
                        group=group.name,
                    )
                raise NotFound(
                    "{username} is not a moderator of {group}", username=username, group=group.name
                )
            membership.role = GroupRole.MEMBER
            action = ModAction.REMOVE_MODERATOR
        membership.updated_at = now
        modlog.record(session, group.id, action, acting.uri, uri, now)
    # Lemmy and PieFed keep their copy of the moderators list from these (FEP-1b12 Add/Remove).
    moderators = node.urls.moderators(node.urls.group(group.name))
    await announcing.change_collection(node, client, group, uri, moderators, added=moderator)
