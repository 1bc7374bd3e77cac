"""Hostile input as a property: signed, mutated activities (any type, objects embedded or by
reference, authors on other servers, on a suspended one or on this node, ids that are not
theirs, huge numbers, deep nesting) get no 5xx, apply without an internal error, and leave
no stored row that breaks the rules: a remote post lives on its author's server, a banned
or suspended actor gets nothing kept, a local member's post is theirs alone, and the group
relays nothing it did not admit."""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

from federation.addresses import same_host
from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.domain_policy import blocks
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators import bans
from node.moderators.roles import Acting
from node.queue.workers import Workers
from node.runtime import Node
from node.store.states import ActivityState, Direction, PostingPolicy, Visibility
from node.store.tables import Activity, Post
from tests.conftest import ServedNode, client_for, serving
from tests.support.hostile_peer import PUBLIC, HostilePeer, start_hostile_peer

HOSTILE, HONEST, CUT = "127.0.0.3", "127.0.0.4", "127.0.0.6"
TYPES = ["Create", "Update", "Delete", "Like", "Announce", "Undo", "Follow", "Flag", "Block"]


@dataclass
class World:
    served: ServedNode
    hostile: HostilePeer
    honest: HostilePeer
    cut: HostilePeer
    group: str
    kim_post: str
    kim_text: str
    sender: str  # may post
    banned: str  # banned from the group
    victim: str  # a person on the honest server
    victim_note: str
    cut_actor: str


@pytest.fixture
async def served(node: Node) -> AsyncIterator[ServedNode]:
    async with serving(node, workers=False) as served_node:
        yield served_node


@pytest.fixture
async def world(served: ServedNode) -> AsyncIterator[World]:
    async with (
        start_hostile_peer(HOSTILE) as hostile,
        start_hostile_peer(HONEST) as honest,
        start_hostile_peer(CUT) as cut,
    ):
        node = served.node
        await groups.create_group(
            node, NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE)
        )
        group = served.urls.group("grief")
        kim = await accounts.create_account(node, "kim")
        async with client_for(node) as client:
            kim_post = await participation.publish(node, client, kim, group, "kim's words")
            banned = hostile.actor("banned")
            await bans.ban(node, client, Acting.operator(node), "grief", banned, "spam", None)
        await blocks.set_block(
            node, Acting.operator(node), BlockEntry(domain=CUT, severity=Severity.SUSPEND)
        )
        victim = honest.actor("victim")
        note = honest.serve(honest.note(victim, "the victim's words", to=[PUBLIC, group]))
        yield World(
            served,
            hostile,
            honest,
            cut,
            group,
            kim_post,
            "kim's words",
            hostile.actor("sender"),
            banned,
            victim,
            note["id"],
            cut.actor("cut"),
        )


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
junk = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)


@st.composite
def activities(draw: st.DrawFn, w: World) -> tuple[dict[str, Any], str]:
    """An activity the hostile server signs, and the actor it signs as."""
    h = w.hostile
    actor = draw(st.sampled_from([w.sender, w.banned]))
    signer = draw(st.sampled_from([actor, actor, actor, w.sender]))
    author = draw(
        st.sampled_from([actor, w.victim, w.cut_actor, w.served.urls.person("kim"), w.group])
    )
    object_id = draw(
        st.sampled_from(
            [h.next_id("notes"), w.victim_note, w.kim_post, f"{w.cut.base}/notes/1", w.group]
        )
    )
    to = draw(st.sampled_from([[PUBLIC, w.group], [w.group], [], [PUBLIC]]))
    note: dict[str, Any] = {
        "id": object_id,
        "type": draw(st.sampled_from(["Note", "Page", "Article", "Tombstone", "Nonsense"])),
        "attributedTo": author,
        "content": draw(st.sampled_from(["forged words", "<script>x</script>", ""])),
        "to": to,
        "audience": w.group,
    }
    if draw(st.booleans()):
        note["inReplyTo"] = draw(st.sampled_from([w.kim_post, w.victim_note, h.next_id("x")]))
    if draw(st.booleans()):
        note["extra"] = draw(junk)
    kind = draw(st.sampled_from(TYPES))
    inner: Any = draw(
        st.sampled_from(
            [
                note,
                note,
                note,
                object_id,
                w.group,
                {"type": "Create", "id": h.next_id("a"), "actor": author, "object": note},
                {"type": "Like", "id": h.next_id("a"), "actor": actor, "object": w.kim_post},
            ]
        )
    )
    document = h.activity(kind, actor, inner, to=to)
    if kind == "Block":
        document["target"] = w.group
    if draw(st.booleans()):
        document["cc"] = draw(junk)
    depth = draw(st.sampled_from([0, 0, 0, 0, 1, 2, 6]))
    for _ in range(depth):
        document = {
            **document,
            "object": {
                "type": "Announce",
                "id": h.next_id("n"),
                "actor": actor,
                "object": document["object"],
            },
        }
    return document, signer


async def apply_all(node: Node) -> None:
    async with client_for(node) as client:
        workers = Workers(node, client, random.Random(1))
        for _ in range(20):
            if not await workers.run_once():
                return


async def check_invariants(w: World) -> None:
    node = w.served.node
    async with node.store.session() as session:
        posts = list((await session.exec(select(Post))).all())
        rows = list(
            await session.exec(select(Activity).where(Activity.direction == Direction.INBOUND))
        )
        announces = list(
            await session.exec(
                select(Activity).where(
                    Activity.direction == Direction.OUTBOUND, Activity.type == "Announce"
                )
            )
        )
    by_uri = {p.uri: p for p in posts}
    for row in rows:
        assert row.state != ActivityState.RECEIVED, row.uri
        assert "internal error" not in (row.error or ""), (row.uri, row.error)
    for post in posts:
        assert post.author_uri != w.banned, post.uri
        assert CUT not in post.uri and CUT not in post.author_uri, post.uri
        if post.local:
            assert post.account_id is not None, post.uri  # only members here write local posts
        else:
            assert same_host(post.uri, post.author_uri), (post.uri, post.author_uri)
    kim = by_uri[w.kim_post]
    assert kim.content_html.startswith("<p>kim") and kim.deleted_at is None
    assert kim.author_uri == w.served.urls.person("kim")
    assert w.victim_note not in by_uri or by_uri[w.victim_note].content_html in (
        "",
        "the victim's words",
    )
    for announce in announces:
        inner = announce.document.get("object")
        if not isinstance(inner, dict):
            continue
        assert inner.get("actor") != w.banned, inner
        about = inner.get("object")
        about_id = about.get("id") if isinstance(about, dict) else about
        post = by_uri.get(str(about_id))
        if inner.get("type") == "Create" and post is not None:
            assert post.visibility in (Visibility.PUBLIC, Visibility.MEMBERS_ONLY), post.uri


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_signed_hostile_activities_never_break_a_rule(
    world: World, data: st.DataObject
) -> None:
    document, signer = data.draw(activities(world))
    inbox = data.draw(
        st.sampled_from([world.served.urls.shared_inbox(), world.served.urls.inbox(world.group)])
    )
    body = json.dumps(document).encode()
    async with client_for(world.served.node) as client:
        status = await client.post(inbox, body, world.hostile.signer(signer))
    assert status < 500, (status, document)
    await apply_all(world.served.node)
    await check_invariants(world)
