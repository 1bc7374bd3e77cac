"""The pages that start and run a group, through a browser's requests: admins and organizers
start groups (everyone else gets a 403); a group's owner or a node admin changes its settings,
its crisis care, its rules and its moderators, its other moderators what it gathers around
and its care words (anyone else gets a 403 that shows nothing of the group, and a missing
group a 404); a bad value is a 400 page that says why and keeps what
was typed; a group that takes no anonymous posts offers none and refuses one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from node.groups import organizing
from node.groups.groups import NewGroup
from node.members import participation
from node.moderators import appointments
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import AccountRole
from tests.conftest import ServedNode, client_for, serving
from tests.node.members.conftest import NodeFactory, member
from tests.support.browsing import Browser, browser, signed_in


@dataclass
class Site:
    served: ServedNode

    @property
    def node(self) -> Node:
        return self.served.node


@pytest.fixture
async def site(make_node: NodeFactory) -> AsyncIterator[Site]:
    """olive (an organizer) owns grief, which kim belongs to; ada is an admin; mo a node
    moderator."""
    node: Node = await make_node(mode="open")
    await member(node, "ada", AccountRole.ADMIN)
    olive = await member(node, "olive", AccountRole.ORGANIZER)
    await member(node, "mo", AccountRole.MODERATOR)
    kim = await member(node, "kim")
    await organizing.found_group(
        node, Acting.member(node, olive), NewGroup(name="grief", title="Grief support")
    )
    async with client_for(node) as client:
        await participation.join(node, client, kim, node.urls.group("grief"))
    async with serving(node, workers=False) as served:
        yield Site(served)


async def as_(site: Site, name: str) -> AsyncIterator[Browser]:
    async with browser(site.served.base) as person:
        await signed_in(person, name)
        yield person


def refused(page_text: str, status: int, page_status: int, *, hides: str = "Grief support") -> None:
    assert page_status == status, page_text[:400]
    assert hides not in page_text  # nothing of the group behind a refusal


async def test_admins_and_organizers_start_groups_others_are_refused(site: Site) -> None:
    async with browser(site.served.base) as kim:
        await signed_in(kim, "kim")
        assert 'href="/groups/new"' not in (await kim.get("/")).text
        page = await kim.get("/groups/new")
        assert (
            page.status == 403 and "may not start groups: node admins and organizers" in page.text
        )
    async with browser(site.served.base) as olive:
        await signed_in(olive, "olive")
        assert 'href="/groups/new"' in (await olive.get("/")).text
        await olive.get("/groups/new")
        fields = {
            "name": "Tea Room!",
            "title": "Tea and talk",
            "summary": "Sit down.",
            "kind": "lifestyle",
            "topics": "tea, #Talk",
            "posting": "members",
            "anonymous_posts": "yes",
        }
        bad = await olive.submit("/groups/new", fields)
        assert bad.status == 400 and 'role="alert"' in bad.text
        assert "Tea and talk" in bad.text  # what was typed is kept
        for wrong, said in (
            ({"kind": "cult"}, "Unknown group kind"),
            ({"posting": "x"}, "Unknown posting policy"),
        ):
            assert (
                said in (await olive.submit("/groups/new", {**fields, "name": "tea", **wrong})).text
            )
        made = await olive.submit("/groups/new", {**fields, "name": "tea"})
        assert made.status == 200 and made.url.endswith("/g/tea/rules?done=created"), made.url
        assert "The group is started" in made.text
        team = await olive.get("/g/tea/team")
        assert "olive@" in team.text and "owner" in team.text
        settings = await olive.get("/g/tea/settings")
        assert (
            'value="tea, talk"' in settings.text and 'value="lifestyle" selected' in settings.text
        )


async def test_only_the_owner_or_an_admin_opens_a_groups_pages(site: Site) -> None:
    for path in ("/g/grief/settings", "/g/grief/rules", "/g/grief/team"):
        # A node moderator moderates every group: its settings are theirs in part (below).
        for name in ("kim",) if path.endswith("settings") else ("kim", "mo"):
            async with browser(site.served.base) as person:
                await signed_in(person, name)
                page = await person.get(path)
                refused(page.text, 403, page.status)
                said = "not a moderator of grief" if path.endswith("settings") else "only the owner"
                assert said in page.text.lower()
        async with browser(site.served.base) as ada:
            await signed_in(ada, "ada")
            assert (await ada.get(path)).status == 200
            missing = await ada.get(path.replace("grief", "nowhere"))
            assert missing.status == 404
    async with browser(site.served.base) as kim:
        await signed_in(kim, "kim")
        assert 'href="/g/grief/settings"' not in (await kim.get("/g/grief")).text
        await kim.get("/g/grief")
        sent = await kim.submit("/g/grief/settings", {"title": "Mine now", "kind": "general"})
        refused(sent.text, 403, sent.status)
    async with browser(site.served.base) as olive:
        await signed_in(olive, "olive")
        assert 'href="/g/grief/settings"' in (await olive.get("/g/grief")).text
        forged = await olive.submit(
            "/g/grief/settings", {"title": "X"}, token="forged-token-value-xx"
        )
        assert forged.status == 403 and "This form has expired" in forged.text


async def test_a_groups_moderator_changes_what_it_gathers_around_and_its_care_words(
    site: Site,
) -> None:
    """As `cove group set --kind/--topic` and `cove group care-template` let them: nothing
    else of the group is on their page, nor changed by what they send."""
    node = site.node
    async with client_for(node) as client:
        await appointments.set_moderator(
            node, client, Acting.operator(node), "grief", "kim", moderator=True
        )
    async with browser(site.served.base) as kim:
        await signed_in(kim, "kim")
        group = await kim.get("/g/grief")
        assert 'href="/g/grief/settings"' in group.text and 'href="/g/grief/team"' not in group.text
        page = await kim.get("/g/grief/settings")
        assert page.status == 200 and 'name="topics"' in page.text and 'name="kind"' in page.text
        for theirs_not in ('name="title"', 'name="posting"', 'name="members_only"', "hold_acute"):
            assert theirs_not not in page.text, theirs_not
        assert "The group does not hold such posts" in page.text
        assert 'href="/g/grief/rules"' not in page.text
        sent = {"kind": "demographic", "topics": "grief, loss", "title": "Kim's now"}
        saved = await kim.submit("/g/grief/settings", {**sent, "members_only": "yes"})
        assert saved.url.endswith("?done=saved"), saved.text[:400]
        bad = await kim.submit("/g/grief/settings", {"kind": "cult"})
        assert (
            bad.status == 400
            and "Unknown group kind" in bad.text
            and 'name="title"' not in bad.text
        )
        await kim.get("/g/grief/settings")
        care = await kim.submit(
            "/g/grief/settings/care", {"hold_acute": "yes", "care_words": "We are with you."}
        )
        assert care.url.endswith("?done=care") and "We are with you.</textarea>" in care.text
    settings = await organizing.settings_of(node, Acting.operator(node), "grief")
    assert settings.group.kind == "demographic" and settings.group.topics == ("grief", "loss")
    assert settings.group.title == "Grief support" and not settings.group.members_only
    assert settings.care_words == "We are with you." and not settings.hold_acute
    async with browser(site.served.base) as olive:  # the owner still changes everything
        await signed_in(olive, "olive")
        page = await olive.get("/g/grief/settings")
        assert 'name="title"' in page.text and 'id="hold_acute"' in page.text
        assert 'href="/g/grief/team"' in page.text


async def actor_name(site: Site) -> str:
    headers = {"Accept": "application/activity+json"}
    async with site.served.client.get(site.node.urls.group("grief"), headers=headers) as answer:
        return str((await answer.json())["name"])


async def test_the_owner_changes_the_group_and_anonymous_posts_go_away(site: Site) -> None:
    async with browser(site.served.base) as visitor:  # kept for visitors, and the actor too
        assert "<h1>Grief support</h1>" in (await visitor.get("/g/grief")).text
        assert await actor_name(site) == "Grief support"
    async with browser(site.served.base) as olive:
        await signed_in(olive, "olive")
        await olive.get("/g/grief/settings")
        fields = {
            "title": "Grief circle",
            "summary": "For any loss.",
            "kind": "condition-specific",
            "topics": "grief, loss",
            "posting": "members",
            "approves_members": "yes",
        }
        bad = await olive.submit("/g/grief/settings", {**fields, "topics": "grief, no way!"})
        assert bad.status == 400 and "may hold only letters" in bad.text
        assert 'value="Grief circle"' in bad.text  # kept
        saved = await olive.submit("/g/grief/settings", fields)  # anonymous_posts unchecked
        assert saved.url.endswith("/g/grief/settings?done=saved") and "Saved." in saved.text
        group = await olive.get("/g/grief")
        assert "<h1>Grief circle</h1>" in group.text
        async with browser(site.served.base) as visitor:  # what was kept went with the change
            assert "<h1>Grief circle</h1>" in (await visitor.get("/g/grief")).text
            assert await actor_name(site) == "Grief circle"
        assert "this group takes no anonymous posts" in group.text
        assert "A moderator approves each new member." in group.text

        await olive.get("/g/grief/settings")
        too_long = await olive.submit(
            "/g/grief/settings/care", {"hold_acute": "yes", "care_words": "x" * 5001}
        )
        assert too_long.status == 400 and "longer than 5000" in too_long.text
        await olive.submit(
            "/g/grief/settings/care", {"hold_acute": "yes", "care_words": "We are here, {group}."}
        )
        care = await olive.get("/g/grief/settings")
        assert "We are here, {group}.</textarea>" in care.text
        assert 'aria-describedby="hold_acute_hint" checked' in care.text

    async with browser(site.served.base) as kim:
        await signed_in(kim, "kim")
        page = await kim.get("/g/grief")
        assert 'name="anonymous"' not in page.text and 'name="title"' in page.text
        sent = await kim.submit(
            "/g/grief/post", {"title": "Hi", "text": "Hello", "anonymous": "yes"}
        )
        assert sent.status == 403 and "Grief circle does not take anonymous posts" in sent.text


async def test_the_rules_editor_writes_versions_in_order(site: Site) -> None:
    async with browser(site.served.base) as olive:
        await signed_in(olive, "olive")
        empty = await olive.get("/g/grief/rules")
        assert "The group has no rules yet." in empty.text and 'name="title_2"' in empty.text
        first = {
            "title_0": "Be kind",
            "text_0": "No insults.",
            "position_0": "2",
            "title_1": "No selling",
            "position_1": "1",
            "title_2": "",
            "position_2": "3",
        }
        nothing = await olive.submit("/g/grief/rules", {"title_0": "", "position_0": "1"})
        assert nothing.status == 400 and "Give at least one rule" in nothing.text
        bad = await olive.submit("/g/grief/rules", {**first, "position_1": "first"})
        assert (
            bad.status == 400
            and "is not a whole number" in bad.text
            and 'value="No selling"' in bad.text
        )
        more = await olive.submit("/g/grief/rules", {**first, "more": "yes"})
        assert (
            more.status == 200 and 'name="title_5"' in more.text and 'value="Be kind"' in more.text
        )
        saved = await olive.submit("/g/grief/rules", first)
        assert (
            saved.url.endswith("/g/grief/rules?done=saved") and "Saved as version 1" in saved.text
        )
        assert saved.text.index('value="No selling"') < saved.text.index('value="Be kind"')
        again = await olive.submit(
            "/g/grief/rules",
            {
                "title_0": "No selling",
                "position_0": "1",
                "remove_0": "yes",
                "title_1": "Be kind",
                "text_1": "No insults, ever.",
                "position_1": "2",
                "needs_acceptance": "yes",
            },
        )
        assert "Saved as version 2" in again.text and "Earlier versions" in again.text
    async with browser(site.served.base) as kim:
        await signed_in(kim, "kim")
        group = await kim.get("/g/grief")
        assert "The rules changed (version 2)" in group.text and "No insults, ever." in group.text
        assert "No selling" not in group.text


async def test_the_owner_appoints_and_removes_moderators_and_hides_their_names(site: Site) -> None:
    async with browser(site.served.base) as olive:
        await signed_in(olive, "olive")
        await olive.get("/g/grief/team")
        nobody = await olive.submit("/g/grief/team/appoint", {"username": "nobody"})
        assert nobody.status == 404 and "No account named &#39;nobody&#39;" in nobody.text
        assert 'value="nobody"' in nobody.text
        appointed = await olive.submit("/g/grief/team/appoint", {"username": "@kim"})
        assert (
            appointed.url.endswith("?done=appointed")
            and "Remove kim as moderator" in appointed.text
        )
        again = await olive.submit("/g/grief/team/appoint", {"username": "kim"})
        assert again.status == 409 and "already a moderator" in again.text
        owner = await olive.submit("/g/grief/team/remove", {"username": "olive"})
        assert owner.status == 403 and "an owner stays a moderator" in owner.text
        removed = await olive.submit("/g/grief/team/remove", {"username": "kim"})
        assert removed.url.endswith("?done=removed") and "Remove kim" not in removed.text
        odd = await olive.submit("/g/grief/team/modlog-names", {"names": "sometimes"})
        assert odd.status == 400 and "Choose whether the public log" in odd.text
        await olive.submit("/g/grief/team/modlog-names", {"names": "hide"})
        log = await olive.get("/g/grief/modlog")  # its moderators still see who did what
        assert "Others read this log without the moderators" in log.text
    async with browser(site.served.base) as kim:
        await signed_in(kim, "kim")
        log = await kim.get("/g/grief/modlog")
        assert "A moderator" in log.text and site.node.urls.person("olive") not in log.text
    async with browser(site.served.base) as ada:  # a node admin, in no role in the group
        await signed_in(ada, "ada")
        await ada.get("/g/grief/team")
        shown = await ada.submit("/g/grief/team/modlog-names", {"names": "show"})
        assert shown.url.endswith("?done=names")
        assert site.node.urls.person("olive") in (await ada.get("/g/grief/modlog")).text
