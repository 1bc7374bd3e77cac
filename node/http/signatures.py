"""Verifying the HTTP signature of a request that reached this node (inbox POSTs and signed
GETs), with one key re-fetch when a cached key fails (key rotation)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from federation.errors import Unauthorized
from federation.httpsig.inbound import (
    Claim,
    authority_of,
    check_policy,
    check_signature,
    claim_of,
)
from federation.httpsig.message import Headers, HttpMessage, Spec
from federation.keys import load_public_key
from node.actors.keys import ResolvedKey, verification_key
from node.http.state import CLIENT, KEYS, NODE

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SignedBy:
    """Who signed a request, once the signature checked out."""

    key_id: str
    actor: str  # the key's owner
    spec: Spec


def as_message(request: web.Request, body: bytes) -> HttpMessage:
    # The URL the sender signed is this node's public URL, not whatever a proxy forwarded.
    node = request.app[NODE]
    return HttpMessage(
        request.method, f"{node.urls.base}{request.path_qs}", Headers(request.headers.items()), body
    )


async def signed_by(request: web.Request, body: bytes, claim: Claim | None = None) -> SignedBy:
    """Check the request's signature (its `claim` read already, or read here); Unauthorized
    (401) with the reason when it fails."""
    node = request.app[NODE]
    client = request.app[CLIENT]
    message = as_message(request, body)
    claim = claim or claim_of(message)
    check_policy(message, claim, node.clock(), authority=authority_of(node.urls.base))
    keys = request.app[KEYS]
    fetched_now = False

    async def load() -> ResolvedKey:
        nonlocal fetched_now
        resolved = await verification_key(node, client, claim.key_id)
        fetched_now = not resolved.from_cache
        return resolved

    resolved = await keys.get(claim.key_id, load)
    try:
        _check(message, claim, resolved.key.public_key_pem)
    except Unauthorized:
        if fetched_now:
            raise
        # The actor may have rotated its key (Update{Actor}): fetch it again, once.
        keys.forget(claim.key_id)
        resolved = await verification_key(node, client, claim.key_id, refresh=True)
        _check(message, claim, resolved.key.public_key_pem)
    return SignedBy(key_id=claim.key_id, actor=resolved.key.owner, spec=claim.spec)


def _check(message: HttpMessage, claim: Claim, pem: str) -> None:
    try:
        key = load_public_key(pem)
    except ValueError:
        raise Unauthorized("the signer's public key cannot be read") from None
    check_signature(message, claim, key)
