"""Web sessions: a signed-in browser, known by a digest of its cookie's secret, with the
secret its forms carry (CSRF); found on every request, listed and ended by its owner. A
session ends when unused for [registrations] session_days, or once its account is not active."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import exists, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import NotFound
from moderation.roles import MODERATING
from node.cache import TtlCache
from node.members.accounts import AccountInfo, account_info, get_account_by_id
from node.members.tokens import digest
from node.runtime import Node
from node.store.changes import UNWATCHED
from node.store.states import AccountState, MembershipState
from node.store.tables import MAX_ID, Account, LocalActor, Membership, WebSession

log = logging.getLogger(__name__)

# A session in use is marked at most this often (as API tokens are): one write per page view
# would make every read a write, which SQLite serialises.
LAST_SEEN_GRANULARITY = timedelta(minutes=1)
MAX_SECRET = 200
MAX_USER_AGENT = 500
MAX_IP = 64


@dataclass(frozen=True, slots=True)
class WebSessionInfo:
    id: int
    account: AccountInfo
    csrf_secret: str  # for the pages' form tokens; never shown
    user_agent: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    # Owns or moderates a group here (the pages then show the way to the moderation queue).
    moderates_a_group: bool = False


def _info(row: WebSession, account: AccountInfo, moderates: bool = False) -> WebSessionInfo:
    assert row.id is not None
    return WebSessionInfo(
        id=row.id,
        account=account,
        csrf_secret=row.csrf_secret,
        user_agent=row.user_agent,
        ip=row.ip,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        moderates_a_group=moderates,
    )


def _lifetime(node: Node) -> timedelta:
    return timedelta(days=node.config.registrations.session_days)


async def start_session(
    node: Node, account_id: int, ip: str, user_agent: str
) -> tuple[str, WebSessionInfo]:
    """A new session for a signed-in account: its secret (for the cookie; shown this once,
    only its digest is kept) and what it is."""
    secret = "".join(node.token() for _ in range(3))  # 288 random bits
    now = node.clock()
    async with node.store.transaction() as session:
        account = await get_account_by_id(session, account_id)
        row = WebSession(
            account_id=account_id,
            secret_digest=digest(secret),
            csrf_secret="".join(node.token() for _ in range(2)),
            user_agent=user_agent[:MAX_USER_AGENT],
            ip=ip[:MAX_IP],
            created_at=now,
            last_seen_at=now,
        )
        session.add(row)
        await session.flush()
        info = _info(row, account)
    log.info("event=web_session_started account=%s session=%s", account_id, info.id)
    return secret, info


async def session_for(
    node: Node, secret: str, kept: TtlCache[str, WebSessionInfo | None] | None = None
) -> WebSessionInfo | None:
    """The session a cookie's secret names, or None: unknown, ended, unused too long, or its
    account is no longer active. With `kept` (the pages' copy, cleared by any change to
    sessions, accounts or memberships: node.store.changes.READERS), a session in use is read
    from the database once, not on every page."""
    if not secret or len(secret) > MAX_SECRET:
        return None
    key = digest(secret)
    read = partial(_in_use, node, key)
    info = await (read() if kept is None else kept.get(key, read, keep=_found))
    now = node.clock()
    if info is None or info.last_seen_at + _lifetime(node) <= now:
        return None
    if now - info.last_seen_at >= LAST_SEEN_GRANULARITY:
        # No kept copy is built from the time alone: this write clears none (others' copies
        # are read again within their time to live, well inside a session's lifetime).
        async with node.store.transaction() as session:
            await session.exec(
                update(WebSession)
                .where(col(WebSession.id) == info.id)
                .values(last_seen_at=now)
                .execution_options(**UNWATCHED)
            )
        if kept is not None:
            kept.forget(key)
    return info


def _found(info: WebSessionInfo | None) -> bool:
    return info is not None


async def _in_use(node: Node, secret_digest: str) -> WebSessionInfo | None:
    """The session with this digest if it is not ended and its account is active, as stored."""
    async with node.store.session() as session:
        # One round trip: a signed-in member's every page asks this first.
        moderates = (
            exists()
            .where(
                col(Membership.account_id) == col(WebSession.account_id),
                col(Membership.state) == MembershipState.ACCEPTED,
                col(Membership.role).in_(tuple(MODERATING)),
            )
            .correlate(WebSession)
        )
        found = await session.exec(
            select(WebSession, Account, LocalActor.username, moderates.label("moderates"))
            .join(Account, col(Account.id) == col(WebSession.account_id))
            .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
            .where(WebSession.secret_digest == secret_digest)
        )
        row = found.first()
    if row is None:
        return None
    web_session, stored, username, moderates_a_group = row
    account = account_info(stored, username or "")
    if web_session.revoked_at is not None or account.state != AccountState.ACTIVE:
        return None
    return _info(web_session, account, bool(moderates_a_group))


async def list_sessions(node: Node, account_id: int) -> list[WebSessionInfo]:
    """An account's sessions still in force, most recently used first."""
    since = node.clock() - _lifetime(node)
    async with node.store.session() as session:
        account = await get_account_by_id(session, account_id)
        found = await session.exec(
            select(WebSession)
            .where(
                WebSession.account_id == account_id,
                col(WebSession.revoked_at).is_(None),
                col(WebSession.last_seen_at) > since,
            )
            .order_by(col(WebSession.last_seen_at).desc(), col(WebSession.id).desc())
        )
        return [_info(row, account) for row in found.all()]


async def end_session(node: Node, account_id: int, session_id: int) -> None:
    """End one of an account's sessions (signing out, or from the list of sessions)."""
    if not 0 < session_id <= MAX_ID:
        raise NotFound("no session {session_id}", session_id=session_id)
    async with node.store.transaction() as session:
        row = await session.get(WebSession, session_id)
        if row is None or row.account_id != account_id or row.revoked_at is not None:
            raise NotFound("no session {session_id} of this account is open", session_id=session_id)
        row.revoked_at = node.clock()
    log.info("event=web_session_ended account=%s session=%s", account_id, session_id)


async def end_other_sessions(node: Node, account_id: int, keep_session_id: int | None) -> int:
    """End every session of an account but `keep_session_id`; how many ended."""
    async with node.store.transaction() as session:
        ended = await end_sessions(session, account_id, node.clock(), keep=keep_session_id)
    log.info("event=web_sessions_ended account=%s count=%s", account_id, ended)
    return ended


async def end_sessions(
    session: AsyncSession, account_id: int, now: datetime, keep: int | None = None
) -> int:
    """In the caller's transaction: end an account's open sessions but `keep`."""
    ended = (
        update(WebSession)
        .where(col(WebSession.account_id) == account_id, col(WebSession.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    if keep is not None:
        ended = ended.where(col(WebSession.id) != keep)
    result = await session.exec(ended)
    return int(result.rowcount)
