"""Keys for signatures: the public keys of remote signers (fetched,
cached on the remote actor row, re-fetched once when a signature fails after a rotation)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from federation.addresses import same_host
from federation.client import FederationClient
from federation.errors import FetchError, Invalid, Unauthorized
from federation.keydocs import (
    PublishedKey,
    is_key_document,
    key_on_actor,
    key_owner,
    without_fragment,
)
from federation.readers import read_document
from federation.wire import WireActor
from node.actors.instance import get_instance
from node.actors.local import active_key
from node.actors.remote import store_actor
from node.actors.signers import instance_signer, local_actor_at
from node.runtime import Node
from node.store.tables import RemoteActor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ResolvedKey:
    key: PublishedKey
    from_cache: bool


async def verification_key(
    node: Node, client: FederationClient, key_id: str, *, refresh: bool = False
) -> ResolvedKey:
    """The public key a signature names: this node's own, cached, or fetched."""
    if key_id.startswith(node.urls.base + "/"):
        return ResolvedKey(await _local_key(node, key_id), from_cache=True)
    if not refresh:
        async with node.store.session() as session:
            cached = (
                await session.exec(select(RemoteActor).where(RemoteActor.key_id == key_id))
            ).first()
        if cached is not None and cached.public_key_pem:
            return ResolvedKey(PublishedKey(key_id, cached.uri, cached.public_key_pem), True)
    key, actor_document = await _fetch_key(node, client, key_id)
    await _remember_actor(node, actor_document, key)
    return ResolvedKey(key, from_cache=False)


async def _local_key(node: Node, key_id: str) -> PublishedKey:
    actor_url = without_fragment(key_id)
    if node.urls.key_id(actor_url) != key_id:
        raise Unauthorized("no key {key_id} on this node", key_id=key_id)
    async with node.store.session() as session:
        if actor_url == node.urls.instance_actor():
            actor_id = (await get_instance(node)).actor_id
        else:
            actor_id = await local_actor_at(node, session, actor_url)
        key = await active_key(session, actor_id)
    return PublishedKey(key_id, actor_url, key.public_key_pem)


async def _fetch_key(
    node: Node, client: FederationClient, key_id: str
) -> tuple[PublishedKey, dict[str, Any]]:
    signer = await instance_signer(node)
    url = without_fragment(key_id)
    try:
        document = (await client.get_json(url, signer)).document
        if is_key_document(document):
            # A standalone key: its owner must publish the same key id (GoToSocial's shape).
            owner = key_owner(document)
            if not same_host(owner, key_id):
                raise Unauthorized("key {key_id} names an owner on another host", key_id=key_id)
            document = (await client.get_json(owner, signer)).document
    except FetchError as e:
        raise Unauthorized(
            "cannot fetch the signer's key {key_id}: {problem}", key_id=key_id, problem=e.reason
        ) from None
    key = key_on_actor(document, key_id)
    if key is None:
        raise Unauthorized(
            "the actor at {url} does not publish the key {key_id}", url=url, key_id=key_id
        )
    if not same_host(key.owner, key_id):
        raise Unauthorized(
            "key {key_id} is not on the host of its owner {owner}", key_id=key_id, owner=key.owner
        )
    return key, document


async def _remember_actor(node: Node, document: dict[str, Any], key: PublishedKey) -> None:
    """Store or refresh the remote actor with its current key."""
    try:
        actor = read_document(document)
    except Invalid as e:
        raise Unauthorized(
            "the signer's actor document is unreadable: {problem}", problem=e.reason
        ) from None
    if not isinstance(actor, WireActor):
        raise Unauthorized("the key's owner is a {type}, not an actor", type=actor.type)
    await store_actor(node, actor, document)
    log.info("event=remote_actor_key_stored actor=%s key=%s", key.owner, key.key_id)
