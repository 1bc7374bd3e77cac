"""Starting and shaping a group: who may start one (node admins and organizers, not node
moderators or members), what a change sends its followers' servers (an Update of the Group
as it is now, rules and all; nothing for what they do not see), and what a members-only
group implies."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import col, select

from federation.errors import Refused
from moderation.rules import Rule
from node.groups import organizing
from node.groups.groups import NewGroup, moderator_uris
from node.groups.organizing import GroupChanges
from node.members import accounts
from node.moderators import removals
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import AccountRole
from node.store.tables import Activity, Delivery
from tests.conftest import add_follower

pytestmark = pytest.mark.storage


async def test_admins_and_organizers_start_groups_and_own_them(node: Node) -> None:
    made = {}
    for name, role in [
        ("ada", AccountRole.ADMIN),
        ("olive", AccountRole.ORGANIZER),
        ("mo", AccountRole.MODERATOR),
        ("kim", AccountRole.MEMBER),
    ]:
        made[name] = Acting.member(node, await accounts.create_account(node, name, role=role))
    for name in ("mo", "kim"):
        with pytest.raises(Refused, match=f"{name} may not start groups"):
            await organizing.found_group(node, made[name], NewGroup(name=f"by_{name}", title="X"))
    for name in ("ada", "olive"):
        group = await organizing.found_group(
            node, made[name], NewGroup(name=f"by_{name}", title="X")
        )
        async with node.store.session() as session:
            assert await moderator_uris(session, group.id) == [node.urls.person(name)]


async def _updates(node: Node, kind: str = "Update") -> list[tuple[dict[str, Any], list[str]]]:
    """The activities of a kind the node sent, oldest first, with the inboxes each goes to."""
    async with node.store.session() as session:
        sent = (
            await session.exec(
                select(Activity).where(Activity.type == kind).order_by(col(Activity.id))
            )
        ).all()
        found = []
        for activity in sent:
            inboxes = await session.exec(
                select(Delivery.inbox).where(Delivery.activity_id == activity.id)
            )
            found.append((activity.document, sorted(inboxes.all())))
    return found


async def test_followers_servers_are_sent_the_group_as_it_is_after_a_change(node: Node) -> None:
    owner = await accounts.create_account(node, "olive", role=AccountRole.ORGANIZER)
    acting = Acting.member(node, owner)
    group = await organizing.found_group(node, acting, NewGroup(name="tea", title="Tea"))
    async with node.store.transaction() as session:
        for n, shared in ((1, "https://a.example/inbox"), (2, "https://a.example/inbox")):
            await add_follower(
                session,
                group.id,
                f"https://a.example/u/{n}",
                f"https://a.example/u/{n}/inbox",
                shared,
                node.clock(),
            )
        await add_follower(
            session,
            group.id,
            "https://b.example/u/x",
            "https://b.example/u/x/inbox",
            None,
            node.clock(),
        )

    await organizing.change_group(node, acting, "tea", GroupChanges(anonymous_posts=False))
    assert await _updates(node) == []  # nothing other servers see changed

    await organizing.change_group(node, acting, "tea", GroupChanges(title="Tea and talk"))
    await organizing.write_rules(node, acting, "tea", (Rule(1, "Be kind"),), needs_acceptance=True)
    (retitled, inboxes), (ruled, _) = await _updates(node)
    assert inboxes == ["https://a.example/inbox", "https://b.example/u/x/inbox"]  # a server once
    group_uri = node.urls.group("tea")
    assert retitled["actor"] == group_uri and retitled["object"]["id"] == group_uri
    assert retitled["object"]["type"] == "Group" and retitled["object"]["name"] == "Tea and talk"
    assert retitled["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert ruled["object"]["rules"] == [{"name": "Be kind", "content": ""}]
    # And as Lemmy and PieFed send a community's change (Lemmy 0.19 and Mbin read only this):
    # the group announces an Update by a person of its server, its owner.
    (announced, announced_to), _ = await _updates(node, "Announce")
    assert announced_to == inboxes and announced["actor"] == group_uri
    by = announced["object"]
    assert by["type"] == "Update" and by["actor"] == node.urls.person("olive")
    assert by["object"] == retitled["object"] and by["audience"] == group_uri
    assert by["to"] == [group_uri, "https://www.w3.org/ns/activitystreams#Public"]

    closed = await organizing.change_group(
        node, acting, "tea", GroupChanges(members_only=True, discoverable=True)
    )
    assert closed.members_only and closed.approves_members and not closed.discoverable
    *_, (private, _) = await _updates(node)
    assert private["to"] == [node.urls.followers(group_uri)]  # its members alone
    assert private["object"]["membersOnly"] is True
    *_, (announced, _) = await _updates(node, "Announce")
    assert "https://www.w3.org/ns/activitystreams#Public" not in json.dumps(announced)
    assert announced["object"]["to"] == [group_uri, node.urls.followers(group_uri)]


async def test_the_announced_change_names_no_moderator_the_group_keeps_unnamed(
    node: Node,
) -> None:
    # A group started from the console has no owner: the admin who changes it is named,
    # unless the group keeps its moderators' names out of its public log.
    admin = Acting.member(node, await accounts.create_account(node, "ada", role=AccountRole.ADMIN))
    for name in ("named", "unnamed"):
        group = await organizing.found_group(node, Acting.operator(node), NewGroup(name, "G"))
        async with node.store.transaction() as session:
            inbox = f"https://{name}.example/inbox"
            await add_follower(
                session, group.id, f"https://{name}.example/u/a", inbox, None, node.clock()
            )
    await removals.set_modlog_names_hidden(node, admin, "unnamed", hidden=True)
    for name in ("named", "unnamed"):
        await organizing.change_group(node, admin, name, GroupChanges(title="Changed"))
    await organizing.change_group(node, Acting.operator(node), "named", GroupChanges(title="Again"))
    assert len(await _updates(node)) == 3  # every change goes out as the group's own Update
    announced = await _updates(node, "Announce")
    assert [a["object"]["actor"] for a, _ in announced] == [node.urls.person("ada")]
