"""Ceilings measured in the same run on the same machine: a bare aiohttp handler's req/s (the
stack Cove serves with), the load generator's own rate against a canned-response server, the
raw RSA-2048 sign rate, and a bare client's fan-out to the sink hosts (sign, POST, no store).

`python -m bench.ceilings` measures them alone; `... serve bare|canned --port P` is a server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bench.loadgen import Load, run_process, write_requests
from bench.loopback import NODE_ADDRESS, free_port
from bench.presign import get_request, http_request
from bench.process import Child, clean_environment, python_module
from federation.httpsig import cavage
from federation.httpsig.message import Headers, HttpMessage
from federation.media import ACTIVITY_JSON

# About the size of a group actor document, so a bare GET moves the bytes Cove's does.
BARE_DOCUMENT = json.dumps({"id": "bare", "padding": "x" * 2400}).encode()
CANNED_POST = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
CANNED_GET = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
    + str(len(BARE_DOCUMENT)).encode()
    + b"\r\n\r\n"
    + BARE_DOCUMENT
)
SIGN_DATA = b"(request-target): post /inbox\nhost: 127.2.0.1:9\ndate: x\ndigest: y" * 2


def bare_app() -> web.Application:
    """An aiohttp app that does nothing but read the request and answer."""

    async def post(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    async def get(request: web.Request) -> web.Response:
        return web.Response(body=BARE_DOCUMENT, content_type="application/json")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/{tail:.*}", post)
    app.router.add_get("/{tail:.*}", get)
    return app


class CannedProtocol(asyncio.Protocol):
    """Answers each request with a fixed response, parsing only what framing needs: the
    cheapest server there is, so a load against it measures the load generator."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        for _ in range(1000):  # requests in one read; one at a time from our client
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length = 0
            marker = head.find(b"content-length:")
            if marker >= 0:
                length = int(head[marker + 15 :].split(b"\r\n", 1)[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            assert self.transport is not None
            self.transport.write(CANNED_GET if head.startswith(b"get") else CANNED_POST)


def serve(kind: str, port: int) -> None:
    if kind == "bare":
        web.run_app(bare_app(), host=NODE_ADDRESS, port=port, access_log=None, print=None)
        return

    async def canned() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(CannedProtocol, NODE_ADDRESS, port)
        async with server:
            await server.serve_forever()

    asyncio.run(canned())


def rsa_sign_rate(seconds: float = 2.0) -> float:
    """RSA-2048 PKCS#1 v1.5 SHA-256 signatures a second on one core."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    for _ in range(1_000_000):
        key.sign(SIGN_DATA, padding.PKCS1v15(), hashes.SHA256())
        count += 1
        if count % 50 == 0 and time.perf_counter() >= deadline:
            break
    return count / (time.perf_counter() - started)


@dataclass
class ServerCeilings:
    """req/s of a bare aiohttp handler and of the canned server (the client's own ceiling)."""

    bare_post: Load
    bare_get: Load
    client_post: Load
    client_get: Load


async def _load_against(
    kind: str, requests_file: Path, senders: int, seconds: float, workdir: Path
) -> Load:
    port = free_port()
    child = await Child.start(
        f"{kind} server",
        python_module("bench.ceilings", "serve", kind, "--port", str(port)),
        workdir / f"{kind}-server.log",
        clean_environment(),
        workdir,
    )
    try:
        await child.wait_port(NODE_ADDRESS, port)
        return await run_process(
            f"http://{NODE_ADDRESS}:{port}",
            requests_file,
            senders=senders,
            seconds=seconds,
            cycle=True,
            warmup=200,
        )
    finally:
        await child.stop()


def synthetic_posts(count: int = 2000, body_bytes: int = 1100) -> list[bytes]:
    """POSTs shaped like signed inbox deliveries (the servers measured here read, not verify)."""
    headers = Headers(
        [
            ("Host", f"{NODE_ADDRESS}:1"),
            ("Content-Type", ACTIVITY_JSON),
            ("Date", "Tue, 01 Jan 2030 00:00:00 GMT"),
            ("Digest", "SHA-256=" + "A" * 44),
            ("Signature", 'keyId="x",algorithm="rsa-sha256",signature="' + "B" * 344 + '"'),
        ]
    )
    body = b"{" + b'"p":"' + b"x" * (body_bytes - 8) + b'"}'
    return [http_request("POST", f"http://{NODE_ADDRESS}:1/inbox", headers, body)] * count


def _request_files(posts_file: Path | None, workdir: Path) -> tuple[Path, Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    if posts_file is None:
        posts_file = workdir / "synthetic-posts.bin"
        write_requests(posts_file, synthetic_posts())
    gets_file = workdir / "bare-gets.bin"
    write_requests(gets_file, [get_request(f"http://{NODE_ADDRESS}:1/g/x", ACTIVITY_JSON)] * 100)
    return posts_file, gets_file


async def measure_servers(
    posts_file: Path | None, senders: int, seconds: float, workdir: Path
) -> ServerCeilings:
    """Bare aiohttp and canned-server rates for POSTs (the inbox's requests when given) and
    GETs, with the same load generator and concurrency as the scenarios."""
    posts_file, gets_file = _request_files(posts_file, workdir)
    return ServerCeilings(
        bare_post=await _load_against("bare", posts_file, senders, seconds, workdir),
        bare_get=await _load_against("bare", gets_file, senders, seconds, workdir),
        client_post=await _load_against("canned", posts_file, senders, seconds / 2, workdir),
        client_get=await _load_against("canned", gets_file, senders, seconds / 2, workdir),
    )


async def bare_fanout(
    inboxes: Sequence[str], document: dict[str, object], key: rsa.RSAPrivateKey, key_id: str
) -> float:
    """Seconds for a plain aiohttp client to sign and POST one activity to every inbox (at
    most 100 connections at once, as Cove's client): the work of a fan-out without a store."""
    body = json.dumps(document, separators=(",", ":")).encode()
    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=100, limit_per_host=8)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def deliver(inbox: str) -> None:
            host = inbox.split("/")[2]
            message = HttpMessage(
                "POST", inbox, Headers([("Host", host), ("Content-Type", ACTIVITY_JSON)]), body
            )
            cavage.sign(message, key_id, key, datetime.now(UTC))
            async with session.post(inbox, data=body, headers=message.headers.as_dict()) as r:
                await r.read()

        await asyncio.gather(*(deliver(inbox) for inbox in inboxes))
    return time.perf_counter() - started


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ceilings", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    server = sub.add_parser("serve", help="run a ceiling server")
    server.add_argument("kind", choices=["bare", "canned"])
    server.add_argument("--port", type=int, required=True)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=64)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.kind, args.port)
        return 0
    with tempfile.TemporaryDirectory(prefix="cove-bench-ceilings-") as folder:
        servers = asyncio.run(measure_servers(None, args.senders, args.seconds, Path(folder)))
    figures = {"rsa_sign_per_second": round(rsa_sign_rate(), 1), **asdict(servers)}
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
