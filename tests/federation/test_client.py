"""The outbound client against real servers on loopback: the address guard, limits on size,
time and redirects, id checks, the headers it sends, and double-knocking with memory."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from federation.addresses import address_allowed, check_object_host
from federation.client import ClientSettings, FederationClient, Signer
from federation.errors import AddressRefused, FetchError
from federation.httpsig.message import Spec
from federation.keys import generate_rsa_keypair, load_private_key
from tests.conftest import free_port

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Site:
    """A small server on loopback that records every request it gets."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[web.Request] = []
        self.app = web.Application()
        self.host = host  # all of 127.0.0.0/8 is loopback: 127.0.0.2 is a second host
        self.port = free_port(host)
        self.base = f"http://{host}:{self.port}"

    def route(self, path: str, handler: Handler, method: str = "GET") -> None:
        async def recorded(request: web.Request) -> web.StreamResponse:
            self.requests.append(request)
            return await handler(request)

        self.app.router.add_route(method, path, recorded)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    s = Site()
    yield s


async def start(site: Site) -> web.AppRunner:
    runner = web.AppRunner(site.app)
    await runner.setup()
    await web.TCPSite(runner, site.host, site.port).start()
    return runner


def settings(**kw: Any) -> ClientSettings:
    base = {"user_agent": "Cove/test (+http://127.0.0.1:1/)", "allow_private_addresses": True}
    return ClientSettings(**{**base, **kw})


def signer() -> Signer:
    return Signer(
        "http://127.0.0.1:1/actor#main-key", load_private_key(generate_rsa_keypair().private_pem)
    )


async def fetch(site: Site, path: str, **kw: Any) -> Any:
    runner = await start(site)
    try:
        async with FederationClient(settings(**kw), lambda: datetime.now(UTC)) as client:
            return await client.get_json(site.base + path, signer())
    finally:
        await runner.cleanup()


def doc_handler(doc_for: Callable[[web.Request], dict[str, Any]]) -> Handler:
    async def handle(request: web.Request) -> web.Response:
        return web.json_response(doc_for(request), content_type="application/activity+json")

    return handle


@pytest.mark.parametrize(
    ("address", "public_only", "with_private"),
    [
        ("93.184.216.34", True, True),
        ("2606:4700::1111", True, True),
        ("127.0.0.1", False, True),
        ("::1", False, True),
        ("10.1.2.3", False, True),
        ("172.16.0.1", False, True),
        ("192.168.1.1", False, True),
        ("169.254.169.254", False, True),  # cloud metadata endpoints live here
        ("100.64.0.1", False, True),
        ("fc00::1", False, True),
        ("fe80::1", False, True),
        ("::ffff:127.0.0.1", False, True),
        ("224.0.0.1", False, False),
        ("ff02::1", False, False),
        ("0.0.0.0", False, False),
        ("not-an-ip", False, False),
    ],
)
def test_which_addresses_may_be_contacted(
    address: str, public_only: bool, with_private: bool
) -> None:
    assert address_allowed(address, allow_private=False) is public_only
    assert address_allowed(address, allow_private=True) is with_private


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
async def test_private_addresses_are_refused_before_connecting(site: Site, host: str) -> None:
    site.route("/doc", doc_handler(lambda r: {"id": "x"}))
    runner = await start(site)
    try:
        async with FederationClient(
            settings(allow_private_addresses=False), lambda: datetime.now(UTC)
        ) as c:
            with pytest.raises(AddressRefused):
                await c.get_json(f"http://{host}:{site.port}/doc", signer())
    finally:
        await runner.cleanup()
    assert site.requests == []


def loopback_name() -> str | None:
    """A host name (not "localhost") that this machine resolves to a loopback address."""
    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        return None
    return (
        name if addresses and all(a.startswith("127.") or a == "::1" for a in addresses) else None
    )


async def test_a_name_resolving_to_loopback_is_refused_after_dns(site: Site) -> None:
    name = loopback_name()
    if name is None:
        pytest.skip("this machine's host name does not resolve to loopback only")
    site.route("/doc", doc_handler(lambda r: {"id": "x"}))
    runner = await start(site)
    try:
        async with FederationClient(
            settings(allow_private_addresses=False), lambda: datetime.now(UTC)
        ) as c:
            with pytest.raises(AddressRefused, match="resolves only to addresses"):
                await c.get_json(f"http://{name}:{site.port}/doc", None)
    finally:
        await runner.cleanup()
    assert site.requests == []


async def test_it_sends_accept_user_agent_and_a_signature(site: Site) -> None:
    site.route("/doc", doc_handler(lambda r: {"id": f"{site.base}/doc"}))
    fetched = await fetch(site, "/doc")
    assert fetched.document == {"id": f"{site.base}/doc"}
    seen = site.requests[0].headers
    assert "application/activity+json" in seen["Accept"]
    assert seen["User-Agent"] == "Cove/test (+http://127.0.0.1:1/)"
    assert 'keyId="http://127.0.0.1:1/actor#main-key"' in seen["Signature"]
    assert 'headers="(request-target) host date accept"' in seen["Signature"]


async def test_a_document_whose_id_is_not_its_url_is_refused(site: Site) -> None:
    site.route("/doc", doc_handler(lambda r: {"id": "http://127.0.0.1:1/elsewhere"}))
    with pytest.raises(FetchError, match="says its id is"):
        await fetch(site, "/doc")


async def test_redirects_are_followed_up_to_three(site: Site) -> None:
    for i in range(3):

        async def hop(request: web.Request, i: int = i) -> web.Response:
            raise web.HTTPFound(f"/r{i + 1}")

        site.route(f"/r{i}", hop)
    site.route("/r3", doc_handler(lambda r: {"id": f"{site.base}/r3"}))
    fetched = await fetch(site, "/r0")
    assert fetched.url == f"{site.base}/r3"


async def test_a_redirect_to_another_host_cannot_answer_for_the_url_asked(site: Site) -> None:
    there = Site("127.0.0.2")
    there.route("/doc", doc_handler(lambda r: {"id": f"{there.base}/doc"}))

    async def away(request: web.Request) -> web.Response:
        raise web.HTTPFound(f"{there.base}/doc")

    site.route("/doc", away)
    runner = await start(there)
    try:
        with pytest.raises(FetchError, match="on another host"):
            await fetch(site, "/doc")
    finally:
        await runner.cleanup()
    assert len(there.requests) == 1


async def test_a_fourth_redirect_is_refused(site: Site) -> None:
    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    site.route("/loop", loop)
    with pytest.raises(FetchError, match="more than 3 times"):
        await fetch(site, "/loop")
    assert len(site.requests) == 4


async def test_bodies_over_one_megabyte_are_refused(site: Site) -> None:
    async def big(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/activity+json"})
        await response.prepare(request)
        for _ in range(20):  # 1.25 MB, without a Content-Length
            await response.write(b" " * 65536)
        return response

    site.route("/big", big)
    with pytest.raises(FetchError, match="larger than 1048576 bytes"):
        await fetch(site, "/big")


async def test_a_server_that_does_not_answer_in_time_is_given_up(site: Site) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(3)
        return web.json_response({})

    site.route("/slow", slow)
    with pytest.raises(FetchError, match="did not answer in time"):
        await fetch(site, "/slow", read_timeout=0.5)


async def drip(request: web.Request) -> web.StreamResponse:
    """Answer one byte every 0.1 s for 5 s: never slow enough for the read timeout."""
    response = web.StreamResponse(headers={"Content-Type": "application/activity+json"})
    await response.prepare(request)
    for _ in range(50):
        await response.write(b" ")
        await asyncio.sleep(0.1)
    return response


async def test_a_server_dripping_its_answer_is_given_up_at_the_deadline(site: Site) -> None:
    site.route("/drip", drip)
    started = time.monotonic()
    with pytest.raises(FetchError, match=rf"127\.0\.0\.1:{site.port} did not finish .* 1 s"):
        await fetch(site, "/drip", read_timeout=0.5, total_timeout=1)
    assert time.monotonic() - started < 2


async def test_an_inbox_dripping_its_answer_is_given_up_at_the_deadline(site: Site) -> None:
    site.route("/inbox", drip, method="POST")
    runner = await start(site)
    started = time.monotonic()
    try:
        async with FederationClient(
            settings(read_timeout=0.5, total_timeout=1), lambda: datetime.now(UTC)
        ) as client:
            with pytest.raises(FetchError, match="did not finish answering within 1 s"):
                await client.deliver(f"{site.base}/inbox", b"{}", signer())
    finally:
        await runner.cleanup()
    assert time.monotonic() - started < 2


async def test_fetches_do_not_wait_behind_stuck_deliveries(site: Site) -> None:
    other = Site()
    held, answer = asyncio.Event(), asyncio.Event()

    def posts() -> int:
        return sum(r.method == "POST" for r in site.requests)

    async def hold(request: web.Request) -> web.Response:
        if posts() == 2:
            held.set()
        await answer.wait()
        return web.Response(status=202)

    site.route("/inbox", hold, method="POST")
    site.route("/actor", doc_handler(lambda r: {"id": f"{site.base}/actor"}))
    other.route("/actor", doc_handler(lambda r: {"id": f"{other.base}/actor"}))
    runners = [await start(site), await start(other)]
    limits = settings(delivery_connections=2, delivery_connections_per_host=2, total_timeout=4)
    try:
        async with FederationClient(limits, lambda: datetime.now(UTC)) as client:
            inbox = f"{site.base}/inbox"
            deliveries = [
                asyncio.create_task(client.deliver(inbox, b"{}", signer())) for _ in range(3)
            ]
            await asyncio.wait_for(held.wait(), 2)
            # Every delivery connection is held: the fetches, to that host and another, go on.
            async with asyncio.timeout(1):
                await client.get_json(f"{other.base}/actor", signer())
                await client.get_json(f"{site.base}/actor", signer())
            assert posts() == 2
            answer.set()
            assert [d.status for d in await asyncio.gather(*deliveries)] == [202] * 3
    finally:
        answer.set()
        for runner in runners:
            await runner.cleanup()


async def test_non_json_and_errors_are_refused_with_a_reason(site: Site) -> None:
    async def text(request: web.Request) -> web.Response:
        return web.Response(text="<html>")

    async def gone(request: web.Request) -> web.Response:
        return web.Response(status=410)

    site.route("/text", text)
    site.route("/gone", gone)
    with pytest.raises(FetchError, match="did not return JSON"):
        await fetch(site, "/text")
    with pytest.raises(FetchError, match="answered 410"):
        await fetch(site, "/gone")


async def test_double_knock_retries_with_the_other_spec_and_remembers(site: Site) -> None:
    async def only_rfc9421(request: web.Request) -> web.Response:
        return web.Response(status=202 if "Signature-Input" in request.headers else 401)

    site.route("/inbox", only_rfc9421, method="POST")
    runner = await start(site)
    try:
        async with FederationClient(settings(), lambda: datetime.now(UTC)) as client:
            assert client.spec_for(site.base) == Spec.CAVAGE
            assert await client.post(f"{site.base}/inbox", b"{}", signer()) == 202
            assert client.spec_for(site.base) == Spec.RFC9421
            assert await client.post(f"{site.base}/inbox", b"{}", signer()) == 202
    finally:
        await runner.cleanup()
    kinds = ["rfc9421" if "Signature-Input" in r.headers else "cavage" for r in site.requests]
    # First: cavage refused, RFC 9421 accepted; then RFC 9421 straight away.
    assert kinds == ["cavage", "rfc9421", "rfc9421"]


async def test_a_401_to_both_specs_is_returned_as_it_is(site: Site) -> None:
    async def never(request: web.Request) -> web.Response:
        return web.Response(status=401)

    site.route("/inbox", never, method="POST")
    runner = await start(site)
    try:
        async with FederationClient(settings(), lambda: datetime.now(UTC)) as client:
            assert await client.post(f"{site.base}/inbox", json.dumps({}).encode(), signer()) == 401
    finally:
        await runner.cleanup()
    assert len(site.requests) == 2


def test_an_object_must_live_on_its_actors_host() -> None:
    check_object_host("https://a.example/notes/1", "https://a.example/users/x")
    with pytest.raises(FetchError, match="not on the host of its actor"):
        check_object_host("https://evil.example/notes/1", "https://a.example/users/x")
