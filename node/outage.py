"""One process's account of its database being away: an outage is logged once when it starts,
its faults are counted, and when the database answers again the end is logged and the admins
are told. The web server, the workers, the sender and the scheduler share one tracker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from node.faults import Fault, fault_of, summary
from node.members import notifications
from node.members.notifications import NotificationKind
from node.runtime import Node

log = logging.getLogger(__name__)

# The database must do work for this long with no new fault before the outage counts as over:
# a disk that is full still takes some writes (a page with room), which is not recovery.
QUIET = timedelta(seconds=2)
# What a request answered 503 is told: Mastodon and Lemmy retry on their own schedule, and
# others read this (RFC 9110 10.2.3).
RETRY_AFTER_SECONDS = 10
NOTICE_WAITS = (1.0, 2.0, 5.0, 10.0, 30.0)  # seconds between tries of the admins' notice


@dataclass(frozen=True, slots=True)
class Outage:
    """An outage that ended: when it began, how long until the database answered, and what
    was turned away or put off meanwhile."""

    started: datetime
    lasted: timedelta
    refused: int  # requests answered 503
    faults: int  # failures counted, requests and background work together
    error: str  # the first failure, in one line

    def notice(self) -> str:
        seconds = self.lasted.total_seconds()
        return (
            f"The database did not answer from {self.started:%Y-%m-%d %H:%M:%S} UTC for"
            f" {seconds:.1f} s ({self.error}). {self.refused} requests were answered 503"
            " Service Unavailable with Retry-After, so their senders try them again;"
            f" {self.faults - self.refused} steps of background work (applying activities,"
            " deliveries, periodic jobs) were put off and retried. Nothing accepted was lost."
        )


class OutageTracker:
    """Told of every infrastructure fault of the store and of every piece of work the store
    did; says when an outage starts and ends."""

    def __init__(self, node: Node, quiet: timedelta = QUIET) -> None:
        self._node = node
        self._quiet = quiet
        self._started: datetime | None = None
        self._last_fault: datetime | None = None
        self._answered_since: datetime | None = None  # the first success after the last fault
        self._faults = 0
        self._refused = 0
        self._error = ""
        self._check: asyncio.TimerHandle | None = None
        self._notices: set[asyncio.Task[None]] = set()

    @property
    def ongoing(self) -> bool:
        return self._started is not None

    def fault(self, error: BaseException, where: str) -> None:
        """The store failed with an infrastructure fault (see `node.faults`)."""
        now = self._node.clock()
        if self._started is None:
            self._started, self._faults, self._refused = now, 0, 0
            self._error = summary(error)
            # The one ERROR line of the outage; the rest is counted and told at its end.
            log.error("event=database_unavailable where=%s error=%s", where, self._error)
        self._faults += 1
        self._last_fault = now
        self._answered_since = None

    def absorbs(self, error: BaseException, where: str) -> bool:
        """Count `error` when it is a fault of the store (True); False when it is something
        else, for the caller to handle and log."""
        if fault_of(error) is not Fault.STORE:
            return False
        self.fault(error, where)
        return True

    def refused(self, error: BaseException) -> None:
        """A request was answered 503 because of `error`."""
        self.fault(error, "http")
        self._refused += 1

    def answered(self) -> None:
        """The store did a piece of work (a commit): the outage, if any, may be over."""
        if self._started is None or self._last_fault is None:
            return
        now = self._node.clock()
        if self._answered_since is None:
            self._answered_since = now
        wait = (self._last_fault + self._quiet - now).total_seconds()
        if wait <= 0:
            self._end()
        elif self._check is None:
            self._check = asyncio.get_running_loop().call_later(wait, self._recheck)

    def _recheck(self) -> None:
        self._check = None
        if self._answered_since is not None:  # no fault since the last success
            self.answered()

    def _end(self) -> None:
        assert self._started is not None and self._answered_since is not None
        ended = Outage(
            self._started,
            self._answered_since - self._started,
            self._refused,
            self._faults,
            self._error,
        )
        self._started = self._last_fault = self._answered_since = None
        log.info(
            "event=database_back started=%s lasted_s=%.1f answered_503=%d faults=%d",
            ended.started.isoformat(),
            ended.lasted.total_seconds(),
            ended.refused,
            ended.faults,
        )
        task = asyncio.create_task(self._notify_admins(ended))
        self._notices.add(task)
        task.add_done_callback(self._notices.discard)

    async def _notify_admins(self, ended: Outage) -> None:
        for wait in NOTICE_WAITS:
            try:
                await notify_admins(self._node, ended)
                return
            except Exception as e:
                if fault_of(e) is not Fault.STORE:
                    log.exception("event=outage_notice_failed")
                    return
                self.fault(e, "outage_notice")  # away again: a new outage begins
            await asyncio.sleep(wait)
        log.warning("event=outage_notice_dropped started=%s", ended.started.isoformat())

    async def settle(self, grace: float = 5.0) -> None:
        """At shutdown: give the admins' notices a moment to be written, then drop them."""
        if self._check is not None:
            self._check.cancel()
            self._check = None
        pending = list(self._notices)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def notify_admins(node: Node, ended: Outage) -> int:
    """A notification to each admin account of the node; how many were written."""
    async with node.store.transaction() as session:
        return await notifications.notify_admins(
            session, NotificationKind.DATABASE_OUTAGE, ended.notice(), node.clock()
        )
