"""Subscribing to another Cove node's domain policy over signed ActivityPub: this node's
instance actor follows theirs, reads the published collection once, then takes each signed
Add and Remove of entries; the entries go through the same trust, threshold and draft
pipeline as a subscribed file. Entries named by digest only stay digests here too."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import select

from federation import builders
from federation.client import FederationClient
from federation.errors import FetchError, Invalid
from federation.readers import read_document
from federation.wire import Activity, WirePolicy
from moderation.blocklists import BlockEntry
from moderation.domains import digest, labels_of, normalise_domain, parse_severity
from node.actors.instance import get_instance
from node.actors.remote import remote_actor
from node.actors.signers import instance_signer
from node.domain_policy import syncing
from node.domain_policy.reconciling import Reconciled
from node.domain_policy.sources import SourceInfo
from node.domain_policy.syncing import Synced
from node.queue.delivery import inbox_of, queue
from node.runtime import Node
from node.store.states import SourceKind, Visibility
from node.store.tables import BlocklistSource

log = logging.getLogger(__name__)

MAX_PAGES = 100  # 100 pages of 500: more than any real list, and the walk ends for certain
HEX = frozenset("0123456789abcdef")


def entry_of(policy: WirePolicy) -> BlockEntry:
    """A shared entry as this node keeps it; Invalid when it names nothing usable."""
    severity = parse_severity(policy.severity)
    labels = labels_of(policy.labels)
    summary = (policy.summary or "")[:1000]
    common = {
        "severity": severity,
        "reject_media": policy.reject_media,
        "reject_reports": policy.reject_reports,
        "public_comment": summary,
        "labels": labels,
    }
    if policy.domain is not None:
        domain = normalise_domain(policy.domain)
        if policy.digest is not None and policy.digest != digest(domain):
            raise Invalid("the digest given for {domain} is not its digest", domain=domain)
        return BlockEntry(domain=domain, **common)  # type: ignore[arg-type]
    key = (policy.digest or "").lower()
    if len(key) != 64 or not set(key) <= HEX:
        raise Invalid("an entry without a domain needs a SHA-256 digest (64 hex digits)")
    return BlockEntry(domain=key, by_digest=True, **common)  # type: ignore[arg-type]


def entries_of(objects: list[Any]) -> tuple[list[BlockEntry], int]:
    """The usable entries among an activity's or page's objects, and how many were not."""
    kept: list[BlockEntry] = []
    bad = 0
    for item in objects:
        if not isinstance(item, WirePolicy):
            bad += 1
            continue
        try:
            kept.append(entry_of(item))
        except Invalid as e:
            bad += 1
            log.info("event=policy_entry_skipped id=%s reason=%s", item.id, e.reason)
    return kept, bad


async def follow_source(node: Node, client: FederationClient, source_id: int) -> Synced:
    """Follow the source node's instance actor and read its published collection."""
    async with node.store.session() as session:
        row = await session.get(BlocklistSource, source_id)
    if row is None or row.kind != SourceKind.ACTOR:
        raise Invalid("source {source_id} is not a node's actor", source_id=source_id)
    try:
        actor = await remote_actor(node, client, row.location)
    except FetchError as e:
        return await syncing.failed(node, source_id, e.reason)
    collection = actor.document.get("domainPolicy")
    if not isinstance(collection, str):
        return await syncing.failed(
            node, source_id, "that actor publishes no domain policy (is it a Cove node?)"
        )
    instance = await get_instance(node)
    follow = builders.follow(
        node.urls.activity(f"policy-follow-{digest(row.location)[:24]}"),
        node.urls.instance_actor(),
        actor.uri,
    )
    async with node.store.transaction() as session:
        stored = await session.get(BlocklistSource, source_id)
        assert stored is not None
        stored.follow_uri = str(follow["id"])
        await queue(
            session, instance.actor_id, follow, Visibility.DIRECT, [inbox_of(actor)], node.clock()
        )
    try:
        entries = await _read_collection(node, client, collection)
    except (FetchError, Invalid) as e:
        return await syncing.failed(node, source_id, e.reason)
    return await syncing.take_list(node, source_id, entries)


async def _read_collection(
    node: Node, client: FederationClient, collection: str
) -> list[BlockEntry]:
    signer = await instance_signer(node)
    top = (await client.get_json(collection, signer)).document
    url = top.get("first")
    found: list[BlockEntry] = []
    for _ in range(MAX_PAGES):
        if not isinstance(url, str):
            break
        page = (await client.get_json(url, signer, check_id=False)).document
        items = page.get("orderedItems", page.get("items", []))
        objects = [read_document(i) if isinstance(i, dict) else i for i in items or []]
        kept, _ = entries_of(objects)
        found.extend(kept)
        url = page.get("next")
    return found


async def unfollow_source(node: Node, source: SourceInfo) -> None:
    """Tell the source node this one no longer follows it (Undo of the Follow)."""
    async with node.store.session() as session:
        found = await session.exec(
            select(BlocklistSource.id).where(BlocklistSource.location == source.location)
        )
        if found.first() is not None:
            return  # subscribed again meanwhile
    actor_uri = node.urls.instance_actor()
    follow = builders.follow(
        node.urls.activity(f"policy-follow-{digest(source.location)[:24]}"),
        actor_uri,
        source.location,
    )
    undo = builders.undo(node.urls.activity(node.token()), actor_uri, follow, [source.location], [])
    instance = await get_instance(node)
    async with node.store.session() as session:
        from node.store.tables import RemoteActor

        actor = (
            await session.exec(select(RemoteActor).where(RemoteActor.uri == source.location))
        ).first()
    if actor is None:
        return
    async with node.store.transaction() as session:
        await queue(
            session, instance.actor_id, undo, Visibility.DIRECT, [inbox_of(actor)], node.clock()
        )


async def receive_change(node: Node, client: FederationClient, activity: Activity) -> bool:
    """A signed Add or Remove of entries from a node this one subscribes to; False when the
    activity is not one (another Add or Remove, left to whoever handles it)."""
    async with node.store.session() as session:
        source = (
            await session.exec(
                select(BlocklistSource).where(
                    BlocklistSource.location == activity.actor,
                    BlocklistSource.kind == SourceKind.ACTOR,
                )
            )
        ).first()
    if source is None or source.id is None:
        return False
    actor = await remote_actor(node, client, activity.actor)
    if activity.target != actor.document.get("domainPolicy"):
        return False
    kept, bad = entries_of(list(activity.objects))
    if activity.type == "Add":
        done: Reconciled = await syncing.take_changes(node, source.id, kept, [])
    else:
        keys = [e.domain for e in kept]
        done = await syncing.take_changes(node, source.id, [], keys)
    log.info(
        "event=policy_change source=%s type=%s entries=%s skipped=%s did=%r",
        source.id,
        activity.type,
        len(kept),
        bad,
        done.describe(),
    )
    return True
