"""Simulated remote actors: Person actors with RSA-2048 keys on a few loopback hosts, served by
one aiohttp server, so a node under test fetches (and caches) their keys as from a real peer."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bench.loopback import actor_hosts, shared_free_port
from bench.presign import ActorKey
from federation.keys import KeyPair, generate_rsa_keypair
from federation.media import ACTIVITY_JSON
from federation.vocabulary import AS_CONTEXT, SECURITY_CONTEXT


@dataclass(frozen=True, slots=True)
class SimulatedActor:
    uri: str
    name: str
    keys: KeyPair

    @property
    def key_id(self) -> str:
        return f"{self.uri}#main-key"

    @property
    def signer(self) -> ActorKey:
        return ActorKey(self.uri, self.key_id, self.keys.private_pem)

    def document(self) -> dict[str, Any]:
        host = self.uri.split("/users/", 1)[0]
        return {
            "@context": [AS_CONTEXT, SECURITY_CONTEXT],
            "id": self.uri,
            "type": "Person",
            "preferredUsername": self.name,
            "name": f"Bench {self.name}",
            "inbox": f"{self.uri}/inbox",
            "outbox": f"{self.uri}/outbox",
            "followers": f"{self.uri}/followers",
            "endpoints": {"sharedInbox": f"{host}/inbox"},
            "publicKey": {
                "id": self.key_id,
                "owner": self.uri,
                "publicKeyPem": self.keys.public_pem,
            },
        }


async def generate_keys(count: int, workers: int = 2) -> list[KeyPair]:
    """RSA-2048 key pairs, made in worker processes (tens of ms each)."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(
            await asyncio.gather(
                *(loop.run_in_executor(pool, generate_rsa_keypair) for _ in range(count))
            )
        )


class ActorServer:
    """Serves the actors' documents on their hosts (one port, several loopback addresses) and
    answers 202 to anything posted to their inboxes; counts what was fetched."""

    def __init__(self, hosts: Sequence[str], port: int, keys: Sequence[KeyPair]) -> None:
        self.hosts = list(hosts)
        self.port = port
        self.actors = [
            SimulatedActor(f"http://{hosts[i % len(hosts)]}:{port}/users/a{i}", f"a{i}", key)
            for i, key in enumerate(keys)
        ]
        self._by_path = {f"/users/{a.name}": a for a in self.actors}
        self.fetches: Counter[str] = Counter()
        self.posts = 0
        self._runner: web.AppRunner | None = None

    @classmethod
    async def create(cls, actors: int, hosts: int = 4) -> ActorServer:
        addresses = actor_hosts(hosts)
        return cls(addresses, shared_free_port(addresses), await generate_keys(actors))

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/users/{name}", self._actor)
        app.router.add_post("/{tail:.*}", self._inbox)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for host in self.hosts:
            await web.TCPSite(self._runner, host, self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ActorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _actor(self, request: web.Request) -> web.Response:
        actor = self._by_path.get(request.path)
        if actor is None:
            raise web.HTTPNotFound()
        self.fetches[actor.uri] += 1
        return web.json_response(actor.document(), content_type=ACTIVITY_JSON)

    async def _inbox(self, request: web.Request) -> web.Response:
        await request.read()
        self.posts += 1
        return web.Response(status=202)
