"""A member's own data, as one JSON document for them alone: their profile, the groups they
joined and the rules they accepted, what they wrote (anonymous posts too), the reports they
filed, their notifications and their API tokens (never a secret)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import NotFound
from federation.vocabulary import iso8601
from node.moderators.reports.info import as_reporter_sees
from node.runtime import Node
from node.store.states import ReportDirection
from node.store.tables import (
    Account,
    ApiToken,
    CommunityGroup,
    LocalActor,
    Membership,
    Notification,
    PersonBlock,
    Post,
    RemoteMembership,
    Report,
)

FORMAT = "cove-account-export/1"


def _when(moment: datetime | None) -> str | None:
    return iso8601(moment) if moment is not None else None


async def export_account(node: Node, account_id: int) -> dict[str, Any]:
    """Everything of theirs this node keeps. Other people appear only as what the member saw
    (a post they reported, a group): no one's private data, and an anonymous post they
    reported is the group's, as to everyone else."""
    async with node.store.session() as session:
        account = await session.get(Account, account_id)
        if account is None or account.deleted_at is not None:
            raise NotFound("no account {account_id}", account_id=account_id)
        actor = await session.get(LocalActor, account.actor_id)
        assert actor is not None and actor.username is not None
        return {
            "format": FORMAT,
            "exported_at": iso8601(node.clock()),
            "profile": _profile(node, account, actor.username),
            "groups": await _groups(session, node, account_id),
            "posts": await _posts(session, account_id),
            "reports": await _reports(session, account_id),
            "notifications": await _notifications(session, account_id),
            "tokens": await _tokens(session, account_id),
            "blocks": await _blocks(session, account_id),
        }


def _profile(node: Node, account: Account, username: str) -> dict[str, Any]:
    return {
        "username": username,
        "handle": f"@{username}@{node.urls.domain}",
        "url": node.urls.person(username),
        "display_name": account.display_name,
        "bio": account.summary,
        "role": account.role.value,
        "discoverable": account.discoverable,
        "care_messages_opted_out": account.care_opt_out,
        "created_at": iso8601(account.created_at),
        "email": account.email,
        "language": account.language,
        "two_factor": account.totp_enabled_at is not None,
    }


async def _blocks(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    """The people they block or mute."""
    found = await session.exec(
        select(PersonBlock)
        .where(PersonBlock.account_id == account_id)
        .order_by(col(PersonBlock.id))
    )
    return [
        {"person": b.person_uri, "kind": b.kind.value, "since": iso8601(b.created_at)}
        for b in found.all()
    ]


async def _groups(session: AsyncSession, node: Node, account_id: int) -> list[dict[str, Any]]:
    here = await session.exec(
        select(Membership).where(Membership.account_id == account_id).order_by(col(Membership.id))
    )
    joined: list[dict[str, Any]] = []
    for membership in here.all():
        joined.append(
            {
                "group": await _group_url(session, node, membership.group_id),
                "state": membership.state.value,
                "role": membership.role.value,
                "rules_accepted": membership.rules_accepted,
                "since": iso8601(membership.created_at),
            }
        )
    elsewhere = await session.exec(
        select(RemoteMembership)
        .where(RemoteMembership.account_id == account_id)
        .order_by(col(RemoteMembership.id))
    )
    joined += [
        {
            "group": m.group_uri,
            "state": m.state.value,
            "role": None,
            "rules_accepted": None,
            "since": iso8601(m.created_at),
        }
        for m in elsewhere.all()
    ]
    return joined


async def _group_url(session: AsyncSession, node: Node, group_id: int) -> str:
    group = await session.get(CommunityGroup, group_id)
    assert group is not None
    actor = await session.get(LocalActor, group.actor_id)
    assert actor is not None
    return node.urls.group(actor.username or "")


async def _posts(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    found = await session.exec(
        select(Post).where(Post.account_id == account_id).order_by(col(Post.id))
    )
    return [
        {
            "id": p.uri,
            "group": p.group_uri,
            "in_reply_to": p.in_reply_to_uri,
            "title": p.title,
            "content": p.content_html,
            "visibility": p.visibility.value,
            "anonymous": p.anonymous,
            "state": p.state.value,
            "published": iso8601(p.published),
            "updated": _when(p.updated_at),
            "deleted": _when(p.deleted_at),
            "removed": _when(p.removed_at),
        }
        for p in found.all()
    ]


async def _reports(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    found = await session.exec(
        select(Report).where(Report.reporter_account_id == account_id).order_by(col(Report.id))
    )
    reports: list[dict[str, Any]] = []
    for row in found.all():
        seen = await as_reporter_sees(session, row)
        reports.append(
            {
                "reported": seen.target_uri,
                "author": seen.target_account_uri,
                "group": seen.group_uri,
                "category": seen.category.value,
                "rules": list(seen.rule_numbers),
                "comment": seen.comment,
                "sent_elsewhere": row.direction == ReportDirection.SENT,
                "state": seen.state.value,
                "outcome": seen.outcome,
                "created_at": iso8601(seen.created_at),
            }
        )
    return reports


async def _notifications(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    found = await session.exec(
        select(Notification)
        .where(Notification.account_id == account_id)
        .order_by(col(Notification.id))
    )
    return [
        {
            "kind": n.kind,
            "text": n.text,
            "read_at": _when(n.read_at),
            "created_at": iso8601(n.created_at),
        }
        for n in found.all()
    ]


async def _tokens(session: AsyncSession, account_id: int) -> list[dict[str, Any]]:
    found = await session.exec(
        select(ApiToken).where(ApiToken.account_id == account_id).order_by(col(ApiToken.id))
    )
    return [
        {
            "name": t.name,
            "scopes": t.scopes.split(),
            "created_at": iso8601(t.created_at),
            "expires_at": _when(t.expires_at),
            "revoked_at": _when(t.revoked_at),
            "last_used_at": _when(t.last_used_at),
        }
        for t in found.all()
    ]
