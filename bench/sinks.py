"""Follower servers on loopback: one aiohttp app listening on many loopback addresses (each one a
host), answering 202 at once and noting when each host first got each announced activity."""

from __future__ import annotations

import asyncio
import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web

from federation.errors import CoveError, Unauthorized
from federation.httpsig.inbound import authority_of, claim_of, verify
from federation.httpsig.message import Headers, HttpMessage
from federation.keydocs import key_on_actor, without_fragment
from federation.keys import load_public_key
from federation.media import ACTIVITY_JSON

WAIT_STEP = 0.01


def announced_id(document: Any) -> str | None:
    """The id of what an Announce carries (the activity, or the object for a microblog boost)."""
    if not isinstance(document, dict) or document.get("type") != "Announce":
        return None
    inner = document.get("object")
    found = inner.get("id") if isinstance(inner, dict) else inner
    return found if isinstance(found, str) else None


class SinkServers:
    """The follower hosts. `arrivals[activity_id][host]` is when that host first got it
    (time.monotonic, comparable across the bench's processes on Linux)."""

    def __init__(self, hosts: Sequence[str], port: int, keep_samples: int = 20) -> None:
        self.hosts = list(hosts)
        self.port = port
        self.keep_samples = keep_samples
        self.arrivals: dict[str, dict[str, float]] = defaultdict(dict)
        self.posts = 0
        self.samples: list[HttpMessage] = []
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application(client_max_size=4 * 1024 * 1024)
        app.router.add_post("/{tail:.*}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        for host in self.hosts:
            await web.TCPSite(self._runner, host, self.port, backlog=512).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SinkServers:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def inbox(self, host: str) -> str:
        return f"http://{host}:{self.port}/inbox"

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        arrived = time.monotonic()
        self.posts += 1
        host = request.transport.get_extra_info("sockname")[0] if request.transport else "?"
        try:
            found = announced_id(json.loads(body))
        except ValueError:
            found = None
        if found is not None:
            self.arrivals[found].setdefault(host, arrived)
        if len(self.samples) < self.keep_samples:
            url = f"http://{request.host}{request.path_qs}"
            self.samples.append(
                HttpMessage(request.method, url, Headers(request.headers.items()), body)
            )
        return web.Response(status=202)

    async def wait_for(self, activity_id: str, hosts: int, within: float) -> bool:
        """Wait until `hosts` hosts got the activity; False if the time ran out first."""
        for _ in range(max(1, int(within / WAIT_STEP))):
            if len(self.arrivals.get(activity_id, {})) >= hosts:
                return True
            await asyncio.sleep(WAIT_STEP)
        return len(self.arrivals.get(activity_id, {})) >= hosts


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    checked: int
    valid: int
    reasons: list[str]


async def check_signatures(samples: Sequence[HttpMessage]) -> SignatureCheck:
    """Verify the kept deliveries' signatures with the signer's published key."""
    valid = 0
    reasons: list[str] = []
    keys: dict[str, Any] = {}
    async with aiohttp.ClientSession() as session:
        for message in samples:
            try:
                claim = claim_of(message)
                if claim.key_id not in keys:
                    url = without_fragment(claim.key_id)
                    async with session.get(url, headers={"Accept": ACTIVITY_JSON}) as response:
                        published = key_on_actor(
                            await response.json(content_type=None), claim.key_id
                        )
                    if published is None:
                        raise Unauthorized(f"{url} does not publish {claim.key_id}")
                    keys[claim.key_id] = load_public_key(published.public_key_pem)
                verify(
                    message,
                    claim,
                    keys[claim.key_id],
                    datetime.now(UTC),
                    authority=authority_of(message.url),
                )
                valid += 1
            except CoveError as e:
                reasons.append(e.reason)
            except (aiohttp.ClientError, ValueError) as e:
                reasons.append(f"cannot fetch the key: {e}")
    return SignatureCheck(len(samples), valid, reasons[:3])
