"""Community groups: creation with their rules of membership and posting, lookups, and the
figures their collections show (followers, moderators)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from federation.errors import Invalid, NotFound
from node.actors.local import PublishedKeys, add_local_actor, normalise_username, published_keys
from node.members.accounts import get_account
from node.runtime import Node
from node.store.paging import Cursor, Page, keyset_page
from node.store.states import ActorKind, GroupKind, GroupRole, MembershipState, PostingPolicy
from node.store.tables import CommunityGroup, LocalActor, Membership, RemoteMembership

MAX_TITLE = 100
MAX_SUMMARY = 5000
MODERATING_ROLES = (GroupRole.OWNER, GroupRole.MODERATOR)


@dataclass(frozen=True, slots=True)
class GroupInfo:
    id: int
    actor_id: int
    name: str
    title: str
    summary: str
    members_only: bool
    approves_members: bool
    posting_policy: PostingPolicy
    discoverable: bool
    created_at: datetime
    kind: GroupKind = GroupKind.GENERAL
    topics: tuple[str, ...] = ()
    anonymous_posts: bool = True  # members here may post as the group


@dataclass(frozen=True, slots=True)
class NewGroup:
    """What an organizer says when creating a group."""

    name: str
    title: str
    summary: str = ""
    members_only: bool = False
    approves_members: bool = False
    posting_policy: PostingPolicy = PostingPolicy.MEMBERS
    discoverable: bool = False
    owner: str | None = None  # username of a local account
    kind: GroupKind = GroupKind.GENERAL
    topics: tuple[str, ...] = ()  # normalised (node.groups.kinds.normalise_topics)
    anonymous_posts: bool = True


def parse_posting_policy(text: str) -> PostingPolicy:
    try:
        return PostingPolicy(text.strip().lower())
    except ValueError:
        choices = ", ".join(p.value for p in PostingPolicy)
        raise Invalid(
            "unknown posting policy {text!r}: use one of {choices}", text=text, choices=choices
        ) from None


def checked_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise Invalid("a group needs a title")
    if len(title) > MAX_TITLE:
        raise Invalid("the title is longer than {limit} characters", limit=MAX_TITLE)
    return title


def checked_summary(summary: str) -> str:
    summary = summary.strip()
    if len(summary) > MAX_SUMMARY:
        raise Invalid("the summary is longer than {limit} characters", limit=MAX_SUMMARY)
    return summary


async def create_group(node: Node, new: NewGroup) -> GroupInfo:
    """Create a group (a Group actor with its own key pair), with its owner if one is named."""
    name = normalise_username(new.name)
    title = checked_title(new.title)
    summary = checked_summary(new.summary)
    if new.owner is not None:
        async with node.store.session() as session:
            owner = await get_account(session, new.owner)
    keys = await node.keygen()
    async with node.store.transaction() as session:
        now = node.clock()
        actor = await add_local_actor(session, ActorKind.GROUP, name, keys, now)
        assert actor.id is not None
        group = CommunityGroup(
            actor_id=actor.id,
            title=title,
            summary=summary,
            members_only=new.members_only,
            # A members-only group cannot let just anyone in: membership is its access control.
            approves_members=new.approves_members or new.members_only,
            posting_policy=new.posting_policy,
            discoverable=new.discoverable and not new.members_only,
            kind=new.kind,
            topics=list(new.topics),
            anonymous_posts=new.anonymous_posts,
            created_at=now,
        )
        session.add(group)
        await session.flush()
        assert group.id is not None
        if new.owner is not None:
            session.add(
                Membership(
                    group_id=group.id,
                    actor_uri=node.urls.person(owner.username),
                    account_id=owner.id,
                    role=GroupRole.OWNER,
                    state=MembershipState.ACCEPTED,
                    created_at=now,
                    updated_at=now,
                )
            )
    async with node.store.session() as session:
        return await get_group(session, name)


def _info(group: CommunityGroup, name: str) -> GroupInfo:
    assert group.id is not None
    return GroupInfo(
        id=group.id,
        actor_id=group.actor_id,
        name=name,
        title=group.title,
        summary=group.summary,
        members_only=group.members_only,
        approves_members=group.approves_members,
        posting_policy=group.posting_policy,
        discoverable=group.discoverable,
        created_at=group.created_at,
        kind=group.kind,
        topics=tuple(group.topics),
        anonymous_posts=group.anonymous_posts,
    )


async def get_group(session: AsyncSession, name: str) -> GroupInfo:
    found = await session.exec(
        select(CommunityGroup, LocalActor.username)
        .join(LocalActor, col(CommunityGroup.actor_id) == col(LocalActor.id))
        .where(LocalActor.username == name.strip().lstrip("!@").lower())
    )
    row = found.first()
    if row is None:
        raise NotFound("no group named {name!r} on this node", name=name)
    group, username = row
    return _info(group, username or "")


async def get_group_by_id(session: AsyncSession, group_id: int) -> GroupInfo:
    found = await session.exec(
        select(CommunityGroup, LocalActor.username)
        .join(LocalActor, col(CommunityGroup.actor_id) == col(LocalActor.id))
        .where(CommunityGroup.id == group_id)
    )
    row = found.first()
    if row is None:
        raise NotFound("no group {group_id} on this node", group_id=group_id)
    group, username = row
    return _info(group, username or "")


async def list_groups(session: AsyncSession) -> list[GroupInfo]:
    found = await session.exec(
        select(CommunityGroup, LocalActor.username)
        .join(LocalActor, col(CommunityGroup.actor_id) == col(LocalActor.id))
        .order_by(col(LocalActor.username))
    )
    return [_info(group, username or "") for group, username in found.all()]


async def group_public_keys(session: AsyncSession, group: GroupInfo) -> PublishedKeys:
    return await published_keys(session, group.actor_id)


def _accepted(group_id: int) -> tuple[object, ...]:
    return (Membership.group_id == group_id, Membership.state == MembershipState.ACCEPTED)


async def follower_count(session: AsyncSession, group_id: int) -> int:
    found = await session.exec(
        select(func.count()).select_from(Membership).where(*_accepted(group_id))  # type: ignore[arg-type]
    )
    return int(found.one())


async def followers_page(session: AsyncSession, group_id: int, cursor: Cursor) -> Page[str]:
    """Accepted followers' actor URIs, newest first."""
    query = select(Membership.id, Membership.actor_uri).where(*_accepted(group_id))  # type: ignore[arg-type]
    return await keyset_page(session, query, Membership.id, cursor)  # type: ignore[arg-type]


async def moderator_uris(session: AsyncSession, group_id: int) -> list[str]:
    """The group's owner and moderators, owner first: its moderators collection."""
    found = await session.exec(
        select(Membership.actor_uri, Membership.role)
        .where(*_accepted(group_id), col(Membership.role).in_(MODERATING_ROLES))  # type: ignore[arg-type]
        .order_by(col(Membership.id))
    )
    rows = found.all()
    owners = [uri for uri, role in rows if role == GroupRole.OWNER]
    return owners + [uri for uri, role in rows if role != GroupRole.OWNER]


async def has_member_on(session: AsyncSession, group_id: int, host: str) -> bool:
    """Whether a server has an accepted member of the group (it may then read members-only
    content, as Lemmy lets instances with a follower read a private community)."""
    found = await session.exec(
        select(Membership.actor_uri).where(*_accepted(group_id))  # type: ignore[arg-type]
    )
    return any(urlsplit(uri).netloc.lower() == host for uri in found.all())


async def is_member(session: AsyncSession, group_id: int, actor_uri: str) -> bool:
    """Whether this actor (a member here, say) is an accepted member of the group."""
    found = await session.exec(
        select(Membership.id).where(*_accepted(group_id), Membership.actor_uri == actor_uri)  # type: ignore[arg-type]
    )
    return found.first() is not None


def accepted_groups_here(account_id: int) -> SelectOfScalar[int]:
    """The ids of the groups here a member here belongs to (accepted), as a query to nest."""
    return select(Membership.group_id).where(
        Membership.account_id == account_id, Membership.state == MembershipState.ACCEPTED
    )


def accepted_groups_elsewhere(account_id: int) -> SelectOfScalar[str]:
    """The groups on other servers a member here belongs to (accepted), as a query to nest."""
    return select(RemoteMembership.group_uri).where(
        RemoteMembership.account_id == account_id,
        RemoteMembership.state == MembershipState.ACCEPTED,
    )


async def groups_elsewhere(session: AsyncSession, account_id: int) -> set[str]:
    """The groups on other servers a member here belongs to (accepted)."""
    return set((await session.exec(accepted_groups_elsewhere(account_id))).all())


async def hides_modlog_names(session: AsyncSession, group_id: int) -> bool:
    """Lemmy's hide_modlog_mod_names: the public log names no moderator."""
    group = await session.get(CommunityGroup, group_id)
    return bool(group is not None and group.hide_modlog_names)


def local_group_name(node: Node, uri: str) -> str | None:
    prefix = f"{node.urls.base}/g/"
    name = uri[len(prefix) :] if uri.startswith(prefix) else ""
    return name if name and "/" not in name else None


async def group_at(node: Node, uri: str) -> GroupInfo | None:
    name = local_group_name(node, uri)
    if name is None:
        return None
    async with node.store.session() as session:
        try:
            return await get_group(session, name)
        except NotFound:
            return None


async def group_named(node: Node, name: str) -> GroupInfo:
    async with node.store.session() as session:
        return await get_group(session, name)


async def all_groups(node: Node) -> list[GroupInfo]:
    async with node.store.session() as session:
        return await list_groups(session)


async def followers(
    node: Node, group_id: int, cursor: Cursor | None
) -> tuple[int, Page[str] | None]:
    """How many follow the group, and a page of them around `cursor` (None: no page)."""
    async with node.store.session() as session:
        total = await follower_count(session, group_id)
        page = await followers_page(session, group_id, cursor) if cursor is not None else None
    return total, page


async def moderators_of(node: Node, group_id: int) -> list[str]:
    async with node.store.session() as session:
        return await moderator_uris(session, group_id)
