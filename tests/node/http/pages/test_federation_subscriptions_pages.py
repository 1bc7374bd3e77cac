"""The federation pages' subscriptions, mode and shared policy: an admin subscribes to a list
served on loopback, sees its state, last fetch and last error, fetches it now, accepts and
rejects (and excludes) the drafts it leaves, keeps domains out of its reach, unsubscribes;
switches to the configured federation mode after reading what it cuts (exactly that, or
nothing); and sees what the node shares and who follows it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from moderation.blocklists import BlockEntry
from moderation.domains import FederationMode, Severity
from node.domain_policy import blocks, drafts, mode, sources
from node.moderators.roles import Acting
from node.store.tables import Instance
from tests.conftest import ServedNode, add_follower
from tests.node.http.pages.federation_site import FOLLOWER, federation_site, problem_of
from tests.support.browsing import browser, signed_in
from tests.support.list_server import ListServer, list_server

HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
HERE = "/admin/federation/subscriptions"


@pytest.fixture
async def served(tmp_path: Path, database_url: str, port: int) -> AsyncIterator[ServedNode]:
    async with federation_site(tmp_path, database_url, port) as it:
        yield it


@pytest.fixture
async def lists() -> AsyncIterator[ListServer]:
    async with list_server() as server:
        yield server


async def test_an_admin_subscribes_reviews_drafts_and_excludes(
    served: ServedNode, lists: ListServer
) -> None:
    node = served.node
    lists.files["list.csv"] = (
        HEADER + "followers.example,suspend,false,false,,false\nspam.example,silence,,,,\n"
    )
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        page = await ada.get(HERE)
        assert "No subscriptions." in page.text and "No drafts wait." in page.text
        fields = {"kind": "url", "location": lists.url("list.csv"), "format": "auto"}
        fields |= {"max_severity": "suspend", "mode": "draft"}
        subscribed = await ada.submit(HERE, fields)
        assert "Subscribed, and its list is read." in subscribed.text
        assert "2 entries" in subscribed.text and "working" in subscribed.text
        assert "Last fetched" in subscribed.text
        waiting = {d.domain: d.id for d in await drafts.list_drafts(node)}
        assert set(waiting) == {"followers.example", "spam.example"}
        assert await blocks.list_blocks(node) == []  # drafts wait for an admin

        # Accepting a suspension of a server with a follower here says what it cuts first.
        field = {"draft": str(waiting["followers.example"])}
        asked = await ada.submit("/admin/federation/drafts/accept", field)
        assert "1 follower of the groups here is removed (grief: 1)" in asked.text
        assert await blocks.list_blocks(node) == []
        accepted = await ada.submit(
            "/admin/federation/drafts/accept", {**field, "confirmed": "yes"}
        )
        assert "The draft is accepted and in force." in accepted.text
        assert (await node.policy.decide("followers.example", node.clock())).suspended
        twice = await ada.submit("/admin/federation/drafts/accept", field)
        assert twice.status == 409 and "is accepted already" in problem_of(twice)

        rejected = await ada.submit(
            "/admin/federation/drafts/reject",
            {"draft": str(waiting["spam.example"]), "exclude": "yes"},
        )
        assert "The draft is rejected." in rejected.text and "No drafts wait." in rejected.text
        assert [(x.domain, x.reason) for x in await drafts.list_excludes(node)] == [
            ("spam.example", f"draft {waiting['spam.example']} rejected")
        ]
        excluded = await ada.submit(
            "/admin/federation/excludes",
            {"domain": "other.example", "source": "", "reason": "a friend"},
        )
        assert "The domain is excluded." in excluded.text and "from every list" in excluded.text
        gone = await ada.submit(
            "/admin/federation/excludes/remove", {"domain": "other.example", "source": ""}
        )
        assert "The domain is no longer excluded." in gone.text
        missing = await ada.submit(
            "/admin/federation/excludes/remove", {"domain": "other.example", "source": ""}
        )
        assert missing.status == 404 and "other.example is not excluded" in problem_of(missing)

        # The list fails: its last good list stays in force, and the page says why.
        [source] = await sources.list_sources(node)
        lists.status["list.csv"] = 500
        failed = await ada.submit(HERE + "/sync", {"source": str(source.id)})
        assert "could not be fetched" in failed.text and "failing" in failed.text
        assert "Last error:" in failed.text and "the last good list stays in force" in failed.text
        del lists.status["list.csv"]
        synced = await ada.submit(HERE + "/sync", {"source": str(source.id)})
        assert "Fetched: its list is up to date." in synced.text and "working" in synced.text

        bad = await ada.submit(HERE, {**fields, "location": "ftp://x", "mode": "draft"})
        assert bad.status == 400 and "a source is an http(s) url" in problem_of(bad).lower()
        assert 'value="ftp://x"' in bad.text  # the form keeps what was typed
        gone = await ada.submit(HERE + "/unsubscribe", {"source": str(source.id)})
        assert "Unsubscribed." in gone.text and await sources.list_sources(node) == []
        # What only it held goes with it (an accepted draft stays the list's, not an admin's).
        assert await blocks.list_blocks(node) == []


async def test_the_switch_to_allowlist_mode_cuts_exactly_what_the_page_listed(
    tmp_path: Path, database_url: str, port: int
) -> None:
    async with federation_site(tmp_path, database_url, port, mode="allowlist") as served:
        node = served.node
        async with node.store.transaction() as session:  # it ran in blocklist mode until now
            instance = (await session.exec(select(Instance))).one()
            instance.federation_mode = FederationMode.BLOCKLIST
        async with browser(served.base) as ada:
            await signed_in(ada, "ada")
            home = await ada.get("/admin/federation")
            assert "This node runs in blocklist mode" in home.text
            assert "The configuration asks for allowlist mode" in home.text
            page = await ada.get("/admin/federation/mode")
            assert "What switching to allowlist mode cuts" in page.text
            assert '<span class="handle">followers.example</span>' in page.text
            # Meanwhile another server comes to hold something here: the list shown is stale.
            async with node.store.transaction() as session:
                group_id = 1
                uri = "https://late.example/u/lee"
                await add_follower(session, group_id, uri, f"{uri}/inbox", None, node.clock())
            stale = await ada.submit("/admin/federation/mode", {"domains": "followers.example"})
            assert stale.status == 409 and "nothing was switched" in problem_of(stale)
            assert await mode.mode_in_force(node) == FederationMode.BLOCKLIST
            assert "late.example" in stale.text
            done = await ada.submit(
                "/admin/federation/mode", {"domains": "followers.example late.example"}
            )
            assert "The switch is done" in done.text and "runs in allowlist mode" in done.text
            assert await mode.mode_in_force(node) == FederationMode.ALLOWLIST
            assert (await node.policy.decide("followers.example", node.clock())).suspended
            after = await ada.get("/admin/federation/mode")
            assert "What switching to blocklist mode would cut now" in after.text
            assert 'name="domains"' not in after.text  # no switch: the configuration agrees
            again = await ada.submit("/admin/federation/mode", {"domains": ""})
            assert again.status == 409 and "runs in allowlist mode already" in problem_of(again)


async def test_the_mode_page_says_what_the_other_mode_would_cut(served: ServedNode) -> None:
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        page = await ada.get("/admin/federation/mode")
        assert "This node runs in blocklist mode." in page.text
        assert "What switching to allowlist mode would cut now" in page.text
        assert "Work it out" in page.text and FOLLOWER.split("/")[2] not in page.text
        page = await ada.get("/admin/federation/mode?preview=allowlist")
        assert FOLLOWER.split("/")[2] in page.text and 'name="domains"' not in page.text
        assert "1 follower of the groups here is removed (grief: 1)" in page.text
        assert 'federation.mode = "allowlist"' in page.text.replace("&#34;", '"')
        refused = await ada.submit("/admin/federation/mode", {"domains": "followers.example"})
        assert refused.status == 409
        assert (await served.node.policy.decide("followers.example", served.node.clock())).federates


async def test_the_shared_policy_page_says_what_is_published(served: ServedNode) -> None:
    node = served.node
    entry = BlockEntry("evil.example", Severity.SUSPEND, obfuscate=True)
    await blocks.set_block(node, Acting.operator(node), entry)
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        page = await ada.get("/admin/federation/shared")
        assert page.status == 200
        assert f"1 entry is published at {node.urls.domain_policy()}" in page.text
        assert "No node follows it." in page.text
        ada.language = "es"
        page = await ada.get("/admin/federation/shared")
        assert "Hay 1 entrada publicada en" in page.text and "Ningún nodo la sigue." in page.text
