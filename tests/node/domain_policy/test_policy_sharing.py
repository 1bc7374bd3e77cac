"""Node-to-node sharing of domain policy over signed ActivityPub, between two Cove nodes on
loopback: B subscribes to A's instance actor, reads A's published collection, then takes A's
signed Add and Remove of entries through the same trust and merge pipeline; obfuscated
entries travel as digests only and still match; an Add from anyone else changes nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from sqlmodel import select

from moderation.blocklists import BlockEntry
from moderation.domains import Severity, digest
from node.actors.signers import local_signer
from node.domain_policy import blocks, publishing, sharing, sources
from node.domain_policy.why import explain
from node.moderators.roles import Acting
from node.store.states import Direction, SourceKind
from node.store.tables import Activity, PolicyFollower
from tests.conftest import (
    PeerFactory,
    ServedNode,
    client_for,
    cove_in_process,
    eventually,
    signed_get,
)
from tests.node.cli.test_cli import as_json, ok


async def test_one_node_follows_anothers_domain_policy_and_its_changes(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    a = served
    by_a = Acting.operator(a.node)
    await blocks.set_block(a.node, by_a, BlockEntry("evil.example", Severity.SUSPEND))
    await blocks.set_block(
        a.node, by_a, BlockEntry("hidden.example", Severity.SUSPEND, obfuscate=True)
    )
    # A's collection names the one, and only the digest of the other.
    collection = await signed_get(a.node, a.urls.domain_policy())
    page = await signed_get(a.node, str(collection["first"]))
    shared = {i.get("domain", "-"): i["domainDigest"] for i in page["orderedItems"]}  # type: ignore[union-attr]
    assert shared == {"evil.example": digest("evil.example"), "-": digest("hidden.example")}

    b = await peer_node(address="127.0.0.3")
    by_b = Acting.operator(b.node)
    source = await sources.add_source(
        b.node,
        by_b,
        a.urls.instance_actor(),
        kind=SourceKind.ACTOR,
        max_severity=Severity.SILENCE,
        drafts=False,
    )
    async with client_for(b.node) as client:
        synced = await sharing.follow_source(b.node, client, source.id)
    assert synced.status == "updated" and synced.source.entries == 2
    here = {x.domain: x for x in await blocks.list_blocks(b.node)}
    assert here["evil.example"].severity == Severity.SILENCE  # B trusts A up to silence
    assert here[digest("hidden.example")].by_digest  # never the name
    hidden = await b.node.policy.decide("www.hidden.example", b.node.clock())
    assert hidden.silenced

    async def followed() -> bool:
        from sqlmodel import select

        from node.store.tables import PolicyFollower

        async with a.node.store.session() as session:
            return bool((await session.exec(select(PolicyFollower))).all())

    await eventually(followed)
    shared_by_a = await publishing.shared_policy(a.node)
    assert shared_by_a.shared and shared_by_a.entries == 2
    assert [f.actor_uri for f in shared_by_a.followers] == [b.urls.instance_actor()]
    # A's changes reach B signed, one Add or Remove each.
    await blocks.set_block(
        a.node, by_a, BlockEntry("new.example", Severity.NOOP, reject_media=True)
    )
    await blocks.remove_block(a.node, by_a, "evil.example")

    async def changed_on_b() -> dict[str, Severity]:
        found = {x.domain: x.severity for x in await blocks.list_blocks(b.node)}
        return found if "new.example" in found and "evil.example" not in found else {}

    assert await eventually(changed_on_b) == {
        "new.example": Severity.NOOP,
        digest("hidden.example"): Severity.SILENCE,
    }
    why = await explain(b.node, "new.example")
    assert [s.location for s in why.sources] == [a.urls.instance_actor()]


async def test_an_add_from_a_node_nobody_subscribed_to_changes_nothing(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    b = served
    a = await peer_node(address="127.0.0.3")
    entry = {
        "id": a.urls.policy_entry(digest("victim.example")),
        "type": "DomainPolicy",
        "domain": "victim.example",
        "domainDigest": digest("victim.example"),
        "severity": "suspend",
    }
    add = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": a.urls.activity("unasked"),
        "type": "Add",
        "actor": a.urls.instance_actor(),
        "object": [entry],
        "target": a.urls.domain_policy(),
    }
    from node.actors.signers import instance_signer

    async with client_for(a.node) as client:
        body = json.dumps(add).encode()
        status = await client.post(b.urls.shared_inbox(), body, await instance_signer(a.node))
    assert status == 202

    async def settled() -> bool:
        from sqlmodel import select

        from node.store.tables import Activity

        async with b.node.store.session() as session:
            row = (await session.exec(select(Activity).where(Activity.uri == add["id"]))).first()
            return row is not None and row.state.value != "received"

    await eventually(settled)
    assert await blocks.list_blocks(b.node) == []


async def test_a_node_that_keeps_its_blocks_to_itself_shares_them_with_no_one(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    a = await peer_node(address="127.0.0.3", federation={"expose_blocklist": False})
    by_a = Acting.operator(a.node)
    await blocks.set_block(
        a.node,
        by_a,
        BlockEntry("evil.example", Severity.SUSPEND, private_comment="a friend told us"),
    )
    b = served
    source = await sources.add_source(
        b.node,
        Acting.operator(b.node),
        a.urls.instance_actor(),
        kind=SourceKind.ACTOR,
        max_severity=Severity.SUSPEND,
        drafts=False,
    )
    async with client_for(b.node) as client:
        synced = await sharing.follow_source(b.node, client, source.id)
        assert synced.status != "updated" and synced.source.entries == 0
        # Asked directly, A answers Reject and keeps no follower.
        follow = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{b.base}/activities/policy-follow-1",
            "type": "Follow",
            "actor": b.urls.instance_actor(),
            "object": a.urls.instance_actor(),
        }
        signer = await local_signer(b.node, b.urls.instance_actor())
        status = await client.post(
            a.urls.inbox(a.urls.instance_actor()), json.dumps(follow).encode(), signer
        )
    assert status == 202

    async def answered() -> list[Activity]:
        async with a.node.store.session() as session:
            found = await session.exec(
                select(Activity).where(
                    Activity.direction == Direction.OUTBOUND, Activity.type == "Reject"
                )
            )
            return list(found.all())

    (reject,) = await eventually(answered)  # type: ignore[misc]
    assert reject.document["object"]["id"] == follow["id"]
    await blocks.set_block(a.node, by_a, BlockEntry("worse.example", Severity.SUSPEND))
    async with a.node.store.session() as session:
        assert (await session.exec(select(PolicyFollower))).all() == []
        sent = (await session.exec(select(Activity).where(Activity.type == "Add"))).all()
    assert sent == []
    assert await blocks.list_blocks(b.node) == []


def test_cove_blocks_shared_says_what_is_published_and_who_follows_it(tmp_path: Path) -> None:
    ok(cove_in_process(tmp_path, "init"))
    ok(cove_in_process(tmp_path, "blocks", "add", "evil.example", "--obfuscate"))
    alone = as_json(cove_in_process(tmp_path, "blocks", "shared", "--json"))
    assert alone["shared"] and alone["entries"] == 1 and alone["followers"] == []
    assert "no node follows it" in ok(cove_in_process(tmp_path, "blocks", "shared"))
    with sqlite3.connect(tmp_path / "data" / "cove.db") as db:
        db.execute(
            "INSERT INTO remote_actor (uri, type, domain, inbox, document, fetched_at, created_at)"
            " VALUES ('https://friend.example/actor', 'Application', 'friend.example',"
            " 'https://friend.example/inbox', '{}', '2026-01-01', '2026-01-01')"
        )
        db.execute(
            "INSERT INTO policy_follower (actor_uri, remote_actor_id, inbox, follow_uri,"
            " created_at) VALUES ('https://friend.example/actor', 1,"
            " 'https://friend.example/inbox', 'https://friend.example/f/1', '2026-02-03')"
        )
    said = ok(cove_in_process(tmp_path, "blocks", "shared"))
    assert "1 entries, shared" in said
    assert "followed by https://friend.example/actor since 2026-02-03" in said
