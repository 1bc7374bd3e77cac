"""An anonymous post never names its author: not in the Note, its Create and the group's
Announce (addressing included), not in its edit and deletion (sent as the group's own), not
in the member's outbox, and not to a member who reports it. The group's moderators, and they
alone, can still see who wrote it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from node.groups import anonymous_posts, groups
from node.groups.groups import NewGroup
from node.members import accounts, participation, tokens
from node.members.accounts import AccountInfo
from node.moderators.roles import Acting
from node.store.states import AccountRole, PostingPolicy
from tests.conftest import ServedNode, client_for
from tests.support.api_contract import ApiClient, Contract
from tests.support.hostile_peer import HostilePeer, deliveries_done, follow, start_hostile_peer

AP = {"Accept": "application/activity+json"}
AUTHOR = "quietwren"  # a name found nowhere else in these tests
GROUP_AWARE = "127.0.0.3"  # a Lemmy-like follower's server (gets Announce{activity})
MICROBLOG = "127.0.0.5"  # a Mastodon-like follower's server (gets boosts by id)


@pytest.fixture
async def lemmy() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer(GROUP_AWARE, software="lemmy") as peer:
        yield peer


@pytest.fixture
async def mastodon() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer(MICROBLOG, software="mastodon") as peer:
        yield peer


async def circle(served: ServedNode) -> tuple[str, AccountInfo]:
    await accounts.create_account(served.node, "mo", AccountRole.MEMBER, display_name="Mo")
    await groups.create_group(
        served.node,
        NewGroup(name="circle", title="Circle", posting_policy=PostingPolicy.MEMBERS, owner="mo"),
    )
    author = await accounts.create_account(served.node, AUTHOR, display_name="Wren Hollow")
    group = served.urls.group("circle")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, author, group)
    return group, author


def names_author(text: str) -> bool:
    return AUTHOR in text or "Wren Hollow" in text


async def test_an_anonymous_post_its_edit_and_deletion_reach_followers_as_the_groups_own(
    served: ServedNode, lemmy: HostilePeer, mastodon: HostilePeer
) -> None:
    group, author = await circle(served)
    await follow(served, lemmy, group, "reader")
    await follow(served, mastodon, group, "watcher")
    async with client_for(served.node) as client:
        post = await participation.publish(
            served.node,
            client,
            author,
            group,
            "I relapsed last night",
            title="Day 0",
            anonymous=True,
        )
        await participation.edit(served.node, client, author, post, "Day 1 now")
        await participation.delete(served.node, client, author, post)
    await deliveries_done(served)
    sent = [*lemmy.received(), *mastodon.received()]
    kinds = sorted(
        f"{r.json()['type']}{{{r.json()['object']['type']}}}"
        if isinstance(r.json().get("object"), dict)
        else r.json()["type"]
        for r in sent
        if r.json().get("type") != "Accept"
    )
    assert kinds == [
        "Announce",  # the boost of the thread, by id, for the microblog
        "Announce{Create}",
        "Announce{Delete}",
        "Announce{Update}",
        "Undo{Announce}",  # the boost undone when the thread went
    ]
    for request in sent:
        assert not names_author(request.body.decode()), request.body
        assert not names_author(str(request.headers)), request.headers
    create = next(r.json() for r in sent if r.json()["object"].get("type") == "Create")
    note = create["object"]["object"]
    assert (create["object"]["actor"], note["attributedTo"]) == (group, group)
    assert note["cc"] == [f"{group}/followers"]
    for kind in ("Update", "Delete"):
        inner = next(r.json()["object"] for r in sent if r.json()["object"].get("type") == kind)
        assert inner["actor"] == group


async def test_the_authors_outbox_holds_nothing_of_an_anonymous_post(served: ServedNode) -> None:
    group, author = await circle(served)
    async with client_for(served.node) as client:
        post = await participation.publish(
            served.node, client, author, group, "still here", anonymous=True
        )
        await participation.edit(served.node, client, author, post, "still here, just")
        await participation.delete(served.node, client, author, post)
    outbox = served.urls.outbox(served.urls.person(AUTHOR))
    async with served.client.get(f"{outbox}?page=true", headers=AP) as r:
        page = await r.json(content_type=None)
    assert page["orderedItems"] == []
    group_outbox = served.urls.outbox(group)
    async with served.client.get(f"{group_outbox}?page=true", headers=AP) as r:
        text = await r.text()
    assert post in text and not names_author(text)


async def test_a_member_who_reports_an_anonymous_post_sees_the_group_as_its_author(
    served: ServedNode,
) -> None:
    group, author = await circle(served)
    sam = await accounts.create_account(served.node, "sam")
    async with client_for(served.node) as client:
        await participation.join(served.node, client, sam, group)
        post = await participation.publish(
            served.node, client, author, group, "nobody would miss me", anonymous=True
        )
    secret, _ = await tokens.create_token(served.node, "sam", "read write admin:read")
    api = ApiClient(served.client, served.base, Contract())
    filed = await api.post(
        "/api/v1/reports",
        secret,
        json_body={"account_id": group, "status_ids": [post], "category": "self_harm"},
    )
    assert filed.status == 200
    assert filed.body["target_account"]["id"] == group
    mine = await api.get("/api/cove/v1/reports/mine", secret)
    assert [r["target_account"] for r in mine.body] == [group]
    assert not names_author(str(filed.body) + str(mine.body))
    # The group's moderators see who wrote it; a member asking is refused.
    mo = await tokens.create_token(served.node, "mo", "read admin:read")
    shown = await api.get("/api/cove/v1/posts/author", mo[0], params={"post": post})
    assert shown.body == {"post": post, "author": served.urls.person(AUTHOR), "anonymous": True}
    refused = await api.get("/api/cove/v1/posts/author", secret, params={"post": post})
    assert refused.status == 403
    found = await anonymous_posts.author_of(served.node, Acting.operator(served.node), post)
    assert found.author == served.urls.person(AUTHOR)
