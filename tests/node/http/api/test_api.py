"""The moderation API over HTTP on a served node: bearer tokens and their scopes, who may act
where, reports, rules, bans, the moderation log and the queues. Every answer is checked
against the OpenAPI document (tests/support/api_contract.py), and schemathesis fuzzes every
operation looking for a server error."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

import schemas
from federation.errors import Conflict, Invalid
from node.groups import groups
from node.groups.groups import NewGroup
from node.members import accounts, tokens
from node.moderators import appointments, removals
from node.moderators.reports.filed import file_report
from node.moderators.roles import Acting
from node.queue import delivery
from node.runtime import Node
from node.store.states import AccountRole, PostKind, Visibility
from node.store.tables import ApiToken, Ban, ModLogEntry, Post
from tests.conftest import ServedNode, client_for
from tests.support.api_contract import ApiClient, Contract

M = "/api/v1"
C = "/api/cove/v1"
ADMIN_SCOPES = "read write admin:read admin:write"
T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def contract() -> Contract:
    return Contract()


@pytest.fixture
def api(served: ServedNode, contract: Contract) -> ApiClient:
    return ApiClient(served.client, served.base, contract)


@dataclass
class Community:
    """Two groups and the people around them, each with a token carrying every scope they
    could want: what they may do is then up to their roles alone."""

    node: Node
    admin: str  # ada, a node admin
    moderator: str  # mo, a moderator of grief
    member: str  # pat, a member
    owner: str  # bea, who owns ptsd
    grief_post: str
    ptsd_post: str

    def post_uri(self, token: str) -> str:
        return self.node.urls.post(token)


async def add_post(node: Node, group_name: str, token: str, author: str) -> str:
    async with node.store.session() as session:
        group = await groups.get_group(session, group_name)
    uri = node.urls.post(token)
    async with node.store.transaction() as session:
        session.add(
            Post(
                uri=uri,
                group_id=group.id,
                group_uri=node.urls.group(group_name),
                author_uri=node.urls.person(author),
                kind=PostKind.PAGE,
                title=f"post {token}",
                content_html="<p>hello</p>",
                visibility=Visibility.PUBLIC,
                local=True,
                published=T0,
                created_at=T0,
            )
        )
    return uri


async def token_for(node: Node, username: str, scopes: str = ADMIN_SCOPES) -> str:
    secret, _info = await tokens.create_token(node, username, scopes, name="tests")
    return secret


async def community(node: Node) -> Community:
    await accounts.create_account(node, "ada", AccountRole.ADMIN)
    await accounts.create_account(node, "mo")
    await accounts.create_account(node, "pat")
    await accounts.create_account(node, "bea")
    await groups.create_group(node, NewGroup(name="grief", title="Grief"))
    await groups.create_group(node, NewGroup(name="ptsd", title="PTSD", owner="bea"))
    async with client_for(node) as client:
        await appointments.set_moderator(
            node, client, Acting.operator(node), "grief", "mo", moderator=True
        )
    return Community(
        node=node,
        admin=await token_for(node, "ada"),
        moderator=await token_for(node, "mo"),
        member=await token_for(node, "pat"),
        owner=await token_for(node, "bea"),
        grief_post=await add_post(node, "grief", "g1", "pat"),
        ptsd_post=await add_post(node, "ptsd", "p1", "pat"),
    )


@pytest.fixture
async def world(served: ServedNode) -> AsyncIterator[Community]:
    yield await community(served.node)


# Tokens ----------------------------------------------------------------------------------------


async def test_a_token_is_shown_once_kept_as_a_digest_and_speaks_for_its_account(
    served: ServedNode, api: ApiClient
) -> None:
    node = served.node
    await accounts.create_account(node, "ada", AccountRole.ADMIN)
    secret, info = await tokens.create_token(node, "ada", "read admin:read:reports", "phone")
    assert info.scopes == ("read", "admin:read:reports") and info.username == "ada"
    async with node.store.session() as session:
        row = (await session.exec(select(ApiToken))).one()
    assert row.token_digest == tokens.digest(secret) and secret not in row.token_digest
    assert row.last_used_at is None

    account, scopes = await tokens.authenticate(node, secret)
    assert account.username == "ada" and scopes == {"read", "admin:read:reports"}
    assert (await api.get(f"{M}/admin/reports", secret)).status == 200
    [listed] = await tokens.list_tokens(node, "ada")
    assert listed.last_used_at is not None and listed.name == "phone"

    await tokens.revoke_token(node, info.id)
    answer = await api.get(f"{M}/admin/reports", secret)
    assert answer.status == 401 and "revoked" in answer.body["error"]
    with pytest.raises(Conflict):
        await tokens.revoke_token(node, info.id)


async def test_scopes_are_mastodons_names_and_read_as_mastodon_reads_them(
    served: ServedNode,
) -> None:
    await accounts.create_account(served.node, "ada")
    with pytest.raises(Invalid, match="unknown scope 'admin:everything'"):
        await tokens.create_token(served.node, "ada", "read admin:everything")
    with pytest.raises(Invalid, match="at least one scope"):
        await tokens.create_token(served.node, "ada", "  ")
    assert tokens.grants(frozenset({"admin:read"}), "admin:read:reports")
    assert tokens.grants(frozenset({"read"}), "read:notifications")
    assert tokens.grants(frozenset({"write"}), "write:reports")
    assert tokens.grants(frozenset({"follow"}), "read:follows")
    assert not tokens.grants(frozenset({"read"}), "admin:read:reports")
    assert not tokens.grants(frozenset({"admin:read"}), "admin:write:reports")
    assert not tokens.grants(frozenset({"read:notifications"}), "read")


async def test_a_request_without_a_good_token_is_refused_with_a_reason(
    world: Community, api: ApiClient
) -> None:
    for headers in ({}, {"Authorization": "Basic YWRhOnB3"}, {"Authorization": "Bearer "}):
        answer = await api.get(f"{M}/admin/reports", headers=headers)
        assert answer.status == 401 and "Authorization: Bearer" in answer.body["error"]
    answer = await api.get(f"{M}/admin/reports", "not-a-token")
    assert answer.status == 401 and answer.body["error"] == "the bearer token is not valid"


async def test_a_token_without_the_scope_is_refused_even_for_an_admin(
    world: Community, api: ApiClient
) -> None:
    reader = await token_for(world.node, "ada", "read write:reports")
    answer = await api.get(f"{M}/admin/reports", reader)
    assert answer.status == 403 and "admin:read:reports" in answer.body["error"]
    answer = await api.post(f"{C}/groups/grief/posts/remove", reader, json_body={"post": "x"})
    assert answer.status == 403 and "admin:write" in answer.body["error"]
    narrow = await token_for(world.node, "ada", "admin:read:reports")
    assert (await api.get(f"{M}/admin/reports", narrow)).status == 200
    assert (await api.post(f"{M}/admin/reports/1/resolve", narrow)).status == 403


# Who may act where ------------------------------------------------------------------------------


async def test_a_member_is_refused_the_admin_and_group_endpoints(
    world: Community, api: ApiClient
) -> None:
    report = await api.post(
        f"{M}/reports",
        world.member,
        json_body={"account_id": world.node.urls.person("mo"), "category": "spam"},
    )
    assert report.status == 200
    report_id = report.body["id"]
    token = world.member
    refused = [
        await api.get(f"{M}/admin/reports/{report_id}", token),
        await api.post(f"{M}/admin/reports/{report_id}/resolve", token),
        await api.post(f"{C}/reports/{report_id}/dismiss", token, json_body={"note": "no"}),
        await api.get(f"{C}/admin/queue", token),
        await api.post(
            f"{C}/groups/grief/posts/remove", token, json_body={"post": world.grief_post}
        ),
        await api.get(f"{C}/groups/grief/bans", token),
        await api.post(
            f"{C}/groups/grief/bans", token, json_body={"actor": "https://x.example/u/a"}
        ),
        await api.put(f"{C}/groups/grief/rules", token, json_body={"rules": []}),
        await api.post(f"{C}/groups/grief/moderators", token, json_body={"account": "pat"}),
    ]
    assert [a.status for a in refused] == [403] * len(refused)
    assert "pat is not a moderator of grief" in refused[4].body["error"]
    # A member moderates nothing: the list is refused, as Mastodon refuses it.
    listed = await api.get(f"{M}/admin/reports", token)
    assert listed.status == 403 and "pat moderates no group" in listed.body["error"]


async def test_a_group_moderator_acts_in_their_group_only(world: Community, api: ApiClient) -> None:
    mo = world.moderator
    answer = await api.post(
        f"{C}/groups/ptsd/posts/lock", mo, json_body={"post": world.ptsd_post, "reason": "x"}
    )
    assert answer.status == 403 and "mo is not a moderator of ptsd" in answer.body["error"]
    ban = {"actor": "https://x.example/u/troll", "reason": "spam"}
    assert (await api.post(f"{C}/groups/ptsd/bans", mo, json_body=ban)).status == 403
    # Rules and moderators are for the owner (or an admin), not for moderators.
    assert (await api.put(f"{C}/groups/grief/rules", mo, json_body={"rules": []})).status == 403

    lock = {"post": world.grief_post, "reason": "heated"}
    assert (await api.post(f"{C}/groups/grief/posts/lock", mo, json_body=lock)).status == 204
    assert (await api.post(f"{C}/groups/grief/posts/lock", mo, json_body=lock)).status == 409
    assert (await api.post(f"{C}/groups/grief/posts/unlock/", mo, json_body=lock)).status == 204
    assert (await api.post(f"{C}/groups/grief/bans", mo, json_body=ban)).status == 200

    # Reports: a moderator sees and decides those of their group, no others.
    pat = world.member
    in_grief = await api.post(
        f"{M}/reports", pat, json_body={"account_id": "x", "status_ids": [world.grief_post]}
    )
    assert in_grief.status == 400  # account_id must be a URL
    in_grief = await api.post(
        f"{M}/reports",
        pat,
        json_body={"account_id": world.node.urls.person("pat"), "status_ids": [world.grief_post]},
    )
    in_ptsd = await api.post(
        f"{M}/reports",
        pat,
        json_body={"account_id": world.node.urls.person("pat"), "status_ids": [world.ptsd_post]},
    )
    listed = await api.get(f"{M}/admin/reports", mo)
    assert [r["id"] for r in listed.body] == [in_grief.body["id"]]
    assert (await api.get(f"{M}/admin/reports/{in_ptsd.body['id']}", mo)).status == 403
    assert (await api.post(f"{C}/reports/{in_ptsd.body['id']}/resolve", mo)).status == 403
    assert (await api.post(f"{C}/reports/{in_grief.body['id']}/resolve", mo)).status == 200


async def test_a_node_admin_acts_in_every_group(world: Community, api: ApiClient) -> None:
    ada = world.admin
    for group, post in (("grief", world.grief_post), ("ptsd", world.ptsd_post)):
        body = {"post": post, "reason": "off topic"}
        assert (await api.post(f"{C}/groups/{group}/posts/pin", ada, json_body=body)).status == 204
        assert (
            await api.post(f"{C}/groups/{group}/posts/remove", ada, json_body=body)
        ).status == 204
        assert (
            await api.post(f"{C}/groups/{group}/posts/remove", ada, json_body=body)
        ).status == 409
        assert (
            await api.post(f"{C}/groups/{group}/posts/restore", ada, json_body=body)
        ).status == 204
        # Only a removed post can be purged.
        purge = await api.post(f"{C}/groups/{group}/posts/purge", ada, json_body=body)
        assert purge.status == 409 and "before purging it" in purge.body["error"]
        rules = {"rules": [{"title": "Be kind"}]}
        assert (await api.put(f"{C}/groups/{group}/rules", ada, json_body=rules)).status == 200
    added = await api.post(f"{C}/groups/ptsd/moderators", ada, json_body={"account": "pat"})
    assert added.status == 204
    again = await api.post(f"{C}/groups/ptsd/moderators/", ada, form={"account": "pat"})
    assert again.status == 409
    removed = await api.delete(f"{C}/groups/ptsd/moderators", ada, params={"account": "pat"})
    assert removed.status == 204
    owner = await api.delete(f"{C}/groups/ptsd/moderators", ada, params={"account": "bea"})
    assert owner.status == 403 and "owns ptsd" in owner.body["error"]
    missing = await api.post(f"{C}/groups/nope/posts/pin", ada, json_body={"post": "https://x"})
    assert missing.status == 404
    assert (await api.get(f"{C}/admin/queue", ada)).status == 200


# Reports ---------------------------------------------------------------------------------------


async def test_reports_come_urgent_first_and_are_resolved_dismissed_and_reopened(
    world: Community, api: ApiClient
) -> None:
    pat, ada = world.member, world.admin
    person = world.node.urls.person("mo")
    spam = await api.post(
        f"{M}/reports",
        pat,
        form=[("account_id", person), ("status_ids[]", world.grief_post), ("category", "spam")],
    )
    assert spam.status == 200 and spam.body["status_ids"] == [world.grief_post]
    worry = await api.post(
        f"{M}/reports",
        pat,
        json_body={"account_id": person, "comment": "I think they might hurt themselves"},
    )
    assert worry.body["category"] == "self_harm" and worry.body["urgent"] is True
    other = await api.post(
        f"{M}/reports/", pat, json_body={"account_id": person, "category": "other"}
    )
    assert other.body["forwarded"] is False and other.body["action_taken"] is False

    listed = await api.get(f"{M}/admin/reports", ada)
    ids = [r["id"] for r in listed.body]
    assert ids == [worry.body["id"], other.body["id"], spam.body["id"]]
    first = listed.body[0]
    assert first["account"]["id"] == world.node.urls.person("pat")
    assert first["target_account"]["id"] == person and first["state"] == "open"
    assert (await api.get(f"{M}/admin/reports", ada, params={"limit": "1"})).body[0] == first

    # One report, read on its own, shows the moderators what was reported.
    shown = await api.get(f"{M}/admin/reports/{spam.body['id']}", ada)
    [status] = shown.body["statuses"]
    assert (status["content"], status["spoiler_text"]) == ("<p>hello</p>", "post g1")
    assert (status["removed"], status["deleted"]) == (False, False)
    resolved = await api.post(f"{M}/admin/reports/{spam.body['id']}/resolve", ada)
    assert resolved.body["action_taken"] is True and resolved.body["state"] == "resolved"
    assert resolved.body["statuses"][0]["id"] == world.grief_post
    assert [e["action"] for e in resolved.body["history"]] == ["opened", "resolved"]
    again = await api.post(f"{C}/reports/{spam.body['id']}/dismiss", ada)
    assert again.status == 409 and "reopen it first" in again.body["error"]
    dismissed = await api.post(
        f"{C}/reports/{other.body['id']}/dismiss", ada, json_body={"note": "not a breach"}
    )
    assert dismissed.body["state"] == "dismissed" and dismissed.body["outcome"] == "not a breach"

    closed = await api.get(f"{M}/admin/reports", ada, params={"resolved": "true"})
    assert {r["id"] for r in closed.body} == {spam.body["id"], other.body["id"]}
    reopened = await api.post(f"{M}/admin/reports/{other.body['id']}/reopen", ada)
    assert reopened.body["state"] == "open" and reopened.body["action_taken"] is False
    assert (await api.post(f"{M}/admin/reports/{other.body['id']}/reopen", ada)).status == 409
    assert (await api.get(f"{M}/admin/reports/99999", ada)).status == 404
    assert (await api.get(f"{M}/admin/reports/99999999999999", ada)).status == 404
    assert (await api.get(f"{M}/admin/reports/abc", ada)).status == 404

    # The reporter hears the outcomes and sees their reports.
    heard = await api.get(f"{C}/notifications", pat)
    assert [n["report_id"] for n in heard.body] == [other.body["id"], spam.body["id"]]
    assert "not a breach" in heard.body[0]["text"]
    mine = await api.get(f"{C}/reports/mine", pat)
    assert [r["id"] for r in mine.body] == [other.body["id"], worry.body["id"], spam.body["id"]]
    # The person reported hears nothing of the reports, only the care the worry offered them.
    told = (await api.get(f"{C}/notifications", world.moderator)).body
    assert [(n["type"], n["report_id"]) for n in told] == [("care", None)]


async def test_a_report_with_an_unknown_category_or_a_missing_rule_is_refused(
    world: Community, api: ApiClient
) -> None:
    pat = world.member
    target = {"account_id": world.node.urls.person("mo"), "status_ids": [world.grief_post]}
    unknown = await api.post(f"{M}/reports", pat, json_body={**target, "category": "rude"})
    assert unknown.status == 400 and "unknown report category 'rude'" in unknown.body["error"]
    no_rule = await api.post(
        f"{M}/reports", pat, json_body={**target, "category": "violation", "rule_ids": ["3"]}
    )
    assert no_rule.status == 400 and "there is no rule 3" in no_rule.body["error"]
    bad = await api.post(f"{M}/reports", pat, json_body={**target, "rule_ids": ["x"]})
    assert bad.status == 400 and "rule_ids" in bad.body["error"]
    await api.put(
        f"{C}/groups/grief/rules", world.admin, json_body={"rules": [{"title": "No spam"}]}
    )
    cited = await api.post(
        f"{M}/reports",
        pat,
        form=[
            ("account_id", world.node.urls.person("mo")),
            ("status_ids[]", world.grief_post),
            ("rule_ids[]", "1"),
        ],
    )
    assert cited.status == 200 and cited.body["rule_ids"] == ["1"]
    assert cited.body["category"] == "violation"
    no_token = await api.post(f"{M}/reports", json_body=target)
    assert no_token.status == 401


# Rules -----------------------------------------------------------------------------------------


async def test_rules_are_public_and_written_by_the_owner_or_an_admin(
    world: Community, api: ApiClient
) -> None:
    empty = await api.get(f"{C}/groups/ptsd/rules")
    assert empty.status == 200 and empty.body["version"] == 0 and empty.body["rules"] == []
    written = await api.put(
        f"{C}/groups/ptsd/rules",
        world.owner,
        json_body={
            "rules": [{"title": "Be kind", "text": "Always."}, {"title": "No advice"}],
            "needs_acceptance": True,
        },
    )
    assert written.status == 200 and written.body["version"] == 1
    shown = await api.get(f"{C}/groups/ptsd/rules/")
    assert [(r["number"], r["title"]) for r in shown.body["rules"]] == [
        (1, "Be kind"),
        (2, "No advice"),
    ]
    assert shown.body["needs_acceptance"] is True
    bad = await api.put(f"{C}/groups/ptsd/rules", world.owner, json_body={"rules": [{}]})
    assert bad.status == 400 and "rule 1: a rule needs a title" in bad.body["error"]
    not_list = await api.put(f"{C}/groups/ptsd/rules", world.owner, json_body={"rules": "x"})
    assert not_list.status == 400
    # Text PostgreSQL cannot store is refused at the door (found by schemathesis below).
    nul = await api.put(
        f"{C}/groups/ptsd/rules", world.owner, json_body={"rules": [{"title": "a\x00b"}]}
    )
    assert nul.status == 400 and "NUL" in nul.body["error"]
    half = await api.call(
        "PUT",
        f"{C}/groups/ptsd/rules",
        world.owner,
        form=b'{"rules": [{"title": "\\ud800"}]}',
        headers={"Content-Type": "application/json"},
    )
    assert half.status == 400 and "Unicode" in half.body["error"]
    assert (await api.get(f"{C}/groups/ptsd%00/rules")).status == 404
    assert (await api.get(f"{C}/groups/ptsd/rules")).body["version"] == 1
    assert (await api.get(f"{C}/groups/nope/rules")).status == 404


# Bans ------------------------------------------------------------------------------------------


async def bans_in(node: Node) -> list[Ban]:
    async with node.store.session() as session:
        return list((await session.exec(select(Ban))).all())


async def test_a_ban_ending_in_the_past_is_refused_and_changes_nothing(
    world: Community, api: ApiClient
) -> None:
    mo, troll = world.moderator, "https://x.example/u/troll"
    past = await api.post(
        f"{C}/groups/grief/bans",
        mo,
        json_body={"actor": troll, "reason": "spam", "expires_at": "2000-01-01T00:00:00Z"},
    )
    assert past.status == 400 and "in the past" in past.body["error"]
    naive = await api.post(
        f"{C}/groups/grief/bans", mo, json_body={"actor": troll, "expires_at": "2099-01-01"}
    )
    assert naive.status == 400 and "time zone" in naive.body["error"]
    both = await api.post(
        f"{C}/groups/grief/bans",
        mo,
        json_body={"actor": troll, "expires_at": "2099-01-01T00:00:00Z", "duration": "7d"},
    )
    assert both.status == 400
    assert await bans_in(world.node) == []
    logged = (await api.get(f"{C}/groups/grief/modlog", mo)).body["items"]
    assert [e["action"] for e in logged] == ["add_moderator"]  # mo's appointment only

    banned = await api.post(
        f"{C}/groups/grief/bans",
        mo,
        json_body={"actor": troll, "reason": "spam", "duration": "7d", "remove_content": True},
    )
    assert banned.status == 200 and banned.body["state"] == "active"
    ends = datetime.fromisoformat(banned.body["expires_at"])
    assert timedelta(days=6, hours=23) < ends - datetime.now(UTC) <= timedelta(days=7)
    listed = await api.get(f"{C}/groups/grief/bans", mo)
    assert [b["actor"] for b in listed.body] == [troll]
    lifted = await api.delete(f"{C}/groups/grief/bans", mo, params={"actor": troll})
    assert lifted.status == 204
    assert (await api.get(f"{C}/groups/grief/bans", mo)).body == []
    assert (await api.post(f"{C}/groups/grief/unban", mo, json_body={"actor": troll})).status == 404
    endless = await api.post(f"{C}/groups/grief/bans", mo, form={"actor": troll})
    assert endless.status == 200 and endless.body["expires_at"] is None
    assert (await api.post(f"{C}/groups/grief/unban", mo, form={"actor": troll})).status == 204


# The moderation log ----------------------------------------------------------------------------


async def test_the_moderation_log_pages_both_ways(world: Community, api: ApiClient) -> None:
    mo, node = world.moderator, world.node
    body = {"post": world.grief_post}
    for _ in range(12):  # 24 entries, and mo's appointment: more than a page of 20
        await api.post(f"{C}/groups/grief/posts/pin", mo, json_body=body)
        await api.post(f"{C}/groups/grief/posts/unpin", mo, json_body=body)
    first = await api.get(f"{C}/groups/grief/modlog", mo)
    assert len(first.body["items"]) == 20 and first.body["prev"] is None
    assert first.body["items"][0]["action"] == "unpin_post"
    assert first.body["items"][0]["moderator"] == node.urls.person("mo")
    older = await api.get(first.body["next"], mo)
    assert len(older.body["items"]) == 5 and older.body["next"] is None
    newer = await api.get(older.body["prev"], mo)
    assert newer.body["items"] == first.body["items"]
    all_ids = [int(e["id"]) for e in first.body["items"] + older.body["items"]]
    assert all_ids == sorted(all_ids, reverse=True) and len(set(all_ids)) == 25
    async with node.store.session() as session:
        assert len((await session.exec(select(ModLogEntry))).all()) == 25
    bad = await api.get(f"{C}/groups/grief/modlog", mo, params={"max_id": "¹"})
    assert bad.status == 400
    huge = await api.get(f"{C}/groups/grief/modlog", mo, params={"min_id": "99999999999"})
    assert huge.status == 400


async def test_a_public_groups_log_is_public_and_a_members_only_log_is_for_members(
    world: Community, api: ApiClient
) -> None:
    node = world.node
    await api.post(
        f"{C}/groups/grief/posts/lock", world.moderator, json_body={"post": world.grief_post}
    )
    mo = node.urls.person("mo")
    public = await api.get(f"{C}/groups/grief/modlog")  # no token, as on the group's page
    assert public.status == 200
    assert [(e["action"], e["moderator"]) for e in public.body["items"]][:1] == [("lock_post", mo)]
    await removals.set_modlog_names_hidden(node, Acting.operator(node), "grief", hidden=True)
    hidden = await api.get(f"{C}/groups/grief/modlog", world.member)
    assert {e["moderator"] for e in hidden.body["items"]} == {None}
    seen_by_mod = await api.get(f"{C}/groups/grief/modlog", world.moderator)
    assert seen_by_mod.body["items"][0]["moderator"] == mo  # moderators still see who

    await groups.create_group(node, NewGroup(name="circle", title="Circle", members_only=True))
    assert (await api.get(f"{C}/groups/circle/modlog")).status == 401
    assert (await api.get(f"{C}/groups/circle/modlog", world.member)).status == 403
    assert (await api.get(f"{C}/groups/circle/modlog", world.admin)).status == 200


async def test_node_staff_suspend_and_lift_remote_actors(world: Community, api: ApiClient) -> None:
    troll = "https://elsewhere.example/u/troll"
    body = {"actor": troll, "reason": "harassment wave", "duration": "7d"}
    assert (await api.post(f"{C}/admin/suspensions", world.member, json_body=body)).status == 403
    done = await api.post(f"{C}/admin/suspensions", world.admin, json_body=body)
    assert done.status == 200 and done.body["group"] is None and done.body["state"] == "active"
    again = await api.post(f"{C}/admin/suspensions", world.admin, json_body=body)
    assert again.status == 409
    local = {"actor": world.node.urls.person("pat")}
    assert (await api.post(f"{C}/admin/suspensions", world.admin, json_body=local)).status == 400
    listed = await api.get(f"{C}/admin/suspensions", world.admin)
    assert [b["actor"] for b in listed.body] == [troll]
    assert (await api.get(f"{C}/admin/suspensions", world.member)).status == 403
    gone = await api.delete(f"{C}/admin/suspensions", world.admin, params={"actor": troll})
    assert gone.status == 204
    assert (
        await api.delete(f"{C}/admin/suspensions", world.admin, params={"actor": troll})
    ).status == 404
    assert (await api.get(f"{C}/admin/suspensions", world.admin)).body == []


# Queues ----------------------------------------------------------------------------------------


async def test_the_queue_figures_are_those_the_command_shows(
    world: Community, api: ApiClient
) -> None:
    # Something to count: a ban queues a Block for the group's followers (none) and the actor.
    await api.post(
        f"{C}/groups/grief/bans", world.admin, json_body={"actor": "https://x.example/u/a"}
    )
    answer = await api.get(f"{C}/admin/queue", world.admin)
    async with world.node.store.session() as session:
        figures = await delivery.queue_figures(session, world.node.clock())
    assert answer.body["inbound"] == figures.inbound
    assert answer.body["deliveries"] == figures.deliveries
    assert answer.body["due_now"] == figures.due_now
    assert answer.body["dead_hosts"] == []
    moderator = await api.get(f"{C}/admin/queue", world.moderator)
    assert moderator.status == 403  # a group's moderator is not node staff


async def test_the_description_is_served_without_a_token(
    served: ServedNode, api: ApiClient
) -> None:
    answer = await api.get(f"{C}/openapi.json")
    assert answer.status == 200 and answer.body["openapi"] == "3.1.0"
    assert answer.body["servers"] == [{"url": served.base}]


async def test_reports_found_by_the_domain_are_the_ones_the_api_lists(
    world: Community, api: ApiClient
) -> None:
    async with client_for(world.node) as client:
        pat = await accounts.get_account_by_name(world.node, "pat")
        filed = await file_report(world.node, client, pat, world.ptsd_post, category="harassment")
    listed = await api.get(f"{M}/admin/reports", world.owner)
    assert [r["id"] for r in listed.body] == [str(filed.id)]
    assert listed.body[0]["group"] == world.node.urls.group("ptsd")


# Fuzzing ---------------------------------------------------------------------------------------

CHECKS = ",".join(
    (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "ignored_auth",
    )
)


# Fuzzed once, on SQLite: what it fuzzes is the API's reading of input, the same code on both
# databases (every operation's storage is tested on both by the tests above); it is the
# longest test of the suite, bounded in time rather than in work.
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_schemathesis_finds_no_server_error_in_any_operation(
    world: Community, tmp_path: Path
) -> None:
    """Every operation fuzzed from the document against this node on loopback, with an
    admin's token: no 500, and every answer as documented. Bounded in examples and time."""
    async with client_for(world.node) as client:
        pat = await accounts.get_account_by_name(world.node, "pat")
        await file_report(world.node, client, pat, world.grief_post, category="spam")
    # The operations reach the real work when they name a group and a report that exist.
    (tmp_path / "schemathesis.toml").write_text(
        f"""
headers = {{ Authorization = "Bearer {world.admin}" }}

[parameters]
"path.name" = "grief"
"path.id" = "1"
"""
    )
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(tmp_path / "schemathesis.toml"),
        "run",
        f"{world.node.urls.base}{C}/openapi.json",
        "--checks",
        CHECKS,
        "--phases",
        "coverage,fuzzing",
        "--max-examples",
        "10",
        "--seed",
        "7",
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--max-time",
        "25",
        "--no-color",
    ]
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "SCHEMATHESIS_TELEMETRY": "false"}
    # A subprocess the event loop waits on: the node under test serves from this same loop.
    process = await asyncio.create_subprocess_exec(
        *command,
        cwd=tmp_path,  # the runner keeps a cache directory where it runs
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=90)
    text = output.decode("utf-8", "replace")
    assert process.returncode == 0, text[-8000:]


def test_the_api_document_names_every_api_route_and_no_other(node: Node) -> None:
    from node.http.app import create_app

    app = create_app(node, workers=False)
    served = {
        # Each route is served with and without a trailing slash (clients differ on it).
        (route.method.lower(), route.resource.canonical.rstrip("/"))
        for route in app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/")
        and route.method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (method, path)
        for path, item in schemas.openapi_document()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert served - documented == set(), "routes the document does not describe"
    assert documented - served == set(), "documented operations nobody serves"


@pytest.mark.parametrize("duration", ["8844542610w", "9" * 5000 + "d", "522w"])
async def test_a_duration_past_ten_years_is_400_however_long_the_number(
    world: Community, api: ApiClient, duration: str
) -> None:
    body = {"actor": "https://x.example/u/troll", "duration": duration}
    for path in (f"{C}/admin/suspensions", f"{C}/groups/grief/bans"):
        answer = await api.post(path, world.admin, json_body=body)
        assert answer.status == 400 and "ten years" in answer.body["error"]
