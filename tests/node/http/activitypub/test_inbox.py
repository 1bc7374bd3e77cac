"""Inboxes over real HTTP between Cove nodes: signed activities are accepted once; unsigned,
tampered, replayed, forged and foreign-signed ones get a 401 with a reason and are not kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from aiohttp import ClientSession
from sqlmodel import select

from federation.client import Signer
from federation.httpsig import cavage
from federation.httpsig.message import Headers, HttpMessage, Spec
from federation.keys import generate_rsa_keypair, load_private_key
from node.actors.signers import local_signer
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts
from node.runtime import Node
from node.store.states import ActivityState, Direction, KeyState
from node.store.tables import Activity, LocalActor, SigningKey
from tests.conftest import PeerFactory, ServedNode, client_for, serving

AP = "application/activity+json"


def follow(sender: ServedNode, actor: str, group_url: str, n: int = 1) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{sender.base}/activities/follow-{n}",
        "type": "Follow",
        "actor": actor,
        "object": group_url,
    }


async def stored(served: ServedNode) -> list[Activity]:
    async with served.node.store.session() as session:
        rows = await session.exec(select(Activity).where(Activity.direction == Direction.INBOUND))
        return list(rows.all())


async def post_as(
    sender: ServedNode, actor: str, inbox: str, activity: dict[str, Any], spec: Spec | None = None
) -> int:
    signer = await local_signer(sender.node, actor)
    async with client_for(sender.node) as client:
        if spec is not None:
            client.prefer(inbox, spec)
        return await client.post(inbox, json.dumps(activity).encode(), signer)


@pytest.fixture
async def served(node: Node) -> AsyncIterator[ServedNode]:
    """The node under test without its workers: what the inbox stored stays as it arrived."""
    async with serving(node, workers=False) as served_node:
        yield served_node


@pytest.fixture
async def pair(served: ServedNode, peer_node: PeerFactory) -> tuple[ServedNode, ServedNode, str]:
    """A (the node under test, with a group) and B (a peer with a member, ben)."""
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    peer = await peer_node()
    await accounts.create_account(peer.node, "ben")
    return served, peer, peer.urls.person("ben")


@pytest.mark.parametrize("spec", [Spec.CAVAGE, Spec.RFC9421])
async def test_a_signed_activity_is_accepted_once(
    pair: tuple[ServedNode, ServedNode, str], spec: Spec
) -> None:
    a, b, ben = pair
    inbox = a.urls.group("grief") + "/inbox"
    activity = follow(b, ben, a.urls.group("grief"))
    assert await post_as(b, ben, inbox, activity, spec) == 202
    # A redelivery is acknowledged and not stored again.
    assert await post_as(b, ben, inbox, activity, spec) == 202
    rows = await stored(a)
    assert len(rows) == 1
    row = rows[0]
    assert (row.uri, row.type, row.actor_uri) == (activity["id"], "Follow", ben)
    assert row.state == ActivityState.RECEIVED and row.document == activity
    async with a.node.store.session() as session:
        group_actor = (
            await session.exec(select(LocalActor).where(LocalActor.username == "grief"))
        ).one()
    assert row.local_actor_id == group_actor.id


async def test_the_shared_inbox_accepts_too(pair: tuple[ServedNode, ServedNode, str]) -> None:
    a, b, ben = pair
    assert await post_as(b, ben, f"{a.base}/inbox", follow(b, ben, a.urls.group("grief"))) == 202
    assert (await stored(a))[0].local_actor_id is None


async def raw_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    async with ClientSession() as session, session.post(url, data=body, headers=headers) as r:
        return r.status, (await r.json(content_type=None)).get(
            "error", ""
        ) if r.status >= 400 else ""


async def test_an_unsigned_activity_is_refused(pair: tuple[ServedNode, ServedNode, str]) -> None:
    a, b, ben = pair
    body = json.dumps(follow(b, ben, a.urls.group("grief"))).encode()
    status, reason = await raw_post(a.urls.group("grief") + "/inbox", body, {"Content-Type": AP})
    assert (status, reason) == (401, "the request is not signed")
    assert await stored(a) == []


async def signed_message(
    b: ServedNode,
    actor: str,
    url: str,
    activity: dict[str, Any],
    when_offset: timedelta = timedelta(0),
) -> HttpMessage:
    signer = await local_signer(b.node, actor)
    message = HttpMessage(
        "POST",
        url,
        Headers([("Host", url.split("/")[2]), ("Content-Type", AP)]),
        json.dumps(activity).encode(),
    )
    assert not isinstance(signer.private_key, type(None))
    cavage.sign(message, signer.key_id, signer.private_key, b.node.clock() + when_offset)  # type: ignore[arg-type]
    return message


async def test_a_tampered_body_is_refused(pair: tuple[ServedNode, ServedNode, str]) -> None:
    a, b, ben = pair
    url = a.urls.group("grief") + "/inbox"
    message = await signed_message(b, ben, url, follow(b, ben, a.urls.group("grief")))
    tampered = message.body.replace(b"follow-1", b"follow-2")
    status, reason = await raw_post(url, tampered, message.headers.as_dict())
    assert status == 401 and "Digest does not match" in reason
    assert await stored(a) == []


async def test_a_replay_from_two_hours_ago_is_refused(
    pair: tuple[ServedNode, ServedNode, str],
) -> None:
    a, b, ben = pair
    url = a.urls.group("grief") + "/inbox"
    message = await signed_message(
        b, ben, url, follow(b, ben, a.urls.group("grief")), -timedelta(hours=2)
    )
    status, reason = await raw_post(url, message.body, message.headers.as_dict())
    assert status == 401 and "more than an hour old" in reason
    assert await stored(a) == []


async def test_a_signature_with_a_key_the_actor_does_not_publish_is_refused(
    pair: tuple[ServedNode, ServedNode, str],
) -> None:
    a, b, ben = pair
    url = a.urls.group("grief") + "/inbox"
    forged = load_private_key(generate_rsa_keypair().private_pem)
    signer = Signer(key_id=f"{ben}#main-key", private_key=forged)
    async with client_for(b.node) as client:
        status = await client.post(
            url, json.dumps(follow(b, ben, a.urls.group("grief"))).encode(), signer
        )
    assert status == 401
    assert await stored(a) == []


async def test_an_activity_signed_by_someone_else_is_refused(
    pair: tuple[ServedNode, ServedNode, str],
) -> None:
    a, b, ben = pair
    await accounts.create_account(b.node, "carl")
    activity = follow(b, b.urls.person("carl"), a.urls.group("grief"))
    # ben signs carl's Follow; B does not serve the activity at its id, so it cannot be checked.
    status = await post_as(b, ben, a.urls.group("grief") + "/inbox", activity)
    assert status == 401
    assert await stored(a) == []


async def test_a_key_rotation_is_picked_up_by_refetching_once(
    pair: tuple[ServedNode, ServedNode, str],
) -> None:
    a, b, ben = pair
    inbox = a.urls.group("grief") + "/inbox"
    assert await post_as(b, ben, inbox, follow(b, ben, a.urls.group("grief"), 1)) == 202
    # ben's server rotates the key; A still has the old one cached.
    fresh = generate_rsa_keypair()
    async with b.node.store.transaction() as session:
        actor = (await session.exec(select(LocalActor).where(LocalActor.username == "ben"))).one()
        old = (
            await session.exec(
                select(SigningKey).where(
                    SigningKey.actor_id == actor.id, SigningKey.algorithm == "rsa-2048"
                )
            )
        ).one()
        old.state = KeyState.RETIRED
        session.add(
            SigningKey(
                actor_id=actor.id,
                state=KeyState.ACTIVE,
                algorithm="rsa-2048",
                public_key_pem=fresh.public_pem,
                private_key_pem=fresh.private_pem,
                created_at=b.node.clock(),
            )
        )
    assert await post_as(b, ben, inbox, follow(b, ben, a.urls.group("grief"), 2)) == 202
    assert len(await stored(a)) == 2


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (b'{"type": "Follow"}', "Follow has no id"),
        (b'{"id": "https://x.example/1", "actor": "https://x.example/u"}', "has no type"),
        (b'{"id": "https://x.example/1", "type": "Follow", "actor": 5}', "actor must be a URL"),
        (
            b'{"id": "https://x.example/1", "type": "Follow", "actor": "https://x.example/u"}',
            "Follow has no object",
        ),
        (
            b'{"id": "https://x.example/1", "type": "Follow", "actor": "https://y.example/u", '
            b'"object": "https://x.example/g"}',
            "not on its actor's server",
        ),
        (
            b'{"id": "https://x.example/1", "type": "Note", "attributedTo": "https://x.example/u"}',
            "an inbox takes activities, not a Note",
        ),
        (b"[" * 100 + b"]" * 100, "the body must be a JSON object"),
        (b'{"id": "https://x.example/1", "a": ' + b"[" * 100 + b"]" * 100 + b"}", "nests deeper"),
        (
            b'{"id": "https://x.example/1", "type": "Create", "actor": "https://x.example/u", '
            b'"object": {"id": "https://y.example/note/1", "type": "Note"}}',
            "not on the server of the actor creating it",
        ),
    ],
)
async def test_malformed_activities_are_400_before_any_key_fetch(
    served: ServedNode, body: bytes, reason: str
) -> None:
    # The keyId points nowhere: had the node fetched it, the answer would be a 401.
    headers = {"Content-Type": AP, "Signature": 'keyId="https://x.example/u#k",signature="AAAA"'}
    status, text = await raw_post(f"{served.base}/inbox", body, headers)
    assert status == 400 and reason in text
    assert await stored(served) == []


async def test_a_body_over_one_megabyte_is_413(served: ServedNode) -> None:
    status, _ = await raw_post(
        f"{served.base}/inbox", b"{" + b" " * (1024 * 1024 + 10) + b"}", {"Content-Type": AP}
    )
    assert status == 413


async def test_an_unreachable_key_is_401_with_the_reason(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    peer = await peer_node()
    gone = "http://127.0.0.1:9/u/ghost"  # port 9 (discard) does not answer HTTP here
    activity = {
        "id": "http://127.0.0.1:9/a/1",
        "type": "Follow",
        "actor": gone,
        "object": served.base,
    }
    signer = Signer(
        key_id=f"{gone}#main-key", private_key=load_private_key(generate_rsa_keypair().private_pem)
    )
    async with client_for(peer.node) as client:
        status = await client.post(f"{served.base}/inbox", json.dumps(activity).encode(), signer)
    assert status == 401
    assert await stored(served) == []


async def test_a_standalone_key_document_is_followed_to_its_owner(served: ServedNode) -> None:
    """GoToSocial-style keys live at their own URL and name their owner, who lists them."""
    from aiohttp import web

    from tests.conftest import free_port

    keys = generate_rsa_keypair()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    actor, key_id = f"{base}/users/gts", f"{base}/users/gts/main-key"
    fetched: list[str] = []

    async def actor_doc(request: web.Request) -> web.Response:
        fetched.append(request.path)
        return web.json_response(
            {
                "id": actor,
                "type": "Person",
                "preferredUsername": "gts",
                "inbox": f"{actor}/inbox",
                "publicKey": {"id": key_id, "owner": actor, "publicKeyPem": keys.public_pem},
            },
            content_type=AP,
        )

    async def key_doc(request: web.Request) -> web.Response:
        fetched.append(request.path)
        return web.json_response(
            {
                "id": key_id,
                "type": "CryptographicKey",
                "owner": actor,
                "publicKeyPem": keys.public_pem,
            },
            content_type=AP,
        )

    app = web.Application()
    app.router.add_get("/users/gts", actor_doc)
    app.router.add_get("/users/gts/main-key", key_doc)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        activity = {
            "id": f"{base}/activities/1",
            "type": "Follow",
            "actor": actor,
            "object": served.base,
        }
        async with client_for(served.node) as client:
            status = await client.post(
                f"{served.base}/inbox",
                json.dumps(activity).encode(),
                Signer(key_id, load_private_key(keys.private_pem)),
            )
    finally:
        await runner.cleanup()
    assert status == 202
    assert fetched == ["/users/gts/main-key", "/users/gts"]
    assert [row.actor_uri for row in await stored(served)] == [actor]
