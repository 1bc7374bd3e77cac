"""Two-factor sign-in with an authenticator app (TOTP, RFC 6238, at the node's clock): begun,
confirmed with a first code, turned off; ten single-use recovery codes; and whether node
staff must turn it on ([registrations] staff_two_factor)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from sqlalchemy import delete
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict, Invalid, Unauthorized
from moderation.roles import may_moderate_node
from node.members.accounts import AccountInfo, account_row, get_account_by_id
from node.members.passwords import check_password
from node.members.tokens import digest
from node.moderators.roles import Acting, require_node_admin
from node.runtime import Node
from node.store.tables import Account, RecoveryCode

log = logging.getLogger(__name__)

RECOVERY_CODES = 10
STEP = timedelta(seconds=30)
# A code from the step before or after counts too: phones' clocks drift, and people type slowly.
DRIFT_STEPS = 1


@dataclass(frozen=True, slots=True)
class TwoFactorSetup:
    """What the person enters in their app: the secret, or the otpauth URI as a QR code."""

    secret: str
    uri: str


def _new_secret(node: Node) -> str:
    # 160 bits (RFC 4226's recommendation) from the node's random source, in base32.
    drawn = hashlib.sha256("".join(node.token() for _ in range(3)).encode()).digest()[:20]
    return base64.b32encode(drawn).decode("ascii")


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code this is (within the drift allowed), or None."""
    totp = pyotp.TOTP(secret)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        moment = now + offset * STEP
        if hmac.compare_digest(totp.at(moment), code):
            return int(totp.timecode(moment))
    return None


def _normalised(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


async def begin_two_factor(node: Node, account_id: int) -> TwoFactorSetup:
    """A new secret for the account's app; two-factor sign-in is on only once a code from the
    app is confirmed (`confirm_two_factor`)."""
    secret = _new_secret(node)
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        if account.totp_enabled_at is not None:
            raise Conflict("two-factor sign-in is on already: turn it off first to start again")
        account.totp_secret = secret
        info = await get_account_by_id(session, account_id)
    uri = pyotp.TOTP(secret).provisioning_uri(
        name=f"{info.username}@{node.urls.domain}", issuer_name=node.config.node.name
    )
    return TwoFactorSetup(secret=secret, uri=uri)


async def confirm_two_factor(node: Node, account_id: int, code: str) -> list[str]:
    """Turn two-factor sign-in on with a first code from the app; the recovery codes are
    returned this once."""
    now = node.clock()
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        if account.totp_enabled_at is not None:
            raise Conflict("two-factor sign-in is on already")
        if account.totp_secret is None:
            raise Conflict("begin setting two-factor sign-in up first")
        step = _matching_step(account.totp_secret, _normalised(code), now)
        if step is None:
            raise Invalid("that code is not right: check the app's clock, and enter the newest")
        account.totp_enabled_at = now
        account.totp_last_step = step
        codes = await _replace_recovery_codes(session, node, account_id, now)
    log.info("event=two_factor_on account=%s", account_id)
    return codes


async def _replace_recovery_codes(
    session: AsyncSession, node: Node, account_id: int, now: datetime
) -> list[str]:
    await session.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        drawn = hashlib.sha256(node.token().encode()).hexdigest()[:10]  # 40 bits, easy to type
        codes.append(f"{drawn[:5]}-{drawn[5:]}")
        session.add(RecoveryCode(account_id=account_id, code_digest=digest(drawn), created_at=now))
    return codes


async def new_recovery_codes(node: Node, account_id: int, password: str) -> list[str]:
    """Ten new recovery codes (the old ones stop working); the password first."""
    if not await check_password(node, account_id, password):
        raise Unauthorized("the password is not right")
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        if account.totp_enabled_at is None:
            raise Conflict("two-factor sign-in is off: there are no recovery codes to renew")
        return await _replace_recovery_codes(session, node, account_id, node.clock())


async def second_factor_holds(
    session: AsyncSession, account: Account, code: str, now: datetime
) -> bool:
    """Whether `code` (from the app, or a recovery code) is good for this account; in the
    caller's transaction, which spends it: an app's code works once, as each recovery code."""
    given = _normalised(code)
    assert account.id is not None and account.totp_secret is not None
    if len(given) == 6 and given.isdigit():
        step = _matching_step(account.totp_secret, given, now)
        if step is None or step <= (account.totp_last_step or -1):
            return False
        account.totp_last_step = step
        return True
    found = await session.exec(
        select(RecoveryCode).where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_digest == digest(given),
            col(RecoveryCode.used_at).is_(None),
        )
    )
    recovery = found.first()
    if recovery is None:
        return False
    recovery.used_at = now
    log.info("event=recovery_code_used account=%s", account.id)
    return True


async def disable_two_factor(node: Node, account_id: int, password: str) -> None:
    """Turn two-factor sign-in off; the password first."""
    if not await check_password(node, account_id, password):
        raise Unauthorized("the password is not right")
    async with node.store.transaction() as session:
        account = await session.get(Account, account_id)
        assert account is not None
        _turn_off(account)
        await session.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == account_id))
    log.info("event=two_factor_off account=%s", account_id)


def _turn_off(account: Account) -> None:
    if account.totp_enabled_at is None and account.totp_secret is None:
        raise Conflict("two-factor sign-in is off already")
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None


async def turn_off_two_factor(node: Node, acting: Acting, username: str) -> AccountInfo:
    """A node admin turns someone's two-factor sign-in off (they lost their phone and their
    recovery codes): they sign in with their password alone until they turn it on again."""
    require_node_admin(acting, "other people's sign-in settings")
    async with node.store.transaction() as session:
        account, info = await account_row(session, username)
        _turn_off(account)
        await session.exec(delete(RecoveryCode).where(col(RecoveryCode.account_id) == info.id))
    log.info("event=two_factor_off account=%s by=%s", info.id, acting.name)
    async with node.store.session() as session:
        return await get_account_by_id(session, info.id)


async def needs_two_factor_enrolment(node: Node, account: AccountInfo) -> bool:
    """Whether this account must turn two-factor sign-in on before using the pages: node
    staff, on a node that requires it of them, who have not."""
    required = node.config.registrations.staff_two_factor and may_moderate_node(account.role)
    return required and not account.two_factor  # as read with the session, each request
