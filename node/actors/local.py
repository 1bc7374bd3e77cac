"""Local actors: names, creation with a fresh key pair, lookup by username, active keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.actors import AssertionKey, PublicKey
from federation.errors import Conflict, Invalid, NotFound
from federation.keys import KeyPair
from federation.proofs import generate_ed25519_keypair, load_ed25519_public_key, multikey
from node.runtime import Node
from node.store.states import ActorKind, KeyState
from node.store.tables import LocalActor, SigningKey
from node.urls import Urls

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
KEY_ALGORITHM = "rsa-2048"  # HTTP signatures, as every peer verifies them
PROOF_ALGORITHM = "ed25519"  # object integrity proofs (FEP-8b32) on what the actor sends


def normalise_username(name: str) -> str:
    """Lower-case and check a proposed username (shared by groups and people)."""
    given = name
    name = name.strip().lstrip("@").lower()
    if not USERNAME_PATTERN.match(name):
        raise Invalid(
            "invalid name {given!r}: use 1 to 30 lowercase letters, digits or underscores",
            given=given,
        )
    if name in RESERVED_USERNAMES:
        raise Invalid("the name {name!r} is reserved", name=name)
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
    """Insert an actor, its first signing key and its proof key (the caller commits)."""
    if username is not None and await username_taken(session, username):
        raise Conflict("the name {username!r} is already taken on this node", username=username)
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
    add_proof_key(session, actor.id, now)
    return actor


def add_proof_key(session: AsyncSession, actor_id: int, now: datetime) -> None:
    """A fresh Ed25519 key for the actor's proofs (cheap to make: no executor needed)."""
    pair = generate_ed25519_keypair()
    session.add(
        SigningKey(
            actor_id=actor_id,
            state=KeyState.ACTIVE,
            algorithm=PROOF_ALGORITHM,
            public_key_pem=pair.public_pem,
            private_key_pem=pair.private_pem,
            created_at=now,
        )
    )


async def active_key(
    session: AsyncSession, actor_id: int, algorithm: str = KEY_ALGORITHM
) -> SigningKey:
    """The actor's key in use for HTTP signatures (or, by `algorithm`, for proofs)."""
    found = await session.exec(
        select(SigningKey)
        .where(
            SigningKey.actor_id == actor_id,
            SigningKey.state == KeyState.ACTIVE,
            SigningKey.algorithm == algorithm,
        )
        .order_by(SigningKey.id.desc())  # type: ignore[union-attr]
    )
    key = found.first()
    if key is None:
        raise NotFound(
            "actor {actor_id} has no active {algorithm} key", actor_id=actor_id, algorithm=algorithm
        )
    return key


async def find_by_username(session: AsyncSession, username: str) -> LocalActor | None:
    found = await session.exec(select(LocalActor).where(LocalActor.username == username.lower()))
    return found.first()


class ActorAddresses(TypedDict):
    """The `Actor` fields every local actor's document fills the same way."""

    id: str
    inbox: str
    outbox: str
    shared_inbox: str
    public_key: PublicKey
    assertion_key: AssertionKey | None


@dataclass(frozen=True, slots=True)
class PublishedKeys:
    """What an actor document says of an actor's keys: the RSA key for HTTP signatures, and
    the Ed25519 key of its proofs as a Multikey (None for an actor made before proofs)."""

    signature_pem: str
    proof_multikey: str | None

    def public_key(self, urls: Urls, actor_id: str) -> PublicKey:
        return PublicKey(
            id=urls.key_id(actor_id), owner=actor_id, public_key_pem=self.signature_pem
        )

    def assertion_key(self, urls: Urls, actor_id: str) -> AssertionKey | None:
        if self.proof_multikey is None:
            return None
        return AssertionKey(urls.proof_key_id(actor_id), actor_id, self.proof_multikey)

    def addresses(self, urls: Urls, actor_id: str) -> ActorAddresses:
        """Where a local actor is and how it signs: its id, inboxes, outbox and keys."""
        return {
            "id": actor_id,
            "inbox": urls.inbox(actor_id),
            "outbox": urls.outbox(actor_id),
            "shared_inbox": urls.shared_inbox(),
            "public_key": self.public_key(urls, actor_id),
            "assertion_key": self.assertion_key(urls, actor_id),
        }


async def published_keys(session: AsyncSession, actor_id: int) -> PublishedKeys:
    signature = await active_key(session, actor_id)
    try:
        proof = await active_key(session, actor_id, PROOF_ALGORITHM)
    except NotFound:
        return PublishedKeys(signature.public_key_pem, None)
    return PublishedKeys(
        signature.public_key_pem, multikey(load_ed25519_public_key(proof.public_key_pem))
    )


async def actor_named(node: Node, username: str) -> LocalActor | None:
    """The group or person of that name here, if there is one."""
    async with node.store.session() as session:
        return await find_by_username(session, username)


async def keys_of(node: Node, actor_id: int) -> PublishedKeys:
    async with node.store.session() as session:
        return await published_keys(session, actor_id)
