"""A group's kind and topics: read from what an organizer types, stored, changed, shown in the
actor document as Hashtags (as Mastodon writes a profile's) and Cove's groupKind, with the
cached document following every change; and the node's directory that finds groups by them."""

from __future__ import annotations

from typing import Any

import pytest
from pyld import jsonld

from federation.errors import Invalid, Refused
from federation.jsonld import offline_loader
from node.groups import directory, groups, kinds, organizing
from node.groups.groups import NewGroup
from node.groups.organizing import GroupChanges
from node.members import accounts
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import GroupKind
from tests.conftest import ServedNode

AS = "https://www.w3.org/ns/activitystreams#"


def test_topics_are_read_like_hashtags() -> None:
    assert kinds.normalise_topics(["#Grief", " running ", "grief", "self-care", "Ärger_2"]) == [
        "grief",
        "running",
        "self-care",
        "ärger_2",
    ]


@pytest.mark.parametrize(
    ("topics", "reason"),
    [
        (["two words"], "only letters, digits"),
        (["#"], "at least one letter"),
        (["a" * 41], "longer than 40"),
        ([f"t{i}" for i in range(11)], "at most 10 topics"),
        (["<b>"], "only letters, digits"),
        (["--"], "only letters, digits"),
    ],
)
def test_bad_topics_are_refused_with_the_reason(topics: list[str], reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        kinds.normalise_topics(topics)


def test_an_unknown_kind_names_the_choices() -> None:
    assert kinds.parse_kind(" Lifestyle ") is GroupKind.LIFESTYLE
    with pytest.raises(Invalid, match="general, condition-specific, demographic, lifestyle"):
        kinds.parse_kind("hobby")


async def actor_of(served: ServedNode, name: str) -> dict[str, Any]:
    headers = {"Accept": "application/activity+json"}
    async with served.client.get(served.urls.group(name), headers=headers) as response:
        assert response.status == 200
        document: dict[str, Any] = await response.json(content_type=None)
        return document


async def test_kind_and_topics_are_in_the_actor_document_and_follow_each_change(
    served: ServedNode,
) -> None:
    node = served.node
    await accounts.create_account(node, "lead")
    await groups.create_group(
        node,
        NewGroup(
            name="after",
            title="After a loss",
            owner="lead",
            kind=GroupKind.CONDITION_SPECIFIC,
            topics=("grief", "loss"),
        ),
    )
    doc = await actor_of(served, "after")
    assert doc["groupKind"] == "condition-specific"
    assert doc["tag"] == [
        {"type": "Hashtag", "name": "#grief", "href": f"{served.base}/tags/grief"},
        {"type": "Hashtag", "name": "#loss", "href": f"{served.base}/tags/loss"},
    ]

    # A JSON-LD reader (offline contexts) gets ActivityStreams Hashtags and Cove's term.
    (expanded,) = jsonld.expand(doc, {"documentLoader": offline_loader()})
    tags = expanded[f"{AS}tag"]
    assert {t["@type"][0] for t in tags} == {f"{AS}Hashtag"}
    assert {t[f"{AS}name"][0]["@value"] for t in tags} == {"#grief", "#loss"}
    assert {t[f"{AS}href"][0]["@id"] for t in tags} == {
        f"{served.base}/tags/{t}" for t in ("grief", "loss")
    }
    (kind,) = expanded[f"{served.urls.vocabulary()}#groupKind"]
    assert kind["@value"] == "condition-specific"

    # The group's owner changes them; the cached document goes with the write.
    lead = Acting.member(node, await accounts.get_account_by_name(node, "lead"))
    changes = GroupChanges(kind=GroupKind.GENERAL, topics=("#Widows",))
    await organizing.change_group(node, lead, "after", changes)
    doc = await actor_of(served, "after")
    assert doc["groupKind"] == "general"
    assert [t["name"] for t in doc["tag"]] == ["#widows"]
    await organizing.change_group(node, lead, "after", GroupChanges(topics=()))
    doc = await actor_of(served, "after")
    assert doc["tag"] == [] and doc["groupKind"] == "general"


async def test_only_the_groups_moderators_change_its_kind(node: Node) -> None:
    await accounts.create_account(node, "lead")
    walker = await accounts.create_account(node, "walker")
    await groups.create_group(node, NewGroup(name="walks", title="Walks", owner="lead"))
    with pytest.raises(Refused, match="not a moderator of walks"):
        await organizing.change_group(
            node, Acting.member(node, walker), "walks", GroupChanges(kind=GroupKind.LIFESTYLE)
        )
    with pytest.raises(Invalid, match="at most 10"):
        await organizing.change_group(
            node,
            Acting.operator(node),
            "walks",
            GroupChanges(topics=tuple(f"t{i}" for i in range(11))),
        )
    assert (await groups.group_named(node, "walks")).kind is GroupKind.GENERAL


async def make(node: Node, name: str, kind: GroupKind, *topics: str, **flags: Any) -> None:
    await groups.create_group(
        node,
        NewGroup(
            name=name, title=flags.pop("title", name.title()), kind=kind, topics=topics, **flags
        ),
    )


def names(page: directory.DirectoryPage) -> list[str]:
    return [g.name for g in page.groups]


async def test_the_directory_finds_listed_groups_by_kind_topic_and_words(node: Node) -> None:
    await make(
        node,
        "trauer",
        GroupKind.CONDITION_SPECIFIC,
        "grief",
        discoverable=True,
        title="Trauer und Verlust",
        summary="Für Hinterbliebene",
    )
    await make(
        node,
        "runners",
        GroupKind.LIFESTYLE,
        "running",
        "bipolar",
        discoverable=True,
        approves_members=True,
    )
    await make(node, "carers", GroupKind.DEMOGRAPHIC, "carers", discoverable=True)
    await make(node, "quiet", GroupKind.CONDITION_SPECIFIC, "grief")  # not discoverable
    await make(
        node, "closed", GroupKind.CONDITION_SPECIFIC, "grief", discoverable=True, members_only=True
    )  # members-only groups are never discoverable
    await accounts.create_account(node, "ann")
    async with node.store.transaction() as session:
        from tests.conftest import add_follower

        group = await groups.get_group(session, "runners")
        for n in range(3):
            uri = f"https://peer.example/u/r{n}"
            await add_follower(session, group.id, uri, f"{uri}/inbox", None, node.clock())

    everyone = await directory.directory(node)
    assert names(everyone) == ["carers", "runners", "trauer"]  # newest first
    runners = everyone.groups[1]
    assert (runners.kind, runners.topics, runners.follower_count) == (
        GroupKind.LIFESTYLE,
        ("running", "bipolar"),
        3,
    )
    assert runners.approves_members and not runners.members_only

    assert names(await directory.directory(node, kind=GroupKind.CONDITION_SPECIFIC)) == ["trauer"]
    assert names(await directory.directory(node, topic="#Grief")) == ["trauer"]
    assert names(await directory.directory(node, query="BIPOLAR")) == ["runners"]  # a topic
    assert names(await directory.directory(node, query="verlust")) == ["trauer"]  # the title
    assert names(await directory.directory(node, query="FÜR")) == ["trauer"]  # Unicode case
    assert names(await directory.directory(node, query="trauer running")) == []  # every word
    assert names(await directory.directory(node, query="quiet")) == []
    with pytest.raises(Invalid, match="only letters"):
        await directory.directory(node, topic="two words")


async def test_the_directory_pages_older_and_newer(node: Node) -> None:
    for n in range(5):
        await make(node, f"g{n}", GroupKind.GENERAL, discoverable=True)
    first = await directory.directory(node, limit=2)
    assert names(first) == ["g4", "g3"] and first.newer is None and first.older is not None
    second = await directory.directory(node, before=first.older, limit=2)
    assert names(second) == ["g2", "g1"] and second.newer is not None
    third = await directory.directory(node, before=second.older, limit=2)
    assert names(third) == ["g0"] and third.older is None
    back = await directory.directory(node, after=third.newer, limit=2)
    assert names(back) == ["g2", "g1"]
    back = await directory.directory(node, after=back.newer, limit=2)
    assert names(back) == ["g4", "g3"] and back.newer is None
    with pytest.raises(Invalid, match="limit"):
        await directory.directory(node, limit=0)
    with pytest.raises(Invalid, match="before or after"):
        await directory.directory(node, before=3, after=1)
