"""A node-level suspension of a remote actor: what they posted in our groups comes down here
and on every follower's server (the group's removal, its boost undone), each removal is in
the group's log, their follows end, and whatever they send next is refused at the inbox
(403) before anything is stored, until the suspension is lifted."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from federation.errors import Invalid
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators import modlog, suspensions
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import PostingPolicy
from node.store.tables import Activity as ActivityRow
from tests.across_nodes.test_moderation_across_nodes import find_post, membership_accepted
from tests.conftest import PeerFactory, ServedNode, client_for, eventually
from tests.node.inbound.test_lemmy_shapes import CREATE_PAGE, settled
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer


@pytest.fixture
async def lemmy() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer() as peer:
        yield peer


async def send(served: ServedNode, lemmy: LemmyPeer, document: dict[str, Any]) -> int:
    inbox = served.urls.inbox(served.urls.group("grief"))
    async with client_for(served.node) as client:
        return await client.post(inbox, json.dumps(document).encode(), lemmy.signer)


async def test_a_suspended_actor_is_removed_everywhere_and_refused_at_the_inbox(
    served: ServedNode, peer_node: PeerFactory, lemmy: LemmyPeer
) -> None:
    a = served
    await groups.create_group(
        a.node, NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE)
    )
    group = a.urls.group("grief")
    b = await peer_node()
    ray = await accounts.create_account(b.node, "ray")
    async with client_for(b.node) as client:
        await participation.join(b.node, client, ray, group)
    await eventually(lambda: membership_accepted(b, "ray"))

    create = lemmy.fixture(CREATE_PAGE, group)
    assert await send(a, lemmy, create) == 202
    post = create["object"]["id"]

    async def on_b() -> bool:
        return await find_post(b, post) is not None

    await eventually(on_b)

    operator = Acting.operator(a.node)
    async with client_for(a.node) as client:
        await suspensions.suspend(a.node, client, operator, lemmy.person, "spam wave", None)

    async def removed_on_b() -> bool:
        found = await find_post(b, post)
        return found is not None and found.removed_at is not None

    await eventually(removed_on_b)
    here = await find_post(a, post)
    assert here is not None and here.removal_reason == "spam wave"
    async with a.node.store.session() as session:
        group_info = await groups.get_group(session, "grief")
        logged = [(e.action, e.target_uri) for e in await modlog.recent(session, group_info.id)]
    assert ("remove_post", post) in logged

    # Anything more from them is refused before it is stored.
    again = {**create, "id": f"{lemmy.base}/activities/create/after-suspension"}
    again["object"] = {**create["object"], "id": f"{lemmy.base}/post/after-suspension"}
    lemmy.publish(again)
    assert await send(a, lemmy, again) == 403
    async with a.node.store.session() as session:
        kept = await session.exec(select(ActivityRow).where(ActivityRow.uri == again["id"]))
        assert kept.first() is None

    # Lifted, they are heard again (the inbox's cache of suspensions follows at once).
    await suspensions.unsuspend(a.node, operator, lemmy.person)
    assert await send(a, lemmy, again) == 202
    row = await settled(a, again["id"])
    assert row.state.value == "processed"


async def test_a_suspension_names_an_actor_by_url_or_is_refused(node: Node) -> None:
    """A handle or a name stored as it is would match no activity, ever: the suspension would
    seem made and protect no one (`suspend_named` resolves them first)."""
    operator = Acting.operator(node)
    async with client_for(node) as client:
        for target in ("@spam@evil.example", "spam", "evil.example/u/spam", "ftp://evil.example/u"):
            with pytest.raises(Invalid, match="is not an http\\(s\\) URL"):
                await suspensions.suspend(node, client, operator, target, "spam", None)
        made = await suspensions.suspend(
            node, client, operator, "https://evil.example/u/spam", "spam", None
        )
    assert [s.actor_uri for s in await suspensions.list_suspensions(node, operator)] == [
        made.actor_uri
    ]
