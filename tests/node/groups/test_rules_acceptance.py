"""A group's rules as people meet them: local members accept the current version to join and
again after a change that asks for it; a remote follower gets the rules once, in a welcome
note, when its follow is accepted; the actor carries them for Cove (`rules`) and as plain text
for everyone else (`summary`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from federation.errors import Conflict, Refused
from moderation.rules import parse_rules
from node.groups import groups, rules
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators.roles import Acting
from tests.conftest import ServedNode, client_for, eventually
from tests.node.inbound.test_lemmy_shapes import FOLLOW, deliver
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer

RULES = parse_rules(
    [
        {"title": "Be kind", "text": "No insults, no judging."},
        {"title": "No selling", "text": "No ads or links to shops."},
    ]
)
ACTIVITY_JSON = {"Accept": "application/activity+json"}


@pytest.fixture
async def lemmy() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer() as peer:
        yield peer


async def grief_with_rules(served: ServedNode) -> str:
    node = served.node
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    await rules.set_rules(node, Acting.operator(node), "grief", RULES, needs_acceptance=False)
    return served.urls.group("grief")


async def test_a_local_member_joins_only_by_accepting_the_rules(served: ServedNode) -> None:
    node = served.node
    group = await grief_with_rules(served)
    ann = await accounts.create_account(node, "ann")
    async with client_for(node) as client:
        with pytest.raises(Refused, match=r"has rules \(version 1\)"):
            await participation.join(node, client, ann, "grief")
        with pytest.raises(Refused, match="only members"):
            await participation.publish(node, client, ann, group, "hello", title="Hi")
        # Rules are accepted as read: a join that read another version is not accepted.
        with pytest.raises(Conflict, match="at version 1 now"):
            await participation.join(node, client, ann, "grief", accept_rules=True, rules_version=0)
        assert await participation.join(
            node, client, ann, "grief", accept_rules=True, rules_version=1
        ) == ("accepted")
        await participation.publish(node, client, ann, group, "hello", title="Hi")


async def test_a_change_that_asks_for_it_must_be_accepted_again_before_posting(
    served: ServedNode,
) -> None:
    node = served.node
    group = await grief_with_rules(served)
    ann = await accounts.create_account(node, "ann")
    async with client_for(node) as client:
        await participation.join(node, client, ann, "grief", accept_rules=True)
        # A change that does not ask for acceptance changes nothing for members.
        await rules.set_rules(
            node, Acting.operator(node), "grief", RULES[:1], needs_acceptance=False
        )
        await participation.publish(node, client, ann, group, "still here", title="A")
        changed = parse_rules(
            [
                *({"title": r.title, "text": r.text} for r in RULES),
                {"title": "No advice on medication"},
            ]
        )
        version = await rules.set_rules(
            node, Acting.operator(node), "grief", changed, needs_acceptance=True
        )
        assert version.version == 3
        with pytest.raises(Refused, match="read and accept version 3"):
            await participation.publish(node, client, ann, group, "new rules?", title="B")
        with pytest.raises(Conflict, match="at version 3 now"):  # an older one is not enough
            await rules.accept_rules(node, "grief", served.urls.person("ann"), 2)
        await rules.accept_rules(node, "grief", served.urls.person("ann"), 3)
        await participation.publish(node, client, ann, group, "read them", title="C")


async def test_a_remote_follower_gets_the_rules_once_in_a_welcome_note(
    served: ServedNode, lemmy: LemmyPeer
) -> None:
    group = await grief_with_rules(served)
    follow = lemmy.fixture(FOLLOW, group)
    await deliver(served, lemmy, follow)

    async def welcomed() -> list[dict[str, object]]:
        return [
            p.document
            for p in lemmy.received("Create")
            if isinstance(p.document.get("object"), dict)
            and p.document["object"].get("type") == "Note"
        ]

    (welcome,) = await eventually(welcomed)  # type: ignore[misc]
    note = welcome["object"]
    assert isinstance(note, dict)
    assert welcome["actor"] == group and note["attributedTo"] == group
    assert note["to"] == [lemmy.person]  # to the follower alone, never public
    assert "Be kind" in note["content"] and "No selling" in note["content"]
    assert "No ads or links to shops." in note["content"]
    assert lemmy.received("Accept")


async def test_the_actor_carries_the_rules_for_cove_and_as_text_for_others(
    served: ServedNode,
) -> None:
    group = await grief_with_rules(served)
    async with served.client.get(group, headers=ACTIVITY_JSON) as response:
        actor = await response.json(content_type=None)
    assert actor["rules"] == [
        {"name": "Be kind", "content": "No insults, no judging."},
        {"name": "No selling", "content": "No ads or links to shops."},
    ]
    assert "Rules:" in actor["summary"] and "No selling" in actor["summary"]
    assert actor["modlog"] == f"{group}/modlog"
