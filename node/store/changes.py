"""Change topics: a write to a table that served documents are built from bumps that topic's
counter in the same transaction; every process hears its own commits at once and polls the
counters for everyone else's, so in-process caches drop what went stale."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.orm.session import Session as SQLModelSession

from node.store.tables import ChangeCounter

# Which tables each topic's documents are built from.
ACTORS = "actors"  # actor documents, WebFinger answers, the group an inbox names
BANS = "bans"  # who is suspended from the node (checked at every inbox)
DOMAIN_POLICY = "domain_policy"  # what the node does with each other server
PAGES = "pages"  # the pages shown to visitors not signed in (node.http.pages.page_cache)
READERS = "readers"  # what a signed-in reader's every page asks of them (node.http.pages.readers)
TOPICS: dict[str, frozenset[str]] = {
    # A member's credential is their actor's badge.
    ACTORS: frozenset(
        {
            "local_actor",
            "signing_key",
            "instance",
            "account",
            "community_group",
            "rule_set",
            "credential",
        }
    ),
    BANS: frozenset({"ban"}),
    # The instance row holds the federation mode in force.
    DOMAIN_POLICY: frozenset({"domain_block", "domain_allow", "instance"}),
    # The front, group, thread and help pages: groups, their posts, followers, moderators,
    # rules and log, the bylines (accounts here, actors elsewhere), the crisis lines.
    PAGES: frozenset(
        {
            "local_actor",
            "community_group",
            "membership",
            "post",
            "rule_set",
            "mod_log",
            "account",
            "remote_actor",
            "crisis_resource",
        }
    ),
    # Their session and account, the groups they belong to or moderate and the rules they
    # owe there, the people they hide.
    READERS: frozenset(
        {"web_session", "account", "local_actor", "membership", "rule_set", "person_block"}
    ),
}
POLL_SECONDS = 0.5  # another process's change is in force here within this
# A write no cache is built from (a session's last-seen time): `.execution_options(**UNWATCHED)`
# keeps it from moving its table's topics.
_QUIET = "cove_unwatched"
UNWATCHED = {_QUIET: True}

_CHANGED = "cove_changed_topics"  # session.info: topics bumped in the open transaction
_FEED = "cove_change_feed"  # session.info: the ChangeFeed to tell after the commit


def topics_of(tables: Iterable[str]) -> set[str]:
    names = set(tables)
    return {topic for topic, watched in TOPICS.items() if names & watched}


class ChangeFeed:
    """One process's view of the counters, and the caches to clear when a topic moves."""

    def __init__(self) -> None:
        self._seen: dict[str, int] | None = None
        self._listeners: dict[str, list[Callable[[], None]]] = {}

    def subscribe(self, topic: str, clear: Callable[[], None]) -> None:
        self._listeners.setdefault(topic, []).append(clear)

    def heard(self, topics: Iterable[str]) -> None:
        for topic in topics:
            for clear in self._listeners.get(topic, ()):
                clear()

    def compare(self, counters: dict[str, int]) -> set[str]:
        """Topics whose counters moved since the last poll (none on the first)."""
        previous, self._seen = self._seen, counters
        if previous is None:
            return set()
        return {t for t in counters.keys() | previous.keys() if counters.get(t) != previous.get(t)}


def insert_or_else(dialect: str, table: Any) -> Any:
    """An INSERT into `table` that can say what to do on a conflict (ON CONFLICT), as the
    database in use (PostgreSQL or SQLite) writes it."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


class StoreSession(SQLModelSession):
    """The store's sessions: writes to watched tables bump their topics (see `_watch`)."""


def _bump(session: Session, tables: Iterable[str]) -> None:
    changed: set[str] = session.info.setdefault(_CHANGED, set())
    for topic in topics_of(tables) - changed:
        statement = (
            insert_or_else(session.get_bind().dialect.name, ChangeCounter)
            .values(topic=topic, serial=1)
            .on_conflict_do_update(
                index_elements=["topic"], set_={"serial": col(ChangeCounter.serial) + 1}
            )
        )
        session.connection().execute(statement)
        changed.add(topic)


@event.listens_for(StoreSession, "after_flush")
def _flushed(session: Session, _context: UOWTransaction) -> None:
    written = (*session.new, *session.dirty, *session.deleted)
    _bump(session, {getattr(o, "__tablename__", "") for o in written})


@event.listens_for(StoreSession, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.execution_options.get(_QUIET):
        return
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if isinstance(table, sa.Table):
            _bump(state.session, {table.name})


@event.listens_for(StoreSession, "after_commit")
def _committed(session: Session) -> None:
    topics = session.info.pop(_CHANGED, None)
    feed = session.info.get(_FEED)
    if topics and isinstance(feed, ChangeFeed):
        feed.heard(topics)


@event.listens_for(StoreSession, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def session_info(feed: ChangeFeed) -> dict[str, Any]:
    return {_FEED: feed}


async def read_counters(session: AsyncSession) -> dict[str, int]:
    rows = await session.exec(select(ChangeCounter.topic, ChangeCounter.serial))
    return {str(topic): int(serial) for topic, serial in rows.all()}
