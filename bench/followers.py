"""A group's followers written straight into a node's database before it starts: remote actors
on the sink hosts (shared inboxes), accepted memberships, their servers known as Lemmy, and
remote posters whose keys are already cached."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlmodel import col

from bench.actors import SimulatedActor
from bench.nodes import store_beside
from node.groups.groups import get_group
from node.store.states import GroupRole, MembershipState, Software
from node.store.tables import Membership, PeerServer, RemoteActor

ROWS_PER_INSERT = 1000


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), ROWS_PER_INSERT):
        yield rows[start : start + ROWS_PER_INSERT]


def _follower(host: str, port: int, n: int, now: datetime) -> dict[str, Any]:
    base = f"http://{host}:{port}"
    uri = f"{base}/u/f{n}"
    return {
        "uri": uri,
        "type": "Person",
        "username": f"f{n}",
        "domain": host,
        "inbox": f"{uri}/inbox",
        "shared_inbox": f"{base}/inbox",
        "followers": f"{uri}/followers",
        "software": "lemmy",
        "document": {"id": uri, "type": "Person"},
        "fetched_at": now,
        "created_at": now,
    }


async def seed(
    database_url: str,
    group_name: str,
    hosts: Sequence[str],
    port: int,
    per_host: int,
    posters: Sequence[SimulatedActor] = (),
) -> int:
    """Give the group `per_host` accepted followers on each sink host; how many were written."""
    now = datetime.now(UTC)
    async with store_beside(database_url, pool_size=2) as store, store.transaction() as session:
        group = await get_group(session, group_name)
        actors = [
            _follower(host, port, i * per_host + k, now)
            for i, host in enumerate(hosts)
            for k in range(per_host)
        ]
        for chunk in _chunks(actors):
            await session.execute(insert(RemoteActor), chunk)
        ids = select(col(RemoteActor.id), col(RemoteActor.uri))
        rows = (await session.execute(ids)).all()
        by_uri = {uri: actor_id for actor_id, uri in rows}
        memberships = [
            {
                "group_id": group.id,
                "actor_uri": a["uri"],
                "remote_actor_id": by_uri[a["uri"]],
                "role": GroupRole.MEMBER,
                "state": MembershipState.ACCEPTED,
                "follow_uri": f"{a['uri']}/follows/1",
                "created_at": now,
                "updated_at": now,
            }
            for a in actors
        ]
        for chunk in _chunks(memberships):
            await session.execute(insert(Membership), chunk)
        peers = [
            {
                "host": f"{host}:{port}",
                "software_name": "lemmy",
                "kind": Software.GROUP_AWARE,
                "checked_at": now,
            }
            for host in hosts
        ]
        for chunk in _chunks(peers):
            await session.execute(insert(PeerServer), chunk)
        if posters:
            await session.execute(insert(RemoteActor), [_poster(p, now) for p in posters])
    return len(actors)


def _poster(actor: SimulatedActor, now: datetime) -> dict[str, Any]:
    document = actor.document()
    return {
        "uri": actor.uri,
        "type": "Person",
        "username": actor.name,
        "domain": actor.uri.split("/")[2].split(":")[0],
        "inbox": document["inbox"],
        "shared_inbox": document["endpoints"]["sharedInbox"],
        "key_id": actor.key_id,
        "public_key_pem": actor.keys.public_pem,
        "document": document,
        "fetched_at": now,
        "created_at": now,
    }


async def count_rows(database_url: str, statement: Any) -> int:
    """One scalar from the node's database (read beside the running node)."""
    async with store_beside(database_url) as store, store.session() as session:
        return int((await session.execute(statement)).scalar_one())
