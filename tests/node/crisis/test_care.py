"""Care messages: a member here gets a notification in their language with the crisis lines;
a person elsewhere (a real Fedify server) gets a direct Note from the group, to them alone,
signed by the group, at their own inbox. One a day across groups (a hold message always
goes), none to a member who opted out or a person whose profile says #nocare; a group's own
words, set by its moderators."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from federation.errors import Refused
from node.actors.instance import ensure_instance
from node.crisis.care import offer_care, set_care, wants_no_care
from node.crisis.care_words import group_words
from node.groups import groups
from node.groups.groups import GroupInfo, NewGroup
from node.members import accounts, notifications
from node.members.notifications import NotificationKind
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import CareReason
from node.store.tables import RemoteActor
from tests.conftest import MovableClock, ServedNode, client_for, cove_in_process, eventually
from tests.node.cli.test_cli import as_json, ok
from tests.peers.fedify_peer import FedifyPeer, start_fedify_peer

AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def here(node: Node) -> Node:
    """The node with a clock tests move, crisis lines for Spain, and its instance actor."""
    crisis = dataclasses.replace(node.config.crisis, default_country="ES")
    config = dataclasses.replace(node.config, crisis=crisis)
    moved = dataclasses.replace(node, config=config, clock=MovableClock())
    await ensure_instance(moved)
    return moved


async def group_and_member(node: Node) -> tuple[GroupInfo, str]:
    await accounts.create_account(node, "mel")
    group = await groups.create_group(node, NewGroup(name="grief", title="Grief support"))
    return group, node.urls.person("mel")


async def care_notes(node: Node, name: str = "mel") -> list[str]:
    account = await accounts.get_account_by_name(node, name)
    found = await notifications.notifications(node, account)
    return [n.text for n in found if n.kind == NotificationKind.CARE]


async def offer(
    node: Node, group: GroupInfo | None, person: str, reason: CareReason, **kw: str
) -> bool:
    async with client_for(node) as client:
        return await offer_care(node, client, group, person, reason, **kw)


async def test_a_member_here_is_offered_care_in_their_language_once_a_day(here: Node) -> None:
    group, mel = await group_and_member(here)
    assert await offer(here, group, mel, CareReason.DETECTED, language="es-MX")
    (note,) = await care_notes(here)
    assert note.startswith("Hola. Te escribimos desde Grief support")
    assert "Línea 024" in note and "Llama al 024" in note  # Spain's line, in Spanish
    assert "Find A Helpline" in note  # and the one for anywhere
    assert "{" not in note

    # Another group, the same day: nothing more. A hold message explains a post: it goes.
    other = await groups.create_group(here, NewGroup(name="peers", title="Peers"))
    assert not await offer(here, other, mel, CareReason.WORRIED)
    assert await offer(here, group, mel, CareReason.HELD)
    hold, _ = await care_notes(here)
    assert hold.startswith("Hi. Your post in Grief support is waiting for a moderator")

    here.clock.advance(timedelta(hours=25))  # type: ignore[attr-defined]
    assert await offer(here, None, mel, CareReason.WORRIED, language="xx")
    latest = (await care_notes(here))[0]
    assert latest.startswith(f"Hi. We're writing from {here.config.node.name}")


async def test_a_member_who_opted_out_gets_no_care_message(here: Node) -> None:
    group, mel = await group_and_member(here)
    account = await accounts.get_account_by_name(here, "mel")
    await set_care(here, account, wanted=False)
    assert not await offer(here, group, mel, CareReason.DETECTED)
    await set_care(here, account, wanted=True)
    assert await offer(here, group, mel, CareReason.DETECTED)
    await accounts.create_account(here, "sam", summary="Runner. #NoCare please.")
    assert not await offer(here, group, here.urls.person("sam"), CareReason.DETECTED)
    assert await care_notes(here, "sam") == []


def test_nocare_is_read_from_a_profiles_text_and_its_hashtags() -> None:
    mastodon_bio = (
        '<p>Hi <a href="https://m.example/tags/nocare" class="mention hashtag" rel="tag">'
        "#<span>nocare</span></a></p>"
    )
    assert wants_no_care(mastodon_bio)
    assert wants_no_care("", [{"type": "Hashtag", "name": "#NoCare"}])
    assert not wants_no_care("I take no care of my plants #nocareful", [])
    assert not wants_no_care(None, {"type": "Mention", "name": "#nocare"})


async def test_a_person_elsewhere_whose_profile_says_nocare_is_not_written_to(here: Node) -> None:
    group, _ = await group_and_member(here)
    person = "https://elsewhere.example/users/kim"
    now = here.clock()
    async with here.store.transaction() as session:
        session.add(
            RemoteActor(
                uri=person,
                type="Person",
                domain="elsewhere.example",
                inbox=f"{person}/inbox",
                document={"summary": "<p>please, #nocare</p>"},
                fetched_at=now,
                created_at=now,
            )
        )
    # Read from the stored actor: no fetch (elsewhere.example does not exist).
    assert not await offer(here, group, person, CareReason.DETECTED)


async def test_a_groups_own_words_are_its_moderators_to_set(here: Node) -> None:
    group, mel = await group_and_member(here)
    with pytest.raises(Refused):
        await group_words(
            here,
            Acting.member(here, await accounts.get_account_by_name(here, "mel")),
            "grief",
            hold=False,
            change="Hello",
        )
    operator = Acting.operator(here)
    words = await group_words(
        here, operator, "grief", hold=False, change="{group} thinks of you. Reach out:"
    )
    assert words.own == words.in_use
    assert await offer(here, group, mel, CareReason.DETECTED)
    (note,) = await care_notes(here)
    # Words without {resources} still carry the lines, after them.
    assert note.startswith("Grief support thinks of you. Reach out:\n\n")
    assert "Find A Helpline" in note
    reset = await group_words(here, operator, "grief", hold=False, reset=True)
    assert reset.own is None and reset.in_use.startswith("Hi. We're writing from {group}")


def test_words_and_the_choice_to_get_care_from_the_command_line(tmp_path: Path) -> None:
    def cove(*args: str) -> object:
        return as_json(cove_in_process(tmp_path, *args, "--json"))

    ok(cove_in_process(tmp_path, "init", "--no-demo"))
    cove("account", "create", "bea")
    cove("account", "create", "mel")
    cove("group", "create", "grief", "--title", "Grief", "--owner", "bea")
    hold = cove("group", "care-template", "grief", "--hold", "--set", "Wait {group}", "--as", "bea")
    assert hold == {
        "group": "grief",
        "kind": "hold",
        "own": "Wait {group}",
        "in_use": "Wait {group}",
    }
    refused = cove_in_process(
        tmp_path, "group", "care-template", "grief", "--set", "x", "--as", "mel"
    )
    assert refused.returncode == 1 and "not a moderator of grief" in refused.stderr
    empty = cove_in_process(tmp_path, "group", "care-template", "grief", "--set", " ")
    assert empty.returncode == 2 and empty.stderr.count("\n") == 1
    assert cove("member", "care", "off", "--as", "mel") == {"account": "mel", "care": False}
    missing = cove_in_process(tmp_path, "member", "care", "off", "--as", "nobody")
    assert missing.returncode == 3 and "no account named 'nobody'" in missing.stderr


@pytest.fixture
async def fedify() -> AsyncIterator[FedifyPeer]:
    async with start_fedify_peer() as peer:
        yield peer


@pytest.mark.usefixtures("fedify_available")
async def test_a_person_elsewhere_gets_a_direct_note_signed_by_the_group(
    served: ServedNode, fedify: FedifyPeer
) -> None:
    group = await groups.create_group(served.node, NewGroup(name="grief", title="Grief support"))
    assert await offer(served.node, group, fedify.actor_id, CareReason.WORRIED, language="de")

    async def arrived() -> list[dict[str, object]]:
        posts = (await fedify.received())["inbox_posts"]
        return [p for p in posts if p["activity_type"] == "Create"]

    (post,) = await eventually(arrived)  # type: ignore[misc]
    group_uri = served.urls.group("grief")
    assert post["outcome"] == "accepted"  # Fedify verified the signature...
    assert post["key_id"] == f"{group_uri}#main-key"  # ...of the group's key
    assert post["path"] == "/users/alice/inbox"  # alice's own inbox, not the shared one
    create = post["raw"]
    note = create["object"]
    for document in (create, note):
        assert document["to"] == [fedify.actor_id]
        assert document.get("cc", []) == []
        assert AS_PUBLIC not in str(document)
    assert create["actor"] == note["attributedTo"] == group_uri
    assert note["tag"] == [{"type": "Mention", "href": fedify.actor_id}]
    assert note["content"].startswith("<p>Hallo. Wir schreiben dir aus Grief support")
    assert note["contentMap"] == {"de": note["content"]}


@pytest.mark.usefixtures("fedify_available")
async def test_an_acute_post_from_elsewhere_brings_its_author_a_care_note_and_the_queue_an_item(
    served: ServedNode, fedify: FedifyPeer
) -> None:
    """The whole way: a person on another server posts into a group here as Mastodon posts;
    the node reads it in its workers, opens an urgent item, and the group writes to them."""
    from sqlmodel import select

    from node.store.states import PostingPolicy
    from node.store.tables import Report
    from tests.peers.fedify_peer import Mention

    await groups.create_group(
        served.node,
        NewGroup(name="night", title="Night watch", posting_policy=PostingPolicy.ANYONE),
    )
    group_uri = served.urls.group("night")
    handle = f"@night@{served.urls.domain}"
    said = "I have written my letters and I'm going to end my life tonight. Goodbye everyone."
    sent = await fedify.post_status(
        served.urls.inbox(group_uri), f"{handle} {said}", mentions=(Mention(group_uri, handle),)
    )
    assert sent["status"] == 202

    async def cared() -> list[dict[str, object]]:
        posts = (await fedify.received())["inbox_posts"]
        return [p for p in posts if p["activity_type"] == "Create"]

    (post,) = await eventually(cared)  # type: ignore[misc]
    note = post["raw"]["object"]  # type: ignore[index]
    assert post["outcome"] == "accepted" and post["path"] == "/users/alice/inbox"
    assert note["to"] == [fedify.actor_id] and AS_PUBLIC not in str(post["raw"])
    assert note["attributedTo"] == group_uri
    async with served.node.store.session() as session:
        report = (await session.exec(select(Report))).one()
    assert report.urgent and report.category.value == "self_harm"
    assert report.target_account_uri == fedify.actor_id
