"""This node's signers: the key each of its actors (groups, people, the instance) signs with."""

from __future__ import annotations

from typing import Any

from federation.client import Signer
from federation.errors import NotFound
from federation.keys import load_private_key
from node.actors.instance import get_instance
from node.actors.local import active_key, find_by_username
from node.runtime import Node


async def instance_signer(node: Node) -> Signer:
    """The instance actor signs fetches that no other actor makes (and Flags, later)."""
    info = await get_instance(node)
    async with node.store.session() as session:
        key = await active_key(session, info.actor_id)
    actor = node.urls.instance_actor()
    return Signer(
        key_id=node.urls.key_id(actor),
        private_key=load_private_key(key.private_key_pem, trusted=True),
    )


async def local_signer(node: Node, actor_url: str) -> Signer:
    """The signer for one of this node's actors, by its URL."""
    if actor_url == node.urls.instance_actor():
        return await instance_signer(node)
    async with node.store.session() as session:
        actor = await local_actor_at(node, session, actor_url)
        key = await active_key(session, actor)
    return Signer(
        key_id=node.urls.key_id(actor_url),
        private_key=load_private_key(key.private_key_pem, trusted=True),
    )


async def local_actor_at(node: Node, session: Any, actor_url: str) -> int:
    for prefix in (f"{node.urls.base}/g/", f"{node.urls.base}/u/"):
        if actor_url.startswith(prefix):
            found = await find_by_username(session, actor_url[len(prefix) :])
            if found is not None and found.id is not None:
                return found.id
    raise NotFound("{actor_url} is not an actor of this node", actor_url=actor_url)
