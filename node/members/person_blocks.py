"""A member's blocks and mutes of people, here or elsewhere: made, listed and undone here, a
block told to the person's server as `Block` (and `Undo{Block}`); and whom a member hides."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import Conflict, FetchError, Invalid, NotFound, Refused
from node.actors.remote import remote_actor, resolve_handle
from node.groups.groups import group_at
from node.members.accounts import AccountInfo, account_at
from node.queue.delivery import queue
from node.queue.outbox import stored_document
from node.runtime import Node
from node.store.states import PersonBlockKind, Visibility
from node.store.tables import PersonBlock, RemoteBlock

log = logging.getLogger(__name__)

# Actors that are not people: a member leaves a group, and the node's admins cut off servers.
NOT_PEOPLE = frozenset({"Group", "Application"})


@dataclass(frozen=True, slots=True)
class PersonBlockInfo:
    person_uri: str
    kind: PersonBlockKind
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Person:
    """A person a member names: their actor's id, and whether they are on this node."""

    uri: str
    here: bool


async def person_named(
    node: Node, client: FederationClient, account: AccountInfo, name: str
) -> Person:
    """The person `name` gives: `@user@host` (WebFinger), `user` or `@user` here, or an
    actor's URL. Invalid for a group or a server's own actor, and for the member themself."""
    text = name.strip()
    if not text:
        raise Invalid("name a person: @user@host, a member's name here, or their URL")
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid("{name} is not an http(s) URL", name=name)
        if parts.netloc.lower() != node.urls.domain:
            person = await _elsewhere(node, client, text)
        elif text.startswith(node.urls.person("")):
            person = await _here(node, text)
        else:
            raise Invalid("{name} is not a person of this node", name=name)
    else:
        user, _, host = text.lstrip("@").partition("@")
        if not user or "/" in user:
            raise Invalid("{name!r} is not a person: give @user@host or their URL", name=name)
        if host and host.lower() != node.urls.domain:
            person = await _elsewhere(node, client, text, host)
        else:
            person = await _here(node, node.urls.person(user.lower()))
    if person.uri == node.urls.person(account.username):
        raise Invalid("a member cannot block or mute themself")
    return person


async def _here(node: Node, uri: str) -> Person:
    async with node.store.session() as session:
        if await account_at(session, node, uri) is not None:
            return Person(uri, here=True)
    name = uri.removeprefix(node.urls.person(""))
    if await group_at(node, node.urls.group(name)) is not None:
        raise Invalid(
            "{name} is a group, not a person (a member leaves a group instead)", name=name
        )
    raise NotFound("no member named {name!r} on this node", name=name)


async def _elsewhere(
    node: Node, client: FederationClient, name: str, host: str | None = None
) -> Person:
    host = host or urlsplit(name).netloc
    decision = await node.policy.decide(host.lower(), node.clock())
    if decision.suspended:
        raise Refused(
            "{host} is not federated with by this node ({why})", host=host, why=decision.why
        )
    try:
        actor = await resolve_handle(node, client, name)
    except FetchError as e:
        raise NotFound("cannot look up {name}: {problem}", name=name, problem=e.reason) from None
    if actor.type in NOT_PEOPLE:
        raise Invalid("{name} is a {type}, not a person", name=name, type=actor.type)
    return Person(actor.uri, here=False)


async def block(
    node: Node, client: FederationClient, account: AccountInfo, person: str
) -> PersonBlockInfo:
    """Block a person: their posts, replies and notifications are hidden from the member
    everywhere on this node, and a person elsewhere has their server told (Block). Members
    follow groups only, never people, so there is no follow between them to end."""
    found = await person_named(node, client, account, person)
    return await _keep_away(node, client, account, found, PersonBlockKind.BLOCK)


async def mute(
    node: Node, client: FederationClient, account: AccountInfo, person: str
) -> PersonBlockInfo:
    """Mute a person: hidden from the member as a block hides them, and told to no one."""
    found = await person_named(node, client, account, person)
    return await _keep_away(node, client, account, found, PersonBlockKind.MUTE)


async def unblock(node: Node, client: FederationClient, account: AccountInfo, person: str) -> None:
    """Undo a block; a person elsewhere has their server told (Undo{Block}, the Block in it)."""
    found = await _kept_away(node, client, account, person)
    await _let_back(node, client, account, found, PersonBlockKind.BLOCK)


async def unmute(node: Node, client: FederationClient, account: AccountInfo, person: str) -> None:
    found = await _kept_away(node, client, account, person)
    await _let_back(node, client, account, found, PersonBlockKind.MUTE)


async def _kept_away(
    node: Node, client: FederationClient, account: AccountInfo, name: str
) -> Person:
    """The person a member lets back: by the URL `cove member blocks` lists, with no lookup
    (their server may be gone, or cut off since), else as `person_named` finds them."""
    uri = name.strip()
    async with node.store.session() as session:
        found = await session.exec(
            select(PersonBlock.id).where(
                PersonBlock.account_id == account.id, PersonBlock.person_uri == uri
            )
        )
        if found.first() is not None:
            return Person(uri, here=uri.startswith(node.urls.person("")))
    return await person_named(node, client, account, name)


async def _keep_away(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    person: Person,
    kind: PersonBlockKind,
) -> PersonBlockInfo:
    inbox = await _inbox(node, client, person) if kind == PersonBlockKind.BLOCK else None
    now = node.clock()
    async with node.store.transaction() as session:
        if await _row(session, account.id, person.uri, kind) is not None:
            if kind == PersonBlockKind.BLOCK:
                raise Conflict(
                    "{username} already blocks {person}",
                    username=account.username,
                    person=person.uri,
                )
            raise Conflict(
                "{username} already mutes {person}", username=account.username, person=person.uri
            )
        row = PersonBlock(account_id=account.id, person_uri=person.uri, kind=kind, created_at=now)
        if inbox is not None:
            me = node.urls.person(account.username)
            sent = builders.block(node.urls.activity(node.token()), me, person.uri)
            await queue(session, account.actor_id, sent, Visibility.DIRECT, [inbox], now)
            row.activity_uri = str(sent["id"])
        session.add(row)
    log.info("event=person_%s account=%s person=%s", kind.value, account.username, person.uri)
    return PersonBlockInfo(person.uri, kind, now)


async def _let_back(
    node: Node,
    client: FederationClient,
    account: AccountInfo,
    person: Person,
    kind: PersonBlockKind,
) -> None:
    async with node.store.session() as session:
        row = await _row(session, account.id, person.uri, kind)
    if row is None:
        if kind == PersonBlockKind.BLOCK:
            raise NotFound(
                "{username} does not block {person}", username=account.username, person=person.uri
            )
        raise NotFound(
            "{username} does not mute {person}", username=account.username, person=person.uri
        )
    inbox = await _inbox(node, client, person) if row.activity_uri is not None else None
    now = node.clock()
    async with node.store.transaction() as session:
        await session.exec(delete(PersonBlock).where(col(PersonBlock.id) == row.id))
        if inbox is None or row.activity_uri is None:
            return
        me = node.urls.person(account.username)
        original = await stored_document(session, row.activity_uri)
        sent = original or builders.block(row.activity_uri, me, person.uri)
        undo = builders.undo(node.urls.activity(node.token()), me, sent, [person.uri])
        await queue(session, account.actor_id, undo, Visibility.DIRECT, [inbox], now)
    log.info("event=person_un%s account=%s person=%s", kind.value, account.username, person.uri)


async def _inbox(node: Node, client: FederationClient, person: Person) -> str | None:
    """Where a block of this person is told: their own inbox, as Mastodon sends one (a
    person here needs no telling, and a server cut off is told nothing)."""
    if person.here or (await node.policy.decide_url(person.uri, node.clock())).suspended:
        return None
    try:
        return (await remote_actor(node, client, person.uri)).inbox
    except FetchError as e:
        log.info("event=block_not_told person=%s reason=%s", person.uri, e.reason)
        return None


async def _row(
    session: AsyncSession, account_id: int, person_uri: str, kind: PersonBlockKind
) -> PersonBlock | None:
    found = await session.exec(
        select(PersonBlock).where(
            PersonBlock.account_id == account_id,
            PersonBlock.person_uri == person_uri,
            PersonBlock.kind == kind,
        )
    )
    return found.first()


async def blocks_of(node: Node, account_id: int) -> list[PersonBlockInfo]:
    """A member's blocks and mutes, newest first."""
    async with node.store.session() as session:
        found = await session.exec(
            select(PersonBlock)
            .where(PersonBlock.account_id == account_id)
            .order_by(col(PersonBlock.id).desc())
        )
        return [PersonBlockInfo(b.person_uri, b.kind, b.created_at) for b in found.all()]


async def hidden_authors(session: AsyncSession, account_id: int) -> set[str]:
    """The people a member blocks or mutes: what they wrote is hidden from the member."""
    found = await session.exec(
        select(PersonBlock.person_uri).where(PersonBlock.account_id == account_id)
    )
    return set(found.all())


async def hidden_from(node: Node, account_id: int) -> frozenset[str]:
    """`hidden_authors`, in a session of its own."""
    async with node.store.session() as session:
        return frozenset(await hidden_authors(session, account_id))


async def blocked_by(session: AsyncSession, account_id: int, actor_uri: str) -> bool:
    """Whether this person elsewhere blocks the member (their Block reached us): then nothing
    of the member's is addressed or delivered to them directly."""
    found = await session.exec(
        select(RemoteBlock.id).where(
            RemoteBlock.account_id == account_id, RemoteBlock.blocker_uri == actor_uri
        )
    )
    return found.first() is not None
