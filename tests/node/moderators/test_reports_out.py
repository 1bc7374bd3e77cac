"""A member here reports something on another server: one Flag to the author's server and,
when the post sits in a group elsewhere, one to the group's server, each in the shape that
server's software reads (told apart by NodeInfo), always naming the account, and sent by the
instance actor unless the member chooses to be named. Stand-in servers on loopback receive
them signed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from node.members import accounts
from node.moderators.reports import filed
from node.store.states import PostKind, Visibility
from node.store.tables import Post
from tests.conftest import ServedNode, client_for, eventually
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer


@pytest.fixture
async def mastodon() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer(software="mastodon") as peer:
        yield peer


@pytest.fixture
async def lemmy() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer(software="lemmy") as peer:
        yield peer


@pytest.fixture
async def piefed() -> AsyncIterator[LemmyPeer]:
    """A third server hosting the group (its NodeInfo says PieFed: group-aware)."""
    async with start_lemmy_peer(software="piefed") as peer:
        yield peer


async def seen_here(served: ServedNode, author: LemmyPeer, group: str | None) -> str:
    """A post by the peer's person that this node keeps (as a member's group shares it)."""
    uri = f"{author.base}/post/7"
    now = served.node.clock()
    async with served.node.store.transaction() as session:
        session.add(
            Post(
                uri=uri,
                author_uri=author.person,
                kind=PostKind.PAGE,
                content_html="<p>buy my pills</p>",
                visibility=Visibility.PUBLIC,
                local=False,
                group_uri=group,
                published=now,
                created_at=now,
            )
        )
    return uri


async def flags_at(peer: LemmyPeer, count: int = 1) -> list[dict[str, Any]]:
    async def arrived() -> list[dict[str, Any]]:
        found = [p for p in peer.received("Flag") if p.signed_by is not None]
        return [p.document for p in found] if len(found) >= count else []

    return await eventually(arrived)  # type: ignore[return-value]


async def report(served: ServedNode, target: str, *, identify: bool = False) -> None:
    ray = await accounts.create_account(served.node, "ray")
    async with client_for(served.node) as client:
        await filed.file_report(
            served.node, client, ray, target, category="spam", comment="selling", identify=identify
        )


async def test_a_mastodon_author_gets_mastodons_shape_from_the_instance_actor(
    served: ServedNode, mastodon: LemmyPeer
) -> None:
    post = await seen_here(served, mastodon, None)
    await report(served, post)
    (flag,) = await flags_at(mastodon)
    assert flag["actor"] == served.urls.instance_actor()  # the member stays unnamed
    assert flag["object"][0] == mastodon.person  # the account first, then the statuses
    assert flag["object"][1:] == [post]
    assert flag["content"] == "selling"
    assert served.urls.person("ray") not in str(flag)


async def test_a_member_who_chooses_to_be_named_is_the_flags_actor(
    served: ServedNode, mastodon: LemmyPeer
) -> None:
    post = await seen_here(served, mastodon, None)
    await report(served, post, identify=True)
    (flag,) = await flags_at(mastodon)
    assert flag["actor"] == served.urls.person("ray")
    assert mastodon.person in flag["object"]


async def test_a_post_in_a_group_elsewhere_reaches_the_authors_and_the_groups_servers(
    served: ServedNode, lemmy: LemmyPeer, piefed: LemmyPeer
) -> None:
    group = piefed.group_document("main")["id"]
    post = await seen_here(served, lemmy, group)
    await report(served, post)
    (to_author,) = await flags_at(lemmy)
    (to_group,) = await flags_at(piefed)
    for flag in (to_author, to_group):
        # Lemmy's and PieFed's shape: the post first, the group in `to`, reason in summary.
        assert flag["actor"] == served.urls.instance_actor()
        assert flag["object"] == [post, lemmy.person]  # the account is always named
        assert flag["to"] == [group] and flag["audience"] == group
        assert flag["summary"] == "selling"
    assert to_group["id"] == to_author["id"] + "-group"


async def test_a_mastodon_author_in_a_group_elsewhere_still_gets_mastodons_shape(
    served: ServedNode, mastodon: LemmyPeer, piefed: LemmyPeer
) -> None:
    group = piefed.group_document("main")["id"]
    post = await seen_here(served, mastodon, group)
    await report(served, post)
    (to_author,) = await flags_at(mastodon)
    (to_group,) = await flags_at(piefed)
    assert to_author["object"] == [mastodon.person, post]
    assert to_author["to"] == [mastodon.person]
    assert to_group["object"] == [post, mastodon.person] and to_group["to"] == [group]
