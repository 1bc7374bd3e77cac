"""Local actors: names, creation with a fresh key pair, lookup by username, active keys."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound
from federation.keys import KeyPair
from node.store.states import ActorKind, KeyState
from node.store.tables import LocalActor, SigningKey

USERNAME_PATTERN = re.compile(r"^[a-z0-9_]{1,30}$")
# Names a person would mistake for the node itself, or that peers treat specially.
RESERVED_USERNAMES = frozenset(
    {
        "actor",
        "admin",
        "administrator",
        "api",
        "inbox",
        "instance",
        "mod",
        "moderator",
        "moderators",
        "ns",
        "outbox",
        "root",
        "support",
        "system",
        "webmaster",
    }
)
KEY_ALGORITHM = "rsa-2048"


def normalise_username(name: str) -> str:
    """Lower-case and check a proposed username (shared by groups and people)."""
    given = name
    name = name.strip().lstrip("@").lower()
    if not USERNAME_PATTERN.match(name):
        raise Invalid(
            f"invalid name {given!r}: use 1 to 30 lowercase letters, digits or underscores"
        )
    if name in RESERVED_USERNAMES:
        raise Invalid(f"the name {name!r} is reserved")
    return name


async def username_taken(session: AsyncSession, username: str) -> bool:
    found = await session.exec(select(LocalActor.id).where(LocalActor.username == username))
    return found.first() is not None


async def add_local_actor(
    session: AsyncSession,
    kind: ActorKind,
    username: str | None,
    keys: KeyPair,
    now: datetime,
) -> LocalActor:
    """Insert an actor and its first signing key (the caller commits)."""
    if username is not None and await username_taken(session, username):
        raise Conflict(f"the name {username!r} is already taken on this node")
    actor = LocalActor(kind=kind, username=username, created_at=now)
    session.add(actor)
    await session.flush()
    assert actor.id is not None
    session.add(
        SigningKey(
            actor_id=actor.id,
            state=KeyState.ACTIVE,
            algorithm=KEY_ALGORITHM,
            public_key_pem=keys.public_pem,
            private_key_pem=keys.private_pem,
            created_at=now,
        )
    )
    return actor


async def active_key(session: AsyncSession, actor_id: int) -> SigningKey:
    found = await session.exec(
        select(SigningKey)
        .where(SigningKey.actor_id == actor_id, SigningKey.state == KeyState.ACTIVE)
        .order_by(SigningKey.id.desc())  # type: ignore[union-attr]
    )
    key = found.first()
    if key is None:
        raise NotFound(f"actor {actor_id} has no active key")
    return key


async def find_by_username(session: AsyncSession, username: str) -> LocalActor | None:
    found = await session.exec(select(LocalActor).where(LocalActor.username == username.lower()))
    return found.first()
