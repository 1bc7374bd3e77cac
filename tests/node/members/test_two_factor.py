"""Two-factor sign-in: codes computed here, from the secret, at the node's clock (a day away
from the wall clock's), each working once; recovery codes once each; staff made to enrol."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from federation.errors import Conflict, Invalid, Refused, Unauthorized
from node.members.accounts import get_account_by_name
from node.members.login import TooManyAttempts, TwoFactorNeeded, log_in
from node.members.two_factor import (
    begin_two_factor,
    confirm_two_factor,
    disable_two_factor,
    needs_two_factor_enrolment,
    new_recovery_codes,
    turn_off_two_factor,
)
from node.moderators.roles import Acting
from node.store.states import AccountRole
from tests.node.members.conftest import PASSWORD, NodeFactory, clock_of, member

pytestmark = pytest.mark.storage

HERE = "127.0.0.9"


async def test_codes_from_the_app_at_the_node_s_clock_each_work_once(
    make_node: NodeFactory,
) -> None:
    node = await make_node()
    clock_of(node).advance(timedelta(days=1))  # the node's time, not the wall clock's
    vic = await member(node, "vic")
    setup = await begin_two_factor(node, vic.id)
    assert setup.uri.startswith("otpauth://totp/") and f"secret={setup.secret}" in setup.uri
    app = pyotp.TOTP(setup.secret)
    await log_in(node, "vic", PASSWORD, None, HERE, "test")  # not on until confirmed

    wall_code = app.now()
    if wall_code != app.at(node.clock()):
        with pytest.raises(Invalid, match="not right"):
            await confirm_two_factor(node, vic.id, wall_code)
    first = app.at(node.clock())
    recovery = await confirm_two_factor(node, vic.id, first)
    assert len(set(recovery)) == 10
    assert (await get_account_by_name(node, "vic")).two_factor
    with pytest.raises(Conflict):
        await begin_two_factor(node, vic.id)

    with pytest.raises(TwoFactorNeeded, match="enter the code") as missing:
        await log_in(node, "vic", PASSWORD, None, HERE, "test")
    assert isinstance(missing.value, Unauthorized)
    with pytest.raises(TwoFactorNeeded, match="not right"):
        await log_in(node, "vic", PASSWORD, first, HERE, "test")  # spent at confirmation
    with pytest.raises(Unauthorized, match="wrong username or password"):
        await log_in(node, "vic", "not the password", app.at(node.clock()), HERE, "test")

    clock_of(node).advance(timedelta(seconds=30))
    code = app.at(node.clock())
    _, session = await log_in(node, "vic", PASSWORD, f" {code[:3]} {code[3:]} ", HERE, "test")
    assert session.account.username == "vic"
    with pytest.raises(TwoFactorNeeded):
        await log_in(node, "vic", PASSWORD, code, HERE, "test")

    await log_in(node, "vic", PASSWORD, recovery[0].upper(), HERE, "test")
    with pytest.raises(TwoFactorNeeded):
        await log_in(node, "vic", PASSWORD, recovery[0], HERE, "test")
    await log_in(node, "vic", PASSWORD, recovery[1].replace("-", ""), HERE, "test")


async def test_wrong_codes_count_towards_the_limit(make_node: NodeFactory) -> None:
    node = await make_node()
    wren = await member(node, "wren")
    setup = await begin_two_factor(node, wren.id)
    await confirm_two_factor(node, wren.id, pyotp.TOTP(setup.secret).at(node.clock()))
    for _ in range(5):
        with pytest.raises(TwoFactorNeeded):
            await log_in(node, "wren", PASSWORD, "00000-00000", HERE, "test")
    with pytest.raises(TooManyAttempts, match="too many failed sign-ins") as caught:
        await log_in(node, "wren", PASSWORD, None, HERE, "test")
    assert caught.value.status == 429


async def test_turning_it_off_takes_the_password_or_an_admin(make_node: NodeFactory) -> None:
    node = await make_node()
    xan = await member(node, "xan")
    mod = await member(node, "bo", AccountRole.MODERATOR)
    app = pyotp.TOTP((await begin_two_factor(node, xan.id)).secret)
    old_codes = await confirm_two_factor(node, xan.id, app.at(node.clock()))
    with pytest.raises(Unauthorized):
        await new_recovery_codes(node, xan.id, "not the password")
    codes = await new_recovery_codes(node, xan.id, PASSWORD)
    with pytest.raises(TwoFactorNeeded):
        await log_in(node, "xan", PASSWORD, old_codes[0], HERE, "test")
    await log_in(node, "xan", PASSWORD, codes[0], HERE, "test")

    with pytest.raises(Unauthorized, match="password is not right"):
        await disable_two_factor(node, xan.id, "not the password")
    await disable_two_factor(node, xan.id, PASSWORD)
    await log_in(node, "xan", PASSWORD, None, HERE, "test")
    with pytest.raises(Conflict, match="off already"):
        await disable_two_factor(node, xan.id, PASSWORD)

    app = pyotp.TOTP((await begin_two_factor(node, xan.id)).secret)
    await confirm_two_factor(node, xan.id, app.at(node.clock()))
    with pytest.raises(Refused, match="not an admin"):
        await turn_off_two_factor(node, Acting.member(node, mod), "xan")
    helped = await turn_off_two_factor(node, Acting.operator(node), "xan")
    assert not helped.two_factor
    await log_in(node, "xan", PASSWORD, None, HERE, "test")


async def test_staff_must_enrol_where_the_node_requires_it(make_node: NodeFactory) -> None:
    strict = await make_node(staff_two_factor=True)
    admin = await member(strict, "yas", AccountRole.ADMIN)
    moderator = await member(strict, "zed", AccountRole.MODERATOR)
    someone = await member(strict, "amy")
    assert await needs_two_factor_enrolment(strict, admin)
    assert await needs_two_factor_enrolment(strict, moderator)
    assert not await needs_two_factor_enrolment(strict, someone)
    app = pyotp.TOTP((await begin_two_factor(strict, admin.id)).secret)
    assert await needs_two_factor_enrolment(strict, admin)  # begun is not on
    await confirm_two_factor(strict, admin.id, app.at(strict.clock()))
    # The account as the next request reads it with its session: two-factor on.
    assert not await needs_two_factor_enrolment(strict, await get_account_by_name(strict, "yas"))

    lenient = await make_node(staff_two_factor=False)
    assert not await needs_two_factor_enrolment(lenient, moderator)
