"""Actor documents (Group, Person, Application): fields peers need, media types, HTML pages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from federation.keys import rsa_key_size
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts
from node.store.states import PostingPolicy
from tests.conftest import ServedNode

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def fetch(served: ServedNode, url: str, accept: str = AP) -> tuple[int, str, Any]:
    async with served.client.get(url, headers={"Accept": accept}, allow_redirects=False) as r:
        body = await r.read()
        ctype = r.headers.get("Content-Type", "")
        return r.status, ctype, json.loads(body) if "json" in ctype else body.decode()


async def test_group_actor_has_what_mastodon_lemmy_and_piefed_read(served: ServedNode) -> None:
    await accounts.create_account(served.node, "jo")
    await groups.create_group(
        served.node,
        NewGroup(
            name="grief",
            title="Grief support",
            summary="For <loss> & love",
            approves_members=True,
            posting_policy=PostingPolicy.MODERATORS,
            owner="jo",
        ),
    )
    status, ctype, doc = await fetch(served, served.urls.group("grief"))
    assert status == 200
    assert ctype == "application/activity+json; charset=utf-8"
    gid = served.urls.group("grief")
    assert doc["id"] == gid and doc["type"] == "Group"
    assert doc["preferredUsername"] == "grief"
    assert doc["name"] == "Grief support"
    assert doc["summary"] == "<p>For &lt;loss&gt; &amp; love</p>"
    for key, suffix in [
        ("inbox", "/inbox"),
        ("outbox", "/outbox"),
        ("followers", "/followers"),
        ("featured", "/featured"),
        ("attributedTo", "/moderators"),
    ]:
        assert doc[key] == gid + suffix, key
    assert doc["endpoints"] == {"sharedInbox": f"{served.base}/inbox"}
    assert doc["publicKey"]["id"] == f"{gid}#main-key"
    assert doc["publicKey"]["owner"] == gid
    assert rsa_key_size(doc["publicKey"]["publicKeyPem"]) == 2048
    assert doc["manuallyApprovesFollowers"] is True
    assert doc["discoverable"] is False
    assert doc["postingRestrictedToMods"] is True
    assert doc["postingPolicy"] == "moderators" and doc["membersOnly"] is False
    assert doc["@context"][0] == "https://www.w3.org/ns/activitystreams"
    assert doc["@context"][1] == "https://w3id.org/security/v1"
    terms = doc["@context"][2]
    for term in (
        "postingRestrictedToMods",
        "discoverable",
        "featured",
        "manuallyApprovesFollowers",
        "postingPolicy",
        "membersOnly",
    ):
        assert term in terms, term


async def test_person_and_application_actors(served: ServedNode) -> None:
    await accounts.create_account(served.node, "sam", display_name="Sam")
    status, _, person = await fetch(served, served.urls.person("sam"))
    assert status == 200
    assert person["type"] == "Person" and person["name"] == "Sam"
    assert person["followers"] == served.urls.person("sam") + "/followers"
    assert person["endpoints"]["sharedInbox"] == f"{served.base}/inbox"
    assert person["manuallyApprovesFollowers"] is False and person["discoverable"] is False

    status, _, app = await fetch(served, served.urls.instance_actor())
    assert status == 200
    assert app["type"] == "Application"
    assert app["preferredUsername"] == served.urls.domain
    assert app["inbox"] == served.urls.instance_actor() + "/inbox"
    assert app["outbox"] == served.urls.instance_outbox()
    assert rsa_key_size(app["publicKey"]["publicKeyPem"]) == 2048
    # Every actor has a key pair of its own.
    assert app["publicKey"]["publicKeyPem"] != person["publicKey"]["publicKeyPem"]


@pytest.mark.parametrize("accept", [LD, "application/ld+json"])
async def test_ld_json_clients_get_ld_json(served: ServedNode, accept: str) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    status, ctype, doc = await fetch(served, served.urls.group("grief"), accept)
    assert status == 200
    assert ctype == LD
    assert doc["type"] == "Group"


async def test_browsers_get_a_readable_group_page(served: ServedNode) -> None:
    await groups.create_group(
        served.node, NewGroup(name="grief", title="Grief <support>", summary="Line one\n\nTwo")
    )
    status, ctype, page = await fetch(served, served.urls.group("grief"), BROWSER)
    assert status == 200 and ctype.startswith("text/html")
    assert "Grief &lt;support&gt;" in page  # escaped, never raw
    assert f"@grief@{served.urls.domain}" in page
    assert "<p>Line one</p><p>Two</p>" in page


async def test_browsers_get_person_and_front_pages(served: ServedNode) -> None:
    await accounts.create_account(served.node, "sam", display_name="Sam S")
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief", discoverable=True))
    await groups.create_group(served.node, NewGroup(name="inner", title="Inner", members_only=True))
    status, _, page = await fetch(served, served.urls.person("sam"), BROWSER)
    assert status == 200 and "Sam S" in page
    status, _, home = await fetch(served, f"{served.base}/", BROWSER)
    # The directory lists the groups their organizers list (a members-only one never is).
    assert status == 200 and "Grief" in home and "Inner" not in home
    status, _, _ = await fetch(served, served.urls.instance_actor(), BROWSER)
    assert status == 302


async def test_unknown_actors_are_404_with_a_reason(served: ServedNode) -> None:
    status, ctype, body = await fetch(served, served.urls.group("nobody"))
    assert status == 404 and body == {"error": "no group named 'nobody' on this node"}
    status, ctype, page = await fetch(served, served.urls.person("nobody"), BROWSER)
    assert status == 404 and ctype.startswith("text/html") and "No account named" in page
    status, _, body = await fetch(served, f"{served.base}/no/such/path")
    assert status == 404 and body["error"]


async def test_a_group_is_not_a_person_and_back(served: ServedNode) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    await accounts.create_account(served.node, "sam")
    assert (await fetch(served, served.urls.person("grief")))[0] == 404
    assert (await fetch(served, served.urls.group("sam")))[0] == 404


async def test_wrong_method_is_405_not_500(served: ServedNode) -> None:
    async with served.client.delete(served.urls.group("grief")) as r:
        assert r.status == 405
        assert "not allowed" in (await r.json())["error"]


@pytest.mark.parametrize(
    ("accept", "status"),
    [(BROWSER, 200), ("*/*", 200), (None, 200), (AP, 302), (LD, 302)],
)
async def test_the_front_page_is_html_unless_activity_json_is_named(
    served: ServedNode, accept: str | None, status: int
) -> None:
    headers = {"Accept": accept} if accept else {}
    async with served.client.get(f"{served.base}/", headers=headers, allow_redirects=False) as r:
        assert r.status == status
        if status == 302:
            assert r.headers["Location"] == served.urls.instance_actor()
        else:
            assert r.headers["Content-Type"].startswith("text/html")
