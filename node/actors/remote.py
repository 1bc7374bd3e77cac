"""Actors and servers elsewhere: fetched (signed) and cached, and what software each server
runs, which decides how a group's Announces are shaped for its followers there."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from federation.client import FederationClient
from federation.errors import FetchError, Invalid, NotFound, PolicyRefused
from federation.nodeinfo import software_at
from federation.readers import read_document
from federation.webfinger import Acct, finger, parse_resource
from federation.wire import WireActor
from node.actors.signers import instance_signer
from node.runtime import Node
from node.store.states import Software
from node.store.tables import PeerServer, RemoteActor

log = logging.getLogger(__name__)

ACTOR_TTL = timedelta(days=1)
SOFTWARE_TTL = timedelta(days=1)
# Software that reads Announce{activity} (FEP-1b12) and understands groups.
GROUP_AWARE = frozenset(
    {
        "cove",
        "lemmy",
        "piefed",
        "mbin",
        "kbin",
        "nodebb",
        "lotide",
        "discourse",
        "wordpress",
        "friendica",
        "hubzilla",
        "streams",
        "gnusocial",
    }
)
# Microblogs: they boost by object id and ignore Announce{Create} (federation-wire.md 3).
MICROBLOG = frozenset(
    {
        "mastodon",
        "hometown",
        "glitchsoc",
        "pleroma",
        "akkoma",
        "misskey",
        "sharkey",
        "firefish",
        "iceshrimp",
        "catodon",
        "foundkey",
        "calckey",
        "cherrypick",
        "gotosocial",
        "takahe",
        "snac",
        "honk",
        "pixelfed",
        "bookwyrm",
        "peertube",
        "mitra",
        "fedibird",
    }
)


def classify(software_name: str | None) -> Software:
    if software_name is None:
        return Software.UNKNOWN
    name = software_name.lower()
    if name in GROUP_AWARE:
        return Software.GROUP_AWARE
    if name in MICROBLOG:
        return Software.MICROBLOG
    return Software.UNKNOWN


async def store_actor(node: Node, actor: WireActor, document: dict[str, Any]) -> RemoteActor:
    """Insert or refresh a remote actor from its fetched document. Two requests from a new
    actor can race to insert it: the loser updates the row the winner made."""
    try:
        return await _store_actor(node, actor, document)
    except IntegrityError:
        return await _store_actor(node, actor, document)


async def _store_actor(node: Node, actor: WireActor, document: dict[str, Any]) -> RemoteActor:
    now = node.clock()
    async with node.store.transaction() as session:
        row = (await session.exec(select(RemoteActor).where(RemoteActor.uri == actor.id))).first()
        if row is None:
            row = RemoteActor(
                uri=actor.id,
                type=actor.type,
                domain="",
                inbox="",
                document={},
                fetched_at=now,
                created_at=now,
            )
            session.add(row)
        row.type = actor.type
        row.username = (actor.preferred_username or "")[:255] or None
        row.domain = (urlsplit(actor.id).hostname or "")[:255]
        row.name = (actor.name or "")[:255] or None
        row.inbox = actor.inbox
        row.shared_inbox = actor.shared_inbox
        row.outbox = actor.outbox
        row.followers = actor.followers
        if actor.public_key is not None:
            row.key_id = actor.public_key.id
            row.public_key_pem = actor.public_key.pem
        row.document = document
        row.fetched_at = now
        await session.flush()
        session.expunge(row)
    return row


async def remote_actor(
    node: Node, client: FederationClient, uri: str, *, refresh: bool = False
) -> RemoteActor:
    """The actor at `uri`: cached for a day, else fetched signed by the instance actor."""
    async with node.store.session() as session:
        row = (await session.exec(select(RemoteActor).where(RemoteActor.uri == uri))).first()
    if row is not None and row.inbox and not refresh and row.fetched_at > node.clock() - ACTOR_TTL:
        return row
    try:
        fetched = await client.get_json(uri, await instance_signer(node))
    except FetchError as e:
        if row is not None and row.inbox:
            log.warning("event=actor_refresh_failed actor=%s reason=%s", uri, e.reason)
            return row
        raise
    actor = read_document(fetched.document)
    if not isinstance(actor, WireActor):
        raise Invalid("{uri} is a {type}, not an actor", uri=uri, type=actor.type)
    return await store_actor(node, actor, fetched.document)


async def resolve_handle(node: Node, client: FederationClient, handle: str) -> RemoteActor:
    """An actor from `@name@host`, `acct:name@host` or its URL (WebFinger for handles)."""
    resource = parse_resource(handle if "://" in handle else f"acct:{handle.lstrip('@')}")
    if not isinstance(resource, Acct):
        return await remote_actor(node, client, resource.url)
    try:
        actor_id = await finger(client, resource, urlsplit(node.urls.base).scheme)
    except PolicyRefused:
        raise  # not a lookup that failed: one the domain policy forbids (403)
    except FetchError as e:
        raise NotFound(
            "cannot look up {handle}: {problem}", handle=handle, problem=e.reason
        ) from None
    if actor_id is None:
        raise NotFound("{handle} has no ActivityPub actor", handle=handle)
    return await remote_actor(node, client, actor_id)


async def server_software(node: Node, client: FederationClient, host: str) -> Software:
    """What kind of software runs at `host` (its NodeInfo), cached for a day."""
    return (await servers_software(node, client, [host]))[host]


LOOKUPS_AT_ONCE = 16  # NodeInfo fetches in flight for one fan-out's unknown servers


async def servers_software(
    node: Node, client: FederationClient, hosts: Iterable[str]
) -> dict[str, Software]:
    """What software runs at each host: one query for the servers known within the day, and
    a NodeInfo lookup (a few at a time) for the rest."""
    own = urlsplit(node.urls.base).netloc.lower()
    wanted = set(hosts)
    found = {own: Software.GROUP_AWARE} if own in wanted else {}
    fresh_since = node.clock() - SOFTWARE_TTL
    async with node.store.session() as session:
        for chunk in _chunks(sorted(wanted - found.keys())):
            rows = await session.exec(
                select(PeerServer.host, PeerServer.kind, PeerServer.checked_at).where(
                    col(PeerServer.host).in_(chunk)
                )
            )
            found.update(
                {h: Software(kind) for h, kind, checked in rows.all() if checked > fresh_since}
            )
    limit = asyncio.Semaphore(LOOKUPS_AT_ONCE)

    async def look_up(host: str) -> None:
        async with limit:
            found[host] = await _look_up_software(node, client, host)

    await asyncio.gather(*(look_up(h) for h in sorted(wanted - found.keys())))
    return {host: found[host] for host in wanted}


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def _look_up_software(node: Node, client: FederationClient, host: str) -> Software:
    name = await software_at(client, host, urlsplit(node.urls.base).scheme)
    kind = classify(name)
    for _ in range(2):  # a concurrent lookup of the same host may insert it first
        try:
            async with node.store.transaction() as session:
                row = (
                    await session.exec(select(PeerServer).where(PeerServer.host == host))
                ).first()
                if row is None:
                    row = PeerServer(host=host, kind=kind, checked_at=node.clock())
                    session.add(row)
                row.software_name, row.kind, row.checked_at = name, kind, node.clock()
            break
        except IntegrityError:
            continue
    log.info("event=peer_software host=%s software=%s kind=%s", host, name, kind.value)
    return kind


async def software_name(node: Node, client: FederationClient, host: str) -> str | None:
    """The NodeInfo software name of a server ("mastodon", "lemmy", "cove"...), if it says."""
    if host == urlsplit(node.urls.base).netloc.lower():
        return "cove"
    await server_software(node, client, host)
    async with node.store.session() as session:
        row = (await session.exec(select(PeerServer).where(PeerServer.host == host))).first()
    return row.software_name.lower() if row is not None and row.software_name else None
