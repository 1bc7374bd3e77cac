"""Signing in on the web: a name (or email) and password, a second factor when it is on, each
refusal with a reason a person can act on; failed attempts are limited per account and per
address, counted in the database so that every web process counts the same."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import CoveError, Refused, Unauthorized
from node.locale.languages import N_
from node.members.accounts import find_by_login
from node.members.passwords import rehash_if_needed, verify_hash
from node.members.two_factor import second_factor_holds
from node.members.web_sessions import WebSessionInfo, start_session
from node.runtime import Node
from node.store.states import AccountState
from node.store.tables import Account, LoginFailure

log = logging.getLogger(__name__)

WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # failed sign-ins for one account in the window
ADDRESS_FAILURES = 20  # from one address, whatever the account (guessing many names)
MAX_LOGIN = 320
MAX_IP = 64  # as stored
WRONG = N_("wrong username or password")  # one answer for both: it tells no one who is here

STATE_REFUSALS = {
    AccountState.UNCONFIRMED: N_(
        "confirm your email address first: follow the link we mailed you (we can send it again)"
    ),
    AccountState.AWAITING_APPROVAL: N_(
        "your account is waiting for the node's staff to approve it:"
        " you will get a mail when they have"
    ),
    AccountState.REJECTED: N_("the node's staff did not approve this account"),
    AccountState.SUSPENDED: N_("this account is suspended by the node's staff"),
}
# Too many failures, from one address or for one account: when to try again.
TOO_MANY = {
    "address": N_(
        "too many failed sign-ins for this address: try again after {at} UTC (in {minutes} minutes)"
    ),
    "account": N_(
        "too many failed sign-ins for this account: try again after {at} UTC (in {minutes} minutes)"
    ),
}


class TwoFactorNeeded(Unauthorized):
    """The password is right and two-factor sign-in is on: ask for the app's code (or a
    recovery code), which was missing or not right."""


class TooManyAttempts(CoveError):
    """Too many failed sign-ins: 429, with when to try again."""

    status = 429

    def __init__(self, reason: str, retry_after: int, **details: object) -> None:
        super().__init__(reason, **details)
        self.retry_after = retry_after


async def log_in(
    node: Node, login: str, password: str, code: str | None, ip: str, user_agent: str
) -> tuple[str, WebSessionInfo]:
    """Sign a person in: the new session's secret (for the cookie) and the session."""
    now = node.clock()
    ip = ip[:MAX_IP]
    async with node.store.session() as session:
        await _check_limit(session, col(LoginFailure.ip) == ip, ADDRESS_FAILURES, now, "address")
        found = await find_by_login(session, login[:MAX_LOGIN])
        if found is not None:
            limited = col(LoginFailure.account_id) == found[1].id
            await _check_limit(session, limited, ACCOUNT_FAILURES, now, "account")
    stored = found[0].password_hash if found is not None else None
    if not await verify_hash(node, stored, password) or found is None or stored is None:
        await _failed(node, found[1].id if found is not None else None, ip, now)
        raise Unauthorized(WRONG)
    account, info = found
    if account.state != AccountState.ACTIVE:
        raise Refused(STATE_REFUSALS[account.state])
    if account.totp_enabled_at is not None:
        await _second_factor(node, info.id, code, ip, now)
    await rehash_if_needed(node, info.id, stored, password)
    async with node.store.transaction() as session:
        await session.exec(delete(LoginFailure).where(col(LoginFailure.account_id) == info.id))
    log.info("event=signed_in account=%s", info.id)
    return await start_session(node, info.id, ip, user_agent)


async def _second_factor(
    node: Node, account_id: int, code: str | None, ip: str, now: datetime
) -> None:
    if code is None or not code.strip():
        raise TwoFactorNeeded("enter the code from your authenticator app, or a recovery code")
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        holds = await second_factor_holds(session, account, code[:MAX_LOGIN], now)
    if not holds:
        await _failed(node, account_id, ip, now)
        raise TwoFactorNeeded(
            "that code is not right: enter the newest code from your app (each works once),"
            " or a recovery code you have not used"
        )


async def _check_limit(
    session: AsyncSession, whose: ColumnElement[bool], limit: int, now: datetime, what: str
) -> None:
    found = await session.exec(
        select(func.count(), func.min(LoginFailure.at)).where(
            whose, col(LoginFailure.at) > now - WINDOW
        )
    )
    count, oldest = found.one()
    if count < limit or oldest is None:
        return
    again = oldest + WINDOW
    wait = max(1, int((again - now).total_seconds()) + 1)
    raise TooManyAttempts(
        TOO_MANY[what], retry_after=wait, at=again.strftime("%H:%M"), minutes=-(-wait // 60)
    )


async def _failed(node: Node, account_id: int | None, ip: str, now: datetime) -> None:
    async with node.store.transaction() as session:
        # Failures out of the window count for nothing: they go as new ones come.
        await session.exec(delete(LoginFailure).where(col(LoginFailure.at) <= now - WINDOW))
        session.add(LoginFailure(account_id=account_id, ip=ip, at=now))
    log.info("event=sign_in_failed account=%s", account_id)
