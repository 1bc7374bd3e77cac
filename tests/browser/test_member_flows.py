"""A member's first night on a node, in Chromium: signing up and confirming by the mailed
link, turning on two-factor sign-in and signing in with it (by keyboard alone), joining a
group by accepting its rules, posting behind a content warning, reporting a worry; then a
moderator finding the report in the queue. Every page on the way passes axe-core."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page

from moderation.rules import parse_rules
from node.groups import groups, rules
from node.groups.groups import NewGroup
from node.members import participation
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import PostingPolicy
from tests.browser import sites
from tests.browser.accessibility import check_accessible, check_keyboard_use, check_reflow
from tests.conftest import MovableClock, ServedNode, client_for, serving
from tests.node.members.conftest import PASSWORD, member
from tests.support.mail_catcher import MailCatcher, mail_catcher

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclasses.dataclass
class Site:
    served: ServedNode
    mail: MailCatcher

    @property
    def node(self) -> Node:
        return self.served.node

    def url(self, path: str) -> str:
        return self.served.base + path


@pytest_asyncio.fixture(loop_scope="session")
async def site(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Site]:
    """A node that mails through a real SMTP server on loopback, with a group whose rules
    must be accepted, its owner, and a post by another member."""
    async with (
        mail_catcher() as mail,
        sites.own_node(
            tmp_path, sqlite_template, registrations={"mode": "open"}, mail=mail.settings()
        ) as node,
    ):
        owner = await member(node, "olive", email="olive@mail.test")
        ash = await member(node, "ash", email="ash@mail.test")
        await groups.create_group(
            node,
            NewGroup(
                name="grief",
                title="Grief support",
                owner="olive",
                posting_policy=PostingPolicy.MEMBERS,
            ),
        )
        await rules.set_rules(
            node,
            Acting.member(node, owner),
            "grief",
            parse_rules([{"title": "Be gentle", "text": "No advice unless asked."}]),
            needs_acceptance=True,
        )
        async with client_for(node) as client:
            await participation.join(node, client, ash, node.urls.group("grief"), accept_rules=True)
            await participation.publish(
                node,
                client,
                ash,
                node.urls.group("grief"),
                "I don't see the point of anything any more.",
                title="Tonight",
            )
        async with serving(node, workers=False) as served:
            yield Site(served, mail)


async def checked(page: Page, heading: str) -> None:
    """The page says what it is, and passes axe."""
    assert (await page.locator("h1").first.inner_text()).strip() == heading, await page.title()
    await check_accessible(page)


async def sign_in_by_keyboard(page: Page, site: Site, login: str) -> None:
    await page.goto(site.url("/auth/sign-in"))
    await page.locator("#login").focus()
    await page.keyboard.type(login)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def test_sign_up_two_factor_join_post_report_and_the_moderators_queue(
    browser: Browser, site: Site
) -> None:
    context = await browser.new_context()
    page = await context.new_page()
    # Sign up: the rules first, a pseudonym, an address, a password.
    await page.goto(site.url("/auth/sign-up"))
    await checked(page, "Create an account")
    await check_keyboard_use(page)
    await page.get_by_label("I agree to take part with care and respect").check()
    await page.get_by_label("Username", exact=False).first.fill("river")
    await page.get_by_label("Email address").fill("river@mail.test")
    await page.locator("#password").fill(PASSWORD)
    await page.get_by_role("button", name="Create the account").click()
    await checked(page, "Almost there")
    link = site.mail.link(site.mail.mails[-1], "/auth/confirm")
    await page.goto(site.url(f"/auth/confirm?token={link}"))
    await checked(page, "Address confirmed")

    # Signed in by keyboard alone; two-factor turned on from the settings.
    await sign_in_by_keyboard(page, site, "river")
    assert await page.get_by_role("button", name="Sign out").count() == 1
    await page.goto(site.url("/settings/two-factor"))
    await checked(page, "Two-factor sign-in")
    await page.get_by_role("button", name="Set it up").click()
    await checked(page, "Two-factor sign-in")
    key = (await page.locator("p:has-text('Key:') .handle").inner_text()).strip()
    await page.locator("#code").fill(pyotp.TOTP(key).at(site.node.clock()))
    await page.get_by_role("button", name="Turn two-factor sign-in on").click()
    assert await page.locator("main ul .handle").count() == 10  # the recovery codes
    await check_accessible(page)
    await page.get_by_role("button", name="Sign out").click()
    await sign_in_by_keyboard(page, site, "river")
    await checked(page, "Sign in")  # asked for the code
    assert await page.locator("#code").count() == 1
    assert isinstance(site.node.clock, MovableClock)
    site.node.clock.advance(timedelta(seconds=60))
    await page.locator("#password").focus()  # the name is kept; the password asked again
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Tab")
    await page.keyboard.type(pyotp.TOTP(key).at(site.node.clock()))
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    assert await page.get_by_role("button", name="Sign out").count() == 1

    # Joining accepts the rules; a post goes behind its content warning.
    await page.goto(site.url("/g/grief"))
    await checked(page, "Grief support")
    await check_keyboard_use(page)
    await page.get_by_label("I have read this group's rules and accept them").check()
    await page.get_by_role("button", name="Join").click()
    assert await page.get_by_text("You are a member of this group.").count() == 1
    await page.get_by_label("Title").fill("One year")
    await page.get_by_label("Your words").fill("It has been a year since she died.")
    await page.get_by_label("Content warning", exact=False).fill("death, grief")
    await page.get_by_role("button", name="Post", exact=True).click()
    await checked(page, "One year")
    words = page.get_by_text("It has been a year since she died.")
    assert not await words.is_visible()  # closed behind the warning
    await page.get_by_text("death, grief").click()
    assert await words.is_visible()
    await check_accessible(page)

    # A worry about another member's post.
    await page.goto(site.url("/g/grief"))
    await page.get_by_role("link", name="Tonight").click()
    await checked(page, "Tonight")
    await page.get_by_role("link", name="Report").click()
    await checked(page, "Report to the moderators")
    await check_keyboard_use(page)
    await page.get_by_label("I'm worried about this person").check()
    await page.get_by_label("Anything the moderators should know").fill("they sound very low")
    await page.get_by_role("button", name="Send the report").click()
    await checked(page, "Report sent")
    await context.close()

    # The group's moderator sees it, the crisis named and its words kept back.
    moderator = await browser.new_context()
    page = await moderator.new_page()
    await sign_in_by_keyboard(page, site, "olive")
    await page.goto(site.url("/moderation/reports"))
    await checked(page, "Reports to handle")
    queue = await page.locator("main").inner_text()
    assert "Someone may be in crisis" in queue and "they sound very low" in queue
    assert "point of anything" not in queue
    await moderator.close()


async def test_every_signed_in_page_passes_axe_light_and_dark(site: Site, page: Page) -> None:
    await sign_in_by_keyboard(page, site, "olive")
    for path, heading in [
        ("/settings", "Settings"),
        ("/settings/password", "Password"),
        ("/settings/two-factor", "Two-factor sign-in"),
        ("/settings/sessions", "Where you are signed in"),
        ("/notifications", "Notifications"),
        ("/moderation/reports", "Reports to handle"),
        ("/help", "Need help now?"),
        ("/g/grief", "Grief support"),
    ]:
        await page.goto(site.url(path))
        await checked(page, heading)
        await check_keyboard_use(page)
    thread = page.get_by_role("link", name="Tonight")
    await thread.click()
    await checked(page, "Tonight")
    await page.get_by_role("link", name="Report").click()
    await checked(page, "Report to the moderators")
    await page.get_by_role("button", name="Sign out").click()
    await sign_in_by_keyboard(page, site, "ash")
    await page.goto(site.url("/g/grief"))
    await page.get_by_role("link", name="Tonight").click()
    await page.get_by_role("link", name="Edit").click()
    await checked(page, "Edit your post")
    await check_keyboard_use(page)
    for path, heading in [
        ("/auth/sign-up", "Create an account"),
        ("/auth/forgot", "Forgot your password?"),
        ("/auth/resend", "Send the confirmation link again"),
        ("/auth/reset?token=not-a-real-one", "Set a new password"),
    ]:
        await page.context.clear_cookies()
        await page.goto(site.url(path))
        await checked(page, heading)


async def test_blocking_from_a_post_then_the_data_and_deletion_pages(
    site: Site, page: Page
) -> None:
    """Light and dark: block from a post's actions, the list with its Unblock button, the
    export page, the deletion page and its refusal, and the goodbye after deleting."""
    await sign_in_by_keyboard(page, site, "olive")
    await page.goto(site.url("/g/grief"))
    await page.get_by_role("link", name="Tonight").click()
    await page.get_by_role("link", name="Block or mute").click()
    await checked(page, "Blocked and muted people")
    await check_keyboard_use(page)
    assert await page.get_by_label("Who", exact=False).input_value() == site.node.urls.person("ash")
    await page.get_by_role("button", name="Block", exact=True).click()
    await checked(page, "Blocked and muted people")
    assert await page.get_by_role("status").inner_text() == (
        "Blocked. You will no longer see what they write."
    )
    assert await page.get_by_role("button", name="Unblock").count() == 1
    await check_keyboard_use(page)
    await check_reflow(page)
    await page.goto(site.url("/g/grief"))
    assert await page.get_by_role("link", name="Tonight").count() == 0

    await page.goto(site.url("/settings/export"))
    await checked(page, "Your data")
    await check_keyboard_use(page)

    await page.goto(site.url("/settings/delete"))
    await checked(page, "Delete your account")
    await check_keyboard_use(page)
    await check_reflow(page)
    await page.get_by_label("Type your username", exact=False).fill("olive")
    await page.get_by_label("Your password").fill("not the password")
    await page.get_by_role("button", name="Delete my account for good").click()
    await checked(page, "Delete your account")
    assert "not your password" in await page.get_by_role("alert").inner_text()
    await page.get_by_label("Type your username", exact=False).fill("olive")
    await page.get_by_label("Your password").fill(PASSWORD)
    await page.get_by_role("button", name="Delete my account for good").click()
    await checked(page, "Your account is deleted")
    await check_keyboard_use(page)
    assert await page.get_by_role("button", name="Sign out").count() == 0
    assert await page.get_by_role("link", name="Crisis lines and support services").count() >= 1
