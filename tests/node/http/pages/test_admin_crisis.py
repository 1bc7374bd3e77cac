"""The crisis resources page: an admin adds, edits, checks and removes crisis lines with the
console's own checks, and the "Need help now?" page shows each change at once, also to
visitors whose page was kept; a moderator is refused with a 403 page showing none of it."""

from __future__ import annotations

from node.crisis import resources
from node.store.states import AccountRole
from tests.conftest import serving
from tests.node.members.conftest import NodeFactory, member
from tests.support.browsing import browser, signed_in

RESOURCES = "/admin/crisis-resources"
HELP = "/help?country=GB"
LINE = {
    "country": "gb",
    "language": "en",
    "name": "Harbour Night Line",
    "contact": "0800 123 4567",
    "url": "https://nightline.example/",
    "description": "Every night, 8 pm to 8 am.",
}


async def test_an_admin_edits_the_crisis_lines_the_help_page_gives(
    make_node: NodeFactory,
) -> None:
    node = await make_node()
    await member(node, "ada", AccountRole.ADMIN)
    await member(node, "mo", AccountRole.MODERATOR)
    async with serving(node, workers=False) as served, browser(served.base) as visitor:
        before = await visitor.get(HELP)  # kept for visitors not signed in
        assert before.status == 200 and "Harbour Night Line" not in before.text
        async with browser(served.base) as mo:
            await signed_in(mo, "mo")
            refused = await mo.get(RESOURCES)
            assert refused.status == 403 and "Samaritans" not in refused.text
        async with browser(served.base) as ada:
            await signed_in(ada, "ada")
            page = await ada.get(RESOURCES)
            assert "Samaritans" in page.text and "check that it is right" in page.text
            added = await ada.submit(RESOURCES, LINE)
            assert added.status == 200 and "Added. The " in added.text
            [line] = [r for r in await resources.list_resources(node) if r.name == LINE["name"]]
            assert (line.country, line.verify) == ("GB", False)
            shown = await visitor.get(HELP)
            assert "Harbour Night Line" in shown.text and "0800 123 4567" in shown.text

            await ada.get(f"{RESOURCES}/{line.id}")
            edited = await ada.submit(f"{RESOURCES}/{line.id}", {**LINE, "contact": "116 999"})
            assert edited.status == 200 and "Saved." in edited.text
            assert "116 999" in (await visitor.get(HELP)).text

            for change, status, said in (
                ({"country": "ZZZ"}, 400, "&#39;ZZZ&#39; is not an ISO 3166 country code"),
                ({"url": "ftp://nightline.example"}, 400, "is not an http(s) URL"),
                ({"name": "  "}, 400, "A crisis resource needs a name"),
                ({"language": "english"}, 400, "is not a language code"),
            ):
                await ada.get(RESOURCES)
                wrong = await ada.submit(RESOURCES, {**LINE, **change})
                assert wrong.status == status and said in wrong.text, wrong.text[:300]
                await ada.get(f"{RESOURCES}/{line.id}")
                wrong = await ada.submit(f"{RESOURCES}/{line.id}", {**LINE, **change})
                assert wrong.status == status and said in wrong.text
                assert "Edit Harbour Night Line" in wrong.text  # the edit form, kept
            assert (await ada.get(f"{RESOURCES}/999")).status == 404
            assert (await ada.get(f"{RESOURCES}/seed")).status == 404

            shipped = next(r for r in await resources.list_resources(node) if r.verify)
            await ada.get(RESOURCES)
            checked = await ada.submit(f"{RESOURCES}/{shipped.id}/verified", {})
            assert "Marked as checked for your region." in checked.text
            assert not (await resources.get_resource(node, shipped.id or 0)).verify
            removed = await ada.submit(f"{RESOURCES}/{line.id}/remove", {})
            assert "Removed." in removed.text
            assert "Harbour Night Line" not in (await visitor.get(HELP)).text
            await ada.submit(f"{RESOURCES}/{shipped.id}/remove", {})
            seeded = await ada.submit(f"{RESOURCES}/seed", {})
            assert "that were missing are back" in seeded.text
            assert shipped.name in seeded.text
