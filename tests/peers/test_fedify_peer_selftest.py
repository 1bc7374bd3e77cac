"""The Fedify test peer works on its own: two peers look each other up, deliver signed
activities, refuse forged ones, auto-accept follows, post Mastodon-shaped statuses, and say
in NodeInfo what software they pose as; no Cove involved."""

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
    DEFAULT_SOFTWARE,
    DRAFT_CAVAGE,
    RFC9421,
    FedifyPeer,
    Mention,
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
        await peer.set_software(DEFAULT_SOFTWARE)
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


async def nodeinfo_software(peer: FedifyPeer) -> str | None:
    """The software name the peer's NodeInfo gives, found as servers find it; None on 404."""
    async with ClientSession() as http:
        async with http.get(f"{peer.base}/.well-known/nodeinfo") as response:
            if response.status == 404:
                return None
            links = (await response.json(content_type=None))["links"]
        [href] = [link["href"] for link in links if "ns/schema/2.1" in link["rel"]]
        async with http.get(href) as response:
            assert response.status == 200
            return str((await response.json(content_type=None))["software"]["name"])


async def test_nodeinfo_names_the_software_the_peer_poses_as(
    two_peers: tuple[FedifyPeer, FedifyPeer],
) -> None:
    a, _ = two_peers
    assert await nodeinfo_software(a) == "mastodon"

    await a.set_software("lemmy")
    assert await nodeinfo_software(a) == "lemmy"

    await a.set_software(None)
    assert await nodeinfo_software(a) is None
    async with ClientSession() as http, http.get(f"{a.base}/nodeinfo/2.1") as response:
        assert response.status == 404


@pytest.mark.parametrize("spec", [None, DRAFT_CAVAGE])
async def test_a_status_arrives_in_mastodon_shape_and_is_served_at_its_id(
    two_peers: tuple[FedifyPeer, FedifyPeer], spec: str | None
) -> None:
    a, b = two_peers
    bob = Mention(href=b.actor_id, name="@alice@b.example")

    report = await a.post_status(b.inbox, "hello <b>", mentions=(bob,), spec=spec)

    assert report["status"] == 202
    note = report["note"]
    assert note["id"].startswith(f"{a.actor_id}/statuses/")
    assert report["activity_id"] == f"{note['id']}/activity"
    assert (note["to"], note["cc"]) == ([PUBLIC], [f"{a.actor_id}/followers", b.actor_id])
    assert note["tag"] == [{"type": "Mention", "href": b.actor_id, "name": "@alice@b.example"}]
    assert note["content"] == (
        f'<p><span class="h-card" translate="no"><a href="{b.actor_id}" class="u-url mention">'
        "@<span>alice</span></a></span> hello &#60;b&#62;</p>"
    )
    [create] = (await b.received())["accepted"]
    assert create["type"] == "Create"
    assert create["object"]["id"] == note["id"]
    status, served = await b.lookup(note["id"])
    assert status == 200 and served is not None
    assert (served["type"], served["content"]) == ("Note", note["content"])


async def test_a_direct_status_is_addressed_to_the_mentioned_only(
    two_peers: tuple[FedifyPeer, FedifyPeer],
) -> None:
    a, b = two_peers
    bob = Mention(href=b.actor_id, name="@alice@b.example")

    report = await a.post_status(b.inbox, "just you", visibility="direct", mentions=(bob,))

    assert report["status"] == 202
    assert (report["note"]["to"], report["note"]["cc"]) == ([b.actor_id], [])
