"""A node seen the way another server sees it: from a handle, through WebFinger, to the actor
and every collection it links, with nothing but HTTP and the documents' own links."""

from __future__ import annotations

from typing import Any

from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts
from tests.conftest import ServedNode

ACCEPT = {"Accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'}


async def get_json(served: ServedNode, url: str, **kw: Any) -> Any:
    async with served.client.get(url, headers=ACCEPT, **kw) as r:
        assert r.status == 200, (url, r.status, await r.text())
        return await r.json(content_type=None)


async def test_a_remote_server_finds_a_group_from_its_handle_and_reads_it(
    served: ServedNode,
) -> None:
    await accounts.create_account(served.node, "lead")
    await groups.create_group(
        served.node, NewGroup(name="runners", title="Runners who talk", owner="lead")
    )
    handle_host = served.urls.domain

    # 1. WebFinger, as Mastodon does for @runners@host.
    jrd = await get_json(
        served,
        f"http://{handle_host}/.well-known/webfinger",
        params={"resource": f"acct:runners@{handle_host}"},
    )
    actor_url = next(link["href"] for link in jrd["links"] if link["rel"] == "self")

    # 2. The actor, and the round trip Mastodon checks: preferredUsername@host resolves back.
    actor = await get_json(served, actor_url)
    assert actor["id"] == actor_url and actor["type"] == "Group"
    back = await get_json(
        served,
        f"http://{handle_host}/.well-known/webfinger",
        params={"resource": f"acct:{actor['preferredUsername']}@{handle_host}"},
    )
    assert next(link["href"] for link in back["links"] if link["rel"] == "self") == actor_url

    # 3. Every collection the actor links answers with a collection whose id is its URL.
    for key in ("outbox", "followers", "featured", "attributedTo"):
        collection = await get_json(served, actor[key])
        assert collection["id"] == actor[key], key
        assert collection["type"] == "OrderedCollection", key
        assert isinstance(collection["totalItems"], int), key
        if "first" in collection:
            page = await get_json(served, collection["first"])
            assert page["type"] == "OrderedCollectionPage" and page["partOf"] == actor[key]

    # 4. The moderators collection names the owner, whose actor is also fetchable.
    moderators = await get_json(served, actor["attributedTo"])
    owner = await get_json(served, moderators["orderedItems"][0])
    assert owner["type"] == "Person" and owner["preferredUsername"] == "lead"

    # 5. The key is found from the keyId the way a signature verifier would (issue 3 signs).
    key_id = actor["publicKey"]["id"]
    key_doc = await get_json(served, key_id.split("#")[0])
    assert key_doc["publicKey"]["id"] == key_id

    # 6. The shared inbox is on this node, and the instance actor is reachable from NodeInfo.
    links = (await get_json(served, f"http://{handle_host}/.well-known/nodeinfo"))["links"]
    app_url = next(link["href"] for link in links if link["rel"].endswith("#Application"))
    app = await get_json(served, app_url)
    assert app["type"] == "Application"
    assert app["endpoints"]["sharedInbox"] == actor["endpoints"]["sharedInbox"]
