"""The admins' federation pages: only node admins reach them (a moderator and a member get a
403 page with nothing behind it, on every page and every form); an admin blocks a domain (a
suspension shows what it cuts first), changes and lifts the block, allows a domain, asks why
a domain is treated as it is; imports a list after its dry run (applying exactly what it
showed, or nothing), and exports the blocks in force."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from moderation.blocklists import MAX_FILE_BYTES, BlockEntry
from moderation.domains import Severity
from node.domain_policy import blocks
from node.moderators.roles import Acting
from tests.conftest import ServedNode
from tests.node.http.pages.federation_site import federation_site, problem_of, send_file
from tests.support.browsing import browser, signed_in

PAGES = [
    "/admin/federation",
    "/admin/federation/block",
    "/admin/federation/why?domain=evil.example",
    "/admin/federation/import",
    "/admin/federation/export?format=mastodon",
    "/admin/federation/subscriptions",
    "/admin/federation/mode",
    "/admin/federation/shared",
]
FORMS = [
    "/admin/federation/block",
    "/admin/federation/block/lift",
    "/admin/federation/allow",
    "/admin/federation/allow/remove",
    "/admin/federation/import",
    "/admin/federation/subscriptions",
    "/admin/federation/subscriptions/unsubscribe",
    "/admin/federation/subscriptions/sync",
    "/admin/federation/drafts/accept",
    "/admin/federation/drafts/reject",
    "/admin/federation/excludes",
    "/admin/federation/excludes/remove",
    "/admin/federation/mode",
]
CSV = (
    "#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"
    "followers.example,suspend,false,false,harassment,false\n"
    "spam.example,silence,true,false,,false\n"
    "changed.example,suspend,false,false,now worse,false\n"
    "not a domain,suspend,false,false,,false\n"
)


@pytest.fixture
async def served(tmp_path: Path, database_url: str, port: int) -> AsyncIterator[ServedNode]:
    async with federation_site(tmp_path, database_url, port) as it:
        yield it


async def test_only_admins_reach_the_federation_pages_and_forms(served: ServedNode) -> None:
    await blocks.set_block(
        served.node, Acting.operator(served.node), BlockEntry("secret-block.example")
    )
    async with browser(served.base) as nobody:
        sent = await nobody.get("/admin/federation")
        assert "/auth/sign-in" in sent.url
    for name in ("mo", "kim"):
        async with browser(served.base) as person:
            await signed_in(person, name)
            token = (await person.get("/settings")).form_token
            for path in PAGES:
                refused = await person.get(path)
                assert refused.status == 403, (name, path, refused.status)
                assert "Only the node&#39;s admins can open this page" in refused.text
                assert "secret-block.example" not in refused.text
            for path in FORMS:
                fields = {"domain": "evil.example", "severity": "suspend", "source": "1"}
                refused = await person.submit(path, fields, token=token)
                assert refused.status == 403, (name, path, refused.status)
    assert [b.domain for b in await blocks.list_blocks(served.node)] == ["secret-block.example"]


async def test_an_admin_blocks_a_domain_after_reading_what_it_cuts_then_changes_and_lifts_it(
    served: ServedNode,
) -> None:
    node = served.node
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        page = await ada.get("/admin/federation")
        assert page.status == 200 and "No domain is blocked." in page.text
        await ada.get("/admin/federation/block")
        fields = {"domain": "Followers.Example", "severity": "suspend", "lasts": ""}
        fields |= {"reject_reports": "yes", "public_comment": "harassment"}
        asked = await ada.submit("/admin/federation/block", fields)
        assert (
            asked.status == 200
            and "1 follower of the groups here is removed (grief: 1)" in asked.text
        )
        assert await blocks.list_blocks(node) == []  # nothing yet
        done = await ada.submit(
            "/admin/federation/block", {**fields, "confirmed": "yes", "domain": "followers.example"}
        )
        assert done.status == 200 and "The block is saved and in force." in done.text
        assert "followers.example" in done.text and "harassment" in done.text
        assert (await node.policy.decide("followers.example", node.clock())).suspended

        form = await ada.get("/admin/federation/block?domain=followers.example")
        assert 'value="suspend" checked' in form.text and "harassment" in form.text
        change = {"domain": "followers.example", "severity": "silence", "reject_media": "yes"}
        change |= {"lasts": "30d", "private_comment": "told by a friend"}
        changed = await ada.submit("/admin/federation/block", change)  # no new cut: no question
        assert "The block is saved and in force." in changed.text
        [block] = await blocks.list_blocks(node)
        assert block.severity == Severity.SILENCE and block.reject_media
        assert block.private_comment == "told by a friend" and block.expires_at is not None
        assert "Note for admins:" in changed.text and "until " in changed.text

        bad = await ada.submit(
            "/admin/federation/block", {"domain": "not a domain", "severity": "suspend"}
        )
        assert bad.status == 400 and "is not a domain" in problem_of(bad).lower()
        worse = await ada.submit(
            "/admin/federation/block", {"domain": "x.example", "severity": "nuke", "lasts": ""}
        )
        assert worse.status == 400 and "unknown severity" in problem_of(worse).lower()
        lifted = await ada.submit("/admin/federation/block/lift", {"domain": "followers.example"})
        assert "The block is lifted." in lifted.text and await blocks.list_blocks(node) == []
        again = await ada.submit("/admin/federation/block/lift", {"domain": "followers.example"})
        assert (
            again.status == 404 and "followers.example is not blocked" in problem_of(again).lower()
        )


async def test_an_admin_allows_a_domain_and_asks_how_domains_are_treated(
    served: ServedNode,
) -> None:
    node = served.node
    await blocks.set_block(
        node, Acting.operator(node), BlockEntry("evil.example", Severity.SILENCE)
    )
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        why = await ada.get("/admin/federation/why?domain=www.evil.example")
        assert why.status == 200 and "Silenced: follows need approval" in why.text
        assert "The block in force" in why.text and "No subscribed list names it." in why.text
        await ada.get("/admin/federation")
        allowed = await ada.submit(
            "/admin/federation/allow", {"domain": "evil.example", "comment": "friends"}
        )
        assert "The domain is allowed." in allowed.text and "friends" in allowed.text
        why = await ada.get("/admin/federation/why?domain=evil.example")
        assert "It is allowed (the allow of evil.example). An allow overrides a block." in why.text
        twice = await ada.submit("/admin/federation/allow", {"domain": "evil.example"})
        assert (
            twice.status == 409 and "evil.example is allowed already" in problem_of(twice).lower()
        )
        gone = await ada.submit("/admin/federation/allow/remove", {"domain": "evil.example"})
        assert "The domain is no longer allowed." in gone.text
        assert await blocks.list_allows(node) == []
        odd = await ada.get("/admin/federation/why?domain=http://x")
        assert odd.status == 400 and "is not a domain" in problem_of(odd).lower()


def _listed(text: str) -> list[str]:
    return re.findall(r'<span class="handle">([^<]+)</span>', text)


async def test_an_import_applies_exactly_what_its_dry_run_showed_or_nothing(
    served: ServedNode,
) -> None:
    node = served.node
    operator = Acting.operator(node)
    await blocks.set_block(node, operator, BlockEntry("changed.example", Severity.SILENCE))
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        await ada.get("/admin/federation/import")
        shown = await send_file(
            ada, "/admin/federation/import", {"format": "auto"}, ("list.csv", CSV.encode())
        )
        assert shown.status == 200, shown.text[:500]
        assert "2 blocks to add," in shown.text and "1 to change," in shown.text
        assert "1 line skipped." in shown.text and "Line 5:" in shown.text
        assert "1 follower of the groups here is removed (grief: 1)" in shown.text
        assert "followers.example: 1 thing this node holds of it" in shown.text
        assert _listed(shown.text) == ["followers.example", "spam.example", "changed.example"]
        assert [b.domain for b in await blocks.list_blocks(node)] == ["changed.example"]

        # Another admin changes a block the list touches: applying now would do something else.
        await blocks.set_block(node, operator, BlockEntry("spam.example", Severity.NOOP))
        stale = await send_file(ada, "/admin/federation/import", _carried(shown.text))
        assert (
            stale.status == 409
            and "the blocks changed since the dry run" in problem_of(stale).lower()
        )
        assert (await blocks.find_block(node, "followers.example")) is None
        assert "1 block to add," in stale.text and "2 to change," in stale.text

        applied = await send_file(ada, "/admin/federation/import", _carried(stale.text))
        assert (
            applied.status == 200
            and "The list is imported: 1 blocks added, 2 changed." in applied.text
        )
        found = {b.domain: b.severity for b in await blocks.list_blocks(node)}
        assert found == {
            "changed.example": Severity.SUSPEND,
            "followers.example": Severity.SUSPEND,
            "spam.example": Severity.SILENCE,
        }
        assert (await node.policy.decide("followers.example", node.clock())).suspended

        await ada.get("/admin/federation/import")
        pasted = await send_file(
            ada,
            "/admin/federation/import",
            {"format": "plain", "text": "new.example\r\n# a note\r\n"},
        )
        assert "1 block to add," in pasted.text and _listed(pasted.text) == ["new.example"]


def _carried(page: str) -> dict[str, str]:
    """The apply form's hidden fields, as the browser sends them back."""
    form = page[page.index('<form method="post" action="/admin/federation/import"') :]
    fields = dict(
        re.findall(r'<input type="hidden" name="(format|text|shown)" value="([^"]*)"', form)
    )
    return {k: html.unescape(v) for k, v in fields.items()}


async def test_a_bad_or_oversized_list_is_a_page_with_its_reason(served: ServedNode) -> None:
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        await ada.get("/admin/federation/import")
        token = ada.last.form_token if ada.last else ""
        wrong = await send_file(
            ada,
            "/admin/federation/import",
            {"format": "gotosocial"},
            ("list.csv", CSV.encode()),
            token=token,
        )
        assert wrong.status == 400 and "not a json file" in problem_of(wrong).lower()
        empty = await send_file(
            ada, "/admin/federation/import", {"format": "auto", "text": " "}, token=token
        )
        assert (
            empty.status == 400 and "choose a file, or paste the list" in problem_of(empty).lower()
        )
        binary = await send_file(
            ada,
            "/admin/federation/import",
            {"format": "auto"},
            ("x.csv", b"\xff\xfe\x00"),
            token=token,
        )
        assert binary.status == 400 and "the file is not utf-8 text" in problem_of(binary).lower()
        odd = await send_file(
            ada, "/admin/federation/import", {"format": "excel", "text": "a.example"}, token=token
        )
        assert odd.status == 400 and "choose a format" in problem_of(odd).lower()
        huge = b"a.example\n" * (MAX_FILE_BYTES // 10 + 1)
        refused = await send_file(
            ada, "/admin/federation/import", {"format": "plain"}, ("big.txt", huge), token=token
        )
        assert (
            refused.status == 413 and "the form is larger than 8 mb" in problem_of(refused).lower()
        )
        forged = await send_file(
            ada,
            "/admin/federation/import",
            {"format": "plain", "text": "a.example"},
            token="forged-token-of-some-length",
        )
        assert forged.status == 403
    assert await blocks.list_blocks(served.node) == []


async def test_an_admin_exports_the_blocks_in_force(served: ServedNode) -> None:
    node = served.node
    entry = BlockEntry("evil.example", private_comment="never shown", public_comment="spam")
    await blocks.set_block(node, Acting.operator(node), entry)
    async with browser(served.base) as ada:
        await signed_in(ada, "ada")
        for chosen, kind, start in (
            ("mastodon", "text/csv", "#domain,#severity"),
            ("gotosocial", "application/json", "["),
            ("plain", "text/plain", "evil.example"),
        ):
            got = await ada.get(f"/admin/federation/export?format={chosen}")
            assert got.status == 200 and got.headers["Content-Type"].startswith(kind)
            assert "attachment" in got.headers["Content-Disposition"]
            assert got.text.startswith(start) and "evil.example" in got.text
            assert "never shown" not in got.text
        odd = await ada.get("/admin/federation/export?format=excel")
        assert odd.status == 400 and "choose a format" in problem_of(odd).lower()
