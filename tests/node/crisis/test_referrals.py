"""A moderator here refers a worried report about a person elsewhere to their home server: a
Flag in Mastodon's shape (the account and the post, the comment as content, no category for
software that does not know Cove's) from the group, naming no reporter. A member's worry
about a post in a group here stays here until a moderator decides so."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from federation.errors import Invalid, Refused
from node.crisis import referrals
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, participation
from node.moderators.reports import filed
from node.moderators.roles import Acting
from node.store.states import PostKind, Visibility
from node.store.tables import Post
from tests.conftest import ServedNode, client_for, eventually
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer


@pytest.fixture
async def mastodon() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer(software="mastodon") as peer:
        yield peer


async def test_a_moderator_refers_a_worry_to_a_mastodon_authors_server(
    served: ServedNode, mastodon: LemmyPeer
) -> None:
    node = served.node
    group = await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    post = f"{mastodon.base}/statuses/1"
    now = node.clock()
    async with node.store.transaction() as session:
        session.add(
            Post(
                uri=post,
                author_uri=mastodon.person,
                kind=PostKind.NOTE,
                content_html="<p>what is the point</p>",
                visibility=Visibility.PUBLIC,
                local=False,
                group_id=group.id,
                group_uri=served.urls.group("grief"),
                published=now,
                created_at=now,
            )
        )
    ann = await accounts.create_account(node, "ann")
    async with client_for(node) as client:
        report = await filed.file_report(node, client, ann, post, category="self_harm")
    assert report.direction.value == "received" and report.urgent

    async def cared_for() -> list[dict[str, object]]:
        return [p.document for p in mastodon.received("Create") if p.signed_by]

    (care,) = await eventually(cared_for)  # type: ignore[misc]
    assert care["to"] == [mastodon.person]
    assert mastodon.received("Flag") == []  # the worry stays here until a moderator decides

    bystander = Acting.member(node, ann)
    async with client_for(node) as client:
        with pytest.raises(Refused):
            await referrals.refer(node, client, bystander, report.id)
        await referrals.refer(node, client, Acting.operator(node), report.id, "she posted this")

    async def flagged() -> list[dict[str, object]]:
        return [p.document for p in mastodon.received("Flag") if p.signed_by]

    (flag,) = await eventually(flagged)  # type: ignore[misc]
    assert flag["actor"] == served.urls.group("grief")
    assert flag["object"] == [mastodon.person, post]  # the account first, as Mastodon reads
    assert flag["to"] == [mastodon.person]
    assert flag["content"] == (
        "A moderator of the group Grief is worried about this person's safety (self-harm or"
        " suicide risk). This is not an accusation.\n\nshe posted this"
    )
    assert "category" not in flag
    assert served.urls.person("ann") not in str(flag)


async def test_a_report_about_someone_here_has_no_server_to_refer_to(served: ServedNode) -> None:
    node = served.node
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    mel, ann = [await accounts.create_account(node, n) for n in ("mel", "ann")]
    async with client_for(node) as client:
        await participation.join(node, client, mel, served.urls.group("grief"))
        report = await filed.file_report(
            node, client, ann, served.urls.person("mel"), category="self_harm"
        )
        with pytest.raises(Invalid, match="someone on this node"):
            await referrals.refer(node, client, Acting.operator(node), report.id)
