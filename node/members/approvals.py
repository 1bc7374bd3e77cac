"""An account's way from sign-up to use, and out of it: its email confirmed, node staff told
of a request and approving or rejecting it, suspending and restoring it. Every move goes
through the transitions of `AccountState` (node.store.states)."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.errors import Conflict
from moderation import roles
from node.members.accounts import AccountInfo, account_row, get_account_by_id
from node.members.mail import Mailer, MailNotSent, approved_mail
from node.members.notifications import NotificationKind, notify_staff
from node.moderators.roles import Acting, require_node_moderator
from node.runtime import Node
from node.store.states import AccountState, advance
from node.store.tables import Account, LocalActor

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AccountRequest:
    """A sign-up waiting for node staff: what they need to decide (the address included:
    only staff see this)."""

    username: str
    email: str | None
    reason: str | None
    language: str | None
    created_at: datetime


def sign_in_link(node: Node) -> str:
    return f"{node.urls.base}/auth/sign-in"


# Which states each staff action moves an account from (the moves themselves are checked
# against AccountState's transitions by `advance`).
APPROVABLE = frozenset({AccountState.AWAITING_APPROVAL, AccountState.REJECTED})
REJECTABLE = frozenset({AccountState.UNCONFIRMED, AccountState.AWAITING_APPROVAL})
SUSPENDABLE = frozenset({AccountState.ACTIVE})
RESTORABLE = frozenset({AccountState.SUSPENDED})


def _move(
    account: Account, username: str, target: AccountState, sources: frozenset[AccountState]
) -> None:
    """Move an account by a staff action, or say (as a conflict) why it cannot."""
    if account.state == target:
        raise Conflict(
            "{username} is {state} already", username=username, state=target.value.replace("_", " ")
        )
    if account.state not in sources:
        if account.state == AccountState.UNCONFIRMED:
            raise Conflict(
                "{username} has not confirmed their email yet (`cove account confirm"
                " {username}` does it for them, if you know the address is theirs)",
                username=username,
            )
        raise Conflict(
            "{username} is {state}", username=username, state=account.state.value.replace("_", " ")
        )
    advance(account, target)


async def mark_confirmed(session: AsyncSession, account: Account, now: datetime) -> None:
    """Their address is theirs: the account is in use, or (where staff approve sign-ups)
    waits for them, and they are told of it."""
    account.email_confirmed_at = account.email_confirmed_at or now
    if account.state != AccountState.UNCONFIRMED:
        return
    if not account.approval_required:
        advance(account, AccountState.ACTIVE)
        return
    advance(account, AccountState.AWAITING_APPROVAL)
    assert account.id is not None
    info = await get_account_by_id(session, account.id)
    # Told once the address is confirmed, not at sign-up: unconfirmed requests are often spam.
    await notify_staff(
        session,
        NotificationKind.ACCOUNT_REQUEST,
        f"{info.username} asks to join the node: approve or reject their request",
        now,
    )


async def confirm_account(node: Node, acting: Acting, username: str) -> AccountInfo:
    """Node staff confirm a sign-up's email for them (when the node cannot send mail)."""
    require_node_moderator(acting)
    async with node.store.transaction() as session:
        account, info = await account_row(session, username)
        if account.email_confirmed_at is not None:
            raise Conflict("{username}'s email is confirmed already", username=info.username)
        await mark_confirmed(session, account, node.clock())
    log.info("event=account_confirmed account=%s by=%s", info.username, acting.name)
    return await _reread(node, info.id)


async def approve_account(
    node: Node, acting: Acting, username: str, mailer: Mailer | None = None
) -> AccountInfo:
    """Node staff let a waiting (or earlier rejected) sign-up in; they are mailed a welcome
    when the node can send mail."""
    require_node_moderator(acting)
    async with node.store.transaction() as session:
        account, info = await account_row(session, username)
        _move(account, info.username, AccountState.ACTIVE, APPROVABLE)
        address = account.email
    log.info("event=account_approved account=%s by=%s", info.username, acting.name)
    if mailer is not None and address:
        welcome = approved_mail(
            address, node.config.node.name, info.username, sign_in_link(node), info.language
        )
        # A failure is logged by the mailer; the account is in use all the same.
        with contextlib.suppress(MailNotSent):
            await mailer.send(welcome)
    return await _reread(node, info.id)


async def reject_account(node: Node, acting: Acting, username: str) -> AccountInfo:
    require_node_moderator(acting)
    return await _staff_move(node, acting, username, AccountState.REJECTED, REJECTABLE)


async def suspend_account(node: Node, acting: Acting, username: str) -> AccountInfo:
    """Stop a member of this node: they cannot sign in on the web, and their web sessions
    end at once (session_for checks the state on every request; a kept copy of a session is
    dropped by any change to accounts, in another process within a poll)."""
    require_node_moderator(acting)
    return await _staff_move(node, acting, username, AccountState.SUSPENDED, SUSPENDABLE)


async def unsuspend_account(node: Node, acting: Acting, username: str) -> AccountInfo:
    require_node_moderator(acting)
    return await _staff_move(node, acting, username, AccountState.ACTIVE, RESTORABLE)


async def _staff_move(
    node: Node,
    acting: Acting,
    username: str,
    target: AccountState,
    sources: frozenset[AccountState],
) -> AccountInfo:
    async with node.store.transaction() as session:
        account, info = await account_row(session, username)
        was = account.state
        _move(account, info.username, target, sources)
    log.info(
        "event=account_state account=%s from=%s to=%s by=%s",
        info.username,
        was,
        target,
        acting.name,
    )
    return await _reread(node, info.id)


async def account_requests(node: Node, acting: Acting) -> list[AccountRequest]:
    """Sign-ups waiting for staff, oldest first; their email addresses for admins alone (a
    moderator lets people in on their reason, and an address is shown to no one else)."""
    return await _sign_ups(node, acting, AccountState.AWAITING_APPROVAL)


UNCONFIRMED_SHOWN = 50


async def unconfirmed_sign_ups(node: Node, acting: Acting) -> list[AccountRequest]:
    """The latest sign-ups whose address is not confirmed yet, newest first (many are spam,
    and a person who never got the mail asks soon): for staff to confirm for them
    (`confirm_account`), the addresses for admins alone."""
    return await _sign_ups(node, acting, AccountState.UNCONFIRMED, newest=UNCONFIRMED_SHOWN)


async def _sign_ups(
    node: Node, acting: Acting, state: AccountState, *, newest: int | None = None
) -> list[AccountRequest]:
    require_node_moderator(acting)
    admin = roles.may_administer_node(acting.role)
    query = (
        select(Account, LocalActor.username)
        .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
        .where(Account.state == state)
    )
    if newest is None:
        query = query.order_by(col(Account.created_at))
    else:
        query = query.order_by(col(Account.created_at).desc(), col(Account.id).desc())
        query = query.limit(newest)
    async with node.store.session() as session:
        found = await session.exec(query)
        return [
            AccountRequest(
                name or "", a.email if admin else None, a.sign_up_reason, a.language, a.created_at
            )
            for a, name in found.all()
        ]


async def _reread(node: Node, account_id: int) -> AccountInfo:
    async with node.store.session() as session:
        return await get_account_by_id(session, account_id)
