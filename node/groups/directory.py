"""The node's directory of groups: the groups that asked to be listed, with what a person
choosing one compares (kind, topics, who may read, how joining works, how many belong), found
by kind, topic or words, newest first in pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select

from federation.errors import Invalid
from node.groups.kinds import normalise_topic
from node.runtime import Node
from node.store.paging import PAGE_SIZE
from node.store.states import GroupKind, MembershipState
from node.store.tables import MAX_ID, CommunityGroup, LocalActor, Membership

MAX_QUERY = 200
MAX_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Listing:
    """One group as the directory shows it."""

    id: int
    name: str
    title: str
    summary: str
    kind: GroupKind
    topics: tuple[str, ...]
    members_only: bool
    approves_members: bool
    follower_count: int


@dataclass(frozen=True, slots=True)
class DirectoryPage:
    """Groups newest first; `older` is the `before` of the next page, `newer` the `after` of
    the previous one (None: nothing that way)."""

    groups: tuple[Listing, ...]
    older: int | None
    newer: int | None


def _words(text: str) -> list[str]:
    # casefold, not SQL lower(): SQLite's lower() leaves every non-ASCII letter as it is.
    return [w.lstrip("#") for w in text.casefold().split() if w.lstrip("#")]


def _checked(query: str | None, before: int | None, after: int | None, limit: int) -> None:
    if query is not None and len(query) > MAX_QUERY:
        raise Invalid("the search is longer than {limit} characters", limit=MAX_QUERY)
    for name, cursor in (("before", before), ("after", after)):
        if cursor is not None and not 0 < cursor <= MAX_ID:
            raise Invalid("{name} must be a positive group id", name=name)
    if before is not None and after is not None:
        raise Invalid("give before or after, not both")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid("limit must be from 1 to {limit}", limit=MAX_LIMIT)


@dataclass(frozen=True, slots=True)
class _Row:
    group: CommunityGroup
    name: str

    @property
    def id(self) -> int:
        assert self.group.id is not None
        return self.group.id


def _matches(row: _Row, words: list[str], topic: str | None) -> bool:
    topics = [str(t) for t in row.group.topics]
    if topic is not None and topic not in topics:
        return False
    text = " ".join((row.name, row.group.title, row.group.summary)).casefold()
    return all(w in text or any(w in t for t in topics) for w in words)


async def directory(
    node: Node,
    *,
    kind: GroupKind | None = None,
    query: str | None = None,
    topic: str | None = None,
    before: int | None = None,
    after: int | None = None,
    limit: int = PAGE_SIZE,
) -> DirectoryPage:
    """The listed groups of this node of that kind, on that topic, whose name, title, summary
    or topics hold every word of `query` (case-insensitive). A group not discoverable (every
    members-only group among them) is never listed: its organizers did not ask to be found."""
    _checked(query, before, after, limit)
    wanted = normalise_topic(topic) if topic is not None else None
    words = _words(query or "")
    filters: list[Any] = [col(CommunityGroup.discoverable).is_(True)]
    if kind is not None:
        filters.append(CommunityGroup.kind == kind)
    async with node.store.session() as session:
        # Word and topic matching is done here rather than in SQL: a node holds a few hundred
        # groups at most, and the match needs Unicode case folding on both backends.
        found = await session.exec(
            select(CommunityGroup, LocalActor.username)
            .join(LocalActor, col(CommunityGroup.actor_id) == col(LocalActor.id))
            .where(*filters)
            .order_by(col(CommunityGroup.id).desc())
        )
        rows = [_Row(g, name or "") for g, name in found.all()]
        page, older, newer = _page(
            [r for r in rows if _matches(r, words, wanted)], before, after, limit
        )
        counts = await _follower_counts(session, [r.id for r in page])
    listings = tuple(
        Listing(
            id=r.id,
            name=r.name,
            title=r.group.title,
            summary=r.group.summary,
            kind=r.group.kind,
            topics=tuple(r.group.topics),
            members_only=r.group.members_only,
            approves_members=r.group.approves_members,
            follower_count=counts.get(r.id, 0),
        )
        for r in page
    )
    return DirectoryPage(listings, older, newer)


def _page(
    rows: list[_Row], before: int | None, after: int | None, limit: int
) -> tuple[list[_Row], int | None, int | None]:
    """Keyset paging over ids, newest first, as node.store.paging pages collections."""
    if after is not None:
        newer_rows = [r for r in rows if r.id > after]
        page = newer_rows[-limit:]
        has_newer = len(newer_rows) > limit
        has_older = True
    else:
        older_rows = [r for r in rows if before is None or r.id < before]
        page = older_rows[:limit]
        has_older = len(older_rows) > limit
        has_newer = before is not None and any(r.id >= before for r in rows)
    if not page:
        return [], None, None
    return page, page[-1].id if has_older else None, page[0].id if has_newer else None


async def _follower_counts(session: Any, group_ids: list[int]) -> dict[int, int]:
    if not group_ids:
        return {}
    found = await session.exec(
        select(Membership.group_id, func.count())
        .where(
            col(Membership.group_id).in_(group_ids),
            Membership.state == MembershipState.ACCEPTED,
        )
        .group_by(col(Membership.group_id))
    )
    return {int(group_id): int(n) for group_id, n in found.all()}
