"""An actor elsewhere says it changed (`Update` of itself, as Mastodon sends a profile and a
group its settings, or a group's `Announce` of such an Update, as Lemmy sends its
communities'): the copy kept here is read again from the actor's own server, never taken
from the activity, and only for an actor this node already knows."""

from __future__ import annotations

import logging

from sqlmodel import select

from federation.client import FederationClient
from federation.errors import FetchError
from federation.wire import Activity
from node.actors.remote import remote_actor
from node.runtime import Node
from node.store.tables import RemoteActor

log = logging.getLogger(__name__)


async def receive_actor_update(node: Node, client: FederationClient, activity: Activity) -> None:
    """The inbox checked that the signer owns `actor`; the route is taken only when the
    object is that same actor."""
    await refresh_known(node, client, activity.actor)


async def refresh_known(node: Node, client: FederationClient, uri: str) -> None:
    """Read the actor at `uri` again, if this node holds a copy of it (a stranger's Update
    makes no row here). A failed read keeps the copy there is."""
    async with node.store.session() as session:
        known = (await session.exec(select(RemoteActor.id).where(RemoteActor.uri == uri))).first()
    if known is None:
        log.info("event=actor_update_ignored actor=%s reason=unknown", uri)
        return
    try:
        await remote_actor(node, client, uri, refresh=True)
    except FetchError as e:
        log.warning("event=actor_update_unread actor=%s reason=%s", uri, e.reason)
        return
    log.info("event=actor_updated actor=%s", uri)
