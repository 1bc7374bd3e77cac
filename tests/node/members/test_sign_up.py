"""Signing up on the web: open, with approval, closed with invites; the node's rules agreed;
the address confirmed by a link read from the mail the node sent through a real SMTP server."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from federation.errors import Conflict, Invalid, Refused
from node.members.accounts import account_email
from node.members.approvals import (
    account_requests,
    approve_account,
    confirm_account,
    reject_account,
)
from node.members.email_links import (
    confirm_email,
    request_password_reset,
    resend_confirmation,
)
from node.members.invites import create_invite, list_invites, revoke_invite
from node.members.login import log_in
from node.members.node_rules import add_node_rule, node_rules, remove_node_rule
from node.members.notifications import NotificationKind, notifications
from node.members.registrations import Registered, Registration, register
from node.moderators.roles import Acting
from node.store.states import AccountRole, AccountState
from node.store.tables import Account
from tests.node.members.conftest import PASSWORD, NodeFactory, clock_of, member
from tests.support.mail_catcher import MailCatcher

pytestmark = pytest.mark.storage


def next_step(signed: Registered) -> str:
    """What the new member is told to do next, in English."""
    return " ".join(map(str, signed.next_step))


def form(name: str, **changes: object) -> Registration:
    values: dict[str, object] = {
        "username": name,
        "email": f"{name}@mail.test",
        "password": PASSWORD,
        "agreed_to_rules": True,
    }
    values.update(changes)
    return Registration(**values)  # type: ignore[arg-type]


async def test_open_sign_up_mails_a_link_that_confirms_the_address_once(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node(mode="open")
    signed = await register(node, node.mailer, form("robin", email="Robin@Mail.test"))
    assert signed.state == AccountState.UNCONFIRMED and signed.confirmation_mailed
    assert "Robin@Mail.test" in next_step(signed) and "staff" not in next_step(signed)

    [sent] = mail.mails
    assert sent["To"] == "Robin@Mail.test" and sent["From"] == "cove@node.test"
    assert f"{node.urls.base}/auth/confirm?token=" in mail.text(sent)
    with pytest.raises(Refused, match="confirm your email address first"):
        await log_in(node, "robin", PASSWORD, None, "127.0.0.9", "test")

    confirmed = await confirm_email(node, mail.link(sent, "/auth/confirm"))
    assert confirmed.state == AccountState.ACTIVE and confirmed.username == "robin"
    with pytest.raises(Refused, match="used already"):
        await confirm_email(node, mail.link(sent, "/auth/confirm"))
    with pytest.raises(Invalid, match="not valid"):
        await confirm_email(node, "made-up")
    _, session = await log_in(node, "ROBIN@mail.test", PASSWORD, None, "127.0.0.9", "test")
    assert session.account.username == "robin"


async def test_a_new_confirmation_link_replaces_the_first(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node(mode="open")
    await register(node, node.mailer, form("ned"))
    await resend_confirmation(node, node.mailer, "NED@mail.test")
    await resend_confirmation(node, node.mailer, "nobody")  # said nothing, sent nothing
    first, second = mail.mails
    with pytest.raises(Refused, match="a newer one was sent"):
        await confirm_email(node, mail.link(first, "/auth/confirm"))
    await confirm_email(node, mail.link(second, "/auth/confirm"))
    await resend_confirmation(node, node.mailer, "ned")  # confirmed: nothing more to send
    assert len(mail.mails) == 2


async def test_a_confirmation_link_expires(make_node: NodeFactory, mail: MailCatcher) -> None:
    node = await make_node(mode="open")
    await register(node, node.mailer, form("late"))
    clock_of(node).advance(timedelta(days=2, minutes=1))
    with pytest.raises(Refused, match="expired"):
        await confirm_email(node, mail.link(mail.mails[0], "/auth/confirm"))


async def test_approval_waits_for_staff_who_are_told_after_confirmation(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node(mode="approval")
    admin = await member(node, "ada", AccountRole.ADMIN)
    moderator = await member(node, "mo", AccountRole.MODERATOR)
    someone = await member(node, "mel")
    with pytest.raises(Invalid, match="why you would like to join"):
        await register(node, node.mailer, form("sam"))
    signed = await register(node, node.mailer, form("sam", reason="I lost my brother in May"))
    assert "staff will look" in next_step(signed)
    assert await notifications(node, admin) == []  # not before the address is confirmed

    waiting = await confirm_email(node, mail.link(mail.mails[0], "/auth/confirm"))
    assert waiting.state == AccountState.AWAITING_APPROVAL
    for staff in (admin, moderator):
        [told] = await notifications(node, staff)
        assert told.kind == NotificationKind.ACCOUNT_REQUEST and "sam" in told.text
    assert await notifications(node, someone) == []
    with pytest.raises(Refused, match="waiting for the node's staff"):
        await log_in(node, "sam", PASSWORD, None, "127.0.0.9", "test")

    staff = Acting.member(node, moderator)
    [request] = await account_requests(node, staff)
    # A moderator lets people in on their reason; the address is for admins alone.
    assert (request.username, request.email) == ("sam", None)
    assert request.reason == "I lost my brother in May"
    [request] = await account_requests(node, Acting.member(node, admin))
    assert (request.username, request.email) == ("sam", "sam@mail.test")
    with pytest.raises(Refused):
        await account_requests(node, Acting.member(node, someone))
    with pytest.raises(Refused):
        await approve_account(node, Acting.member(node, someone), "sam", node.mailer)
    approved = await approve_account(node, staff, "sam", node.mailer)
    assert approved.state == AccountState.ACTIVE
    assert "is ready" in mail.text(mail.mails[-1]) and mail.mails[-1]["To"] == "sam@mail.test"
    await log_in(node, "sam", PASSWORD, None, "127.0.0.9", "test")
    with pytest.raises(Conflict, match="active already"):
        await approve_account(node, staff, "sam")


async def test_a_rejected_sign_up_is_told_so_at_sign_in(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node(mode="approval")
    await register(node, node.mailer, form("spam", reason="buy now"))
    operator = Acting.operator(node)
    with pytest.raises(Conflict, match="has not confirmed their email"):
        await approve_account(node, operator, "spam")
    rejected = await reject_account(node, operator, "spam")
    assert rejected.state == AccountState.REJECTED
    with pytest.raises(Refused, match="did not approve"):
        await log_in(node, "spam", PASSWORD, None, "127.0.0.9", "test")


async def test_closed_sign_up_takes_invites_within_their_uses_and_days(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node(mode="closed")
    mel = await member(node, "mel")
    operator = Acting.operator(node)
    with pytest.raises(Refused, match="sign-up is closed"):
        await register(node, node.mailer, form("ann"))
    with pytest.raises(Refused):
        await create_invite(node, Acting.member(node, mel))

    once = await create_invite(node, operator, max_uses=1, days=7)
    assert once.url == f"{node.urls.base}/auth/sign-up?invite={once.code}"
    invited = await register(node, node.mailer, form("ann", invite=once.code))
    confirmed = await confirm_email(node, mail.link(mail.mails[0], "/auth/confirm"))
    assert confirmed.state == AccountState.ACTIVE  # an invite needs no approval
    with pytest.raises(Refused, match="used as often as it may be"):
        await register(node, node.mailer, form("bea", invite=once.code))
    assert invited.username == "ann"

    weekly = await create_invite(node, operator, days=7)
    clock_of(node).advance(timedelta(days=7, seconds=1))
    with pytest.raises(Refused, match="expired"):
        await register(node, node.mailer, form("cat", invite=weekly.code))
    open_ended = await create_invite(node, operator)
    await revoke_invite(node, operator, open_ended.code)
    with pytest.raises(Refused, match="withdrawn"):
        await register(node, node.mailer, form("dee", invite=open_ended.code))
    with pytest.raises(Invalid, match="not valid"):
        await register(node, node.mailer, form("eve", invite="nothing-like-it"))
    with pytest.raises(Invalid, match="uses must be from 1"):
        await create_invite(node, operator, max_uses=0)
    listed = {i.code: i.uses for i in await list_invites(node, operator)}
    assert listed == {once.code: 1, weekly.code: 0, open_ended.code: 0}


async def test_an_invite_code_never_starts_like_an_option(make_node: NodeFactory) -> None:
    # `cove invite revoke CODE` would read a code such as "-x9" as an option.
    node = dataclasses.replace(await make_node(mode="closed"), token=lambda: "-Ab3_")
    invite = await create_invite(node, Acting.operator(node))
    assert invite.code == "iAb3_"
    assert (await revoke_invite(node, Acting.operator(node), invite.code)).code == "iAb3_"


async def test_an_invite_skips_approval(make_node: NodeFactory, mail: MailCatcher) -> None:
    node = await make_node(mode="approval")
    invite = await create_invite(node, Acting.operator(node), max_uses=5)
    await register(node, node.mailer, form("fay", invite=invite.code))  # no reason needed
    confirmed = await confirm_email(node, mail.link(mail.mails[0], "/auth/confirm"))
    assert confirmed.state == AccountState.ACTIVE


async def test_the_rules_must_be_agreed_and_their_version_is_kept(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node(mode="open")
    operator = Acting.operator(node)
    kind = await add_node_rule(node, operator, "  Be kind.  ")
    await add_node_rule(node, operator, "No advice on methods of self-harm.")
    assert [r.text for r in await node_rules(node)] == [
        "Be kind.",
        "No advice on methods of self-harm.",
    ]
    with pytest.raises(Invalid, match="agree to the node's rules"):
        await register(node, node.mailer, form("gus", agreed_to_rules=False))
    with pytest.raises(Refused, match="rules changed"):
        await register(node, node.mailer, form("gus", rules_version=1))
    signed = await register(node, node.mailer, form("gus", rules_version=2))

    await remove_node_rule(node, operator, kind.id)
    assert [r.text for r in await node_rules(node)] == ["No advice on methods of self-harm."]
    later = await register(node, node.mailer, form("hal"))
    async with node.store.session() as session:
        found = await session.exec(select(Account.id, Account.rules_version))
        versions = dict(found.all())
    assert (versions[signed.id], versions[later.id]) == (2, 3)
    with pytest.raises(Conflict, match="removed already"):
        await remove_node_rule(node, operator, kind.id)
    with pytest.raises(Invalid, match="needs some text"):
        await add_node_rule(node, operator, "   ")


@pytest.mark.parametrize(
    ("changes", "error", "words"),
    [
        ({"password": "short one"}, Invalid, "at least 10 characters"),
        ({"password": "x" * 1001}, Invalid, "at most 1000 characters"),
        ({"email": "not an address"}, Invalid, "not an email address"),
        ({"email": "someone@localhost"}, Invalid, "not an email address"),
        ({"username": "Bad Name!"}, Invalid, "invalid name"),
        ({"language": "english"}, Invalid, "not a language code"),
        ({"reason": "x" * 1001}, Invalid, "at most 1000"),
        ({"email": "IVY@mail.test"}, Conflict, "already uses that email address"),
        ({"username": "ivy", "email": "other@mail.test"}, Conflict, "already taken"),
    ],
)
async def test_bad_sign_ups_are_refused_with_a_reason(
    make_node: NodeFactory, changes: dict[str, object], error: type[Exception], words: str
) -> None:
    node = await make_node(mode="open")
    await register(node, node.mailer, form("ivy"))
    with pytest.raises(error, match=words):
        await register(node, node.mailer, form("jo", **changes))


async def test_without_mail_sign_up_says_an_admin_confirms_it(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node(mode="open", mail_on=False)
    assert node.mailer is None
    signed = await register(node, node.mailer, form("kit", language="es"))
    assert not signed.confirmation_mailed and "cannot send mail" in next_step(signed)
    with pytest.raises(Refused, match="cannot send mail"):
        await request_password_reset(node, node.mailer, "kit@mail.test")
    confirmed = await confirm_account(node, Acting.operator(node), "kit")
    assert confirmed.state == AccountState.ACTIVE and mail.mails == []
    assert await account_email(node, "kit") == "kit@mail.test"
    with pytest.raises(Conflict, match="confirmed already"):
        await confirm_account(node, Acting.operator(node), "kit")


async def test_a_mail_server_that_is_down_leaves_the_account_to_confirm_later(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    mail.port = 1  # the node is told of a server where nothing listens
    node = await make_node(mode="open")
    signed = await register(node, node.mailer, form("lou"))
    assert not signed.confirmation_mailed and "could not send" in next_step(signed)
    assert signed.state == AccountState.UNCONFIRMED and mail.mails == []
