"""A member deletes their account: the groups elsewhere they belonged to hear a Delete of the
actor and drop them and their posts; at home the actor answers 410 Gone with a Tombstone, the
name stays taken, tokens stop working, and an anonymous post is kept with no link to them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from federation.errors import Conflict, NotFound, Unauthorized
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, deletion, participation, tokens
from node.store.states import Direction, MembershipState, PostState
from node.store.tables import Activity, Delivery, Membership, Post
from tests.conftest import PeerFactory, ServedNode, client_for, eventually


async def post_row(node: ServedNode, uri: str) -> Post:
    async with node.node.store.session() as session:
        return (await session.exec(select(Post).where(Post.uri == uri))).one()


async def test_a_deleted_account_is_dropped_by_the_group_elsewhere_with_its_posts(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    a = served  # the group's node
    await groups.create_group(a.node, NewGroup(name="grief", title="After a loss"))
    b = await peer_node()  # bea's home
    bea = await accounts.create_account(b.node, "bea", display_name="Bea Example", summary="me")
    secret, _ = await tokens.create_token(b.node, "bea", "read")
    await groups.create_group(b.node, NewGroup(name="home", title="Home group"))
    async with client_for(b.node) as client:
        await participation.join(b.node, client, bea, a.urls.group("grief"))

    async def joined() -> bool:
        async with a.node.store.session() as session:
            row = (await session.exec(select(Membership))).first()
        return row is not None and row.state == MembershipState.ACCEPTED

    await eventually(joined)
    async with client_for(b.node) as client:
        post_id = await participation.publish(
            b.node, client, bea, a.urls.group("grief"), "The first year is the hardest."
        )
        await participation.join(b.node, client, bea, b.urls.group("home"))
        hidden = await participation.publish(
            b.node, client, bea, b.urls.group("home"), "Nobody knows it is me.", anonymous=True
        )

    async def arrived() -> bool:
        async with a.node.store.session() as session:
            return (await session.exec(select(Post).where(Post.uri == post_id))).first() is not None

    await eventually(arrived)

    await deletion.delete_account(b.node, bea.id)

    async def dropped_on_a() -> bool:
        post = await post_row(a, post_id)
        async with a.node.store.session() as session:
            member = (await session.exec(select(Membership))).one()
        return post.state == PostState.DELETED and member.state == MembershipState.LEFT

    await eventually(dropped_on_a)

    # The Delete names the actor and nothing else: not the anonymous post.
    async with b.node.store.session() as session:
        sent = (
            await session.exec(
                select(Activity).where(
                    Activity.type == "Delete", Activity.direction == Direction.OUTBOUND
                )
            )
        ).all()
        inboxes = (await session.exec(select(Delivery.inbox))).all()
    (delete,) = sent
    person = b.urls.person("bea")
    assert (delete.document["actor"], delete.document["object"]) == (person, person)
    assert hidden not in str(delete.document)
    assert a.urls.shared_inbox() in inboxes

    # At home: 410 with a Tombstone, the name kept, the token dead, the profile wiped.
    headers = {"Accept": "application/activity+json"}
    async with b.client.get(person, headers=headers) as response:
        assert response.status == 410
        tombstone: dict[str, Any] = await response.json(content_type=None)
    assert (tombstone["id"], tombstone["type"], tombstone["formerType"]) == (
        person,
        "Tombstone",
        "Person",
    )
    with pytest.raises(Conflict, match="already taken"):
        await accounts.create_account(b.node, "bea")
    with pytest.raises(Unauthorized, match="revoked"):
        await tokens.authenticate(b.node, secret)
    with pytest.raises(NotFound):
        await accounts.get_account_by_name(b.node, "bea")
    own = await post_row(b, post_id)
    assert own.state == PostState.DELETED and own.content_html == ""
    # The anonymous post stays the group's, with nothing left that leads to her.
    kept = await post_row(b, hidden)
    assert kept.state == PostState.LIVE and kept.anonymous
    assert (kept.author_uri, kept.account_id) == (b.urls.group("home"), None)
    with pytest.raises(Conflict, match="deleted already"):
        await deletion.delete_account(b.node, bea.id)
