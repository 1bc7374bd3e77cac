"""Invite links: made by node staff, each with an optional number of uses and an end; a
person signing up with one may join when sign-up is closed, and needs no approval."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, NotFound, Refused
from node.locale.languages import N_
from node.members.accounts import get_account_by_id
from node.moderators.roles import Acting, require_node_moderator
from node.runtime import Node
from node.store.tables import Invite

log = logging.getLogger(__name__)

MAX_USES = 10_000
MAX_DAYS = 365
MAX_CODE = 32


@dataclass(frozen=True, slots=True)
class InviteInfo:
    id: int
    code: str
    url: str  # the sign-up page with the code filled in
    created_by: str | None  # a username; None: the node's operator
    max_uses: int | None
    uses: int
    expires_at: datetime | None
    revoked_at: datetime | None
    created_at: datetime


def invite_code(node: Node) -> str:
    """A new code: unguessable, and never starting with "-", which a command line would read
    as an option (`cove invite revoke -x…`)."""
    code = node.token()
    return "i" + code[1:] if code.startswith("-") else code


def invite_url(node: Node, code: str) -> str:
    return f"{node.urls.base}/auth/sign-up?invite={quote(code)}"


def invite_problem(invite: Invite, now: datetime) -> str | None:
    """Why an invite cannot be used now, or None."""
    if invite.revoked_at is not None:
        return N_("this invite link was withdrawn")
    if invite.expires_at is not None and invite.expires_at <= now:
        return N_("this invite link has expired")
    if invite.max_uses is not None and invite.uses >= invite.max_uses:
        return N_("this invite link has been used as often as it may be")
    return None


async def take_invite(session: AsyncSession, code: str, now: datetime) -> Invite:
    """Count one use of a usable invite, in the caller's transaction (the count is checked in
    the update itself, so two sign-ups at once cannot both take its last use)."""
    found = await session.exec(select(Invite).where(Invite.code == code.strip()[:MAX_CODE]))
    invite = found.first()
    if invite is None:
        raise Invalid("this invite link is not valid: check it was copied whole")
    problem = invite_problem(invite, now)
    if problem:
        raise Refused(problem)
    counted = await session.exec(
        update(Invite)
        .where(col(Invite.id) == invite.id, col(Invite.uses) == invite.uses)
        .values(uses=invite.uses + 1)
    )
    if counted.rowcount != 1:
        raise Refused("this invite link was just used by someone else: try again")
    return invite


async def _info(session: AsyncSession, node: Node, row: Invite) -> InviteInfo:
    assert row.id is not None
    creator = None
    if row.created_by_id is not None:
        creator = (await get_account_by_id(session, row.created_by_id)).username
    return InviteInfo(
        id=row.id,
        code=row.code,
        url=invite_url(node, row.code),
        created_by=creator,
        max_uses=row.max_uses,
        uses=row.uses,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
        created_at=row.created_at,
    )


async def create_invite(
    node: Node, acting: Acting, max_uses: int | None = None, days: int | None = None
) -> InviteInfo:
    """A new invite link, from node staff."""
    require_node_moderator(acting)
    if max_uses is not None and not 1 <= max_uses <= MAX_USES:
        raise Invalid("an invite's uses must be from 1 to {limit}", limit=MAX_USES)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise Invalid("an invite lasts from 1 to {limit} days", limit=MAX_DAYS)
    now = node.clock()
    async with node.store.transaction() as session:
        row = Invite(
            code=invite_code(node),
            created_by_id=acting.account.id if acting.account is not None else None,
            max_uses=max_uses,
            expires_at=now + timedelta(days=days) if days is not None else None,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        info = await _info(session, node, row)
    log.info("event=invite_created id=%s by=%s", info.id, acting.name)
    return info


async def list_invites(node: Node, acting: Acting) -> list[InviteInfo]:
    """Every invite, newest first (withdrawn and spent ones included)."""
    require_node_moderator(acting)
    async with node.store.session() as session:
        found = await session.exec(select(Invite).order_by(col(Invite.id).desc()))
        return [await _info(session, node, row) for row in found.all()]


async def revoke_invite(node: Node, acting: Acting, code: str) -> InviteInfo:
    require_node_moderator(acting)
    async with node.store.transaction() as session:
        found = await session.exec(select(Invite).where(Invite.code == code.strip()[:MAX_CODE]))
        row = found.first()
        if row is None:
            raise NotFound("no invite {code!r}", code=code)
        if row.revoked_at is not None:
            raise Conflict("invite {code!r} was withdrawn already", code=code)
        row.revoked_at = node.clock()
        info = await _info(session, node, row)
    log.info("event=invite_revoked id=%s by=%s", info.id, acting.name)
    return info
