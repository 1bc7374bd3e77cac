"""The accounts pages: an admin finds accounts, changes roles (never the last admin's) and
approves or rejects sign-ups; node staff approve sign-ups, confirm the address of one whose
mail never came, suspend members here and actors elsewhere, and make and withdraw invites,
as on the console; a member is refused every page, and a moderator the admins' own, with a
403 page that shows nothing behind it; bad input is a page with its reason."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import quote

import pytest
from sqlmodel import select

from node.members import account_roles, accounts, approvals
from node.members.registrations import Registration, register
from node.moderators import suspensions
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import AccountRole, AccountState
from node.store.tables import ModLogEntry
from tests.conftest import ServedNode, serving
from tests.node.members.conftest import PASSWORD, NodeFactory, member
from tests.support.browsing import Browser, browser, signed_in

ACCOUNTS = "/admin/accounts"
SIGN_UPS = "/admin/accounts/sign-ups"
SUSPENSIONS = "/admin/accounts/suspensions"
INVITES = "/admin/accounts/invites"
REASON = "I lost my father in May and need people who understand."
TROLL = "https://elsewhere.example/u/troll"


@dataclass(frozen=True)
class Stage:
    served: ServedNode

    @property
    def node(self) -> Node:
        return self.served.node


@pytest.fixture
async def stage(make_node: NodeFactory) -> AsyncIterator[Stage]:
    """ada (admin), mo (moderator), kim (member), and dee's sign-up waiting with a reason."""
    node = await make_node(mode="approval")
    await member(node, "ada", AccountRole.ADMIN)
    await member(node, "mo", AccountRole.MODERATOR)
    await member(node, "kim")
    form = Registration("dee", "dee@mail.test", PASSWORD, True, reason=REASON)
    await register(node, None, form)
    await approvals.confirm_account(node, Acting.operator(node), "dee")
    async with serving(node, workers=False) as served:
        yield Stage(served)


async def state_of(node: Node, name: str) -> AccountState:
    return (await accounts.get_account_by_name(node, name)).state


def refused_with_nothing_shown(page: object, *hidden: str) -> None:
    text = getattr(page, "text", "")
    assert getattr(page, "status", 0) == 403, text[:300]
    for secret in hidden:
        assert secret not in text, secret


async def test_a_member_and_a_moderator_are_refused_the_admins_pages(stage: Stage) -> None:
    async with browser(stage.served.base) as kim:
        await signed_in(kim, "kim")
        for path in (ACCOUNTS, SIGN_UPS, SUSPENSIONS, INVITES):
            refused_with_nothing_shown(await kim.get(path), "dee", REASON, "@ada", "invite")
        # A form posted all the same is refused before anything is done.
        await kim.get("/settings")
        refused_with_nothing_shown(
            await kim.submit(SIGN_UPS, {"name": "dee", "decision": "approve"}), REASON
        )
        refused_with_nothing_shown(
            await kim.submit(SIGN_UPS, {"name": "dee", "decision": "confirm"}), REASON
        )
        refused_with_nothing_shown(await kim.submit(SUSPENSIONS, {"who": TROLL}), TROLL)
    async with browser(stage.served.base) as mo:
        await signed_in(mo, "mo")
        refused = await mo.get(ACCOUNTS)
        refused_with_nothing_shown(refused, "dee", "@kim", "Change the role")
        assert "Only the node&#39;s admins can open this page" in refused.text
        await mo.get("/settings")
        refused_with_nothing_shown(
            await mo.submit(ACCOUNTS + "/role", {"name": "mo", "role": "admin"}), "@kim"
        )
        # What the console lets a moderator do, the pages do too, without the admins' list.
        assert f'href="{SIGN_UPS}"' in (await mo.get("/moderation/reports")).text
        page = await mo.get(SIGN_UPS)
        assert page.status == 200 and REASON in page.text
        assert 'href="/admin/accounts"' not in page.text.replace('href="/admin/accounts/', "")
    assert await state_of(stage.node, "dee") == AccountState.AWAITING_APPROVAL
    assert (await accounts.get_account_by_name(stage.node, "mo")).role == AccountRole.MODERATOR


async def test_an_admin_finds_accounts_and_changes_roles_but_not_the_last_admins(
    stage: Stage,
) -> None:
    async with browser(stage.served.base) as ada:
        await signed_in(ada, "ada")
        page = await ada.get(ACCOUNTS)
        assert page.status == 200
        for name in ("@ada", "@mo", "@kim", "@dee"):
            assert name in page.text
        assert "1 sign-up is waiting for approval." in page.text
        found = await ada.get(ACCOUNTS + "?q=KI")
        assert "@kim" in found.text and "@ada" not in found.text and "@mo<" not in found.text
        nothing = await ada.get(ACCOUNTS + "?q=" + quote("%"))
        assert "No account matches." in nothing.text
        beyond = await ada.get(ACCOUNTS + "?q=a&page=2")  # 50 to a page: none here
        assert "No account matches." in beyond.text
        assert 'href="/admin/accounts?q=a" rel="prev"' in beyond.text

        changed = await ada.submit(ACCOUNTS + "/role", {"name": "kim", "role": "moderator"})
        assert changed.status == 200 and "kim has a new role." in changed.text
        assert (await accounts.get_account_by_name(stage.node, "kim")).role == "moderator"

        last = await ada.submit(ACCOUNTS + "/role", {"name": "ada", "role": "member"})
        assert last.status == 409
        assert "ada is the node&#39;s last admin: make someone else an admin first" in last.text
        wrong = await ada.submit(ACCOUNTS + "/role", {"name": "kim", "role": "owner"})
        assert wrong.status == 400 and "Unknown role &#39;owner&#39;" in wrong.text
        nobody = await ada.submit(ACCOUNTS + "/role", {"name": "nobody", "role": "member"})
        assert nobody.status == 404 and "No account named &#39;nobody&#39;" in nobody.text
        forged = await ada.submit(
            ACCOUNTS + "/role", {"name": "kim", "role": "admin"}, token="forged"
        )
        assert forged.status == 403
    assert (await accounts.get_account_by_name(stage.node, "ada")).role == AccountRole.ADMIN
    assert (await accounts.get_account_by_name(stage.node, "kim")).role == "moderator"
    admin = Acting.operator(stage.node)
    first = await account_roles.accounts_page(stage.node, admin, page=1, size=3)
    second = await account_roles.accounts_page(stage.node, admin, page=2, size=3)
    assert [a.username for a in first.accounts] == ["ada", "dee", "kim"] and first.more
    assert [a.username for a in second.accounts] == ["mo"] and not second.more
    async with stage.node.store.session() as session:
        [logged] = (await session.exec(select(ModLogEntry))).all()
    assert (logged.action, logged.reason) == ("change_role", "member -> moderator")
    assert logged.group_id is None and logged.target_uri == stage.node.urls.person("kim")


async def test_staff_approve_reject_and_confirm_sign_ups(stage: Stage) -> None:
    async with browser(stage.served.base) as mo:
        await signed_in(mo, "mo")
        page = await mo.get(SIGN_UPS)
        assert REASON in page.text and "dee@mail.test" not in page.text  # for admins alone
        assert "Every sign-up" in page.text  # every address is confirmed
        approved = await mo.submit(SIGN_UPS, {"name": "dee", "decision": "approve"})
        assert "dee is in: they can sign in now." in approved.text
        assert "No sign-up is waiting." in approved.text
        again = await mo.submit(SIGN_UPS, {"name": "dee", "decision": "reject"})
        assert again.status == 409 and ">dee is active<" in again.text
        odd = await mo.submit(SIGN_UPS, {"name": "dee", "decision": "maybe"})
        assert odd.status == 400 and "Choose to approve or to reject the sign-up" in odd.text
    assert await state_of(stage.node, "dee") == AccountState.ACTIVE

    # eve's mail never came: staff confirm her address for her, as `cove account confirm` does.
    eve = Registration("eve", "eve@mail.test", PASSWORD, True, reason="Hi")
    await register(stage.node, None, eve)
    async with browser(stage.served.base) as ada:
        await signed_in(ada, "ada")
        listed = await ada.get(ACCOUNTS)
        assert "Confirm the address of eve" in listed.text
        assert "Confirm the address of dee" not in listed.text
        assert "eve@mail.test" in (await ada.get(SIGN_UPS)).text  # for admins alone
    async with browser(stage.served.base) as mo:
        await signed_in(mo, "mo")
        page = await mo.get(SIGN_UPS)
        unconfirmed = page.text[page.text.index("Addresses not confirmed yet") :]
        assert "@eve" in unconfirmed and "eve@mail.test" not in page.text
        assert "No sign-up is waiting." in page.text  # not until her address is confirmed
        confirmed = await mo.submit(SIGN_UPS, {"name": "eve", "decision": "confirm"})
        assert confirmed.url.endswith("done=confirmed&name=eve"), confirmed.url
        assert "The address of eve is confirmed." in confirmed.text
        assert "Approve eve" in confirmed.text  # this node approves sign-ups: she waits now
        again = await mo.submit(SIGN_UPS, {"name": "eve", "decision": "confirm"})
        assert again.status == 409 and "email is confirmed already" in again.text
    assert await state_of(stage.node, "eve") == AccountState.AWAITING_APPROVAL


async def suspends(person: Browser, who: str, **more: str) -> str:
    await person.get(SUSPENSIONS)
    page = await person.submit(SUSPENSIONS, {"who": who, **more})
    assert page.status == 200, page.text[:500]
    return page.text


async def test_staff_suspend_members_here_and_actors_elsewhere(stage: Stage) -> None:
    node = stage.node
    async with browser(stage.served.base) as mo:
        await signed_in(mo, "mo")
        assert "kim is suspended." in await suspends(mo, f"@kim@{node.urls.domain}")
        assert await state_of(node, "kim") == AccountState.SUSPENDED
        listed = await mo.get(SUSPENSIONS)
        assert "Restore kim" in listed.text
        lifted = await mo.submit(SUSPENSIONS + "/lift", {"who": "kim"})
        assert "The suspension of kim is lifted." in lifted.text
        assert await state_of(node, "kim") == AccountState.ACTIVE

        shown = await suspends(mo, TROLL, reason="spam in three groups", days="7")
        assert f"{TROLL} is suspended." in shown and "spam in three groups" in shown
        assert "until " in shown
        assert await suspensions.is_suspended(node, TROLL)
        await mo.submit(SUSPENSIONS + "/lift", {"who": TROLL})
        assert not await suspensions.is_suspended(node, TROLL)

        for who, days, status, said in (
            ("ftp://elsewhere.example/u/x", "", 400, "is not an http(s) URL"),
            (f"{node.urls.base}/g/grief", "", 400, "is not a person of this node"),
            ("nobody", "", 404, "No account named &#39;nobody&#39;"),
            (TROLL, "3", 400, "Choose how long the suspension lasts from the list"),
            ("", "", 400, "Name someone"),
        ):
            await mo.get(SUSPENSIONS)
            page = await mo.submit(SUSPENSIONS, {"who": who, "days": days})
            assert page.status == status and said in page.text, (who, page.text[:400])
            assert f'value="{who}"' in page.text  # the form keeps what was typed
        await mo.get(SUSPENSIONS)
        gone = await mo.submit(SUSPENSIONS + "/lift", {"who": TROLL})
        assert gone.status == 404 and "is not suspended" in gone.text
    async with browser(stage.served.base) as ada:
        await signed_in(ada, "ada")
        await ada.get(ACCOUNTS)  # the list's own buttons suspend and restore too
        assert "kim is suspended." in (await ada.submit(SUSPENSIONS, {"who": "kim"})).text


async def test_staff_make_and_withdraw_invite_links(stage: Stage) -> None:
    async with browser(stage.served.base) as mo:
        await signed_in(mo, "mo")
        await mo.get(INVITES)
        made = await mo.submit(INVITES, {"uses": "2", "days": "3"})
        assert made.status == 200 and "A new invite link" in made.text
        [invite] = await invites_of(stage.node)
        assert (invite.max_uses, invite.created_by) == (2, "mo")
        assert f'value="{invite.url}"' in made.text and "Used 0 of 2 times" in made.text

        for uses, days, said in (
            ("two", "", "The number of uses must be a whole number"),
            ("0", "", "An invite&#39;s uses must be from 1 to 10000"),
            ("", "-4", "The number of days must be a whole number"),
            ("", "400", "An invite lasts from 1 to 365 days"),
        ):
            await mo.get(INVITES)
            page = await mo.submit(INVITES, {"uses": uses, "days": days})
            assert page.status == 400 and said in page.text, page.text[:400]
            assert 'name="uses" type="text" inputmode="numeric" maxlength="9" ' in page.text
        withdrawn = await mo.submit(INVITES + "/revoke", {"code": invite.code})
        assert "it no longer works" in withdrawn.text
        twice = await mo.submit(INVITES + "/revoke", {"code": invite.code})
        assert twice.status == 409 and "was withdrawn already" in twice.text
    assert (await invites_of(stage.node))[0].revoked_at is not None


async def invites_of(node: Node) -> list:  # type: ignore[type-arg]
    from node.members.invites import list_invites

    return await list_invites(node, Acting.operator(node))
