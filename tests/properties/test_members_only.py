"""A members-only group's posts reach its members only. Checked as a property: every GET
route of the group's node and of a member's node, fetched four ways (unsigned, signed by a
server with no member, signed by a member's server for another host and replayed here, and
signed by a member's server as it should be): only the last sees members-only content."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from aiohttp import ClientSession, DummyCookieJar
from sqlmodel import col, select

from federation.errors import FetchError
from federation.httpsig import cavage
from federation.httpsig.message import Headers, HttpMessage, Spec
from node.actors.signers import instance_signer
from node.groups import groups, membership, posts
from node.groups.groups import NewGroup
from node.members import accounts, participation, tokens, web_sessions
from node.runtime import Node
from node.store.states import MembershipState
from node.store.tables import Post, RemoteMembership
from tests.conftest import PeerFactory, ServedNode, client_for, eventually
from tests.support.hostile_peer import HostilePeer, deliveries_done, start_hostile_peer
from tests.support.route_walk import Site, paths_to_fetch, walk

AP = "application/activity+json"
SECRETS = ("kit keeps this in", "bea keeps this in too", "said without a name", "a reply kept in")
OTHER_HOST = "127.0.0.9:4567"  # where the member's server thought it was sending its GET


@pytest.fixture
async def outsider() -> AsyncIterator[HostilePeer]:
    async with start_hostile_peer("127.0.0.3") as peer:
        yield peer


async def signed_as_server(node: Node, url: str, host: str | None = None) -> dict[str, str]:
    """The headers of a GET signed by a Cove node's instance actor (draft-cavage, as it
    signs fetches); with `host`, signed for a request to that other server instead."""
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    target = f"http://{host}{path}" if host else url
    message = HttpMessage("GET", target, Headers([("Host", host or netloc), ("Accept", AP)]), b"")
    signer = await instance_signer(node)
    cavage.sign(message, signer.key_id, signer.private_key, datetime.now(UTC))  # type: ignore[arg-type]
    return message.headers.as_dict()


async def group_post_ids(node: Node) -> list[int]:
    async with node.store.session() as session:
        found = await session.exec(select(Post.id).where(col(Post.group_id).is_not(None)))  # type: ignore[arg-type]
        return [i for i in found.all() if i is not None]


async def youth(a: ServedNode, b: ServedNode) -> tuple[str, list[str]]:
    """A members-only group on A with a member here (kit) and one on B (bea), and their
    posts: a thread each, an anonymous one, and a reply."""
    node = a.node
    await groups.create_group(node, NewGroup(name="youth", title="Youth", members_only=True))
    group = a.urls.group("youth")
    kit = await accounts.create_account(node, "kit")
    bea = await accounts.create_account(b.node, "bea")
    async with client_for(node) as client:
        await participation.join(node, client, kit, group)
        await membership.decide_follow(node, client, "youth", a.urls.person("kit"), approve=True)
    async with client_for(b.node) as client:
        await participation.join(b.node, client, bea, group)

    async def asked() -> bool:
        return b.urls.person("bea") in await membership.pending_follows(node, "youth")

    await eventually(asked)
    async with client_for(node) as client:
        await membership.decide_follow(node, client, "youth", b.urls.person("bea"), approve=True)

    async def accepted() -> bool:
        async with b.node.store.session() as session:
            row = (await session.exec(select(RemoteMembership))).first()
        return row is not None and row.state == MembershipState.ACCEPTED

    await eventually(accepted)
    async with client_for(node) as client:
        thread = await participation.publish(node, client, kit, group, SECRETS[0], title="In")
        hidden = await participation.publish(node, client, kit, group, SECRETS[2], anonymous=True)
    async with client_for(b.node) as client:
        theirs = await participation.publish(b.node, client, bea, group, SECRETS[1])
        reply = await participation.publish(
            b.node, client, bea, group, SECRETS[3], in_reply_to=thread
        )

    async def all_arrived() -> bool:
        async with node.store.session() as session:
            return all([await posts.post_at(session, u) for u in (theirs, reply)])

    await eventually(all_arrived)
    await deliveries_done(a)
    await deliveries_done(b)
    return group, [thread, hidden, theirs, reply]


def shows_secret(text: str) -> bool:
    return any(secret in text for secret in SECRETS)


async def test_a_members_only_post_is_not_in_its_authors_public_outbox(
    served: ServedNode, peer_node: PeerFactory
) -> None:
    b = await peer_node()
    await youth(served, b)
    for node, name in ((served, "kit"), (b, "bea")):
        outbox = node.urls.outbox(node.urls.person(name))
        async with node.client.get(f"{outbox}?page=true", headers={"Accept": AP}) as r:
            text = await r.text()
        assert r.status == 200 and not shows_secret(text), (name, text)


@pytest.mark.parametrize("spec", [Spec.CAVAGE, Spec.RFC9421])
async def test_a_get_a_members_server_signed_for_another_server_is_refused_when_replayed(
    served: ServedNode, peer_node: PeerFactory, outsider: HostilePeer, spec: Spec
) -> None:
    """The hostile server lures the member's server into fetching a URL of its own (a keyId
    it controls, say), keeps the signed request and replays it here within the hour."""
    b = await peer_node()
    await youth(served, b)
    path = "/g/youth/outbox?page=true"
    async with client_for(b.node) as client:
        client.prefer(outsider.base, spec)
        # The outsider answers 404; the signed request is what it wanted.
        with pytest.raises(FetchError):
            await client.get_json(f"{outsider.base}{path}", await instance_signer(b.node))
    lured = next(r for r in outsider.requests if r.path == path)
    replayed = {k: v for k, v in lured.headers.items() if k.lower() not in ("content-length",)}
    async with served.client.get(served.base + path, headers=replayed) as r:
        assert r.status == 401, await r.text()
        assert not shows_secret(await r.text())
    # The member's server asking for itself is let in (the refusal above is not a fluke).
    async with client_for(b.node) as client:
        page = await client.get_json(served.base + path, await instance_signer(b.node))
    assert shows_secret(str(page.document))


async def test_only_a_members_server_signing_for_this_node_sees_members_only_content(
    served: ServedNode, peer_node: PeerFactory, outsider: HostilePeer
) -> None:
    b = await peer_node()
    _, made = await youth(served, b)
    nosy = await accounts.create_account(served.node, "nosy")
    nosy_token, _ = await tokens.create_token(served.node, nosy.username, "read write admin:read")
    # Signed in to the pages: nosy, a member of the node but not of the group; kit, a member.
    nosy_cookie, _ = await web_sessions.start_session(served.node, nosy.id, "127.0.0.1", "b")
    kit = await accounts.get_account_by_name(served.node, "kit")
    kit_cookie, _ = await web_sessions.start_session(served.node, kit.id, "127.0.0.1", "b")
    stranger = outsider.actor("stranger")

    async def fetch_all(node: ServedNode, site: Site, how: str) -> list[tuple[str, int, str]]:
        # One connection pool, no cookies kept: each request says who it is by itself.
        async with ClientSession(cookie_jar=DummyCookieJar()) as http:
            return await walk(
                lambda path: fetch(http, node, path, how),
                paths_to_fetch(node.node, site),
                node.base,
            )

    async def fetch(http: ClientSession, node: ServedNode, path: str, how: str) -> tuple[int, str]:
        url = node.base + path
        headers: dict[str, str] = {"Accept": AP}
        if how == "outsider":
            headers = outsider.signed_get_headers(stranger, url)
        elif how == "replayed":
            headers = await signed_as_server(b.node, url, host=OTHER_HOST)
        elif how == "member":
            headers = await signed_as_server(b.node, url)
        elif how == "group":
            headers = await signed_as_server(served.node, url)
        elif how == "token":
            headers["Authorization"] = f"Bearer {nosy_token}"
        elif how == "browser":
            headers = {"Accept": "text/html"}
        elif how in ("signed in", "member signed in"):
            cookie = nosy_cookie if how == "signed in" else kit_cookie
            headers = {"Accept": "text/html", "Cookie": f"cove_session={cookie}"}
        async with http.get(url, headers=headers) as r:
            return r.status, await r.text()

    here = Site(
        base=served.base,
        domain=served.urls.domain,
        groups=["youth"],
        people=["kit", "nosy"],
        post_tokens=[u.rsplit("/", 1)[1] for u in made if u.startswith(served.base)],
        thread_paths=[
            served.urls.thread("youth", i).removeprefix(served.base)
            for i in await group_post_ids(served.node)
        ],
    )
    for how in ("unsigned", "browser", "outsider", "replayed", "token", "signed in"):
        for path, status, text in await fetch_all(served, here, how):
            assert status < 500, (how, path, status)
            assert not shows_secret(text), (how, path, text[:300])
    seen = await fetch_all(served, here, "member")
    assert any(shows_secret(text) for _, _, text in seen)
    # The pages show the group's posts to its members signed in: every thread's page.
    pages = await fetch_all(served, here, "member signed in")
    read = {path: (status, text) for path, status, text in pages if path in here.thread_paths}
    assert len(read) == len(here.thread_paths) >= 4
    assert all(status == 200 for status, _ in read.values()), read.keys()
    assert any(shows_secret(text) for _, text in read.values())
    # On the member's own server, bea's posts are for the group's server alone.
    there = Site(
        base=b.base,
        domain=b.urls.domain,
        groups=[],
        people=["bea"],
        post_tokens=[u.rsplit("/", 1)[1] for u in made if u.startswith(b.base)],
    )
    for how in ("unsigned", "browser", "outsider", "replayed"):
        for path, status, text in await fetch_all(b, there, how):
            assert status < 500, (how, path, status)
            assert not shows_secret(text), (how, path, text[:300])
    seen = await fetch_all(b, there, "group")
    assert any(shows_secret(text) for _, _, text in seen)
