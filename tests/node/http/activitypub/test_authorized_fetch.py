"""With `federation.authorized_fetch`, content GETs need a valid signature; actor documents,
their keys and the instance actor stay readable unsigned (or no one could verify anything)."""

from __future__ import annotations

from pathlib import Path

import pytest

from node.config import Config
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts
from tests.conftest import PeerFactory, ServedNode, make_config, signed_get

AP = {"Accept": "application/activity+json"}


@pytest.fixture
def config(tmp_path: Path, database_url: str, port: int) -> Config:
    return make_config(tmp_path, database_url, port, federation={"authorized_fetch": True})


async def test_content_needs_a_signature_and_actors_do_not(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    await accounts.create_account(served.node, "sam")
    group, person = served.urls.group("grief"), served.urls.person("sam")
    content = [
        f"{group}/outbox",
        f"{group}/followers",
        f"{group}/moderators",
        f"{group}/featured",
        f"{person}/outbox",
        f"{person}/following",
        served.urls.instance_outbox(),
    ]
    for url in content:
        async with served.client.get(url, headers=AP) as r:
            assert r.status == 401, url
            assert r.headers["Vary"] == "Accept, Signature"
    for url in (
        group,
        person,
        served.urls.instance_actor(),
        f"{served.base}/.well-known/webfinger?resource=acct:grief@{served.urls.domain}",
    ):
        async with served.client.get(url, headers=AP) as r:
            assert r.status == 200, url
    peer = await peer_node()
    for url in content:
        document = await signed_get(peer.node, url)
        assert document["type"] == "OrderedCollection", url


async def test_a_bad_signature_on_a_fetch_is_401(served: ServedNode) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    headers = {
        **AP,
        "Signature": 'keyId="http://127.0.0.1:9/k",headers="host date",signature="AA=="',
    }
    async with served.client.get(served.urls.group("grief") + "/outbox", headers=headers) as r:
        assert r.status == 401
        assert (
            "must cover" in (await r.json())["error"] or "cannot fetch" in (await r.json())["error"]
        )
