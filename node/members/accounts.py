"""Local member accounts (Person actors): creating them, their node roles and state, their
email address (for admins' eyes only), and finding one by name, id or sign-in name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound
from federation.keys import KeyPair
from node.actors.local import (
    PublishedKeys,
    add_local_actor,
    normalise_username,
    published_keys,
)
from node.runtime import Node
from node.store.states import AccountRole, AccountState, ActorKind, MembershipState
from node.store.tables import Account, LocalActor, Membership

MAX_DISPLAY_NAME = 100
MAX_EMAIL = 320  # RFC 5321: 64 for the local part, 255 for the domain, and the @


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
    state: AccountState = AccountState.ACTIVE
    two_factor: bool = False  # two-factor sign-in is on
    has_password: bool = False  # may sign in on the web
    language: str | None = None  # the language they read, when they said


def parse_role(text: str) -> AccountRole:
    try:
        return AccountRole(text.strip().lower())
    except ValueError:
        roles = ", ".join(r.value for r in AccountRole)
        raise Invalid("unknown role {text!r}: use one of {roles}", text=text, roles=roles) from None


def checked_display_name(text: str | None, username: str) -> str:
    name = (text or "").strip() or username
    if len(name) > MAX_DISPLAY_NAME:
        raise Invalid("display name is longer than {limit} characters", limit=MAX_DISPLAY_NAME)
    return name


def parse_email(text: str) -> tuple[str, str]:
    """An address as given (trimmed) and its case-folded key, which is unique among accounts.
    Only its shape is checked; the mailed link proves it is the person's."""
    address = text.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(c.isspace() for c in address):
        raise Invalid("{address!r} is not an email address", address=address)
    if len(address) > MAX_EMAIL:
        raise Invalid("an email address is at most {limit} characters long", limit=MAX_EMAIL)
    return address, address.casefold()


async def require_email_free(session: AsyncSession, key: str) -> None:
    found = await session.exec(select(Account.id).where(Account.email_key == key))
    if found.first() is not None:
        raise Conflict("an account on this node already uses that email address")


async def add_account(
    session: AsyncSession, username: str, keys: KeyPair, now: datetime, **fields: Any
) -> Account:
    """Insert a member's actor (with its keys) and account; `fields` are the account's
    columns (the caller has checked them, and commits)."""
    actor = await add_local_actor(session, ActorKind.PERSON, username, keys, now)
    assert actor.id is not None
    account = Account(actor_id=actor.id, created_at=now, **fields)
    session.add(account)
    await session.flush()
    return account


async def create_account(
    node: Node,
    username: str,
    role: AccountRole = AccountRole.MEMBER,
    display_name: str | None = None,
    summary: str = "",
    email: str | None = None,
    password_hash: str | None = None,
) -> AccountInfo:
    """Create a local member with a fresh key pair, in use at once (the node's operator makes
    it: an address they give counts as confirmed). Without a password hash the account works
    over the API and the console, not on the web."""
    username = normalise_username(username)
    name = checked_display_name(display_name, username)
    address, key = parse_email(email) if email is not None else (None, None)
    keys = await node.keygen()
    async with node.store.transaction() as session:
        now = node.clock()
        if key is not None:
            await require_email_free(session, key)
        await add_account(
            session,
            username,
            keys,
            now,
            display_name=name,
            summary=summary.strip(),
            role=role,
            email=address,
            email_key=key,
            email_confirmed_at=now if key is not None else None,
            password_hash=password_hash,
        )
    async with node.store.session() as session:
        return await get_account(session, username)


def account_info(account: Account, username: str) -> AccountInfo:
    """What the rest of the node is told of a stored account (its actor's username given)."""
    return _info(account, username)


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
        state=account.state,
        two_factor=account.totp_enabled_at is not None,
        has_password=account.password_hash is not None,
        language=account.language,
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
        raise NotFound("no account named {username!r} on this node", username=username)
    account, name = row
    return _info(account, name or "")


async def account_row(session: AsyncSession, username: str) -> tuple[Account, AccountInfo]:
    """The stored account (to change it in the caller's transaction) and its info."""
    info = await get_account(session, username)
    account = await session.get(Account, info.id)
    assert account is not None
    return account, info


async def get_account_by_id(session: AsyncSession, account_id: int) -> AccountInfo:
    found = await session.exec(
        select(Account, LocalActor.username)
        .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
        .where(Account.id == account_id)
    )
    row = found.first()
    if row is None:
        raise NotFound("no account {account_id} on this node", account_id=account_id)
    account, name = row
    return _info(account, name or "")


async def find_by_login(session: AsyncSession, login: str) -> tuple[Account, AccountInfo] | None:
    """The account a person signs in as: by username, or by email address (with an @ in it
    that is not the first character)."""
    login = login.strip()
    if "@" in login.lstrip("@"):
        found = await session.exec(select(Account).where(Account.email_key == login.casefold()))
        account = found.first()
        if account is None or account.id is None:
            return None
        return account, await get_account_by_id(session, account.id)
    try:
        return await account_row(session, login)
    except NotFound:
        return None


async def account_email(node: Node, username: str) -> str | None:
    """An account's email address: for node admins' eyes only (callers check who asks)."""
    async with node.store.session() as session:
        account, _ = await account_row(session, username)
        return account.email


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


# A sign-up not yet completed (or refused): the node shows no one an actor for it.
NOT_YET_IN_USE = frozenset(
    {AccountState.UNCONFIRMED, AccountState.AWAITING_APPROVAL, AccountState.REJECTED}
)


def in_use(account: AccountInfo) -> AccountInfo:
    """The account, if the node shows it to the world; NotFound for a sign-up never completed."""
    if account.state in NOT_YET_IN_USE:
        raise NotFound("no account named {username!r} on this node", username=account.username)
    return account


async def account_with_keys(node: Node, username: str) -> tuple[AccountInfo, PublishedKeys]:
    """A member and the keys their actor document publishes."""
    async with node.store.session() as session:
        account = in_use(await get_account(session, username))
        return account, await account_public_keys(session, account)


async def groups_joined_by(node: Node, account_id: int) -> int:
    async with node.store.session() as session:
        return await groups_joined(session, account_id)
