"""A stand-in server on loopback for tests of what a hostile (or merely other) server can do
to a Cove node: actors of any type with real RSA keys (and Ed25519 proof keys), documents it
serves as it likes, activities it signs and delivers, and a record of every request made to
it. Written here in the shape Mastodon and Lemmy give their documents; it needs nothing else."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import select

from federation import proofs
from federation.client import FederationClient, Signer
from federation.httpsig import cavage
from federation.httpsig.message import Headers, HttpMessage
from federation.keys import KeyPair, generate_rsa_keypair, load_private_key
from node.store.states import ActivityState, DeliveryState, Direction
from node.store.tables import Activity, Delivery
from tests.conftest import ServedNode, client_for, eventually, free_port, serving_app

AP = "application/activity+json"
AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = f"{AS}#Public"
# A key pair made once per test process: generating RSA keys is the slow part of a peer.
_KEYS: list[KeyPair] = []


def _shared_keys() -> KeyPair:
    if not _KEYS:
        _KEYS.append(generate_rsa_keypair())
    return _KEYS[0]


@dataclass(frozen=True)
class Request:
    """One request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class HostilePeer:
    base: str
    keys: KeyPair = field(repr=False)
    proof_key: Ed25519PrivateKey = field(repr=False)
    software: str = "mastodon"
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> JSON
    requests: list[Request] = field(default_factory=list)
    _n: int = 0

    # Actors ------------------------------------------------------------------------------

    def actor(self, name: str, kind: str = "Person", **extra: Any) -> str:
        """Serve an actor of this server (its id returned), with the server's RSA key and
        an Ed25519 proof key, as Mastodon and Fedify publish them."""
        uri = f"{self.base}/users/{name}"
        self.serve(
            {
                "@context": [AS, "https://w3id.org/security/v1"],
                "id": uri,
                "type": kind,
                "preferredUsername": name,
                "inbox": f"{uri}/inbox",
                "outbox": f"{uri}/outbox",
                "followers": f"{uri}/followers",
                "endpoints": {"sharedInbox": f"{self.base}/inbox"},
                "publicKey": {
                    "id": f"{uri}#main-key",
                    "owner": uri,
                    "publicKeyPem": self.keys.public_pem,
                },
                "assertionMethod": [
                    {
                        "id": f"{uri}#ed25519-key",
                        "type": "Multikey",
                        "controller": uri,
                        "publicKeyMultibase": proofs.multikey(self.proof_key.public_key()),
                    }
                ],
                **extra,
            }
        )
        return uri

    def signer(self, actor: str) -> Signer:
        return Signer(f"{actor}#main-key", load_private_key(self.keys.private_pem))

    def signed_get_headers(
        self, actor: str, url: str, accept: str = AP, host: str | None = None
    ) -> dict[str, str]:
        """The headers of a GET of `url` signed by `actor` as Mastodon signs one (draft-cavage);
        `host` signs another Host than the URL's (a request made for another server)."""
        netloc = host or url.split("://", 1)[1].split("/", 1)[0]
        target = url if host is None else f"http://{host}/{url.split('://', 1)[1].split('/', 1)[1]}"
        message = HttpMessage("GET", target, Headers([("Host", netloc), ("Accept", accept)]), b"")
        key = load_private_key(self.keys.private_pem)
        assert isinstance(key, rsa.RSAPrivateKey)
        cavage.sign(message, f"{actor}#main-key", key, datetime.now(UTC))
        return message.headers.as_dict()

    def prove(self, document: dict[str, Any]) -> dict[str, Any]:
        """The document with an eddsa-jcs-2022 proof by its actor (FEP-8b32)."""
        actor = str(document["actor"])
        return proofs.sign(document, f"{actor}#ed25519-key", self.proof_key, datetime.now(UTC))

    # Documents ---------------------------------------------------------------------------

    def serve(self, document: dict[str, Any]) -> dict[str, Any]:
        uri = str(document["id"])
        assert uri.startswith(self.base + "/"), uri
        self.documents[uri[len(self.base) :]] = document
        return document

    def forget(self, uri: str) -> None:
        self.documents.pop(uri[len(self.base) :], None)

    def next_id(self, kind: str) -> str:
        self._n += 1
        return f"{self.base}/{kind}/{self._n}"

    def note(self, author: str, content: str, *, to: list[str], **extra: Any) -> dict[str, Any]:
        note = {
            "id": self.next_id("notes"),
            "type": "Note",
            "attributedTo": author,
            "content": content,
            "to": to,
            "cc": [],
            "published": "2026-12-01T10:00:00Z",
            **extra,
        }
        return note

    def activity(self, kind: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
        return {
            "@context": AS,
            "id": self.next_id("activities"),
            "type": kind,
            "actor": actor,
            "object": obj,
            **extra,
        }

    # Sending -----------------------------------------------------------------------------

    async def deliver(
        self, client: FederationClient, inbox: str, document: dict[str, Any], as_actor: str
    ) -> int:
        """POST the activity to a Cove inbox, signed as `as_actor` (draft-cavage)."""
        return await client.post(inbox, json.dumps(document).encode(), self.signer(as_actor))

    def received(self, path_prefix: str = "/") -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.path.startswith(path_prefix)]


def _app(peer: HostilePeer) -> web.Application:
    async def anything(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        peer.requests.append(
            Request(request.method, request.path_qs, dict(request.headers.items()), body)
        )
        if request.method == "POST":
            return web.Response(status=202)
        if request.path == "/.well-known/nodeinfo":
            href = f"{peer.base}/nodeinfo/2.1"
            rel = "http://nodeinfo.diaspora.software/ns/schema/2.1"
            return web.json_response({"links": [{"rel": rel, "href": href}]})
        if request.path == "/nodeinfo/2.1":
            return web.json_response(
                {
                    "version": "2.1",
                    "software": {"name": peer.software, "version": "4.3.0"},
                    "protocols": ["activitypub"],
                    "usage": {"users": {}},
                    "openRegistrations": False,
                    "metadata": {},
                }
            )
        found = peer.documents.get(request.path_qs) or peer.documents.get(request.path)
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(found, content_type=AP)

    app = web.Application(client_max_size=8 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", anything)
    return app


@asynccontextmanager
async def start_hostile_peer(
    address: str = "127.0.0.1", software: str = "mastodon"
) -> AsyncIterator[HostilePeer]:
    """The stand-in on `address` (another loopback address is another domain)."""
    port = free_port(address)
    keys = await asyncio.get_running_loop().run_in_executor(None, _shared_keys)
    peer = HostilePeer(
        base=f"http://{address}:{port}",
        keys=keys,
        proof_key=Ed25519PrivateKey.generate(),
        software=software,
    )
    async with serving_app(_app(peer), port, address):
        yield peer


async def settled(served: ServedNode, activity_id: str, within: float = 10.0) -> Activity:
    """The inbound row of an activity once the node has applied (or refused) it."""

    async def applied() -> Activity | None:
        async with served.node.store.session() as session:
            row = (
                await session.exec(
                    select(Activity).where(
                        Activity.uri == activity_id, Activity.direction == Direction.INBOUND
                    )
                )
            ).first()
        return row if row is not None and row.state != ActivityState.RECEIVED else None

    applied.__name__ = f"applied({activity_id})"
    row = await eventually(applied, within=within)
    assert isinstance(row, Activity)
    return row


async def follow(served: ServedNode, peer: HostilePeer, group: str, name: str) -> str:
    """One of the peer's people follows a group of the node (signed Follow, applied)."""
    person = peer.actor(name)
    follow_activity = peer.activity("Follow", person, group)
    async with client_for(served.node) as client:
        status = await peer.deliver(client, served.urls.inbox(group), follow_activity, person)
    assert status == 202, status
    row = await settled(served, follow_activity["id"])
    assert row.state == ActivityState.PROCESSED, row.error
    return person


async def deliveries_done(served: ServedNode, within: float = 15.0) -> None:
    """Wait until the node owes no delivery (each one delivered, or given up)."""

    async def none_pending() -> bool:
        async with served.node.store.session() as session:
            found = await session.exec(
                select(Delivery.id).where(Delivery.state == DeliveryState.PENDING)
            )
            return found.first() is None

    await eventually(none_pending, within=within)
