"""Purging a removed post: a removal keeps the content for the moderators; a purge erases it
for good, from the post and from every stored activity that carried it, and cancels what was
still owed to other servers. Only a removed post, and only by the group's moderators."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from federation.errors import Conflict, NotFound, Refused
from moderation.modlog import ModAction
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators import removals
from node.moderators.roles import Acting
from node.store.states import DeliveryState
from node.store.tables import Activity, Delivery, ModLogEntry, Post
from tests.conftest import ServedNode, client_for

SECRET = "my address is 12 Elm Street"


async def test_a_purge_erases_a_removed_post_and_every_stored_copy(served: ServedNode) -> None:
    node = served.node
    olive = await accounts.create_account(node, "olive")
    ann = await accounts.create_account(node, "ann")
    await groups.create_group(node, NewGroup(name="grief", title="Grief", owner="olive"))
    group = served.urls.group("grief")
    async with client_for(node) as client:
        await participation.join(node, client, ann, group)
        post_uri = await participation.publish(node, client, ann, group, SECRET, title="Me")
    async with node.store.transaction() as session:
        carriers = (await session.exec(select(Activity))).all()
        create = next(a for a in carriers if a.type == "Create" and a.object_uri == post_uri)
        # Still owed to a server that is down: the purge must not send the text out later.
        session.add(
            Delivery(
                activity_id=create.id,  # type: ignore[arg-type]
                inbox="http://127.0.0.1:9/inbox",
                host="127.0.0.1:9",
                state=DeliveryState.PENDING,
                next_attempt_at=datetime.now(UTC) + timedelta(days=1),
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
            )
        )
    assert sum(SECRET in json.dumps(a.document) for a in carriers) >= 2  # the Create, the boost

    moderator = Acting.member(node, olive)
    with pytest.raises(Conflict, match=r"remove .* before purging it"):
        await removals.purge(node, moderator, "grief", post_uri)
    with pytest.raises(Refused, match="not a moderator of grief"):
        await removals.purge(node, Acting.member(node, ann), "grief", post_uri)
    async with client_for(node) as client:
        await removals.set_removed(
            node, client, moderator, "grief", post_uri, "doxxing", removed=True
        )
    async with node.store.session() as session:
        kept = (await session.exec(select(Post).where(Post.uri == post_uri))).one()
    assert SECRET in kept.content_html  # a removal keeps it, for the moderators

    emptied = await removals.purge(node, moderator, "grief", post_uri)

    assert emptied >= 2
    async with node.store.session() as session:
        post = (await session.exec(select(Post).where(Post.uri == post_uri))).one()
        stored = (await session.exec(select(Activity))).all()
        owed = (await session.exec(select(Delivery).where(Delivery.host == "127.0.0.1:9"))).one()
        logged = (await session.exec(select(ModLogEntry.action))).all()
    assert (post.title, post.content_html) == (None, "")
    assert post.deleted_at is not None and post.removed_at is not None
    assert [a.uri for a in stored if SECRET in json.dumps(a.document)] == []
    assert (owed.state, owed.last_error) == (DeliveryState.CANCELLED, "the post was purged")
    assert ModAction.PURGE_POST.value in logged
    async with served.client.get(post_uri, headers={"Accept": "application/activity+json"}) as r:
        assert r.status == 410 and SECRET not in await r.text()
    with pytest.raises(NotFound):
        await removals.purge(node, moderator, "grief", post_uri)
