"""Crisis webhooks: a URL an organizer sets for a group (or an admin for the node) that is
paged on acute items, each page signed with the webhook's secret, retried with backoff, and
its failures shown to admins. The body names the group, the report and why, never the text."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import CoveError, Invalid, NotFound
from federation.properties import is_http_url
from federation.vocabulary import iso8601
from node.groups.groups import get_group
from node.members.notifications import NotificationKind, notify_admins
from node.moderators.roles import Acting, require_appointer, require_node_admin
from node.runtime import Node, federation_client
from node.store.states import DeliveryState, advance
from node.store.tables import CrisisAssessment, CrisisWebhook, WebhookDelivery

log = logging.getLogger(__name__)

# A page is worth most in its first minutes: retried soon, then less often, for about a day.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
)
BATCH = 20


@dataclass(frozen=True, slots=True)
class WebhookInfo:
    id: int
    group_id: int | None
    url: str
    pending: int
    failed: int
    last_error: str | None
    secret: str | None = None  # shown once, when it is made


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """`X-Cove-Signature`: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>." + body>; a receiver
    recomputes it with the secret and refuses an old timestamp (a replayed page)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def _checked_url(url: str) -> str:
    if not is_http_url(url.strip()):
        raise Invalid("a webhook URL must be an http(s) URL")
    return url.strip()


async def scope_for(node: Node, acting: Acting, group_name: str | None) -> int | None:
    """The group whose webhooks `acting` manages (its owner, or a node admin), or None for the
    node's own (node admins)."""
    if group_name is None:
        require_node_admin(acting, "the node's own webhooks")
        return None
    async with node.store.session() as session:
        group = await get_group(session, group_name)
        await require_appointer(session, acting, group)
    return group.id


async def add_webhook(node: Node, group_id: int | None, url: str) -> WebhookInfo:
    """A new webhook with a fresh secret (shown this once)."""
    row = CrisisWebhook(
        group_id=group_id,
        url=_checked_url(url),
        secret=secrets.token_urlsafe(32),
        created_at=node.clock(),
    )
    async with node.store.transaction() as session:
        session.add(row)
        await session.flush()
    assert row.id is not None
    return WebhookInfo(row.id, group_id, row.url, 0, 0, None, row.secret)


async def remove_webhook(node: Node, group_id: int | None, webhook_id: int) -> None:
    """Stop paging a webhook: it goes, with its deliveries (waiting or done)."""
    async with node.store.transaction() as session:
        row = await session.get(CrisisWebhook, webhook_id)
        if row is None or row.group_id != group_id:
            raise NotFound("no webhook {webhook_id} here", webhook_id=webhook_id)
        await session.exec(
            delete(WebhookDelivery).where(col(WebhookDelivery.webhook_id) == webhook_id)
        )
        await session.delete(row)


async def list_webhooks(node: Node, group_id: int | None, every: bool = False) -> list[WebhookInfo]:
    """A group's webhooks (or the node's), with what is waiting, what failed, and the last
    error; `every`: all of them, for admins."""
    async with node.store.session() as session:
        query = select(CrisisWebhook).order_by(col(CrisisWebhook.id))
        if not every:
            query = query.where(CrisisWebhook.group_id == group_id)
        hooks = (await session.exec(query)).all()
        return [await _info(session, hook) for hook in hooks]


async def _info(session: AsyncSession, hook: CrisisWebhook) -> WebhookInfo:
    found = await session.exec(
        select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == hook.id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(200)
    )
    rows = found.all()
    errors = [r.last_error for r in rows if r.last_error]
    return WebhookInfo(
        hook.id or 0,
        hook.group_id,
        hook.url,
        sum(r.state == DeliveryState.PENDING for r in rows),
        sum(r.state == DeliveryState.FAILED for r in rows),
        errors[0] if errors else None,
    )


async def page(
    session: AsyncSession,
    group_id: int | None,
    assessment: CrisisAssessment,
    text: str,
    now: datetime,
) -> int:
    """Queue a page to the group's webhooks and the node's, in the caller's transaction; how
    many were queued."""
    scopes: Any = col(CrisisWebhook.group_id).is_(None)
    if group_id is not None:
        scopes = scopes | (col(CrisisWebhook.group_id) == group_id)
    hooks = (await session.exec(select(CrisisWebhook).where(scopes))).all()
    body = {
        "event": f"crisis.{assessment.level.value}",
        "assessment_id": assessment.id,
        "report_id": assessment.report_id,
        "level": assessment.level.value,
        "reasons": list(assessment.reasons),
        "kind": assessment.subject_kind,
        "text": text,
        "created_at": iso8601(now),
    }
    for hook in hooks:
        assert hook.id is not None
        session.add(
            WebhookDelivery(
                webhook_id=hook.id,
                assessment_id=assessment.id,
                body=body,
                state=DeliveryState.PENDING,
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    return len(hooks)


async def send_due(node: Node) -> int:
    """Send the pages that are due; how many were tried."""
    now = node.clock()
    async with node.store.session() as session:
        found = await session.exec(
            select(WebhookDelivery, CrisisWebhook)
            .join(CrisisWebhook, col(CrisisWebhook.id) == col(WebhookDelivery.webhook_id))
            .where(
                WebhookDelivery.state == DeliveryState.PENDING,
                col(WebhookDelivery.next_attempt_at) <= now,
            )
            .order_by(col(WebhookDelivery.id))
            .limit(BATCH)
        )
        due = [(d.id, hook.url, hook.secret, d.body) for d, hook in found.all()]
    if not due:
        return 0
    async with federation_client(node) as client:
        for delivery_id, url, secret, body in due:
            data = json.dumps(body, separators=(",", ":")).encode()
            error = None
            try:
                headers = {
                    "Content-Type": "application/json",
                    "X-Cove-Event": str(body.get("event", "crisis")),
                    "X-Cove-Signature": signature(secret, int(now.timestamp()), data),
                }
                status = await client.post_unsigned(url, data, headers)
                if not 200 <= status < 300:
                    error = f"the webhook answered HTTP {status}"
            except CoveError as e:
                error = str(e)
            assert delivery_id is not None
            await _outcome(node, delivery_id, url, error)
    return len(due)


async def _outcome(node: Node, delivery_id: int, url: str, error: str | None) -> None:
    now = node.clock()
    async with node.store.transaction() as session:
        row = await session.get(WebhookDelivery, delivery_id)
        if row is None or row.state != DeliveryState.PENDING:
            return
        row.attempts += 1
        row.updated_at = now
        if error is None:
            advance(row, DeliveryState.DELIVERED)
            log.info("event=crisis_page_sent id=%s", delivery_id)
            return
        row.last_error = error[:500]
        if row.attempts <= len(BACKOFF):
            row.next_attempt_at = now + BACKOFF[row.attempts - 1]
            log.warning("event=crisis_page_retry id=%s error=%s", delivery_id, error)
            return
        advance(row, DeliveryState.FAILED)
        log.warning("event=crisis_page_failed id=%s error=%s", delivery_id, error)
        await notify_admins(
            session,
            NotificationKind.WEBHOOK_FAILED,
            f"A crisis webhook ({urlsplit(url).netloc}) could not be reached after"
            f" {row.attempts} tries: {row.last_error}. Those on duty were still notified here;"
            " check the webhook with `cove safety webhook list`.",
            now,
        )
