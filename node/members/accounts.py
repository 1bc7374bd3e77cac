"""Local member accounts (Person actors) and their node roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Invalid, NotFound
from node.actors.local import (
    PublishedKeys,
    add_local_actor,
    normalise_username,
    published_keys,
)
from node.runtime import Node
from node.store.states import AccountRole, ActorKind, MembershipState
from node.store.tables import Account, LocalActor, Membership

MAX_DISPLAY_NAME = 100


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    actor_id: int
    username: str
    display_name: str
    summary: str
    role: AccountRole
    discoverable: bool
    created_at: datetime


def parse_role(text: str) -> AccountRole:
    try:
        return AccountRole(text.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in AccountRole)
        raise Invalid(f"unknown role {text!r}: use one of {roles}") from None


def _display_name(text: str | None, username: str) -> str:
    name = (text or "").strip() or username
    if len(name) > MAX_DISPLAY_NAME:
        raise Invalid(f"display name is longer than {MAX_DISPLAY_NAME} characters")
    return name


async def create_account(
    node: Node,
    username: str,
    role: AccountRole = AccountRole.MEMBER,
    display_name: str | None = None,
    summary: str = "",
) -> AccountInfo:
    """Create a local member with a fresh key pair."""
    username = normalise_username(username)
    name = _display_name(display_name, username)
    keys = await node.keygen()
    async with node.store.transaction() as session:
        now = node.clock()
        actor = await add_local_actor(session, ActorKind.PERSON, username, keys, now)
        assert actor.id is not None
        session.add(
            Account(
                actor_id=actor.id,
                display_name=name,
                summary=summary.strip(),
                role=role,
                created_at=now,
            )
        )
    async with node.store.session() as session:
        return await get_account(session, username)


def _info(account: Account, username: str) -> AccountInfo:
    assert account.id is not None
    return AccountInfo(
        id=account.id,
        actor_id=account.actor_id,
        username=username,
        display_name=account.display_name,
        summary=account.summary,
        role=account.role,
        discoverable=account.discoverable,
        created_at=account.created_at,
    )


async def get_account(session: AsyncSession, username: str) -> AccountInfo:
    """A live account (a deleted one is not found: see `deleted_at`)."""
    found = await session.exec(
        select(Account, LocalActor.username)
        .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
        .where(
            LocalActor.username == username.strip().lstrip("@").lower(),
            col(Account.deleted_at).is_(None),
        )
    )
    row = found.first()
    if row is None:
        raise NotFound(f"no account named {username!r} on this node")
    account, name = row
    return _info(account, name or "")


async def list_accounts(session: AsyncSession) -> list[AccountInfo]:
    found = await session.exec(
        select(Account, LocalActor.username)
        .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
        .where(col(Account.deleted_at).is_(None))
        .order_by(col(LocalActor.username))
    )
    return [_info(account, name or "") for account, name in found.all()]


async def account_public_keys(session: AsyncSession, account: AccountInfo) -> PublishedKeys:
    return await published_keys(session, account.actor_id)


async def groups_joined(session: AsyncSession, account_id: int) -> int:
    """How many groups a member belongs to (their `following` count)."""
    found = await session.exec(
        select(func.count())
        .select_from(Membership)
        .where(Membership.account_id == account_id, Membership.state == MembershipState.ACCEPTED)
    )
    return int(found.one())


async def account_at(session: AsyncSession, node: Node, uri: str) -> Account | None:
    """The local account whose actor is at `uri`, or None (a person elsewhere, or no one)."""
    prefix = node.urls.person("")
    if not uri.startswith(prefix):
        return None
    found = await session.exec(
        select(Account)
        .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
        .where(LocalActor.username == uri[len(prefix) :], col(Account.deleted_at).is_(None))
    )
    return found.first()


async def deleted_at(node: Node, username: str) -> datetime | None:
    """When the account of that name was deleted (None: it was not, or never existed)."""
    async with node.store.session() as session:
        found = await session.exec(
            select(Account.deleted_at)
            .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
            .where(LocalActor.username == username.strip().lstrip("@").lower())
        )
        return found.first()


async def get_account_by_name(node: Node, username: str) -> AccountInfo:
    async with node.store.session() as session:
        return await get_account(session, username)


async def account_with_keys(node: Node, username: str) -> tuple[AccountInfo, PublishedKeys]:
    """A member and the keys their actor document publishes."""
    async with node.store.session() as session:
        account = await get_account(session, username)
        return account, await account_public_keys(session, account)


async def groups_joined_by(node: Node, account_id: int) -> int:
    async with node.store.session() as session:
        return await groups_joined(session, account_id)
