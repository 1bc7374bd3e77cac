"""Notifications: what a local account should hear about, written here and nowhere else, each
of one kind from `NotificationKind`, and read back newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.vocabulary import iso8601
from node.members.accounts import AccountInfo
from node.members.person_blocks import hidden_authors
from node.runtime import Node
from node.store.states import AccountRole
from node.store.tables import Account, Notification


class NotificationKind(StrEnum):
    """Every kind of notification; the value is stored and shown as the API's `type`."""

    REPORT_OUTCOME = "report_outcome"  # what became of a report the account filed
    BLOCKLIST_ALERT = "blocklist_alert"  # a subscribed blocklist failed or changed a lot
    DATABASE_OUTAGE = "database_outage"  # the node's database was away, and is back
    CARE = "care"  # a group, or the node, offers crisis lines and kind words
    CRISIS = "crisis"  # someone in a group here may be in crisis: a report to look at now
    WEBHOOK_FAILED = "webhook_failed"  # a crisis webhook could not be reached
    ACCOUNT_REQUEST = "account_request"  # someone asks to join the node: approve or reject


@dataclass(frozen=True, slots=True)
class NotificationInfo:
    id: int
    kind: NotificationKind
    text: str
    report_id: int | None
    created_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.kind.value,
            "text": self.text,
            "report_id": str(self.report_id) if self.report_id else None,
            "created_at": iso8601(self.created_at),
        }


def notify(
    session: AsyncSession,
    account_ids: Iterable[int],
    kind: NotificationKind,
    text: str,
    now: datetime,
    report_id: int | None = None,
    actor_uri: str | None = None,
) -> None:
    """Tell each of these accounts, in the caller's transaction. `actor_uri`: the person it
    is about (a reply, a mention), whom an account that blocks or mutes them never hears of.
    What the node or a group says (a report's outcome, care, a crisis) names no one."""
    for account_id in account_ids:
        session.add(
            Notification(
                account_id=account_id,
                kind=kind.value,
                report_id=report_id,
                text=text,
                actor_uri=actor_uri,
                created_at=now,
            )
        )


async def notify_admins(
    session: AsyncSession, kind: NotificationKind, text: str, now: datetime
) -> int:
    """Tell every admin account of the node; how many were told."""
    return await _notify_roles(session, (AccountRole.ADMIN,), kind, text, now)


async def notify_staff(
    session: AsyncSession, kind: NotificationKind, text: str, now: datetime
) -> int:
    """Tell every admin and node moderator; how many were told."""
    staff = (AccountRole.ADMIN, AccountRole.MODERATOR)
    return await _notify_roles(session, staff, kind, text, now)


async def _notify_roles(
    session: AsyncSession,
    roles: tuple[AccountRole, ...],
    kind: NotificationKind,
    text: str,
    now: datetime,
) -> int:
    found = await session.exec(select(Account.id).where(col(Account.role).in_(roles)))
    told = [account_id for account_id in found.all() if account_id is not None]
    notify(session, told, kind, text, now)
    return len(told)


async def notifications(
    node: Node, account: AccountInfo, limit: int = 50
) -> list[NotificationInfo]:
    """An account's notifications, newest first, less those about people it blocks or mutes
    (whenever the block was made)."""
    async with node.store.session() as session:
        hidden = sorted(await hidden_authors(session, account.id))
        found = await session.exec(
            select(Notification)
            .where(
                Notification.account_id == account.id,
                col(Notification.actor_uri).is_(None) | col(Notification.actor_uri).not_in(hidden),
            )
            .order_by(col(Notification.id).desc())
            .limit(limit)
        )
        return [
            NotificationInfo(n.id or 0, NotificationKind(n.kind), n.text, n.report_id, n.created_at)
            for n in found.all()
        ]
