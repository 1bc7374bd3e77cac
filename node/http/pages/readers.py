"""What a signed-in reader's every page asks about them before showing anything: their session,
the people they hide, where they stand with the group on the page. Kept in this process, and
dropped whenever any of it changes in any process (node.store.changes.READERS): this process's
own change at once, another's within a poll. A member's page then asks the database only what
the page itself shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from node.cache import TtlCache
from node.groups import membership
from node.groups.groups import GroupInfo
from node.groups.membership import Standing
from node.members import person_blocks, web_sessions
from node.members.web_sessions import WebSessionInfo
from node.runtime import Node

TTL = timedelta(minutes=1)  # bounds only a change made behind the node's back
SIZE = 4096  # readers kept at most, of each kind


class Readers:
    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._sessions: TtlCache[str, WebSessionInfo | None] = TtlCache(TTL, clock, SIZE)
        self._hidden: TtlCache[int, frozenset[str]] = TtlCache(TTL, clock, SIZE)
        self._standings: TtlCache[tuple[int, str], Standing] = TtlCache(TTL, clock, SIZE)

    def clear(self) -> None:
        self._sessions.clear()
        self._hidden.clear()
        self._standings.clear()

    async def session(self, node: Node, secret: str) -> WebSessionInfo | None:
        """web_sessions.session_for, the session read from the database once while in use."""
        return await web_sessions.session_for(node, secret, self._sessions)

    async def hidden(self, node: Node, account_id: int) -> frozenset[str]:
        """The people whose posts a member is not shown (person_blocks.hidden_from)."""
        read = partial(person_blocks.hidden_from, node, account_id)
        return await self._hidden.get(account_id, read)

    async def standing(self, node: Node, group: GroupInfo, actor_uri: str) -> Standing:
        """Where a member stands with a group (membership.standing)."""
        read = partial(membership.standing, node, group, actor_uri)
        return await self._standings.get((group.id, actor_uri), read)
