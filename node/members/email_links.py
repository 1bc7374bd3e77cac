"""Single-use links mailed to an account: confirming its address at sign-up, and resetting a
forgotten password. Only a digest of each link's secret is kept; each works once, until it
expires."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Invalid, Refused
from node.members.accounts import MAX_EMAIL, AccountInfo, find_by_login, get_account_by_id
from node.members.approvals import mark_confirmed
from node.members.mail import Mailer, MailNotSent, confirmation_mail, reset_mail
from node.members.passwords import hash_password
from node.members.tokens import digest
from node.members.web_sessions import end_sessions
from node.runtime import Node
from node.store.states import AccountState, EmailTokenPurpose
from node.store.tables import Account, EmailToken

log = logging.getLogger(__name__)

# As long as a person may take to find the mail; a reset link far less, as it signs them in.
LIFETIME = {
    EmailTokenPurpose.CONFIRM: timedelta(days=2),
    EmailTokenPurpose.RESET: timedelta(hours=2),
}
# One reset mail per account in this time, however often it is asked for (no mail bombs).
RESET_PAUSE = timedelta(minutes=10)
MAX_TOKEN = 200
PATHS = {EmailTokenPurpose.CONFIRM: "/auth/confirm", EmailTokenPurpose.RESET: "/auth/reset"}


def link(node: Node, purpose: EmailTokenPurpose, secret: str) -> str:
    return f"{node.urls.base}{PATHS[purpose]}?token={quote(secret)}"


async def issue(
    session: AsyncSession, node: Node, account_id: int, purpose: EmailTokenPurpose
) -> str:
    """A new link's secret (the caller mails it); earlier unused links of the same purpose
    stop working, so only the newest mail counts."""
    now = node.clock()
    await session.exec(
        update(EmailToken)
        .where(
            col(EmailToken.account_id) == account_id,
            col(EmailToken.purpose) == purpose,
            col(EmailToken.used_at).is_(None),
        )
        .values(used_at=now)
    )
    secret = "".join(node.token() for _ in range(2))  # 192 random bits
    session.add(
        EmailToken(
            account_id=account_id,
            purpose=purpose,
            token_digest=digest(secret),
            expires_at=now + LIFETIME[purpose],
            created_at=now,
        )
    )
    return secret


async def use(
    session: AsyncSession, secret: str, purpose: EmailTokenPurpose, now: datetime
) -> Account:
    """The account a link is for; the link is spent."""
    found = await session.exec(
        select(EmailToken).where(
            EmailToken.token_digest == digest(secret.strip()[:MAX_TOKEN]),
            EmailToken.purpose == purpose,
        )
    )
    token = found.first()
    if token is None:
        raise Invalid("this link is not valid: check it was copied whole, or ask for a new one")
    if token.used_at is not None:
        raise Refused("this link was used already (or a newer one was sent): ask for a new one")
    if token.expires_at <= now:
        raise Refused("this link has expired: ask for a new one")
    token.used_at = now
    account = await session.get(Account, token.account_id)
    assert account is not None
    return account


async def send_confirmation(node: Node, mailer: Mailer | None, account_id: int) -> bool:
    """Mail an account a link confirming its address; whether it was sent (with no mailer, or
    the mail server failing, it was not: the failure is logged)."""
    if mailer is None:
        return False
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None and account.email is not None
        secret = await issue(session, node, account_id, EmailTokenPurpose.CONFIRM)
        info = await get_account_by_id(session, account_id)
        address = account.email
    url = link(node, EmailTokenPurpose.CONFIRM, secret)
    try:
        await mailer.send(
            confirmation_mail(address, node.config.node.name, info.username, url, info.language)
        )
    except MailNotSent as e:
        log.warning("event=confirmation_not_sent account=%s error=%s", account_id, e)
        return False
    return True


async def confirm_email(node: Node, secret: str) -> AccountInfo:
    """Follow a confirmation link: the address is confirmed, and the account is in use, or
    waits for node staff where they approve sign-ups (they are told)."""
    async with node.store.transaction() as session:
        account = await use(session, secret, EmailTokenPurpose.CONFIRM, node.clock())
        await mark_confirmed(session, account, node.clock())
        assert account.id is not None
        account_id = account.id
    log.info("event=email_confirmed account=%s", account_id)
    async with node.store.session() as session:
        return await get_account_by_id(session, account_id)


async def resend_confirmation(node: Node, mailer: Mailer | None, login: str) -> None:
    """Send the confirmation link again to an account still unconfirmed; the earlier link
    stops working. Nothing is said of an unknown or confirmed one: the answer would tell who
    has an account here."""
    if mailer is None:
        raise Refused("this node cannot send mail: ask its admin to confirm your account")
    async with node.store.session() as session:
        found = await find_by_login(session, login[:MAX_EMAIL])
    if found is None:
        return
    account, info = found
    if account.state != AccountState.UNCONFIRMED or account.email is None:
        return
    await send_confirmation(node, mailer, info.id)


async def request_password_reset(node: Node, mailer: Mailer | None, email: str) -> None:
    """Mail a reset link to the account with this address, if there is one (the answer is
    the same either way, so it tells no one who has an account here)."""
    if mailer is None:
        raise Refused("this node cannot send mail: ask its admin to set a new password for you")
    now = node.clock()
    async with node.store.transaction() as session:
        found = await session.exec(select(Account).where(Account.email_key == email.casefold()))
        account = found.first()
        if account is None or account.id is None or account.email is None:
            return
        if await _reset_sent_lately(session, account.id, now):
            return
        secret = await issue(session, node, account.id, EmailTokenPurpose.RESET)
        info = await get_account_by_id(session, account.id)
        address = account.email
    url = link(node, EmailTokenPurpose.RESET, secret)
    await mailer.send(reset_mail(address, node.config.node.name, info.username, url, info.language))
    log.info("event=reset_mailed account=%s", info.id)


async def _reset_sent_lately(session: AsyncSession, account_id: int, now: datetime) -> bool:
    found = await session.exec(
        select(EmailToken.id).where(
            EmailToken.account_id == account_id,
            EmailToken.purpose == EmailTokenPurpose.RESET,
            col(EmailToken.created_at) > now - RESET_PAUSE,
        )
    )
    return found.first() is not None


async def reset_password(node: Node, secret: str, password: str) -> AccountInfo:
    """Follow a reset link with a new password: it is set, every web session of the account
    ends, and an unconfirmed address counts as confirmed (the mail reached its owner)."""
    hashed = await hash_password(node, password)  # a bad password leaves the link unspent
    now = node.clock()
    async with node.store.transaction() as session:
        account = await use(session, secret, EmailTokenPurpose.RESET, now)
        assert account.id is not None
        account.password_hash = hashed
        await end_sessions(session, account.id, now)
        await mark_confirmed(session, account, now)
        account_id = account.id
    log.info("event=password_reset account=%s", account_id)
    async with node.store.session() as session:
        return await get_account_by_id(session, account_id)
