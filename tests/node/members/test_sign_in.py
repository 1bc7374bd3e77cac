"""Signing in on the web: one answer for a wrong name or password, a reason for every other
refusal, the limit on failures, sessions listed and ended, and passwords reset by mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from federation.errors import Invalid, NotFound, Refused, Unauthorized
from node.members.approvals import suspend_account, unsuspend_account
from node.members.email_links import request_password_reset, reset_password
from node.members.login import TooManyAttempts, log_in
from node.members.passwords import change_password, check_password
from node.members.tokens import authenticate, create_token
from node.members.web_sessions import (
    end_other_sessions,
    end_session,
    list_sessions,
    session_for,
)
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.tables import Account, WebSession
from tests.node.members.conftest import PASSWORD, NodeFactory, clock_of, member
from tests.support.mail_catcher import MailCatcher

pytestmark = pytest.mark.storage

HERE = "127.0.0.9"


async def test_a_wrong_name_or_password_gets_one_answer_and_other_refusals_a_reason(
    make_node: NodeFactory,
) -> None:
    node = await make_node()
    await member(node, "nia", email="Nia@Mail.test")
    await member(node, "api_only", password=None)
    wrong = "wrong username or password"
    for login, password in [("nia", "not the password"), ("nobody", PASSWORD)]:
        with pytest.raises(Unauthorized, match=wrong) as caught:
            await log_in(node, login, password, None, HERE, "test")
        assert caught.value.reason == wrong
    with pytest.raises(Unauthorized, match=wrong):  # no password: no web sign-in
        await log_in(node, "api_only", "", None, HERE, "test")

    secret, session = await log_in(node, "nia@mail.test", PASSWORD, None, HERE, "Firefox")
    assert session.account.username == "nia" and (session.ip, session.user_agent) == (
        HERE,
        "Firefox",
    )
    assert (await session_for(node, secret)) == session

    token, _ = await create_token(node, "nia", "read")
    await suspend_account(node, Acting.operator(node), "nia")
    assert await session_for(node, secret) is None  # a suspension ends its sessions at once
    with pytest.raises(Refused, match="suspended"):
        await log_in(node, "nia", PASSWORD, None, HERE, "test")
    with pytest.raises(Unauthorized, match="suspended"):
        await authenticate(node, token)
    await unsuspend_account(node, Acting.operator(node), "nia")
    assert await session_for(node, secret) is not None
    assert (await authenticate(node, token))[0].username == "nia"


async def test_failures_are_limited_per_account_and_per_address_for_a_while(
    make_node: NodeFactory,
) -> None:
    node = await make_node()
    await member(node, "oli")
    for _ in range(5):
        with pytest.raises(Unauthorized):
            await log_in(node, "oli", "a wrong guess!", None, "127.0.0.20", "test")
    with pytest.raises(TooManyAttempts, match="try again after") as caught:
        await log_in(node, "oli", PASSWORD, None, "127.0.0.21", "test")  # right, but too late
    assert caught.value.status == 429 and 14 * 60 < caught.value.retry_after <= 15 * 60 + 1
    assert "in 15 minutes" in caught.value.reason

    clock_of(node).advance(timedelta(minutes=15, seconds=1))
    await log_in(node, "oli", PASSWORD, None, "127.0.0.21", "test")
    for n in range(20):
        with pytest.raises(Unauthorized):
            await log_in(node, f"guess{n}", "a wrong guess!", None, "127.0.0.22", "test")
    with pytest.raises(TooManyAttempts, match="for this address"):
        await log_in(node, "oli", PASSWORD, None, "127.0.0.22", "test")
    await log_in(node, "oli", PASSWORD, None, "127.0.0.23", "test")  # another address


async def test_a_success_clears_the_account_s_failures(make_node: NodeFactory) -> None:
    node = await make_node()
    await member(node, "pat")
    for _ in range(4):
        with pytest.raises(Unauthorized):
            await log_in(node, "pat", "a wrong guess!", None, HERE, "test")
    await log_in(node, "pat", PASSWORD, None, HERE, "test")
    for _ in range(4):
        with pytest.raises(Unauthorized):
            await log_in(node, "pat", "a wrong guess!", None, HERE, "test")
    await log_in(node, "pat", PASSWORD, None, HERE, "test")


async def test_sessions_are_listed_ended_and_expire_when_unused(make_node: NodeFactory) -> None:
    node = await make_node(session_days=30)
    quin = await member(node, "quin")
    rae = await member(node, "rae")
    phone, on_phone = await log_in(node, "quin", PASSWORD, None, HERE, "Phone")
    clock_of(node).advance(timedelta(minutes=5))
    laptop, on_laptop = await log_in(node, "quin", PASSWORD, None, HERE, "Laptop")
    clock_of(node).advance(timedelta(minutes=5))
    library, at_library = await log_in(node, "quin", PASSWORD, None, HERE, "Library")
    assert on_phone.csrf_secret != on_laptop.csrf_secret
    listed = await list_sessions(node, quin.id)
    assert [s.user_agent for s in listed] == ["Library", "Laptop", "Phone"]

    with pytest.raises(NotFound):
        await end_session(node, rae.id, at_library.id)  # not hers
    await end_session(node, quin.id, at_library.id)
    assert await session_for(node, library) is None
    with pytest.raises(NotFound):
        await end_session(node, quin.id, at_library.id)

    # last seen moves at most once a minute, and a session unused for 30 days is over
    assert (await session_for(node, phone)) is not None
    seen = await _last_seen(node, on_phone.id)
    clock_of(node).advance(timedelta(seconds=30))
    await session_for(node, phone)
    assert await _last_seen(node, on_phone.id) == seen
    clock_of(node).advance(timedelta(days=29, hours=23, minutes=55))  # the phone was seen
    assert await session_for(node, phone) is not None  # 30 days less 5 minutes ago
    assert await session_for(node, laptop) is None  # unused since its start
    clock_of(node).advance(timedelta(days=30))
    assert await session_for(node, phone) is None
    assert await session_for(node, "") is None and await session_for(node, "x" * 500) is None


async def test_ending_the_others_and_a_new_password_keep_only_this_session(
    make_node: NodeFactory,
) -> None:
    node = await make_node()
    sol = await member(node, "sol")
    here, this = await log_in(node, "sol", PASSWORD, None, HERE, "Here")
    there, _ = await log_in(node, "sol", PASSWORD, None, HERE, "There")
    assert await end_other_sessions(node, sol.id, this.id) == 1
    assert await session_for(node, there) is None and await session_for(node, here)

    elsewhere, _ = await log_in(node, "sol", PASSWORD, None, HERE, "Elsewhere")
    with pytest.raises(Unauthorized, match="current password is not right"):
        await change_password(node, sol.id, "not the password", "a new long password", this.id)
    await change_password(node, sol.id, PASSWORD, "a new long password", this.id)
    assert await session_for(node, elsewhere) is None and await session_for(node, here)
    assert await check_password(node, sol.id, "a new long password")
    assert not await check_password(node, sol.id, PASSWORD)


async def test_a_reset_mail_sets_a_new_password_once_and_ends_every_session(
    make_node: NodeFactory, mail: MailCatcher
) -> None:
    node = await make_node()
    await member(node, "tam", email="Tam@Mail.test")
    signed_in, _ = await log_in(node, "tam", PASSWORD, None, HERE, "test")
    await request_password_reset(node, node.mailer, "nobody@mail.test")
    assert mail.mails == []  # and the answer was the same
    await request_password_reset(node, node.mailer, "TAM@mail.test")
    await request_password_reset(node, node.mailer, "tam@mail.test")  # too soon: no second
    [sent] = mail.mails
    assert sent["To"] == "Tam@Mail.test" and "Reset your password" in sent["Subject"]
    assert f"{node.urls.base}/auth/reset?token=" in mail.text(sent)
    token = mail.link(sent, "/auth/reset")

    with pytest.raises(Invalid, match="at least 10 characters"):
        await reset_password(node, token, "too short")  # and the link is still good
    account = await reset_password(node, token, "a brand new password")
    assert account.username == "tam"
    assert await session_for(node, signed_in) is None
    with pytest.raises(Unauthorized):
        await log_in(node, "tam", PASSWORD, None, HERE, "test")
    await log_in(node, "tam", "a brand new password", None, HERE, "test")
    with pytest.raises(Refused, match="used already"):
        await reset_password(node, token, "another new password")

    clock_of(node).advance(timedelta(minutes=11))
    await request_password_reset(node, node.mailer, "tam@mail.test")
    clock_of(node).advance(timedelta(hours=2, seconds=1))
    with pytest.raises(Refused, match="expired"):
        await reset_password(node, mail.link(mail.mails[-1], "/auth/reset"), "yet another one!")


async def test_a_hash_made_with_other_parameters_is_made_again_at_sign_in(
    make_node: NodeFactory,
) -> None:
    old = await make_node()
    uma = await member(old, "uma")
    before = await _hash(old, uma.id)
    new = await make_node(passwords={"time_cost": 2, "memory_kib": 16, "parallelism": 1})
    await log_in(new, "uma", PASSWORD, None, HERE, "test")
    after = await _hash(new, uma.id)
    assert after != before and "m=16,t=2,p=1" in after and "m=8,t=1,p=1" in before
    await log_in(new, "uma", PASSWORD, None, HERE, "test")
    assert await _hash(new, uma.id) == after


async def _hash(node: Node, account_id: int) -> str:
    async with node.store.session() as session:
        account = await session.get(Account, account_id)
        assert account is not None and account.password_hash is not None
        return str(account.password_hash)


async def _last_seen(node: Node, session_id: int) -> object:
    async with node.store.session() as session:
        found = await session.exec(
            select(WebSession.last_seen_at).where(WebSession.id == session_id)
        )
        return found.one()
