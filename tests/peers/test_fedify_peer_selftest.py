"""The Fedify test peer works on its own: two peers look each other up, deliver signed
activities, refuse forged ones, and auto-accept follows; no Cove involved."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import ClientSession, web

from tests.conftest import free_port
from tests.peers.fedify_peer import (
    DRAFT_CAVAGE,
    RFC9421,
    FedifyPeer,
    install_peer,
    start_fedify_peer,
)

# Two peers serve the whole module (starting one takes about half a second); each test
# resets them.
pytestmark = pytest.mark.asyncio(loop_scope="module")

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture(scope="module", autouse=True)
def fedify_installed() -> None:
    installed = install_peer()
    if installed.node is None:
        pytest.skip(f"the Fedify peer is unavailable: {installed.reason}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def running_peers() -> AsyncIterator[tuple[FedifyPeer, FedifyPeer]]:
    async with start_fedify_peer() as a, start_fedify_peer() as b:
        yield a, b


@pytest_asyncio.fixture(loop_scope="module")
async def two_peers(
    running_peers: tuple[FedifyPeer, FedifyPeer],
) -> tuple[FedifyPeer, FedifyPeer]:
    """The module's two peers, with what they saw and cached forgotten."""
    a, b = running_peers
    for peer in running_peers:
        await peer.reset()
        await peer.set_authorized_fetch(False)
    return a, b


def create_note(author: FedifyPeer, recipient: FedifyPeer, content: str) -> dict[str, Any]:
    note_id = f"{author.base}/notes/{uuid.uuid4()}"
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note_id}/activity",
        "type": "Create",
        "actor": author.actor_id,
        "to": [recipient.actor_id],
        "cc": [PUBLIC],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": author.actor_id,
            "to": [recipient.actor_id],
            "cc": [PUBLIC],
            "content": content,
        },
    }


def accepted_contents(received: dict[str, Any]) -> list[str]:
    return [
        item["object"]["content"]
        for item in received["accepted"]
        if item.get("type") == "Create" and isinstance(item.get("object"), dict)
    ]


async def wait_for(condition: Any, peer: FedifyPeer, seconds: float = 10) -> dict[str, Any]:
    async with asyncio.timeout(seconds):
        while True:
            received = await peer.received()
            if condition(received):
                return received
            await asyncio.sleep(0.1)


async def test_signed_lookup_of_another_peer_returns_its_person(
    two_peers: tuple[FedifyPeer, FedifyPeer],
) -> None:
    a, b = two_peers
    await b.set_authorized_fetch(True)

    status, document = await a.lookup(b.actor_id)

    assert status == 200
    assert document is not None
    assert document["type"] == "Person"
    assert document["id"] == b.actor_id
    assert document["publicKey"]["id"] == b.key_id
    seen = [r for r in (await b.received())["requests"] if r["path"] == "/users/alice"]
    assert seen[-1]["status"] == 200
    assert seen[-1]["key_id"] == a.key_id
    async with ClientSession() as http:
        headers = {"Accept": "application/activity+json"}
        async with http.get(b.actor_id, headers=headers) as unsigned:
            assert unsigned.status == 401


async def test_fedify_delivery_is_accepted_by_another_peer(
    two_peers: tuple[FedifyPeer, FedifyPeer],
) -> None:
    a, b = two_peers

    report = await a.deliver_report(b.inbox, create_note(a, b, "hello over loopback"))

    assert report["status"] == 202
    assert report["spec"] == RFC9421
    assert report["proofs"] is True
    received = await b.received()
    assert accepted_contents(received) == ["hello over loopback"]
    assert received["inbox_posts"][-1]["proof"] is True
    assert received["rejected"] == []


@pytest.mark.parametrize("spec", [RFC9421, DRAFT_CAVAGE])
async def test_delivery_signed_with_one_spec_only_is_verified(
    two_peers: tuple[FedifyPeer, FedifyPeer], spec: str
) -> None:
    a, b = two_peers

    status, used = await a.deliver(b.inbox, create_note(a, b, f"signed with {spec}"), spec=spec)

    assert (status, used) == (202, spec)
    received = await b.received()
    assert accepted_contents(received) == [f"signed with {spec}"]
    post = received["inbox_posts"][-1]
    # No proof in the body: the HTTP signature is all that Fedify could verify.
    assert (post["spec"], post["proof"], post["ld_signature"]) == (spec, False, False)


@pytest.mark.parametrize("spec", [RFC9421, DRAFT_CAVAGE])
@pytest.mark.parametrize("how", ["wrong-key", "tampered-body", "unsigned"])
async def test_forged_delivery_is_rejected_and_recorded(
    two_peers: tuple[FedifyPeer, FedifyPeer], how: str, spec: str
) -> None:
    a, b = two_peers

    status = await a.deliver_forged(b.inbox, create_note(a, b, "forged"), how, spec=spec)

    assert status == 401
    received = await b.received()
    assert received["accepted"] == []
    [rejected] = received["rejected"]
    assert rejected["status"] == 401
    expected = "noSignature" if how == "unsigned" else "invalidSignature"
    assert rejected["reason"]["type"] == expected


async def test_activity_signed_by_someone_else_than_its_actor_is_rejected(
    two_peers: tuple[FedifyPeer, FedifyPeer],
) -> None:
    a, b = two_peers
    impersonation = create_note(a, b, "not really from b")
    impersonation["actor"] = b.actor_id

    status = await a.deliver_forged(b.inbox, impersonation, "actor-mismatch")

    assert status == 401
    [rejected] = (await b.received())["rejected"]
    assert "do not match" in rejected["reason"]["detail"]


async def test_follow_is_accepted_automatically(
    two_peers: tuple[FedifyPeer, FedifyPeer],
) -> None:
    a, b = two_peers
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{a.base}/follows/{uuid.uuid4()}",
        "type": "Follow",
        "actor": a.actor_id,
        "object": b.actor_id,
    }

    status, _ = await a.deliver(b.inbox, follow)

    assert status == 202
    received = await wait_for(
        lambda r: any(item.get("type") == "Accept" for item in r["accepted"]), a
    )
    [accept] = [item for item in received["accepted"] if item["type"] == "Accept"]
    assert accept["actor"] == b.actor_id
    assert accept["object"]["id"] == follow["id"]
    assert (await b.received())["followers"] == [a.actor_id]


@pytest_asyncio.fixture(loop_scope="module")
async def cavage_only_inbox() -> AsyncIterator[tuple[str, list[str]]]:
    """An inbox that turns RFC 9421 away, as older servers do, and takes draft-cavage."""
    seen: list[str] = []

    async def inbox(request: web.Request) -> web.Response:
        spec = RFC9421 if "Signature-Input" in request.headers else DRAFT_CAVAGE
        seen.append(spec)
        return web.Response(status=401 if spec == RFC9421 else 202)

    app = web.Application()
    app.router.add_post("/inbox", inbox)
    port = free_port()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    try:
        yield f"http://127.0.0.1:{port}/inbox", seen
    finally:
        await runner.cleanup()


async def test_fedify_falls_back_to_draft_cavage_and_remembers_it(
    cavage_only_inbox: tuple[str, list[str]],
) -> None:
    inbox, seen = cavage_only_inbox
    async with start_fedify_peer() as a:
        note = create_note(a, a, "for an old server")
        first = await a.deliver_report(inbox, note)
        second = await a.deliver_report(inbox, {**note, "id": f"{note['id']}-2"})

    assert [(t["spec"], t["status"]) for t in first["attempts"]] == [
        (RFC9421, 401),
        (DRAFT_CAVAGE, 202),
    ]
    assert (first["status"], first["spec"]) == (202, DRAFT_CAVAGE)
    assert (second["status"], second["spec"]) == (202, DRAFT_CAVAGE)
    assert seen == [RFC9421, DRAFT_CAVAGE, DRAFT_CAVAGE]
