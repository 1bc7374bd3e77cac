"""Which failures are the infrastructure's passing trouble (the database, the disk or network
under it, a peer's bad moment), to be retried later, and which are the work's own, to refuse."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from enum import StrEnum

from sqlalchemy import exc

from federation.errors import AddressRefused, CoveError, FetchError, PolicyRefused, Unanswered


class Fault(StrEnum):
    STORE = "store"  # the database, or the disk or connection under it, did not answer
    PEER = "peer"  # a remote server gave no answer, or a passing one (5xx, 429)


# PostgreSQL's SQLSTATE classes (appendix A) of conditions that pass by themselves:
# 08 connection exception, 53 insufficient resources (disk full, too many connections),
# 57 operator intervention (shutdown, restart, cancelled), 58 system error (I/O).
TRANSIENT_SQLSTATE_CLASSES = ("08", "53", "57", "58")
# serialization_failure and deadlock_detected: PostgreSQL asks for the transaction again;
# lock_not_available: a NOWAIT lock another transaction holds.
TRANSIENT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
# SQLite reports every condition as OperationalError, bugs ("no such table") included: only
# these messages are the file system's or another writer's passing trouble.
SQLITE_TRANSIENT = (
    "database is locked",
    "database table is locked",
    "disk i/o error",
    "database or disk is full",
    "unable to open database file",
)


def fault_of(error: BaseException) -> Fault | None:
    """The infrastructure fault behind `error`, or None when the failure is the work's own
    (a refusal with a reason, a bad document) or a bug."""
    if isinstance(error, CoveError):
        return Fault.PEER if _peer_passing(error) else None
    if any(_store_passing(cause) for cause in _causes(error)):
        return Fault.STORE
    return None


def summary(error: BaseException) -> str:
    """One line naming what failed, from the driver's own error: never the SQL statement or
    its parameters, which may hold a members-only post."""
    root = error if isinstance(error, CoveError) else list(_causes(error))[-1]
    lines = str(root).strip().splitlines()
    return f"{type(root).__name__}: {lines[0]}"[:300] if lines else type(root).__name__


def _peer_passing(error: CoveError) -> bool:
    # Mastodon and Lemmy retry a delivery on no answer, a 5xx and a 429 alike; a refusal by our
    # own policy or address guard made no request, and a 4xx is the peer's final word.
    if not isinstance(error, FetchError) or isinstance(error, AddressRefused | PolicyRefused):
        return False
    if isinstance(error, Unanswered):
        return True
    status = error.http_status  # None: it answered something we will not use, for good
    return status is not None and (status >= 500 or status == 429)


def _causes(error: BaseException) -> Iterator[BaseException]:
    """The error, then what it wraps: a DBAPI error's `.orig`, then each `__cause__` (asyncpg's
    errors arrive twice wrapped by SQLAlchemy)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = current.orig if isinstance(current, exc.DBAPIError) else None
        current = orig if isinstance(orig, BaseException) else current.__cause__


def _store_passing(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.DisconnectionError | exc.TimeoutError):  # pool: none to be had
        return True
    if isinstance(error, sqlite3.OperationalError | exc.OperationalError) and _is_sqlite(error):
        return str(error).lower().startswith(SQLITE_TRANSIENT)
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        return True
    if isinstance(error, OSError | TimeoutError):  # ConnectionError is an OSError
        return True
    # asyncpg's errors (kept as the __cause__ of SQLAlchemy's) carry their SQLSTATE.
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str):
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith(TRANSIENT_SQLSTATE_CLASSES)
    return False


def _is_sqlite(error: BaseException) -> bool:
    if isinstance(error, sqlite3.Error):
        return True
    return isinstance(error, exc.DBAPIError) and isinstance(error.orig, sqlite3.Error)
