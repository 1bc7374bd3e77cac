"""Signing up on the web, as Mastodon does it: open, with approval, or closed ([registrations]
mode), an invite link opening the way whatever the mode; the node's rules agreed to; a
pseudonym and an email address, no real name; the address confirmed by a mailed link."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from federation.errors import Invalid, Refused
from moderation.crisis.places import parse_language
from node.actors.local import normalise_username
from node.locale.languages import Sentence
from node.members.accounts import (
    AccountInfo,
    add_account,
    get_account_by_id,
    parse_email,
    require_email_free,
)
from node.members.email_links import send_confirmation
from node.members.invites import take_invite
from node.members.mail import Mailer
from node.members.node_rules import rules_version
from node.members.passwords import check_length, hash_password
from node.runtime import Node
from node.store.states import AccountRole, AccountState

log = logging.getLogger(__name__)

MAX_REASON = 1000


@dataclass(frozen=True, slots=True)
class Registration:
    """What the sign-up form sends."""

    username: str
    email: str
    password: str
    agreed_to_rules: bool
    reason: str | None = None  # why they want to join: required where staff approve sign-ups
    invite: str | None = None  # an invite link's code
    language: str | None = None  # the language they read (care messages use it)
    rules_version: int | None = None  # the version of the rules the form showed them


@dataclass(frozen=True, slots=True)
class Registered(AccountInfo):
    """The new account, and what the person should be told next."""

    confirmation_mailed: bool = False
    next_step: tuple[Sentence, ...] = ()


def _reason(form: Registration, needed: bool) -> str | None:
    reason = (form.reason or "").strip()
    if len(reason) > MAX_REASON:
        raise Invalid("the reason is at most {limit} characters long", limit=MAX_REASON)
    if needed and not reason:
        raise Invalid(
            "say in a few words why you would like to join: the node's staff read it before"
            " they approve your account"
        )
    return reason or None


def _language(text: str | None) -> str | None:
    code = (text or "").strip().lower()
    if not code:
        return None
    return parse_language(code, anywhere=False)


async def register(node: Node, mailer: Mailer | None, form: Registration) -> Registered:
    """A new account, unconfirmed until the person follows the link mailed to them (and then,
    where staff approve sign-ups and no invite was used, waiting for them)."""
    mode = node.config.registrations.mode
    invite = (form.invite or "").strip() or None
    if mode == "closed" and invite is None:
        raise Refused("sign-up is closed on this node: you can join with an invite link")
    username = normalise_username(form.username)
    address, key = parse_email(form.email)
    check_length(form.password)
    if not form.agreed_to_rules:
        raise Invalid("to join, agree to the node's rules")
    approval = mode == "approval" and invite is None
    reason = _reason(form, needed=approval)
    language = _language(form.language)
    hashed = await hash_password(node, form.password)
    keys = await node.keygen()
    async with node.store.transaction() as session:
        now = node.clock()
        version = await rules_version(session)
        if form.rules_version is not None and form.rules_version != version:
            raise Refused("the node's rules changed while you were signing up: read them again")
        if invite is not None:
            await take_invite(session, invite, now)
        await require_email_free(session, key)
        account = await add_account(
            session,
            username,
            keys,
            now,
            display_name=username,
            role=AccountRole.MEMBER,
            state=AccountState.UNCONFIRMED,
            email=address,
            email_key=key,
            password_hash=hashed,
            approval_required=approval,
            sign_up_reason=reason,
            language=language,
            rules_version=version,
        )
        assert account.id is not None
        info = await get_account_by_id(session, account.id)
    log.info("event=signed_up account=%s approval=%s invite=%s", info.id, approval, bool(invite))
    mailed = await send_confirmation(node, mailer, info.id)
    return Registered(
        **{f: getattr(info, f) for f in AccountInfo.__dataclass_fields__},
        confirmation_mailed=mailed,
        next_step=_next_step(mailer, mailed, approval, address),
    )


def _next_step(
    mailer: Mailer | None, mailed: bool, approval: bool, address: str
) -> tuple[Sentence, ...]:
    if mailed:
        first = Sentence(
            "We sent a link to {address}: open it to confirm your address.", {"address": address}
        )
    elif mailer is None:
        first = Sentence(
            "This node cannot send mail, so one of its admins has to confirm your account:"
            " ask them to."
        )
    else:
        first = Sentence(
            "We could not send the mail to {address} just now: ask for the link again in a while.",
            {"address": address},
        )
    if not approval:
        return (first,)
    return (first, Sentence("Then the node's staff will look at your request."))
