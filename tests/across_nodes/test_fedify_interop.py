"""Cove against a real, independent ActivityPub server (built on Fedify) on loopback: signed
fetches and deliveries both ways, in both signature specs, and forgeries refused."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from federation.httpsig.message import Spec
from node.actors.signers import local_signer
from node.config import Config
from node.groups import groups
from node.groups.groups import NewGroup
from node.store.states import Direction
from node.store.tables import Activity
from tests.conftest import ServedNode, client_for, make_config
from tests.peers.fedify_peer import (
    DRAFT_CAVAGE,
    RFC9421,
    FedifyPeer,
    start_fedify_peer,
)

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


pytestmark = pytest.mark.usefixtures("fedify_available")


@pytest.fixture
async def fedify() -> AsyncIterator[FedifyPeer]:
    async with start_fedify_peer() as peer:
        yield peer


@pytest.fixture
def config(tmp_path: Path, database_url: str, port: int) -> Config:
    # Secure mode on: a collection read by the peer proves Cove verified its signed GET.
    return make_config(tmp_path, database_url, port, federation={"authorized_fetch": True})


async def inbound(served: ServedNode) -> list[Activity]:
    async with served.node.store.session() as session:
        rows = await session.exec(select(Activity).where(Activity.direction == Direction.INBOUND))
        return list(rows.all())


def follow(fedify: FedifyPeer, group: str, n: int) -> dict[str, object]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{fedify.base}/follows/{n}",
        "type": "Follow",
        "actor": fedify.actor_id,
        "object": group,
    }


async def test_fedify_reads_a_cove_group_and_its_outbox_with_signed_gets(
    served: ServedNode, fedify: FedifyPeer
) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief support"))
    status, actor = await fedify.lookup(served.urls.group("grief"))
    assert status == 200 and actor is not None
    assert actor["type"] == "Group" and actor["id"] == served.urls.group("grief")
    # The outbox needs a valid signature here: Fedify's signed GET must pass Cove's check.
    report = await fedify.lookup_report(served.urls.group("grief") + "/outbox")
    assert report["status"] == 200, report
    assert report["document"]["type"] == "OrderedCollection"


@pytest.mark.parametrize("spec", [RFC9421, DRAFT_CAVAGE, None])
async def test_cove_accepts_a_delivery_fedify_signs(
    served: ServedNode, fedify: FedifyPeer, spec: str | None
) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    activity = follow(fedify, served.urls.group("grief"), 1)
    status, used = await fedify.deliver(served.urls.group("grief") + "/inbox", activity, spec)
    assert status == 202, used
    if spec is not None:
        assert used == spec
    rows = await inbound(served)
    assert [(r.uri, r.type, r.actor_uri) for r in rows] == [
        (activity["id"], "Follow", fedify.actor_id)
    ]


@pytest.mark.parametrize("how", ["wrong-key", "tampered-body", "unsigned", "actor-mismatch"])
@pytest.mark.parametrize("spec", [RFC9421, DRAFT_CAVAGE])
async def test_cove_refuses_a_forged_delivery(
    served: ServedNode, fedify: FedifyPeer, how: str, spec: str
) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    activity = follow(fedify, served.urls.group("grief"), 2)
    if how == "actor-mismatch":
        # alice signs an activity that claims to be bob's, which bob's server never served.
        activity["actor"] = f"{fedify.base}/users/bob"
    status = await fedify.deliver_forged(served.urls.group("grief") + "/inbox", activity, how, spec)
    assert status == 401
    assert await inbound(served) == []


@pytest.mark.parametrize("spec", [Spec.RFC9421, Spec.CAVAGE])
async def test_fedify_accepts_a_delivery_cove_signs(
    served: ServedNode, fedify: FedifyPeer, spec: Spec
) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    group = served.urls.group("grief")
    note = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{served.base}/activities/create-{spec.value}",
        "type": "Create",
        "actor": group,
        "to": [fedify.actor_id],
        "object": {
            "id": f"{served.base}/posts/{spec.value}",
            "type": "Note",
            "attributedTo": group,
            "to": [fedify.actor_id],
            "content": "<p>Welcome to the group.</p>",
        },
    }
    signer = await local_signer(served.node, group)
    async with client_for(served.node) as client:
        client.prefer(fedify.inbox, spec)
        status = await client.post(fedify.inbox, json.dumps(note).encode(), signer)
        remembered = client.spec_for(fedify.inbox)
    assert status == 202
    assert remembered == spec  # accepted at the first knock, in the spec asked for
    received = await fedify.received()
    posts = [p for p in received["inbox_posts"] if p["outcome"] == "accepted"]
    assert [p["spec"] for p in posts] == [spec.value if spec == Spec.RFC9421 else DRAFT_CAVAGE]
    assert [a["id"] for a in received["accepted"]] == [note["id"]]
