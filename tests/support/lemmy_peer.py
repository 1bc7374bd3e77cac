"""A stand-in Lemmy server for tests: one Person with an RSA key on loopback, NodeInfo saying
"lemmy", Lemmy's wire samples rewritten to live on it, and an inbox that verifies and keeps."""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from federation.client import Signer
from federation.errors import Unauthorized
from federation.httpsig.inbound import authority_of, claim_of, verify
from federation.httpsig.message import Headers, HttpMessage
from federation.keydocs import key_on_actor, without_fragment
from federation.keys import KeyPair, generate_rsa_keypair, load_private_key, load_public_key
from tests.conftest import free_port
from tests.support.wire_samples import SAMPLES

FIXTURES = SAMPLES / "lemmy"  # the project's own; a test may pass the shared set's instead
# What Lemmy 0.19 puts on every activity it sends (the shared set's samples leave it out; see
# activities/create_or_update/create_private_message_0.19.json there for one that kept it).
LEMMY_CONTEXT = ["https://join-lemmy.org/context.json", "https://www.w3.org/ns/activitystreams"]
ACTIVITY_JSON = "application/activity+json"
USERNAME = "lemmy_alpha"

# The samples name hosts of a Lemmy test federation: the shared set's (ds9, enterprise,
# voyager.lemmy.ml, lemmy.ml for images), in http and https alike, and the project's own
# (alpha and beta.lemmy.example).
_LEMMY_HOST = r"(?:[a-z0-9-]+\.)*lemmy\.(?:ml|example)"
_LEMMY_URL = re.compile(rf"^https?://{_LEMMY_HOST}(?P<path>/\S*)?$")
_COMMUNITY = re.compile(r"^/c/[^/#?]+(?P<rest>.*)$")
_PERSON = re.compile(r"^/u/[^/#?]+(?P<rest>.*)$")
_HANDLE = re.compile(rf"@(?P<user>\w+)@{_LEMMY_HOST}")


@dataclass(frozen=True)
class InboxPost:
    """One POST to the peer's inboxes, and who signed it (None: the signature failed)."""

    path: str
    document: dict[str, Any]
    signed_by: str | None
    reason: str | None


@dataclass
class LemmyPeer:
    """The server's state: its one Person's key, what it serves, and what it was sent."""

    base: str
    keys: KeyPair = field(repr=False)
    software: str = "lemmy"  # what its NodeInfo says (it can stand in for a Mastodon)
    samples: Path = FIXTURES  # the folder of Lemmy documents it sends
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of each
    inbox_posts: list[InboxPost] = field(default_factory=list)
    documents: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> served JSON

    @property
    def person(self) -> str:
        return f"{self.base}/u/{USERNAME}"

    @property
    def signer(self) -> Signer:
        return Signer(f"{self.person}#main-key", load_private_key(self.keys.private_pem))

    @property
    def instance_actor(self) -> str:
        """The server's own actor (an Application, as Mastodon's is), with the same key."""
        return f"{self.base}/actor"

    @property
    def instance_signer(self) -> Signer:
        return Signer(f"{self.instance_actor}#main-key", load_private_key(self.keys.private_pem))

    def fixture(self, relative: str, group: str) -> dict[str, Any]:
        """A Lemmy sample as this server would send it to `group`: every Lemmy URL moved
        here (each person is our one Person, each community is `group`), Lemmy's @context
        added where missing, and its activity and embedded object served at their ids."""
        loaded = json.loads((self.samples / relative).read_text())
        document = self.rewrite(loaded, group)
        document = {"@context": LEMMY_CONTEXT, **document}
        # Nothing may lead Cove off loopback.
        named = re.search(_LEMMY_HOST, json.dumps(document))
        assert named is None, f"{relative} still names a Lemmy host"
        self.publish(document)
        return document

    def rewrite(self, value: Any, group: str) -> Any:
        if isinstance(value, dict):
            return {k: self.rewrite(v, group) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v, group) for v in value]
        if isinstance(value, str):
            return self._moved(value, group)
        return value

    def _moved(self, text: str, group: str) -> str:
        host = self.base.split("://", 1)[1]
        text = _HANDLE.sub(lambda m: f"@{USERNAME}@{host}", text)
        found = _LEMMY_URL.match(text)
        if found is None:
            return text
        path = found.group("path") or "/"
        if community := _COMMUNITY.match(path):
            return group + community.group("rest")
        if person := _PERSON.match(path):
            return self.person + person.group("rest")
        return self.base + path

    def publish(self, document: dict[str, Any]) -> None:
        """Serve a document, and the activities and objects embedded in it, at their ids."""
        own = document.get("id")
        if isinstance(own, str) and own.startswith(self.base + "/"):
            self.documents[own[len(self.base) :]] = document
        inner = document.get("object")
        if isinstance(inner, dict):
            self.publish({"@context": LEMMY_CONTEXT, **inner})

    def actor_document(self) -> dict[str, Any]:
        """Lemmy's Person sample, moved here, with this peer's key."""
        sample = json.loads((self.samples / "objects" / "person.json").read_text())
        person = self.rewrite(sample, "")
        person["preferredUsername"] = USERNAME
        person["publicKey"]["publicKeyPem"] = self.keys.public_pem
        return {"@context": LEMMY_CONTEXT, **person}

    def group_document(self, name: str) -> dict[str, Any]:
        """A community of this server, served at its id (with the server's key)."""
        group = f"{self.base}/c/{name}"
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": group,
            "type": "Group",
            "preferredUsername": name,
            "inbox": f"{group}/inbox",
            "outbox": f"{group}/outbox",
            "followers": f"{group}/followers",
            "endpoints": {"sharedInbox": f"{self.base}/inbox"},
            "publicKey": {
                "id": f"{group}#main-key",
                "owner": group,
                "publicKeyPem": self.keys.public_pem,
            },
        }
        self.publish(document)
        return document

    def instance_document(self) -> dict[str, Any]:
        actor = self.instance_actor
        return {
            "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
            "id": actor,
            "type": "Application",
            "preferredUsername": self.base.split("://", 1)[1],
            "inbox": f"{actor}/inbox",
            "publicKey": {
                "id": f"{actor}#main-key",
                "owner": actor,
                "publicKeyPem": self.keys.public_pem,
            },
        }

    def received(self, kind: str) -> list[InboxPost]:
        return [d for d in self.inbox_posts if d.document.get("type") == kind]


def _nodeinfo(base: str, software: str) -> dict[str, Any]:
    return {
        "version": "2.1",
        "software": {"name": software, "version": "0.19.5"},
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "usage": {"users": {"total": 1, "activeHalfyear": 1, "activeMonth": 1}, "localPosts": 1},
        "openRegistrations": True,
        "metadata": {"nodeName": base},
    }


def _app(peer: LemmyPeer, client: ClientSession) -> web.Application:
    async def actor(request: web.Request) -> web.Response:
        if request.match_info["name"] != USERNAME:
            raise web.HTTPNotFound()
        return web.json_response(peer.actor_document(), content_type=ACTIVITY_JSON)

    async def instance_actor(request: web.Request) -> web.Response:
        return web.json_response(peer.instance_document(), content_type=ACTIVITY_JSON)

    async def nodeinfo_links(request: web.Request) -> web.Response:
        href = f"{peer.base}/nodeinfo/2.1"
        rel = "http://nodeinfo.diaspora.software/ns/schema/2.1"
        return web.json_response({"links": [{"rel": rel, "href": href}]})

    async def nodeinfo(request: web.Request) -> web.Response:
        return web.json_response(_nodeinfo(peer.base, peer.software))

    async def document(request: web.Request) -> web.Response:
        found = peer.documents.get(request.path)
        if found is None:
            raise web.HTTPNotFound()
        return web.json_response(found, content_type=ACTIVITY_JSON)

    async def inbox(request: web.Request) -> web.Response:
        body = await request.read()
        message = HttpMessage(
            request.method, f"{peer.base}{request.path_qs}", Headers(request.headers.items()), body
        )
        signed_by, reason = None, None
        try:
            signed_by = await _verified(message, client)
        except Unauthorized as e:
            reason = e.reason
        peer.inbox_posts.append(InboxPost(request.path, json.loads(body), signed_by, reason))
        return web.Response(status=200 if signed_by else 401)

    @web.middleware
    async def record(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        peer.requests.append((request.method, request.path))
        return await handler(request)

    app = web.Application(middlewares=[record])
    app.router.add_get("/.well-known/nodeinfo", nodeinfo_links)
    app.router.add_get("/nodeinfo/2.1", nodeinfo)
    app.router.add_get(r"/u/{name}", actor)
    app.router.add_get("/actor", instance_actor)
    app.router.add_post("/actor/inbox", inbox)
    app.router.add_post(r"/u/{name}/inbox", inbox)
    app.router.add_post("/inbox", inbox)
    app.router.add_get(r"/{tail:.*}", document)
    return app


async def _verified(message: HttpMessage, client: ClientSession) -> str:
    """The signer's actor id, once its signature checks out against its published key."""
    claim = claim_of(message)
    async with client.get(
        without_fragment(claim.key_id), headers={"Accept": ACTIVITY_JSON}
    ) as response:
        actor = await response.json(content_type=None)
    key = key_on_actor(actor, claim.key_id)
    if key is None:
        raise Unauthorized(f"{claim.key_id} is not published by its actor")
    verify(
        message,
        claim,
        load_public_key(key.public_key_pem),
        datetime.now(UTC),
        authority=authority_of(message.url),
    )
    return key.owner


@asynccontextmanager
async def start_lemmy_peer(
    software: str = "lemmy", address: str = "127.0.0.1", samples: Path = FIXTURES
) -> AsyncIterator[LemmyPeer]:
    """The stand-in on `address` (another loopback address is another domain to the policy),
    sending the Lemmy documents in `samples`."""
    port = free_port()
    keys = await asyncio.get_running_loop().run_in_executor(None, generate_rsa_keypair)
    peer = LemmyPeer(base=f"http://{address}:{port}", keys=keys, software=software, samples=samples)
    async with ClientSession() as client:
        runner = web.AppRunner(_app(peer, client), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, address, port).start()
        try:
            yield peer
        finally:
            await runner.cleanup()


def without_community(document: dict[str, Any], group: str) -> dict[str, Any]:
    """The document with the community taken out of every addressing field, so that only
    inReplyTo says where it belongs (replies that name no group: LemmyNet/lemmy #2218)."""
    stripped = copy.deepcopy(document)
    for holder in (stripped, stripped.get("object")):
        if not isinstance(holder, dict):
            continue
        holder.pop("audience", None)
        for key in ("to", "cc"):
            if isinstance(holder.get(key), list):
                holder[key] = [a for a in holder[key] if a != group]
    return stripped
