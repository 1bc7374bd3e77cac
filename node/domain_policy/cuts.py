"""What a suspension cuts, said before it is applied (a dry run) and then applied: follows and
memberships ended, the domain's posts taken down, deliveries owed to it cancelled, its
unapplied activities refused."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from moderation.domains import covering, digest, host_of
from node.groups.posts import mark_removed
from node.runtime import Node
from node.store.states import (
    ActivityState,
    DeliveryState,
    Direction,
    MembershipState,
    advance,
)
from node.store.tables import (
    Activity,
    CommunityGroup,
    Delivery,
    LocalActor,
    Membership,
    Post,
    RemoteActor,
    RemoteMembership,
)

log = logging.getLogger(__name__)

SUSPENDED_REASON = "the server was suspended from this node"


@dataclass
class Impact:
    """What cutting some domains off removes (counted before, then done)."""

    followers: Counter[str] = field(default_factory=Counter)  # group name -> followers cut
    memberships: int = 0  # members here in groups on those domains
    posts: int = 0
    deliveries: int = 0
    activities: int = 0  # received from them, not applied yet
    by_domain: Counter[str] = field(default_factory=Counter)  # domain -> things held of it

    def describe(self) -> str:
        groups = len(self.followers)
        followers = sum(self.followers.values())
        parts = [
            f"{followers} {'follower' if followers == 1 else 'followers'} of {groups}"
            f" {'group' if groups == 1 else 'groups'}",
            f"{self.posts} {'post' if self.posts == 1 else 'posts'}",
        ]
        if self.memberships:
            parts.append(f"{self.memberships} memberships of members here in their groups")
        if self.deliveries:
            parts.append(f"{self.deliveries} deliveries owed")
        if self.activities:
            parts.append(f"{self.activities} activities not yet applied")
        return ", ".join(parts)

    @property
    def anything(self) -> bool:
        return bool(
            self.followers or self.memberships or self.posts or self.deliveries or self.activities
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "followers": dict(self.followers),
            "memberships": self.memberships,
            "posts": self.posts,
            "deliveries": self.deliveries,
            "activities": self.activities,
            "text": self.describe(),
        }


Covered = Callable[[str], str | None]  # a URL or host -> the cut domain covering it, or None


def covered_by(domains: Iterable[str]) -> Covered:
    cut = set(domains)
    digests = {d for d in cut if len(d) == 64 and all(c in "0123456789abcdef" for c in d)}

    def match(url_or_host: str) -> str | None:
        netloc = urlsplit(url_or_host).netloc if "://" in url_or_host else url_or_host
        host = host_of(netloc)
        if host is None:
            return None
        for candidate in covering(host):
            if candidate in cut or (digests and digest(candidate) in digests):
                return candidate
        return None

    return match


async def impact(node: Node, domains: Iterable[str]) -> Impact:
    """What suspending `domains` would remove, said without changing anything."""
    async with node.store.session() as session:
        return await would_cut(session, node, domains)


async def would_cut(session: AsyncSession, node: Node, domains: Iterable[str]) -> Impact:
    """What suspending `domains` would remove, counted in the caller's session."""
    return await _cut(session, node, covered_by(domains), apply=False)


@dataclass(frozen=True, slots=True)
class _Held:
    """One kind of thing the node holds of other servers: the rows that may be cut, the
    URL or host each belongs to, how it counts, and what cutting it does."""

    query: Callable[[], Any]
    where: Callable[[Any], str]
    count: Callable[[Impact, Any], None]
    cut: Callable[[Any, datetime], None]


def _leave(membership: Membership | RemoteMembership, now: datetime) -> None:
    advance(membership, MembershipState.LEFT)
    membership.updated_at = now


def _take_down(post: Post, now: datetime) -> None:
    mark_removed(post, now, SUSPENDED_REASON)


def _cancel(delivery: Delivery, now: datetime) -> None:
    advance(delivery, DeliveryState.CANCELLED)
    delivery.updated_at = now
    delivery.last_error, delivery.lease_until = SUSPENDED_REASON, None


def _refuse(activity: Activity, now: datetime) -> None:
    advance(activity, ActivityState.REJECTED)
    activity.error = SUSPENDED_REASON
    activity.processed_at = now


OPEN_MEMBERSHIP = (MembershipState.ACCEPTED, MembershipState.PENDING)

HELD = (
    _Held(  # followers of our groups: (membership, their URI, the group's name)
        lambda: (
            select(Membership, RemoteActor.uri, LocalActor.username)
            .join(RemoteActor, col(RemoteActor.id) == col(Membership.remote_actor_id))
            .join(CommunityGroup, col(CommunityGroup.id) == col(Membership.group_id))
            .join(LocalActor, col(LocalActor.id) == col(CommunityGroup.actor_id))
            .where(col(Membership.state).in_(OPEN_MEMBERSHIP))
        ),
        lambda row: str(row[1]),
        lambda found, row: found.followers.update([str(row[2])]),
        lambda row, now: _leave(row[0], now),
    ),
    _Held(  # members here in groups there
        lambda: select(RemoteMembership).where(col(RemoteMembership.state).in_(OPEN_MEMBERSHIP)),
        lambda row: row.group_uri,
        lambda found, _row: setattr(found, "memberships", found.memberships + 1),
        _leave,
    ),
    _Held(
        lambda: select(Post).where(col(Post.local).is_(False), col(Post.removed_at).is_(None)),
        lambda row: row.author_uri,
        lambda found, _row: setattr(found, "posts", found.posts + 1),
        _take_down,
    ),
    _Held(
        lambda: select(Delivery).where(Delivery.state == DeliveryState.PENDING),
        lambda row: row.host,
        lambda found, _row: setattr(found, "deliveries", found.deliveries + 1),
        _cancel,
    ),
    _Held(
        lambda: select(Activity).where(
            Activity.direction == Direction.INBOUND, Activity.state == ActivityState.RECEIVED
        ),
        lambda row: row.actor_uri,
        lambda found, _row: setattr(found, "activities", found.activities + 1),
        _refuse,
    ),
)


async def _cut(session: AsyncSession, node: Node, covered: Covered, *, apply: bool) -> Impact:
    found = Impact()
    now = node.clock()
    for held in HELD:
        for row in (await session.exec(held.query())).all():
            domain = covered(held.where(row))
            if domain is None:
                continue
            held.count(found, row)
            found.by_domain[domain] += 1
            if apply:
                held.cut(row, now)
    return found


async def cut_off(session: AsyncSession, node: Node, domains: Iterable[str]) -> Impact:
    """Apply a suspension's effects in the caller's transaction (the entries go with it)."""
    cut = list(domains)
    if not cut:
        return Impact()
    done = await _cut(session, node, covered_by(cut), apply=True)
    if done.anything:
        log.warning("event=domains_cut domains=%s what=%s", len(cut), done.describe())
    return done
