"""Verified professionals on one node: the badge on the member's actor document while their
credential counts (a profile field for Mastodon, Cove's typed term for JSON-LD and plain-JSON
readers), gone once it expires or is revoked; and who a group may page."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from pyld import jsonld

from federation.jsonld import offline_loader
from node.crisis import professionals
from node.crisis.professionals import NewCredential
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators.roles import Acting
from tests.conftest import MovableClock, PeerFactory, ServedNode, client_for

AP = "application/activity+json"
SCHEMA = "http://schema.org#"


async def actor_of(served: ServedNode, name: str) -> dict[str, Any]:
    async with served.client.get(served.urls.person(name), headers={"Accept": AP}) as r:
        assert r.status == 200
        document: dict[str, Any] = json.loads(await r.read())
        return document


async def test_the_badge_is_on_the_actor_while_the_credential_counts(
    peer_node: PeerFactory,
) -> None:
    clock = MovableClock()
    served = await peer_node(clock=clock)
    node = served.node
    await accounts.create_account(node, "pat")
    assert "credential" not in await actor_of(served, "pat")

    checked = clock() - timedelta(days=3)
    lasting = await professionals.add_credential(
        node,
        Acting.operator(node),
        "pat",
        NewCredential("Registered mental health nurse", "the admins, <register>", checked, None),
    )
    await professionals.add_credential(
        node,
        Acting.operator(node),
        "pat",
        NewCredential("Counsellor", "the admins", checked, clock() + timedelta(days=10)),
    )
    doc = await actor_of(served, "pat")  # the cached document went with the write
    nurse = {
        "type": "Credential",
        "name": "Registered mental health nurse",
        "checkedBy": "the admins, <register>",
        "checkedAt": f"{checked:%Y-%m-%dT%H:%M:%SZ}",
    }
    assert nurse in doc["credential"] and len(doc["credential"]) == 2
    assert {
        "type": "PropertyValue",
        "name": "Verified professional",
        "value": (
            f"Registered mental health nurse — checked by the admins, &lt;register&gt;,"
            f" {checked:%Y-%m-%d}"
        ),
    } in doc["attachment"]

    # A JSON-LD reader gets the same facts under Cove's and schema.org's IRIs.
    (expanded,) = jsonld.expand(doc, {"documentLoader": offline_loader()})
    (term,) = [k for k in expanded if k.endswith("/ns#credential")]
    assert term == f"{served.urls.vocabulary()}#credential"
    assert {c["@type"][0] for c in expanded[term]} == {f"{served.urls.vocabulary()}#Credential"}
    fields = expanded["https://www.w3.org/ns/activitystreams#attachment"]
    assert {f["@type"][0] for f in fields} == {f"{SCHEMA}PropertyValue"}

    clock.advance(timedelta(days=11))  # the counsellor's credential lapses
    (left,) = (await actor_of(served, "pat"))["credential"]
    assert left["name"] == "Registered mental health nurse"

    await professionals.revoke_credential(node, Acting.operator(node), lasting.id)
    doc = await actor_of(served, "pat")
    assert "credential" not in doc and "attachment" not in doc


async def test_professionals_in_a_group_are_its_verified_members_here(served: ServedNode) -> None:
    node = served.node
    group = await groups.create_group(node, NewGroup(name="care", title="Care"))
    now = node.clock()
    ids = {}
    for name in ("nurse", "lapsed", "revoked", "member", "outsider"):
        account = await accounts.create_account(node, name)
        ids[name] = account.id
        if name != "outsider":
            async with client_for(node) as client:
                await participation.join(node, client, account, node.urls.group("care"))
    operator = Acting.operator(node)
    for name, ends in (
        ("nurse", now + timedelta(days=30)),
        ("lapsed", now + timedelta(days=1)),
        ("revoked", None),
        ("outsider", None),
    ):
        await professionals.add_credential(
            node, operator, name, NewCredential("Nurse", "admins", now, ends)
        )
    (revoked,) = await professionals.credentials(node, "revoked")
    await professionals.revoke_credential(node, operator, revoked.id)

    async with node.store.session() as session:
        today = await professionals.professionals_in(session, group.id, now)
        later = await professionals.professionals_in(session, group.id, now + timedelta(days=2))
    assert today == sorted([ids["nurse"], ids["lapsed"]])
    assert later == [ids["nurse"]]
