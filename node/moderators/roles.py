"""Who is acting, and whether they may: node roles and group roles, checked before every moderator
action (appointing a group's moderators included)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Refused
from moderation import roles
from node.groups.groups import GroupInfo
from node.members.accounts import AccountInfo, get_account
from node.runtime import Node
from node.store.states import AccountRole, GroupRole, MembershipState
from node.store.tables import Membership


@dataclass(frozen=True, slots=True)
class Acting:
    """Who does a moderator action: a local account, or the node's operator at its console
    (the `cove` command without --as), who acts as a node admin."""

    uri: str
    role: AccountRole
    account: AccountInfo | None
    name: str  # for messages: a handle, or "the node operator"

    @classmethod
    def operator(cls, node: Node) -> Acting:
        return cls(node.urls.instance_actor(), AccountRole.ADMIN, None, "the node operator")

    @classmethod
    def member(cls, node: Node, account: AccountInfo) -> Acting:
        return cls(node.urls.person(account.username), account.role, account, account.username)


async def acting_as(node: Node, username: str | None) -> Acting:
    if username is None:
        return Acting.operator(node)
    async with node.store.session() as session:
        return Acting.member(node, await get_account(session, username))


def require_own_account(acting: Acting, account: AccountInfo) -> None:
    """A member's profile and web sessions are theirs alone to change (the pages change only
    the signed-in member's); the node's operator at its console may change anyone's, as they
    may set anyone's password."""
    if acting.account is not None and acting.account.id != account.id:
        raise Refused(
            "{who} may change only their own profile and web sessions, not {whose}'s",
            who=acting.name,
            whose=account.username,
        )


async def group_role(session: AsyncSession, group_id: int, actor_uri: str) -> GroupRole | None:
    found = await session.exec(
        select(Membership).where(
            Membership.group_id == group_id,
            Membership.actor_uri == actor_uri,
            Membership.state == MembershipState.ACCEPTED,
        )
    )
    membership = found.first()
    return membership.role if membership is not None else None


async def moderated_group_ids(session: AsyncSession, acting: Acting) -> tuple[int, ...] | None:
    """The groups whose reports, posts and members the actor moderates: None for node staff,
    who moderate every group (`roles.may_moderate_group`)."""
    if roles.may_moderate_node(acting.role):
        return None
    found = await session.exec(
        select(Membership.group_id).where(
            Membership.actor_uri == acting.uri,
            Membership.state == MembershipState.ACCEPTED,
            col(Membership.role).in_(tuple(roles.MODERATING)),
        )
    )
    return tuple(found.all())


async def require_group_moderator(
    session: AsyncSession, acting: Acting, group: GroupInfo
) -> GroupRole | None:
    """Refused unless the actor moderates this group (or the whole node); returns their role
    in the group."""
    role = await group_role(session, group.id, acting.uri)
    if not roles.may_moderate_group(acting.role, role):
        raise Refused("{who} is not a moderator of {group}", who=acting.name, group=group.name)
    return role


async def moderates(node: Node, acting: Acting, group: GroupInfo) -> bool:
    """Whether the actor moderates this group (node staff moderate every group): what a page
    asks once to offer a moderator's controls; each control checks again when used."""
    async with node.store.session() as session:
        return await moderates_in(session, acting, group)


async def moderates_in(session: AsyncSession, acting: Acting, group: GroupInfo) -> bool:
    """`moderates`, inside a session already open."""
    if roles.may_moderate_node(acting.role):
        return True
    return roles.may_moderate_group(acting.role, await group_role(session, group.id, acting.uri))


async def require_log_reader(session: AsyncSession, acting: Acting, group: GroupInfo) -> None:
    """A members-only group's moderation log is for its members and the node's staff; any
    other group's log is public."""
    if not group.members_only or roles.may_moderate_node(acting.role):
        return
    if await group_role(session, group.id, acting.uri) is None:
        raise Refused(
            "{who} is not a member of {group}, whose moderation log is for its members only",
            who=acting.name,
            group=group.name,
        )


def require_node_moderator(acting: Acting) -> None:
    if not roles.may_moderate_node(acting.role):
        raise Refused("{who} is not a moderator of this node", who=acting.name)


def require_federation_admin(acting: Acting) -> None:
    if not roles.may_manage_federation(acting.role):
        raise Refused(
            "{who} is not an admin of this node (domain policy is theirs)", who=acting.name
        )


def require_node_admin(acting: Acting, what: str) -> None:
    """Refused unless a node admin acts; `what` names what is theirs, for the message."""
    if not roles.may_administer_node(acting.role):
        raise Refused(
            "{who} is not an admin of this node ({what} are theirs)", who=acting.name, what=what
        )


async def appoints(session: AsyncSession, acting: Acting, group: GroupInfo) -> bool:
    """Whether the actor runs the group (`roles.may_appoint`): its owner, or a node admin."""
    return roles.may_appoint(acting.role, await group_role(session, group.id, acting.uri))


async def require_appointer(session: AsyncSession, acting: Acting, group: GroupInfo) -> None:
    if not await appoints(session, acting, group):
        raise Refused("only the owner of {group} or a node admin may do that", group=group.name)


async def wire_actor(
    session: AsyncSession, acting: Acting, group: GroupInfo, group_uri: str
) -> str:
    """The actor a group's moderation activity names: the moderator, when they are on the
    group's moderators collection (which receivers check), else the group itself."""
    role = await group_role(session, group.id, acting.uri)
    return acting.uri if role in roles.MODERATING else group_uri
