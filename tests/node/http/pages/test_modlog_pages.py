"""What a person with a browser reads about a group's moderation: the rules and the latest
moderation log on the group's page, the whole log paged at the log's URL, moderator names
hidden when the owner asks (but from its moderators), and a members-only group's log for
its members and the node's staff alone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from federation.errors import Refused
from moderation.modlog import ModAction
from moderation.rules import parse_rules
from node.groups import groups, membership, rules
from node.groups.groups import NewGroup
from node.http.pages.modlog import MODLOG_PAGE_SIZE
from node.members import accounts, participation
from node.moderators import bans, modlog, removals
from node.moderators.roles import Acting
from node.store.states import AccountRole
from tests.conftest import ServedNode, client_for
from tests.node.members.conftest import member
from tests.support.browsing import browser, signed_in

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
AP = "application/activity+json"


async def page(served: ServedNode, url: str) -> tuple[int, str]:
    async with served.client.get(url, headers={"Accept": BROWSER}) as r:
        assert r.headers["Content-Type"].startswith("text/html")
        return r.status, await r.text()


async def grief_with_a_ban(served: ServedNode, **shape: bool) -> str:
    """The group grief owned by olive, with two rules and one ban by olive; olive's URI."""
    olive = await member(served.node, "olive")
    await groups.create_group(
        served.node, NewGroup(name="grief", title="Grief support", owner="olive", **shape)
    )
    acting = Acting.member(served.node, olive)
    await rules.set_rules(
        served.node,
        acting,
        "grief",
        parse_rules(
            [
                {"title": "Be kind", "text": "No <b>insults</b>, ever."},
                {"title": "No selling", "text": ""},
            ]
        ),
        needs_acceptance=False,
    )
    async with client_for(served.node) as client:
        await bans.ban(
            served.node,
            client,
            acting,
            "grief",
            "https://elsewhere.example/u/troll",
            "spam <again>",
            datetime.now(UTC) + timedelta(days=7),
        )
    return served.urls.person("olive")


async def test_the_group_page_shows_the_rules_and_the_latest_moderation(
    served: ServedNode,
) -> None:
    olive = await grief_with_a_ban(served)
    status, html = await page(served, served.urls.group("grief"))
    assert status == 200
    rules_part = html[html.index("<h2>Rules</h2>") : html.index("<h2>How to join</h2>")]
    assert re.findall(r"<li><strong>(.*?)</strong>", rules_part) == ["Be kind", "No selling"]
    assert "No &lt;b&gt;insults&lt;/b&gt;, ever." in rules_part  # escaped, never markup
    assert "Version 1" in rules_part
    log_part = html[html.index("<h2>Moderation log</h2>") :]
    assert f'<a href="{olive}">{olive}</a> banned' in log_part
    assert "https://elsewhere.example/u/troll" in log_part
    assert "Reason:</span> spam &lt;again&gt;" in log_part
    assert f'href="{served.urls.modlog(served.urls.group("grief"))}"' in log_part


async def test_the_owner_hides_moderator_names_from_the_log_everywhere(
    served: ServedNode,
) -> None:
    olive = await grief_with_a_ban(served)
    sam = Acting.member(served.node, await accounts.create_account(served.node, "sam"))
    with pytest.raises(Refused, match="only the owner of grief or a node admin"):
        await removals.set_modlog_names_hidden(served.node, sam, "grief", hidden=True)
    await removals.set_modlog_names_hidden(
        served.node, Acting.operator(served.node), "grief", hidden=True
    )
    group_uri = served.urls.group("grief")
    for url in (group_uri, served.urls.modlog(group_uri)):
        status, html = await page(served, url)
        # The moderators stay listed on the group's page; the log no longer says who did what.
        log_part = html[html.index('<ul class="log">') :]
        assert status == 200 and olive not in log_part and "A moderator banned" in log_part
    async with served.client.get(
        f"{served.urls.modlog(group_uri)}?page=true", headers={"Accept": AP}
    ) as r:
        items = (await r.json())["orderedItems"]
    assert [(i["name"], i["type"], i["actor"]) for i in items] == [
        ("ban", "Block", group_uri),
        ("change_rules", "Update", group_uri),
    ]

    await removals.set_modlog_names_hidden(
        served.node, Acting.operator(served.node), "grief", hidden=False
    )
    _, html = await page(served, group_uri)
    assert f"{olive}</a> banned" in html


async def test_the_whole_log_pages_back_from_the_newest(served: ServedNode) -> None:
    await grief_with_a_ban(served)
    async with served.node.store.transaction() as session:
        group = await groups.get_group(session, "grief")
        for n in range(MODLOG_PAGE_SIZE + 5):
            modlog.record(
                session,
                group.id,
                ModAction.REMOVE_POST,
                None,
                f"{served.base}/posts/{n}",
                datetime.now(UTC),
                reason=f"reason {n}",
            )
    url = served.urls.modlog(served.urls.group("grief"))
    status, first = await page(served, url)
    assert status == 200
    shown = re.findall(r"reason (\d+)", first)
    assert len(shown) == MODLOG_PAGE_SIZE and shown[0] == str(MODLOG_PAGE_SIZE + 4)
    older = re.search(r'<a href="([^"]+)">Older entries</a>', first)
    assert older is not None
    status, second = await page(served, older.group(1).replace("&amp;", "&"))
    assert status == 200 and re.findall(r"reason (\d+)", second) == ["4", "3", "2", "1", "0"]
    assert "banned" in second and "Older entries" not in second
    status, bad = await page(served, f"{url}?max_id=-1")
    assert status == 400 and "max_id must be a positive integer" in bad


async def test_a_members_only_groups_log_is_for_its_members_and_staff(
    served: ServedNode,
) -> None:
    """As `cove modlog` reads it: its members, its moderators and the node's staff, signed
    in; its moderators and the node's staff see who did what though the group hides it."""
    node = served.node
    olive = await grief_with_a_ban(served, members_only=True)
    await removals.set_modlog_names_hidden(node, Acting.operator(node), "grief", hidden=True)
    kit, kit_uri = await member(node, "kit"), served.urls.person("kit")
    await member(node, "nosy")
    await member(node, "mo", AccountRole.MODERATOR)
    async with client_for(node) as client:
        await participation.join(node, client, kit, "grief", accept_rules=True)
        await membership.decide_follow(node, client, "grief", kit_uri, approve=True)
    group_uri = served.urls.group("grief")
    log = served.urls.modlog(group_uri)
    _, html = await page(served, group_uri)
    assert "visible to its members only" in html and "troll" not in html
    assert f'href="{log}"' not in html
    status, html = await page(served, log)
    assert status == 403 and "for its members only: sign in" in html and "troll" not in html
    async with browser(served.base) as nosy:
        await signed_in(nosy, "nosy")
        refused = await nosy.get(log)
        assert (
            refused.status == 403 and "troll" not in refused.text and "banned" not in refused.text
        )
        assert "nosy is not a member of grief" in refused.text
    async with browser(served.base) as kit_browser:
        await signed_in(kit_browser, "kit")
        assert f'href="{log}"' in (await kit_browser.get(group_uri)).text
        read = await kit_browser.get(log)
        assert read.status == 200 and "A moderator banned" in read.text and "troll" in read.text
        assert olive not in read.text and "Others read this log" not in read.text
    for name in ("olive", "mo"):  # the group's owner, and a moderator of the node
        async with browser(served.base) as person:
            await signed_in(person, name)
            read = await person.get(log)
            assert read.status == 200 and f"{olive}</a> banned" in read.text, name
            assert "Others read this log without the moderators" in read.text
