"""Subscribed blocklists, fetched from a list server on loopback: conditional fetches (ETag,
If-Modified-Since), a failed or empty fetch that keeps the last good list and alerts the
admins, trust caps, thresholds and max/min merges, drafts accepted and rejected (and
excluded), retractions that spare entries made by hand, `why`, the periodic job, and a
domain that is never both suspended and served through import, expiry, retraction and
re-import."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from federation.errors import NotFound, PolicyRefused
from moderation.blocklists import BlockEntry
from moderation.domains import Severity
from node.config import Config
from node.domain_policy import drafts, sources, syncing
from node.domain_policy.blocks import expire_blocks, list_blocks, set_block
from node.domain_policy.why import explain
from node.members import accounts
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import AccountRole
from node.store.tables import Notification
from tests.conftest import (
    MovableClock,
    ServedNode,
    client_for,
    cove_in_process,
    make_config,
    serving,
)
from tests.node.cli.test_cli import as_json, ok
from tests.support.lemmy_peer import LemmyPeer, start_lemmy_peer
from tests.support.list_server import list_server

pytestmark = pytest.mark.storage
HEADER = "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"


def csv(*rows: str) -> str:
    return HEADER + "".join(f"{r}\n" for r in rows)


ADMIN = "ada"


async def admin(node: Node) -> Acting:
    account = await accounts.create_account(node, ADMIN, AccountRole.ADMIN)
    return Acting.member(node, account)


async def blocks(node: Node) -> dict[str, tuple[Severity, str]]:
    return {b.domain: (b.severity, b.origin.value) for b in await list_blocks(node)}


async def subscribe(
    node: Node, acting: Acting, url: str, *, drafts: bool = False, cap: Severity = Severity.SUSPEND
) -> int:
    info = await sources.add_source(node, acting, url, max_severity=cap, drafts=drafts)
    return info.id


async def sync(node: Node, source: int) -> syncing.Synced:
    async with client_for(node) as client:
        return await syncing.sync(node, client, str(source))


async def test_a_subscription_applies_its_list_capped_and_asks_again_conditionally(
    node: Node,
) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("evil.example,suspend,,,raids,", "loud.example,silence,,,,")
        source = await subscribe(node, acting, lists.url("a.csv"), cap=Severity.SILENCE)
        first = await sync(node, source)
        assert first.status == "updated"
        assert await blocks(node) == {
            "evil.example": (Severity.SILENCE, "subscription"),  # capped by the trust given
            "loud.example": (Severity.SILENCE, "subscription"),
        }
        second = await sync(node, source)
        assert second.status == "unchanged"
        (_, tag_first, since_first), (_, tag_again, since_again) = lists.asked
        assert (tag_first, since_first) == (None, None)
        assert tag_again is not None and since_again == "Tue, 01 Dec 2026 10:00:00 GMT"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"status": 500}, "answered 500"),
        ({"text": "<!doctype html><p>Sign in</p>", "type": "text/html"}, "HTML"),
        ({"text": "\x00" * 10}, "not a text file"),
        ({"text": "garbage " * 2_000_000}, "larger than"),
        ({"text": HEADER}, "empty"),
    ],
)
async def test_a_failed_or_empty_fetch_keeps_the_last_good_list_and_alerts(
    node: Node, answer: dict[str, Any], reason: str
) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("evil.example,suspend,,,,")
        source = await subscribe(node, acting, lists.url("a.csv"))
        assert (await sync(node, source)).status == "updated"
        if "status" in answer:
            lists.status["a.csv"] = answer["status"]
        else:
            lists.files["a.csv"] = answer["text"]
            lists.content_type["a.csv"] = answer.get("type", "text/csv")
        failed = await sync(node, source)
        assert failed.status == "failed" and reason in (failed.reason or "")
        assert "the last good list stays in force" in (failed.reason or "")
        assert await blocks(node) == {"evil.example": (Severity.SUSPEND, "subscription")}
        assert failed.source.state.value == "failing"
        async with node.store.session() as session:
            alerts = (await session.exec(select(Notification))).all()
        assert [a.kind for a in alerts] == ["blocklist_alert"]
        # It recovers by itself when the list comes back.
        lists.status.pop("a.csv", None)
        lists.content_type.pop("a.csv", None)
        lists.files["a.csv"] = csv("evil.example,suspend,,,,", "new.example,noop,true,,,")
        back = await sync(node, source)
        assert back.status == "updated" and back.source.state.value == "ok"
        assert set(await blocks(node)) == {"evil.example", "new.example"}


async def test_drafts_wait_for_an_admin_who_accepts_or_rejects_for_good(node: Node) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv(
            "evil.example,suspend,,,,", "maybe.example,silence,,,,", "friend.example,suspend,,,,"
        )
        source = await subscribe(node, acting, lists.url("a.csv"), drafts=True)
        synced = await sync(node, source)
        assert sorted(d for _, d in synced.reconciled.drafted) == [
            "evil.example",
            "friend.example",
            "maybe.example",
        ]
        assert await blocks(node) == {}  # nothing applied before an admin says so
        by_domain = {d.domain: d for d in await drafts.list_drafts(node)}
        await drafts.accept_draft(node, acting, by_domain["evil.example"].id)
        await drafts.reject_draft(node, acting, by_domain["maybe.example"].id)
        await drafts.reject_draft(node, acting, by_domain["friend.example"].id, exclude=True)
        assert await blocks(node) == {"evil.example": (Severity.SUSPEND, "subscription")}
        # The same list again drafts nothing new: rejected is rejected, excluded is excluded.
        lists.files["a.csv"] += "other.example,noop,true,,,\n"
        again = await sync(node, source)
        assert [d for _, d in again.reconciled.drafted] == ["other.example"]
        # A different proposal for the rejected (not excluded) domain is drafted again...
        lists.files["a.csv"] = lists.files["a.csv"].replace(
            "maybe.example,silence", "maybe.example,suspend"
        )
        lists.files["a.csv"] = lists.files["a.csv"].replace(
            "friend.example,suspend", "friend.example,silence"
        )
        third = await sync(node, source)
        # ...but never one for the excluded domain from this source.
        assert [d for _, d in third.reconciled.drafted] == ["maybe.example"]


async def test_an_exclude_from_every_source_lifts_their_entry_until_it_is_undone(
    node: Node,
) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("friend.example,suspend,,,,", "evil.example,suspend,,,,")
        lists.files["b.csv"] = csv("friend.example,silence,,,,")
        a, b = [await subscribe(node, acting, lists.url(name)) for name in ("a.csv", "b.csv")]
        for source in (a, b):
            await sync(node, source)
        assert set(await blocks(node)) == {"friend.example", "evil.example"}
        info, done = await drafts.exclude(node, acting, "Friend.Example.", None, "a partner clinic")
        assert (info.domain, info.source_id) == ("friend.example", None)
        assert [(a, d) for a, d, _ in done.applied] == [("remove", "friend.example")]
        assert await blocks(node) == {"evil.example": (Severity.SUSPEND, "subscription")}
        listed = await drafts.list_excludes(node)
        assert [(x.domain, x.source_id, x.reason) for x in listed] == [
            ("friend.example", None, "a partner clinic")
        ]
        # Neither source brings it back on its next fetch...
        lists.files["a.csv"] += "new.example,silence,,,,\n"
        await sync(node, a)
        assert "friend.example" not in await blocks(node)
        # ...until the exclude is undone; then the sources' entry is in force again.
        await drafts.unexclude(node, acting, "friend.example", None)
        assert (await blocks(node))["friend.example"] == (Severity.SUSPEND, "subscription")
        assert await drafts.list_excludes(node) == []
        with pytest.raises(NotFound, match=r"friend\.example is not excluded"):
            await drafts.unexclude(node, acting, "friend.example", None)


@pytest.fixture
def config(tmp_path: Path, database_url: str, port: int, request: pytest.FixtureRequest) -> Config:
    merge = request.node.get_closest_marker("merge")
    sections = {"blocklists": merge.kwargs} if merge else {}
    return make_config(tmp_path, database_url, port, **sections)


@pytest.mark.merge(threshold=2, merge="min")
async def test_sources_merge_by_threshold_and_the_mildest_severity(node: Node) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("both.example,suspend,true,,,", "only-a.example,suspend,,,,")
        lists.files["b.csv"] = csv("both.example,silence,false,,,")
        a = await subscribe(node, acting, lists.url("a.csv"))
        b = await subscribe(node, acting, lists.url("b.csv"))
        await sync(node, a)
        assert await blocks(node) == {}  # one source is not enough
        await sync(node, b)
        merged = await list_blocks(node)
        assert [(m.domain, m.severity, m.reject_media) for m in merged] == [
            ("both.example", Severity.SILENCE, False)  # min: the mildest, flags only if all
        ]


@pytest.mark.merge(threshold=50, threshold_type="pct", merge="max")
async def test_a_percentage_threshold_and_the_strictest_severity(node: Node) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("both.example,silence,,,,", "half.example,noop,true,,,")
        lists.files["b.csv"] = csv("both.example,suspend,,,,")
        for name in ("a.csv", "b.csv"):
            await sync(node, await subscribe(node, acting, lists.url(name)))
        assert await blocks(node) == {
            "both.example": (Severity.SUSPEND, "subscription"),
            "half.example": (Severity.NOOP, "subscription"),  # 1 of 2 sources is 50%
        }


async def test_a_retraction_removes_only_what_no_source_holds_and_no_admin_made(
    node: Node,
) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("gone.example,suspend,,,,", "kept.example,suspend,,,,")
        source = await subscribe(node, acting, lists.url("a.csv"))
        await sync(node, source)
        # An admin edits one by hand: from then on it is theirs.
        await set_block(node, acting, BlockEntry("kept.example", Severity.SILENCE))
        lists.files["a.csv"] = csv("still.example,noop,true,,,")
        done = await sync(node, source)
        assert ("remove", "gone.example", "suspend") in done.reconciled.applied
        assert await blocks(node) == {
            "kept.example": (Severity.SILENCE, "manual"),
            "still.example": (Severity.NOOP, "subscription"),
        }
        # Unsubscribing retracts what the source alone held.
        await sources.remove_source(node, acting, str(source))
        assert await blocks(node) == {"kept.example": (Severity.SILENCE, "manual")}


async def test_why_names_every_source_its_severity_the_cap_and_the_rule_in_force(
    node: Node,
) -> None:
    acting = await admin(node)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("evil.example,suspend,,,,")
        lists.files["b.csv"] = csv("evil.example,suspend,,,,")
        a = await subscribe(node, acting, lists.url("a.csv"), cap=Severity.SILENCE)
        b = await subscribe(node, acting, lists.url("b.csv"))
        await sync(node, a)
        await sync(node, b)
        why = await explain(node, "www.evil.example")
        assert why.decision.suspended
        assert why.block is not None and why.block.domain == "evil.example"
        assert [(s.source_id, s.severity, s.capped) for s in why.sources] == [
            (a, Severity.SUSPEND, Severity.SILENCE),
            (b, Severity.SUSPEND, Severity.SUSPEND),
        ]
        text = why.text()
        assert "capped to silence" in text and "made by subscription" in text


async def test_the_periodic_job_fetches_the_sources_that_are_due(node: Node) -> None:
    clock = MovableClock()
    timed = dataclasses.replace(node, clock=clock)
    acting = await admin(timed)
    async with list_server() as lists:
        lists.files["a.csv"] = csv("evil.example,suspend,,,,")
        await subscribe(timed, acting, lists.url("a.csv"))
        async with client_for(timed) as client:
            assert await syncing.sync_due(timed, client) == 1  # never fetched
            assert await syncing.sync_due(timed, client) == 0  # not due yet
            clock.advance(timedelta(minutes=timed.config.blocklists.sync_minutes + 1))
            assert await syncing.sync_due(timed, client) == 1
        assert len(lists.asked) == 2


EVIL = "127.0.0.2"


@pytest.fixture
async def evil() -> AsyncIterator[LemmyPeer]:
    async with start_lemmy_peer(address=EVIL) as peer:
        yield peer


async def test_a_domain_is_never_both_suspended_and_served(node: Node, evil: LemmyPeer) -> None:
    """Import (by subscription), expiry, retraction and re-import, and after each step every
    path agrees: the inbox and the outbound client refuse it exactly while it is suspended."""
    from tests.node.inbound.test_lemmy_shapes import CREATE_PAGE

    clock = MovableClock()
    timed = dataclasses.replace(node, clock=clock)
    acting = await admin(timed)
    async with serving(timed) as served, list_server() as lists:
        group = await _grief(served)
        lists.files["a.csv"] = csv(f"{EVIL},suspend,,,,")
        source = await subscribe(timed, acting, lists.url("a.csv"))
        step = 0

        async def paths(suspended: bool) -> None:
            nonlocal step
            step += 1
            create = evil.fixture(CREATE_PAGE, group)
            create["id"] = f"{create['id']}-{step}"
            inbox = served.urls.inbox(group)
            async with client_for(timed) as client:
                status = await client.post(inbox, json.dumps(create).encode(), evil.signer)
                assert status == (403 if suspended else 202), f"step {step}"
                if suspended:
                    with pytest.raises(PolicyRefused):
                        await client.get_json(evil.person, None)
                else:
                    await client.get_json(evil.person, None)

        await sync(timed, source)
        await paths(suspended=True)  # imported
        lists.files["a.csv"] = csv("other.example,suspend,,,,")
        await sync(timed, source)
        await paths(suspended=False)  # retracted
        block = BlockEntry(EVIL, Severity.SUSPEND)
        await set_block(timed, acting, block, clock() + timedelta(hours=1))
        await paths(suspended=True)  # blocked by hand, for an hour
        clock.advance(timedelta(hours=2))
        await paths(suspended=False)  # expired: it stops counting at once
        assert await expire_blocks(timed) == 1
        lists.files["a.csv"] = csv(f"{EVIL},suspend,,,,")
        await sync(timed, source)
        await paths(suspended=True)  # re-imported


async def _grief(served: ServedNode) -> str:
    from node.groups.groups import NewGroup, create_group
    from node.store.states import PostingPolicy

    await create_group(
        served.node, NewGroup(name="grief", title="Grief", posting_policy=PostingPolicy.ANYONE)
    )
    return served.urls.group("grief")


def test_the_subscription_commands(tmp_path: Path) -> None:
    ok(cove_in_process(tmp_path, "init", "--no-demo"))
    listed = tmp_path / "list.csv"
    listed.write_text(csv("evil.example,suspend,,,,"))
    result = cove_in_process(tmp_path, "blocks", "subscribe", "file:///nope", "--mode", "apply")
    assert result.returncode == 2 and "http(s) URL" in result.stderr
    result = cove_in_process(
        tmp_path, "blocks", "subscribe", "https://lists.example/x.csv", "--max-severity", "nuke"
    )
    assert result.returncode == 2 and "unknown severity" in result.stderr
    assert as_json(cove_in_process(tmp_path, "blocks", "subscriptions", "--json")) == []
    assert as_json(cove_in_process(tmp_path, "blocks", "drafts", "--json")) == []
    missing = cove_in_process(tmp_path, "blocks", "accept", "7")
    assert missing.returncode == 3 and "no draft 7" in missing.stderr
