"""Object integrity proofs (FEP-8b32) at the node: what this node's actors send is signed with
their Ed25519 key, so a group can relay it unchanged and every receiver can check who wrote
it; what others relay is checked against the key its author publishes (FEP-521a)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from federation import proofs
from federation.client import FederationClient
from federation.errors import CoveError, NotFound
from federation.keydocs import without_fragment
from federation.wire import Activity
from node.actors.local import PROOF_ALGORITHM, active_key
from node.actors.remote import remote_actor
from node.runtime import Node
from node.store.tables import RemoteActor

log = logging.getLogger(__name__)

DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"


async def signed(node: Node, actor_id: int, document: Mapping[str, Any]) -> dict[str, Any]:
    """The activity with a proof by the local actor that sends it (and the data integrity
    context that defines `proof`). An actor without a proof key sends it as it is."""
    async with node.store.session() as session:
        try:
            key = await active_key(session, actor_id, PROOF_ALGORITHM)
        except NotFound:
            return dict(document)
    actor = str(document["actor"])
    context = document.get("@context")
    contexts = context if isinstance(context, list) else [context] if context else []
    if DATA_INTEGRITY_CONTEXT not in contexts:
        contexts = [*contexts, DATA_INTEGRITY_CONTEXT]
    return proofs.sign(
        {**document, "@context": contexts},
        node.urls.proof_key_id(actor),
        proofs.load_ed25519_private_key(key.private_key_pem),
        node.clock(),
    )


async def proven(node: Node, client: FederationClient, activity: Activity) -> bool:
    """Whether the activity carries a proof by its own actor that verifies with the key that
    actor publishes. No proof, or one that fails (a normalised copy, a rotated key, a
    forgery), is False: the caller then asks the object's own server instead."""
    method = proofs.proof_method(activity.raw)
    if method is None or without_fragment(method) != activity.actor:
        return False
    try:
        author = await remote_actor(node, client, activity.actor)
        key = _key_of(author, method)
        if key is None:  # a key made since we last read the actor
            key = _key_of(await remote_actor(node, client, activity.actor, refresh=True), method)
        if key is None:
            log.info("event=proof_key_unknown actor=%s key=%s", activity.actor, method)
            return False
        proofs.verify(activity.raw, key)
    except CoveError as e:
        log.info("event=proof_refused activity=%s reason=%s", activity.id, e.reason)
        return False
    return True


def _key_of(actor: RemoteActor, method: str) -> Ed25519PublicKey | None:
    return proofs.assertion_keys(actor.document).get(method)
