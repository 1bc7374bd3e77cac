"""What a member blocks or mutes never reaches them. Checked as a property over every listing
of `visible_to` (found by looking, so a new listing is checked or this fails) and `sees`, for
every set of people a member may hide: a hidden person's own posts and replies are never
shown to the member; everything else is shown exactly as to a member who hides no one; a
post written anonymously is shown whoever wrote it (hiding it would tell who did); and a
notification about a hidden person is not listed."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from itertools import combinations
from typing import get_type_hints

from sqlmodel import select

from node.groups import groups, membership, posts
from node.groups.groups import GroupInfo, NewGroup
from node.groups.posts import PostInfo, Viewer, Visible, visible_to
from node.members import accounts, notifications, participation, person_blocks
from node.members.accounts import AccountInfo
from node.members.notifications import NotificationKind, notify
from node.runtime import Node
from node.store.tables import Post
from tests.conftest import client_for

Listing = Callable[[Visible, GroupInfo], Awaitable[list[PostInfo]]]
LISTINGS: dict[str, Listing] = {
    "featured": lambda visible, group: visible.featured(group),
    "threads": lambda visible, group: visible.threads(group),
    "feed": lambda visible, group: visible.feed(),
}
PEOPLE = ("ben", "cat", "dot")


def test_every_listing_of_visible_is_checked_here() -> None:
    listings = {
        name
        for name, method in inspect.getmembers(Visible, inspect.iscoroutinefunction)
        if not name.startswith("_") and get_type_hints(method)["return"] == list[PostInfo]
    }
    assert listings == set(LISTINGS)


async def _stage(node: Node) -> tuple[list[GroupInfo], dict[str, AccountInfo]]:
    """Two groups (one members-only), each with a thread by everyone, a reply by everyone to
    each thread, and an anonymous thread by ben; every post pinned, so `featured` lists them."""
    members = {n: await accounts.create_account(node, n) for n in ("ann", *PEOPLE)}
    made = [
        await groups.create_group(node, NewGroup(name="open", title="Open")),
        await groups.create_group(node, NewGroup(name="kept", title="Kept", members_only=True)),
    ]
    async with client_for(node) as client:
        for group in made:
            uri = node.urls.group(group.name)
            for account in members.values():
                await participation.join(node, client, account, uri)
            if group.members_only:
                for name in await membership.pending_follows(node, group.name):
                    await membership.decide_follow(node, client, group.name, name, approve=True)
            threads = [
                await participation.publish(node, client, a, uri, f"{a.username} here", title="t")
                for a in members.values()
            ]
            for thread in threads:
                for account in members.values():
                    await participation.publish(
                        node, client, account, uri, "a reply", in_reply_to=thread
                    )
            await participation.publish(
                node, client, members["ben"], uri, "unnamed", title="anon", anonymous=True
            )
    async with node.store.transaction() as session:
        for post in (await session.exec(select(Post))).all():
            post.pinned_at = post.published
    async with node.store.session() as session:
        shown = [await groups.get_group(session, g.name) for g in made]
    return shown, members


def _viewer(node: Node, account: AccountInfo) -> Viewer:
    return Viewer.member(node.urls.person(account.username), account.id)


async def _everything(node: Node, viewer: Viewer, made: list[GroupInfo]) -> dict[str, list[str]]:
    visible = visible_to(node, viewer)
    return {
        f"{name} {group.name}": [p.uri for p in await listing(visible, group)]
        for name, listing in LISTINGS.items()
        for group in made
    }


async def test_no_listing_shows_a_member_what_people_they_hide_wrote(node: Node) -> None:
    made, members = await _stage(node)
    ann = members["ann"]
    async with node.store.session() as session:
        every_post = [posts.info_of(p) for p in (await session.exec(select(Post))).all()]
    by_uri = {p.uri: p for p in every_post}
    # What ann sees hiding no one: each listing, each group, has everyone's posts.
    unhidden = await _everything(node, _viewer(node, ann), made)
    for listing, uris in unhidden.items():
        assert {by_uri[u].author_uri for u in uris} >= {node.urls.person(n) for n in PEOPLE}, (
            listing
        )

    async with client_for(node) as client:
        for size in range(len(PEOPLE) + 1):
            for chosen in combinations(PEOPLE, size):
                hidden = {node.urls.person(n) for n in chosen}
                for i, name in enumerate(chosen):  # blocks and mutes, alternately
                    keep_away = person_blocks.block if i % 2 == 0 else person_blocks.mute
                    await keep_away(node, client, ann, name)
                viewer = _viewer(node, ann)
                seen = await _everything(node, viewer, made)
                for listing, uris in seen.items():
                    expected = [
                        u
                        for u in unhidden[listing]
                        if by_uri[u].anonymous or by_uri[u].author_uri not in hidden
                    ]
                    assert uris == expected, (chosen, listing)
                visible = visible_to(node, viewer)
                for post in every_post:
                    by_hidden = not post.anonymous and post.author_uri in hidden
                    assert await visible.sees(post) is not by_hidden, (chosen, post.uri)
                # dot, who hides no one, is not affected by what ann hides.
                assert await _everything(node, _viewer(node, members["dot"]), made) == unhidden
                for i, name in enumerate(chosen):
                    let_back = person_blocks.unblock if i % 2 == 0 else person_blocks.unmute
                    await let_back(node, client, ann, name)
    # An anonymous post by ben is in ann's listings while she blocks him.
    async with client_for(node) as client:
        await person_blocks.block(node, client, ann, "ben")
    anonymous = [p.uri for p in every_post if p.anonymous]
    listed = await _everything(node, _viewer(node, ann), made)
    assert len(anonymous) == 2
    for uri in anonymous:
        assert [name for name, uris in listed.items() if uri in uris] != [], uri


async def test_notifications_about_a_hidden_person_are_not_listed(node: Node) -> None:
    ann, ben, cat = [await accounts.create_account(node, n) for n in ("ann", "ben", "cat")]
    now = node.clock()
    async with node.store.transaction() as session:
        for about in (ben, cat, None):
            uri = node.urls.person(about.username) if about else None
            notify(
                session, [ann.id, cat.id], NotificationKind.CARE, f"about {uri}", now, actor_uri=uri
            )

    async def heard(account: AccountInfo) -> list[str]:
        return [n.text for n in await notifications.notifications(node, account)]

    everything = await heard(ann)
    assert len(everything) == 3
    async with client_for(node) as client:
        await person_blocks.block(node, client, ann, "ben")
        await person_blocks.mute(node, client, ann, "cat")
    assert await heard(ann) == ["about None"]
    assert len(await heard(cat)) == 3  # only ann hides them
    async with client_for(node) as client:
        await person_blocks.unblock(node, client, ann, "ben")
    assert await heard(ann) == [t for t in everything if "/u/cat" not in t]
