"""Mastodon's domain policy API on a Cove node, each answer checked against the OpenAPI
document: admin blocks and allows (create, show, update, delete, paging by Link header, the
422 for a domain already covered), the public list with obfuscated entries starred, the
switch that hides it, and the instance_follows measure."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from moderation.domains import digest
from node.config import Config
from node.groups.groups import NewGroup, create_group
from node.members import accounts, tokens
from node.runtime import Node
from node.store.states import AccountRole
from tests.conftest import ServedNode, add_follower, make_config
from tests.support.api_contract import ApiClient, Contract

M = "/api/v1"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract()


@pytest.fixture
def api(served: ServedNode, contract: Contract) -> ApiClient:
    return ApiClient(served.client, served.base, contract)


async def token(node: Node, name: str, role: AccountRole, scopes: str) -> str:
    await accounts.create_account(node, name, role)
    secret, _ = await tokens.create_token(node, name, scopes, name="tests")
    return secret


@pytest.fixture
async def admin(served: ServedNode) -> str:
    return await token(served.node, "ada", AccountRole.ADMIN, "read write admin:read admin:write")


async def test_blocks_are_created_shown_changed_and_deleted_as_on_mastodon(
    api: ApiClient, admin: str
) -> None:
    made = await api.post(
        f"{M}/admin/domain_blocks",
        admin,
        json_body={"domain": "Bad.Example.", "public_comment": "spam", "reject_media": True},
    )
    assert made.status == 200
    block = made.body
    assert (block["domain"], block["severity"], block["digest"]) == (
        "bad.example",
        "silence",  # Mastodon's default severity
        digest("bad.example"),
    )
    assert (await api.get(f"{M}/admin/domain_blocks/{block['id']}", admin)).body == block
    again = await api.post(f"{M}/admin/domain_blocks", admin, json_body={"domain": "x.bad.example"})
    assert again.status == 422 and again.body["existing_domain_block"]["id"] == block["id"]
    changed = await api.put(
        f"{M}/admin/domain_blocks/{block['id']}",
        admin,
        form={"severity": "suspend", "obfuscate": "1"},
    )
    assert changed.status == 200
    assert (changed.body["severity"], changed.body["obfuscate"], changed.body["reject_media"]) == (
        "suspend",
        True,
        True,  # what the update did not name stays
    )
    assert (await api.delete(f"{M}/admin/domain_blocks/{block['id']}", admin)).body == {}
    assert (await api.get(f"{M}/admin/domain_blocks/{block['id']}", admin)).status == 404
    bad = await api.post(f"{M}/admin/domain_blocks", admin, json_body={"domain": "not a domain"})
    assert bad.status == 422 and "Validation failed" in bad.body["error"]  # as Mastodon


async def test_the_list_pages_by_link_header(api: ApiClient, admin: str) -> None:
    for n in range(5):
        await api.post(f"{M}/admin/domain_blocks", admin, json_body={"domain": f"s{n}.example"})
    first = await api.call("GET", f"{M}/admin/domain_blocks", admin, params={"limit": "2"})
    assert [b["domain"] for b in first.body] == ["s4.example", "s3.example"]
    link = first.headers["Link"]
    next_url = re.search(r'<([^>]+)>; rel="next"', link)
    assert next_url is not None
    second = await api.get(next_url.group(1) + "&limit=2", admin)
    assert [b["domain"] for b in second.body] == ["s2.example", "s1.example"]


async def test_allows_are_listed_created_once_and_deleted(api: ApiClient, admin: str) -> None:
    made = await api.post(
        f"{M}/admin/domain_allows", admin, json_body={"domain": "friends.example"}
    )
    assert made.status == 200
    twice = await api.post(f"{M}/admin/domain_allows", admin, form={"domain": "FRIENDS.example"})
    assert twice.body["id"] == made.body["id"]
    assert [a["domain"] for a in (await api.get(f"{M}/admin/domain_allows", admin)).body] == [
        "friends.example"
    ]
    assert (await api.delete(f"{M}/admin/domain_allows/{made.body['id']}", admin)).status == 200
    assert (await api.get(f"{M}/admin/domain_allows", admin)).body == []


async def test_only_admins_manage_the_domain_policy(served: ServedNode, api: ApiClient) -> None:
    mod = await token(served.node, "mo", AccountRole.MODERATOR, "admin:read admin:write")
    member = await token(served.node, "pat", AccountRole.MEMBER, "read write")
    create = {"domain": "bad.example"}
    assert (await api.post(f"{M}/admin/domain_blocks", mod, json_body=create)).status == 403
    assert (await api.post(f"{M}/admin/domain_blocks", member, json_body=create)).status == 403
    assert (await api.get(f"{M}/admin/domain_blocks")).status == 401


async def test_the_public_list_stars_obfuscated_domains_and_leaves_out_noop(
    api: ApiClient, admin: str
) -> None:
    for body in (
        {"domain": "bumfaces.net", "severity": "suspend", "obfuscate": True, "public_comment": "x"},
        {"domain": "loud.example", "severity": "silence"},
        {"domain": "fine.example", "severity": "noop", "reject_media": True},
    ):
        await api.post(f"{M}/admin/domain_blocks", admin, json_body=body)
    shown = (await api.get(f"{M}/instance/domain_blocks")).body
    assert shown == [
        {
            "domain": "bumf****.net",
            "digest": digest("bumfaces.net"),
            "severity": "suspend",
            "comment": "x",
        },
        {
            "domain": "loud.example",
            "digest": digest("loud.example"),
            "severity": "silence",
            "comment": None,
        },
    ]


@pytest.fixture
def config(tmp_path: Path, database_url: str, port: int, request: pytest.FixtureRequest) -> Config:
    hidden = request.node.get_closest_marker("hidden_blocklist") is not None
    return make_config(tmp_path, database_url, port, federation={"expose_blocklist": not hidden})


@pytest.mark.hidden_blocklist
async def test_a_node_can_keep_its_list_to_itself(api: ApiClient) -> None:
    answer = await api.get(f"{M}/instance/domain_blocks")
    assert answer.status == 404 and "does not publish" in answer.body["error"]


@pytest.mark.hidden_blocklist
async def test_a_hidden_list_is_not_published_on_the_instance_actor_either(
    served: ServedNode, api: ApiClient, admin: str
) -> None:
    made = await api.post(
        f"{M}/admin/domain_blocks",
        admin,
        json_body={"domain": "secret.example", "severity": "suspend"},
    )
    assert made.status == 200
    actor = served.urls.instance_actor()
    for url in (
        f"{actor}/policy",
        f"{actor}/policy?page=1",
        f"{actor}/policy/{made.body['digest']}",
    ):
        async with served.client.get(url, headers={"Accept": "application/activity+json"}) as r:
            assert r.status == 404, url
            assert "secret.example" not in await r.text()
    async with served.client.get(actor, headers={"Accept": "application/activity+json"}) as r:
        assert "domainPolicy" not in await r.json(content_type=None)


@pytest.mark.parametrize("role", [AccountRole.MODERATOR, AccountRole.MEMBER])
async def test_a_token_scope_is_not_a_role_for_reading_the_policy_either(
    served: ServedNode, api: ApiClient, admin: str, role: AccountRole
) -> None:
    """A node moderator, or a member who moderates a group, holding admin:read: refused."""
    node = served.node
    made = await api.post(
        f"{M}/admin/domain_blocks",
        admin,
        json_body={"domain": "ugly.example", "private_comment": "told by a friend at ugly"},
    )
    allow = await api.post(f"{M}/admin/domain_allows", admin, json_body={"domain": "nice.example"})
    secret = await token(node, "mo", role, "read admin:read")
    await create_group(node, NewGroup(name="grief", title="Grief", owner="mo"))
    for path in (
        f"{M}/admin/domain_blocks",
        f"{M}/admin/domain_blocks/{made.body['id']}",
        f"{M}/admin/domain_allows",
        f"{M}/admin/domain_allows/{allow.body['id']}",
    ):
        answer = await api.get(path, secret)
        assert answer.status == 403, path
        assert "not an admin" in answer.body["error"]
        assert "friend at ugly" not in str(answer.body)
    asked = {"keys": ["instance_follows"], "instance_follows": {"domain": "ugly.example"}}
    assert (await api.post(f"{M}/admin/measures", secret, json_body=asked)).status == 403


async def test_the_follows_measure_counts_who_is_followed_from_there(
    served: ServedNode, api: ApiClient, admin: str
) -> None:
    node = served.node
    group = await create_group(node, NewGroup(name="grief", title="Grief"))
    async with node.store.transaction() as session:
        for n in range(3):
            uri = f"https://www.big.example/u/{n}"
            await add_follower(session, group.id, uri, f"{uri}/inbox", None, node.clock())
    asked = {
        "keys": ["instance_follows", "active_users"],
        "instance_follows": {"domain": "big.example"},
    }
    answer = await api.post(f"{M}/admin/measures", admin, json_body=asked)
    assert [(m["key"], m["total"]) for m in answer.body] == [
        ("instance_follows", "3"),
        ("active_users", "0"),
    ]


async def test_a_field_given_both_as_one_value_and_as_a_list_is_refused(
    api: ApiClient, admin: str
) -> None:
    # A form with `keys=…&keys[]=…` was a 500 (schemathesis sent one to the measures).
    for form in (
        [("keys", "active_users"), ("keys[]", "active_users")],
        [("keys[]", "active_users"), ("keys", "active_users")],
    ):
        answer = await api.post(f"{M}/admin/measures", admin, form=form)
        assert answer.status == 400, answer.body
        assert "'keys' is given both as one value and as a list" in answer.body["error"]
