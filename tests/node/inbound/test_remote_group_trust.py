"""A remote group that a member here follows vouches for its own server only. A malicious
group (a stand-in server on its own loopback address) tries to rewrite a third person's post,
to make up posts in anyone's name, to slip in content from a suspended domain, and to delete
posts in advance; each fails, and an author's own proof (FEP-8b32) is trusted as the post."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import select

from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.domain_policy import blocks
from node.members import accounts, participation
from node.moderators.roles import Acting
from node.store.states import ActivityState
from node.store.tables import Post
from tests.conftest import ServedNode, client_for, eventually
from tests.support.hostile_peer import PUBLIC, HostilePeer, settled, start_hostile_peer

EVIL = "127.0.0.3"  # the malicious group's server
HONEST = "127.0.0.4"  # a third person's server, who never posted in that group


@pytest.fixture
async def evil() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer(EVIL, software="lemmy") as peer:
        yield peer


@pytest.fixture
async def honest() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer(HONEST) as peer:
        yield peer


async def follow_group(served: ServedNode, evil: HostilePeer) -> str:
    """A member here joins the evil server's group, which accepts: its Announces now count."""
    group = evil.actor("circle", kind="Group")
    mia = await accounts.create_account(served.node, "mia")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, mia, group)

    async def follow_arrived() -> dict[str, Any] | None:
        found = [r.json() for r in evil.received() if r.json().get("type") == "Follow"]
        return found[0] if found else None

    follow = await eventually(follow_arrived)
    assert isinstance(follow, dict)
    accept = evil.activity("Accept", group, follow)
    await send(served, evil, accept, group)
    return group


async def send(
    served: ServedNode, peer: HostilePeer, document: dict[str, Any], actor: str
) -> ActivityState:
    """Deliver, signed by `actor`, to the shared inbox; how the node dealt with it."""
    async with client_for(served.node) as client:
        status = await peer.deliver(client, served.urls.shared_inbox(), document, actor)
    assert status == 202, status
    return (await settled(served, document["id"])).state


def announce(evil: HostilePeer, group: str, inner: Any) -> dict[str, Any]:
    return evil.activity("Announce", group, inner, to=[PUBLIC], cc=[f"{group}/followers"])


async def post_at(served: ServedNode, uri: str) -> Post | None:
    async with served.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).first()


async def test_a_group_cannot_rewrite_a_post_by_someone_on_another_server(
    served: ServedNode, evil: HostilePeer, honest: HostilePeer
) -> None:
    group = await follow_group(served, evil)
    author = honest.actor("vera")
    real = honest.serve(honest.note(author, "real words", to=[PUBLIC, group], audience=group))
    # Shared honestly first, by id: read from its own server.
    await send(served, evil, announce(evil, group, real["id"]), group)
    kept = await post_at(served, real["id"])
    assert kept is not None and kept.content_html == "real words" and kept.author_uri == author
    # Then "shared" with other words: embedded, and wrapped in a Create that vera never made.
    forged = {**real, "content": "forged words"}
    await send(served, evil, announce(evil, group, forged), group)
    created = evil.activity(
        "Create", author, {**real, "content": "forged again"}, id=f"{author}/fake-create"
    )
    await send(served, evil, announce(evil, group, created), group)
    kept = await post_at(served, real["id"])
    assert kept is not None and kept.content_html == "real words" and kept.author_uri == author


async def test_a_group_cannot_make_up_posts_in_someone_elses_name(
    served: ServedNode, evil: HostilePeer, honest: HostilePeer
) -> None:
    group = await follow_group(served, evil)
    vera = honest.actor("vera")
    made_up = honest.note(vera, "I give up on all of you", to=[PUBLIC, group])  # never served
    on_evil = {**evil.note(vera, "said on my behalf", to=[PUBLIC, group])}  # on the group's host
    evil.serve(served_elsewhere := evil.note(vera, "fetched lie", to=[PUBLIC, group]))
    for inner in (made_up, on_evil, served_elsewhere["id"]):
        state = await send(served, evil, announce(evil, group, inner), group)
        assert state == ActivityState.REJECTED, inner
    for note in (made_up, on_evil, served_elsewhere):
        assert await post_at(served, note["id"]) is None


async def test_an_authors_proof_is_trusted_and_a_tampered_one_is_not(
    served: ServedNode, evil: HostilePeer, honest: HostilePeer
) -> None:
    group = await follow_group(served, evil)
    vera = honest.actor("vera")
    note = honest.note(vera, "proven words", to=[PUBLIC, group], audience=group)
    create = honest.prove(honest.activity("Create", vera, note, to=[PUBLIC, group]))
    honest.requests.clear()
    await send(served, evil, announce(evil, group, create), group)
    kept = await post_at(served, note["id"])
    assert kept is not None and kept.content_html == "proven words"
    # Believed without asking vera's server for the post (it does not even serve it).
    assert all(r.path != note["id"][len(honest.base) :] for r in honest.requests)
    tampered = {**create, "object": {**note, "id": f"{note['id']}-2", "content": "tampered"}}
    state = await send(served, evil, announce(evil, group, tampered), group)
    assert state == ActivityState.REJECTED
    assert await post_at(served, f"{note['id']}-2") is None


async def test_a_group_relays_nothing_from_a_suspended_domain(
    served: ServedNode, evil: HostilePeer, honest: HostilePeer
) -> None:
    group = await follow_group(served, evil)
    vera = honest.actor("vera")
    note = honest.serve(honest.note(vera, "from a cut-off server", to=[PUBLIC, group]))
    create = honest.prove(honest.activity("Create", vera, note, to=[PUBLIC, group]))
    entry = BlockEntry(domain=HONEST, severity=Severity.SUSPEND)
    await blocks.set_block(served.node, Acting.operator(served.node), entry)
    honest.requests.clear()
    for inner in (create, note["id"]):
        state = await send(served, evil, announce(evil, group, inner), group)
        assert state == ActivityState.REJECTED
    assert await post_at(served, note["id"]) is None
    assert honest.requests == []  # not even asked


async def test_a_group_cannot_delete_in_advance_what_is_not_its_own(
    served: ServedNode, evil: HostilePeer, honest: HostilePeer
) -> None:
    group = await follow_group(served, evil)
    vera = honest.actor("vera")
    future = f"{honest.base}/notes/tomorrow"
    delete = evil.activity("Delete", evil.actor("mallory"), future)
    await send(served, evil, announce(evil, group, delete), group)
    assert await post_at(served, future) is None  # no deleted placeholder for vera's id
    # When vera does post it, it is there.
    honest.serve({**honest.note(vera, "here I am", to=[PUBLIC, group]), "id": future})
    await send(served, evil, announce(evil, group, future), group)
    kept = await post_at(served, future)
    assert kept is not None and kept.deleted_at is None and kept.content_html == "here I am"
