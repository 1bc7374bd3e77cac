"""Sharing this node's domain policy over signed ActivityPub: the entries in force published
as a collection on the instance actor (obfuscated ones by digest only, private comments
never), other nodes following the actor, and each change sent to them as Add or Remove of
entries, by the instance actor, in the transaction that makes it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.vocabulary import cove_context, iso8601
from moderation.domains import digest
from node.actors.instance import get_instance
from node.queue.delivery import inbox_of, queue
from node.runtime import Node
from node.store.states import Visibility
from node.store.tables import DomainBlock, PolicyFollower, PolicyPublished, RemoteActor

log = logging.getLogger(__name__)

ENTRIES_PER_ACTIVITY = 200  # an initial import of 20,000 entries is 100 activities a follower
PAGE_SIZE = 500  # entries per page of the published collection


def _key(row: DomainBlock) -> str:
    return row.domain if row.by_digest else digest(row.domain)


def entry_document(node: Node, row: DomainBlock) -> dict[str, Any]:
    """An entry as it is shared: named, or by digest alone when obfuscated (or known here by
    digest only); the public comment and labels travel, the private comment never does."""
    key = _key(row)
    named = not (row.obfuscate or row.by_digest)
    return builders.policy_entry(
        node.urls.policy_entry(key),
        row.domain if named else None,
        key,
        str(row.severity),
        reject_media=row.reject_media,
        reject_reports=row.reject_reports,
        summary=row.public_comment,
        labels=list(row.labels or ()),
        end_time=iso8601(row.expires_at) if row.expires_at else None,
    )


async def publish_changes(
    session: AsyncSession, node: Node, domains: Iterable[str] | None = None
) -> int:
    """Bring the published collection to the entries in force (only `domains`, when given)
    and send the change to the nodes following the instance actor (in the caller's
    transaction); how many entries changed."""
    now = node.clock()
    query = select(DomainBlock)
    keys: set[str] | None = None
    if domains is not None:
        names = sorted(set(domains))
        keys = {n if len(n) == 64 else digest(n) for n in names}
        query = query.where(col(DomainBlock.domain).in_(names))
    rows = (await session.exec(query)).all()
    current = {
        _key(r): entry_document(node, r) for r in rows if r.expires_at is None or r.expires_at > now
    }
    published_query = select(PolicyPublished)
    if keys is not None:
        published_query = published_query.where(col(PolicyPublished.digest).in_(sorted(keys)))
    published = {p.digest: p for p in (await session.exec(published_query)).all()}
    added = [
        doc
        for key, doc in current.items()
        if published.get(key) is None or published[key].document != doc
    ]
    removed = [p.document for key, p in published.items() if key not in current]
    new = []
    for doc in added:
        found = published.get(str(doc["domainDigest"]))
        if found is None:
            new.append({"digest": str(doc["domainDigest"]), "document": doc, "published_at": now})
        else:
            found.document, found.published_at = doc, now
    if new:  # one statement (an import of 20,000 entries made as many objects for the ORM)
        await session.exec(sa.insert(PolicyPublished), params=new)
    for doc in removed:
        await session.delete(published[str(doc["domainDigest"])])
    if added or removed:
        await _send(session, node, "Add", added, now)
        await _send(session, node, "Remove", removed, now)
        log.info("event=policy_published added=%s removed=%s", len(added), len(removed))
    return len(added) + len(removed)


async def _send(
    session: AsyncSession, node: Node, kind: str, entries: list[dict[str, Any]], now: datetime
) -> None:
    if not entries or not node.config.federation.expose_blocklist:
        return  # a node that keeps its blocks to itself tells no one, followers included
    followers = (await session.exec(select(PolicyFollower))).all()
    if not followers:
        return
    instance = await get_instance(node)
    actor = node.urls.instance_actor()
    inboxes = dict.fromkeys(f.inbox for f in followers)
    for start in range(0, len(entries), ENTRIES_PER_ACTIVITY):
        chunk = entries[start : start + ENTRIES_PER_ACTIVITY]
        document = builders.policy_change(
            node.urls.activity(node.token()),
            kind,
            actor,
            chunk,  # several objects: one activity carries many entries
            node.urls.domain_policy(),
            cove_context(node.urls.vocabulary()),
        )
        await queue(session, instance.actor_id, document, Visibility.DIRECT, inboxes, now)


# The collection -----------------------------------------------------------------------------


async def published_page(node: Node, page: int | None) -> dict[str, Any]:
    """The published collection (summary and first page link), or one page of it."""
    from sqlalchemy import func

    collection = node.urls.domain_policy()
    async with node.store.session() as session:
        total = int((await session.exec(select(func.count()).select_from(PolicyPublished))).one())
        if page is None:
            return {
                "id": collection,
                "type": "OrderedCollection",
                "totalItems": total,
                "first": f"{collection}?page=1",
            }
        rows = await session.exec(
            select(PolicyPublished)
            .order_by(col(PolicyPublished.digest))
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        items = [r.document for r in rows.all()]
    document: dict[str, Any] = {
        "id": f"{collection}?page={page}",
        "type": "OrderedCollectionPage",
        "partOf": collection,
        "orderedItems": items,
    }
    if page * PAGE_SIZE < total:
        document["next"] = f"{collection}?page={page + 1}"
    return document


async def published_entry(node: Node, key: str) -> dict[str, Any] | None:
    async with node.store.session() as session:
        row = await session.get(PolicyPublished, key)
    return row.document if row is not None else None


# Followers ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyFollowerInfo:
    actor_uri: str
    since: datetime

    def as_json(self) -> dict[str, Any]:
        return {"actor": self.actor_uri, "since": iso8601(self.since)}


@dataclass(frozen=True, slots=True)
class SharedPolicy:
    """What this node shares of its domain policy, and with whom."""

    shared: bool  # federation.expose_blocklist: published and sent, or kept to itself
    collection: str  # where other nodes read it
    entries: int  # entries published (obfuscated ones by digest only)
    followers: list[PolicyFollowerInfo]

    def as_json(self) -> dict[str, Any]:
        return {
            "shared": self.shared,
            "collection": self.collection,
            "entries": self.entries,
            "followers": [f.as_json() for f in self.followers],
        }


async def shared_policy(node: Node) -> SharedPolicy:
    """The node's published policy and the nodes following it (oldest first)."""
    from sqlalchemy import func

    async with node.store.session() as session:
        total = int((await session.exec(select(func.count()).select_from(PolicyPublished))).one())
        rows = await session.exec(select(PolicyFollower).order_by(col(PolicyFollower.created_at)))
        followers = [PolicyFollowerInfo(r.actor_uri, r.created_at) for r in rows.all()]
    shared = node.config.federation.expose_blocklist
    return SharedPolicy(shared, node.urls.domain_policy(), total, followers)


async def add_follower(
    session: AsyncSession, node: Node, follower: RemoteActor, follow: dict[str, Any]
) -> None:
    """A node follows the instance actor for the policy: kept, and answered Accept; or
    answered Reject when this node keeps its blocks to itself (federation.expose_blocklist)."""
    shared = node.config.federation.expose_blocklist
    if shared:
        found = await session.exec(
            select(PolicyFollower).where(PolicyFollower.actor_uri == follower.uri)
        )
        row = found.first()
        if row is None:
            assert follower.id is not None
            row = PolicyFollower(
                actor_uri=follower.uri,
                remote_actor_id=follower.id,
                inbox=inbox_of(follower),
                follow_uri=str(follow.get("id")),
                created_at=node.clock(),
            )
            session.add(row)
        row.follow_uri = str(follow.get("id"))
    kind, build = ("accept", builders.accept) if shared else ("reject", builders.reject)
    answer = build(
        node.urls.activity(f"{kind}-{digest(str(follow.get('id')))[:24]}"),
        node.urls.instance_actor(),
        follow,
        follower.uri,
    )
    instance = await get_instance(node)
    await queue(
        session, instance.actor_id, answer, Visibility.DIRECT, [follower.inbox], node.clock()
    )
    log.info("event=policy_follow actor=%s answer=%s", follower.uri, kind)


async def remove_follower(session: AsyncSession, actor_uri: str) -> bool:
    found = (
        await session.exec(select(PolicyFollower).where(PolicyFollower.actor_uri == actor_uri))
    ).first()
    if found is None:
        return False
    await session.delete(found)
    return True
