"""Authorized fetch: actor-owned content is served only to signed requests when the node asks
for it (Mastodon's secure mode), and always for members-only groups. Actor documents, which
carry the public keys, and the instance actor stay readable unsigned to avoid fetch loops."""

from __future__ import annotations

from aiohttp import web

from node.http.signatures import SignedBy, signed_by
from node.http.state import NODE

# Responses that depend on who signed must not be shared by caches across askers.
VARY_SIGNED = "Accept, Signature"


async def authorize_fetch(request: web.Request, *, members_only: bool = False) -> SignedBy | None:
    """The verified signer of a content GET, or None when none is required (401 if bad)."""
    node = request.app[NODE]
    if not (members_only or node.config.federation.authorized_fetch):
        return None
    return await signed_by(request, b"")
