"""Sending deliveries: claimed rows become signed POSTs, a few at a time per host and one at a
time, in order, per inbox, while more rows are claimed as room frees; the outcomes of POSTs
that finish together are recorded in one transaction (again, while the database is away)."""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter, deque
from datetime import timedelta

from federation.client import FederationClient, Signer
from federation.errors import CoveError, FetchError, PolicyRefused
from node.actors.signers import local_signer
from node.outage import OutageTracker
from node.queue import delivery
from node.queue.delivery import Attempt, Due
from node.runtime import Node
from node.store.changes import ACTORS

log = logging.getLogger(__name__)

IN_FLIGHT = 256  # rows this process holds (claimed, not yet recorded)
CLAIM = 128  # rows per claim
PER_HOST = 4  # POSTs at once to one host
HOST_BACKLOG = 32  # rows of one host held before its other rows are left for later
IDLE_POLL_SECONDS = 0.2  # other processes' rows are found by polling
RECORD_RETRY_SECONDS = 0.5  # outcomes not recorded (the database away) are tried again after


class Sender:
    def __init__(
        self,
        node: Node,
        client: FederationClient,
        rng: random.Random,
        outage: OutageTracker | None = None,
    ) -> None:
        self.node = node
        self.client = client
        self.rng = rng
        self.outage = outage or OutageTracker(node)
        self.wake = asyncio.Event()  # set when this process queued deliveries
        self._signers: dict[str, asyncio.Future[Signer]] = {}
        self._inboxes: dict[str, deque[Due]] = {}  # an inbox's rows waiting, while it runs
        self._runners: set[asyncio.Task[None]] = set()
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._held: dict[int, str] = {}  # delivery id -> host
        self._held_per_host: Counter[str] = Counter()
        self._attempts: list[Attempt] = []
        # Rows not sent because the database failed under them (their signer): given back,
        # with the rows of the same inbox behind them, so that the inbox's order holds.
        self._unsent: list[int] = []
        self._attempted = asyncio.Event()
        self._recorded = asyncio.Event()
        self._closing = False
        # A local actor's key may change (any process): its signer is read again.
        node.store.changes.subscribe(ACTORS, self._signers.clear)

    async def run(self, stop: asyncio.Event) -> None:
        """Until `stop`: claim due rows as room frees, send them, record how each went. At
        the stop, sends in flight are dropped and their rows given back unsent."""
        recorder = asyncio.create_task(self._record_forever())
        try:
            while not stop.is_set():
                room = IN_FLIGHT - len(self._held)
                wanted = min(room, CLAIM)
                claimed = await self._claim_guarded(wanted) if wanted > 0 else 0
                if claimed < wanted or wanted == 0:
                    await wait_for_any(stop, self.wake, self._recorded)
        finally:
            await self._stop(recorder)

    async def deliver_round(self) -> int:
        """Claim one batch, send it whole and record it (workers run by hand in tests)."""
        claimed = await self._claim(CLAIM)
        while self._runners:
            await asyncio.gather(*list(self._runners))
        await self._record_waiting()
        return claimed

    # Claiming ------------------------------------------------------------------------------

    async def _claim_guarded(self, limit: int) -> int:
        try:
            return await self._claim(limit)
        except Exception as e:  # keep sending what is held; the next round claims again
            if not self.outage.absorbs(e, "sender"):
                log.exception("event=delivery_claim_failed")
            return 0

    async def _claim(self, limit: int) -> int:
        busy = [host for host, n in self._held_per_host.items() if n >= HOST_BACKLOG]
        async with self.node.store.transaction() as session:
            due = await delivery.claim_due(session, self.node.clock(), limit, busy)
        if due:
            self.outage.answered()
        for item in due:
            self._hold(item)
        return len(due)

    def _hold(self, item: Due) -> None:
        self._held[item.delivery_id] = item.host
        self._held_per_host[item.host] += 1
        waiting = self._inboxes.get(item.inbox)
        if waiting is not None:
            waiting.append(item)  # behind the inbox's earlier rows
            return
        self._inboxes[item.inbox] = deque([item])
        runner = asyncio.create_task(self._run_inbox(item.inbox))
        self._runners.add(runner)
        runner.add_done_callback(self._runners.discard)

    # Sending -------------------------------------------------------------------------------

    async def _run_inbox(self, inbox: str) -> None:
        # One inbox gets its activities in the order they were written: a group's
        # Announce{Delete} must not overtake its Announce{Create}, or the follower keeps it.
        waiting = self._inboxes[inbox]
        try:
            while waiting:
                item = waiting[0]
                slot = self._slots.setdefault(item.host, asyncio.Semaphore(PER_HOST))
                async with slot:
                    attempt = await self._post(item)
                waiting.popleft()
                self._attempts.append(attempt)
                self._attempted.set()
        except Exception as e:  # not the peer's doing: the rows go back unsent, in order
            if not self.outage.absorbs(e, "sender"):
                log.exception("event=delivery_send_failed inbox=%s", inbox)
            self._unsent.extend(item.delivery_id for item in waiting)
            waiting.clear()
            self._attempted.set()
        finally:
            del self._inboxes[inbox]

    async def _post(self, item: Due) -> Attempt:
        status: int | None = None
        retry_after: timedelta | None = None
        error: str | None = None
        try:
            signer = await self._signer(item.actor_uri)
            posted = await self.client.deliver(item.inbox, item.body, signer)
            status, retry_after = posted.status, posted.retry_after
            if not 200 <= status < 300:
                error = f"answered {status}"
        except PolicyRefused as e:  # suspended, or not allowed: never retried
            return Attempt(item.delivery_id, item.host, None, e.reason, cancelled=True)
        except FetchError as e:
            error = e.reason
        except CoveError as e:
            error = e.reason
        return Attempt(item.delivery_id, item.host, status, error, retry_after)

    async def _signer(self, actor_uri: str) -> Signer:
        # Single flight: a fan-out's first rows ask for the same signer many times at once.
        if actor_uri not in self._signers:
            self._signers[actor_uri] = asyncio.ensure_future(local_signer(self.node, actor_uri))
        try:
            return await self._signers[actor_uri]
        except BaseException:
            self._signers.pop(actor_uri, None)  # not kept: the next row asks again
            raise

    # Recording -----------------------------------------------------------------------------

    async def _record_forever(self) -> None:
        while not self._closing:
            await self._attempted.wait()
            self._attempted.clear()
            if not await self._record_waiting():
                await asyncio.sleep(RECORD_RETRY_SECONDS)
                self._attempted.set()

    async def _record_waiting(self) -> bool:
        """Record every outcome waiting, and give back the rows not sent, in one transaction
        (group commit). False when the database is away: they wait for the next try."""
        attempts, self._attempts = self._attempts, []
        unsent, self._unsent = self._unsent, []
        if not attempts and not unsent:
            return True
        try:
            async with self.node.store.transaction() as session:
                states = await delivery.record_attempts(
                    session, attempts, self.node.clock(), self.rng
                )
                await delivery.release(session, unsent)
        except Exception as e:
            if self.outage.absorbs(e, "sender"):
                # Kept, ahead of what came since; at the stop the rows' leases run out instead.
                self._attempts[:0], self._unsent[:0] = attempts, unsent
                return False
            # A bug: the rows keep their leases and are sent again when those end.
            log.exception("event=delivery_record_failed count=%s", len(attempts))
            states = []
        else:
            self.outage.answered()
        for attempt, state in zip(attempts, states, strict=False):
            log.info(
                "event=delivery id=%s host=%s status=%s state=%s error=%s",
                attempt.delivery_id,
                attempt.host,
                attempt.status,
                state.value,
                attempt.error,
            )
        for delivery_id in [*(a.delivery_id for a in attempts), *unsent]:
            self._let_go(delivery_id)
        self._recorded.set()
        return True

    def _let_go(self, delivery_id: int) -> None:
        host = self._held.pop(delivery_id, None)
        if host is None:
            return
        self._held_per_host[host] -= 1
        if self._held_per_host[host] <= 0:  # nothing of the host is waiting or sending
            del self._held_per_host[host]
            self._slots.pop(host, None)

    async def _stop(self, recorder: asyncio.Task[None]) -> None:
        for runner in list(self._runners):
            runner.cancel()
        await asyncio.gather(*list(self._runners), return_exceptions=True)
        self._closing = True  # the recorder finishes the batch it has, then ends
        self._attempted.set()
        await recorder
        await self._record_waiting()
        unsent = list(self._held)
        if not unsent:
            return
        try:
            async with self.node.store.transaction() as session:
                await delivery.release(session, unsent)
        except Exception as e:  # their leases run out instead
            if not self.outage.absorbs(e, "sender"):
                log.exception("event=delivery_release_failed count=%s", len(unsent))
        for delivery_id in unsent:
            self._let_go(delivery_id)


async def wait_for_any(stop: asyncio.Event, *events: asyncio.Event) -> None:
    """Wait until `stop` or one of `events` is set (and clear those), or for one poll."""
    waiters = [asyncio.ensure_future(e.wait()) for e in (stop, *events)]
    await asyncio.wait(waiters, timeout=IDLE_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    for waiter in waiters:
        waiter.cancel()
    for event in events:
        event.clear()
