"""Requests built ahead of a measurement: Create{Note} activities addressed to a group and signed
as Mastodon signs (draft-cavage, RSA-SHA256), in worker processes, as HTTP/1.1 bytes; and GETs."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from federation.httpsig import cavage
from federation.httpsig.message import Headers, HttpMessage
from federation.media import ACTIVITY_JSON
from federation.vocabulary import AS_CONTEXT, AS_PUBLIC, iso8601

USER_AGENT = "cove-bench/0.1 (+loopback)"
CHUNKS_PER_WORKER = 4


@dataclass(frozen=True, slots=True)
class ActorKey:
    """A simulated remote actor as a signer: its id, key id and private key (PEM)."""

    uri: str
    key_id: str
    private_pem: str


def http_request(method: str, url: str, headers: Headers, body: bytes = b"") -> bytes:
    """The bytes of an HTTP/1.1 request (keep-alive), headers in the order given."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if method != "GET":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def get_request(url: str, accept: str) -> bytes:
    headers = Headers(
        [("Host", urlsplit(url).netloc), ("Accept", accept), ("User-Agent", USER_AGENT)]
    )
    return http_request("GET", url, headers)


def create_note(actor: str, group: str, token: str, text: str, published: str) -> dict[str, Any]:
    """A public Create{Note} addressed to a group, as Lemmy and Mastodon shape one."""
    note = {
        "id": f"{actor}/notes/{token}",
        "type": "Note",
        "attributedTo": actor,
        "to": [AS_PUBLIC, group],
        "cc": [],
        "audience": group,
        "content": f"<p>{text}</p>",
        "mediaType": "text/html",
        "published": published,
    }
    return {
        "@context": AS_CONTEXT,
        "id": f"{actor}/activities/{token}",
        "type": "Create",
        "actor": actor,
        "to": [AS_PUBLIC, group],
        "cc": [],
        "audience": group,
        "object": note,
    }


def signed_post(
    url: str, document: dict[str, Any], key_id: str, key: rsa.RSAPrivateKey, now: datetime
) -> bytes:
    body = json.dumps(document, separators=(",", ":")).encode("utf-8")
    headers = Headers(
        [
            ("Host", urlsplit(url).netloc),
            ("Content-Type", ACTIVITY_JSON),
            ("User-Agent", USER_AGENT),
        ]
    )
    message = HttpMessage("POST", url, headers, body)
    cavage.sign(message, key_id, key, now)
    return http_request("POST", url, message.headers, body)


def signed_create(
    inbox: str, group: str, actor: ActorKey, key: rsa.RSAPrivateKey, token: str, now: datetime
) -> bytes:
    document = create_note(actor.uri, group, token, f"bench post {token}", iso8601(now))
    return signed_post(inbox, document, actor.key_id, key, now)


def _sign_range(
    inbox: str, group: str, actors: Sequence[ActorKey], run: str, start: int, stop: int
) -> list[bytes]:
    keys = [private_key(actor.private_pem) for actor in actors]
    now = datetime.now(UTC)
    return [
        signed_create(
            inbox, group, actors[n % len(actors)], keys[n % len(actors)], f"{run}-{n}", now
        )
        for n in range(start, stop)
    ]


def private_key(pem: str) -> rsa.RSAPrivateKey:
    """A key this bench generated itself: loaded without the RSA consistency check, which
    costs about 35 ms a key."""
    key = serialization.load_pem_private_key(
        pem.encode("ascii"), password=None, unsafe_skip_rsa_key_validation=True
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


async def signed_creates(
    inbox: str, group: str, actors: Sequence[ActorKey], count: int, run: str, workers: int = 2
) -> list[bytes]:
    """`count` distinct Creates (request n is signed by actor n mod len(actors)), signed in
    `workers` processes: RSA signing is the costly part (about 0.3 ms each)."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("spawn")
    size = max(1, -(-count // (workers * CHUNKS_PER_WORKER)))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        chunks = [
            loop.run_in_executor(
                pool, _sign_range, inbox, group, list(actors), run, start, min(start + size, count)
            )
            for start in range(0, count, size)
        ]
        done = await asyncio.gather(*chunks)
    return [raw for chunk in done for raw in chunk]
