"""Collections over HTTP: outbox paging both ways, followers hidden or listed, moderators,
featured; and nothing members-only ever appears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from federation.errors import FetchError
from node.groups import groups
from node.groups.groups import GroupInfo, NewGroup
from node.members import accounts
from node.queue import outbox
from node.runtime import Node
from node.store.states import GroupRole, MembershipState, PostKind, PostState, Visibility
from node.store.tables import Membership, Post
from tests.conftest import PeerFactory, ServedNode, signed_get

AP = {"Accept": "application/activity+json"}
T0 = datetime(2026, 11, 1, tzinfo=UTC)


async def get(served: ServedNode, url: str) -> tuple[int, Any]:
    async with served.client.get(url, headers=AP) as r:
        return r.status, await r.json(content_type=None)


async def add_announces(
    node: Node, group: GroupInfo, count: int, visibility: Visibility
) -> list[str]:
    ids = []
    async with node.store.transaction() as session:
        for i in range(count):
            uri = node.urls.activity(f"{visibility.value}-{i}")
            await outbox.record_outbound(
                session,
                group.actor_id,
                {
                    "@context": "https://www.w3.org/ns/activitystreams",
                    "id": uri,
                    "type": "Announce",
                    "actor": node.urls.group(group.name),
                    "object": f"https://x.example/p/{visibility}-{i}",
                },
                visibility,
                T0 + timedelta(minutes=i),
            )
            ids.append(uri)
    return ids


async def add_followers(
    node: Node, group: GroupInfo, count: int, state: MembershipState
) -> list[str]:
    uris = [f"https://peer{i}.example/users/u{i}-{state.value}" for i in range(count)]
    async with node.store.transaction() as session:
        for uri in uris:
            session.add(
                Membership(
                    group_id=group.id,
                    actor_uri=uri,
                    role=GroupRole.MEMBER,
                    state=state,
                    created_at=T0,
                    updated_at=T0,
                )
            )
    return uris


async def walk(
    served: ServedNode, collection_url: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Follow first/next the way a remote server reads a collection; returns (root, pages)."""
    status, root = await get(served, collection_url)
    assert status == 200 and root["type"] == "OrderedCollection"
    pages = []
    url = root.get("first")
    for _ in range(50):  # bounded: a broken next link must not loop forever
        if url is None:
            break
        status, page = await get(served, url)
        assert status == 200 and page["type"] == "OrderedCollectionPage"
        assert page["partOf"] == collection_url and page["id"] == url
        pages.append(page)
        url = page.get("next")
    return root, pages


async def test_outbox_pages_walk_forward_and_back_and_skip_non_public(served: ServedNode) -> None:
    group = await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    public = await add_announces(served.node, group, 45, Visibility.PUBLIC)
    hidden = await add_announces(served.node, group, 5, Visibility.MEMBERS_ONLY)
    outbox_url = served.urls.group("grief") + "/outbox"
    root, pages = await walk(served, outbox_url)
    assert root["totalItems"] == 45
    assert [len(p["orderedItems"]) for p in pages] == [20, 20, 5]
    seen = [item["id"] for p in pages for item in p["orderedItems"]]
    assert seen == list(reversed(public))  # newest first, each once
    assert not set(seen) & set(hidden)
    assert all("@context" not in item for p in pages for item in p["orderedItems"])
    # Walk back from the last page with prev links.
    back, url = [], pages[-1].get("prev")
    for _ in range(10):
        if url is None:
            break
        _status, page = await get(served, url)
        back.append([item["id"] for item in page["orderedItems"]])
        url = page.get("prev")
    assert back == [seen[20:40], seen[0:20]]


async def test_an_empty_outbox_has_one_empty_page(served: ServedNode) -> None:
    root, pages = await walk(served, served.urls.instance_outbox())
    assert root["totalItems"] == 0
    assert len(pages) == 1 and pages[0]["orderedItems"] == [] and "next" not in pages[0]


async def test_members_only_group_content_needs_a_signed_fetch(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    group = await groups.create_group(
        served.node, NewGroup(name="youth", title="Youth", members_only=True)
    )
    await add_announces(served.node, group, 3, Visibility.MEMBERS_ONLY)
    for name in ("outbox", "featured", "followers", "moderators"):
        url = f"{served.urls.group('youth')}/{name}"
        async with served.client.get(url, headers=AP) as r:
            assert r.status == 401, name
            assert r.headers["Vary"] == "Accept, Signature"
            assert "not signed" in (await r.json())["error"]
    peer = await peer_node()
    outbox_url = served.urls.group("youth") + "/outbox"
    # A signed fetch from a server with no member is refused...
    with pytest.raises(FetchError, match="answered 403"):
        await signed_get(peer.node, outbox_url)
    # ...and one from a server with an accepted member sees the members-only announces.
    async with served.node.store.transaction() as session:
        session.add(
            Membership(
                group_id=group.id,
                actor_uri=peer.urls.person("kit"),
                role=GroupRole.MEMBER,
                state=MembershipState.ACCEPTED,
                created_at=T0,
                updated_at=T0,
            )
        )
    root = await signed_get(peer.node, outbox_url)
    assert root["totalItems"] == 3
    page = await signed_get(peer.node, str(root["first"]))
    assert len(page["orderedItems"]) == 3
    # The group's actor itself stays readable: people must be able to ask to join.
    status, actor = await get(served, served.urls.group("youth"))
    assert status == 200 and actor["membersOnly"] is True


async def test_followers_show_a_count_and_hide_who_by_default(served: ServedNode) -> None:
    group = await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    await add_followers(served.node, group, 3, MembershipState.ACCEPTED)
    await add_followers(served.node, group, 2, MembershipState.PENDING)
    url = served.urls.group("grief") + "/followers"
    status, root = await get(served, url)
    assert status == 200
    assert root["totalItems"] == 3
    assert "first" not in root and "orderedItems" not in root
    status, body = await get(served, url + "?page=true")
    assert status == 403 and "does not publish" in body["error"]


async def test_moderators_collection_lists_owner_then_moderators(served: ServedNode) -> None:
    await accounts.create_account(served.node, "owner")
    group = await groups.create_group(
        served.node, NewGroup(name="grief", title="Grief", owner="owner")
    )
    async with served.node.store.transaction() as session:
        session.add(
            Membership(
                group_id=group.id,
                actor_uri="https://peer.example/u/mo",
                role=GroupRole.MODERATOR,
                state=MembershipState.ACCEPTED,
                created_at=T0,
                updated_at=T0,
            )
        )
        session.add(
            Membership(
                group_id=group.id,
                actor_uri="https://peer.example/u/member",
                role=GroupRole.MEMBER,
                state=MembershipState.ACCEPTED,
                created_at=T0,
                updated_at=T0,
            )
        )
    url = served.urls.group("grief") + "/moderators"
    root, pages = await walk(served, url)
    expected = [served.urls.person("owner"), "https://peer.example/u/mo"]
    # Lemmy reads orderedItems from the collection itself (FEP-1b12); pages carry the same.
    assert root["orderedItems"] == expected and root["totalItems"] == 2
    assert [uri for p in pages for uri in p["orderedItems"]] == expected


async def test_featured_lists_pinned_public_posts_only(served: ServedNode) -> None:
    group = await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    async with served.node.store.transaction() as session:
        for i, (visibility, pinned, deleted) in enumerate(
            [
                (Visibility.PUBLIC, True, False),
                (Visibility.PUBLIC, False, False),
                (Visibility.MEMBERS_ONLY, True, False),
                (Visibility.PUBLIC, True, True),
            ]
        ):
            session.add(
                Post(
                    uri=f"{served.base}/posts/{i}",
                    group_id=group.id,
                    author_uri=served.urls.person("someone"),
                    kind=PostKind.PAGE,
                    title=f"Post {i}",
                    content_html=f"<p>{i}</p>",
                    visibility=visibility,
                    local=True,
                    pinned_at=T0 if pinned else None,
                    deleted_at=T0 if deleted else None,
                    state=PostState.DELETED if deleted else PostState.LIVE,
                    published=T0,
                    created_at=T0,
                )
            )
    root, pages = await walk(served, served.urls.group("grief") + "/featured")
    assert [item["id"] for item in root["orderedItems"]] == [f"{served.base}/posts/0"]
    item = root["orderedItems"][0]
    assert item["type"] == "Page" and item["name"] == "Post 0"
    assert item["audience"] == served.urls.group("grief")
    assert "https://www.w3.org/ns/activitystreams#Public" in item["to"]
    assert pages[0]["orderedItems"] == root["orderedItems"]


async def test_anonymous_featured_post_names_the_group_not_the_author(served: ServedNode) -> None:
    group = await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    async with served.node.store.transaction() as session:
        session.add(
            Post(
                uri=f"{served.base}/posts/a",
                group_id=group.id,
                author_uri=served.urls.person("hidden"),
                kind=PostKind.PAGE,
                title="A",
                content_html="<p>a</p>",
                visibility=Visibility.PUBLIC,
                local=True,
                anonymous=True,
                pinned_at=T0,
                published=T0,
                created_at=T0,
            )
        )
    _status, root = await get(served, served.urls.group("grief") + "/featured")
    assert root["orderedItems"][0]["attributedTo"] == served.urls.group("grief")
    assert "hidden" not in str(root)


async def test_person_collections_exist_and_hide_items(served: ServedNode) -> None:
    await accounts.create_account(served.node, "sam")
    base = served.urls.person("sam")
    for name in ("followers", "following"):
        status, root = await get(served, f"{base}/{name}")
        assert status == 200 and root["type"] == "OrderedCollection" and root["totalItems"] == 0
        assert (await get(served, f"{base}/{name}?page=true"))[0] == 403
    root, _pages = await walk(served, f"{base}/outbox")
    assert root["totalItems"] == 0


@pytest.mark.parametrize("query", ["max_id=abc", "min_id=-1", "max_id=99999999999999999999"])
async def test_bad_cursors_are_400(served: ServedNode, query: str) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    status, body = await get(served, served.urls.group("grief") + f"/outbox?page=true&{query}")
    assert status == 400 and "must be a positive integer" in body["error"]
