"""Accounts through the pages as a person uses them: signing up (the rules agreed, the
address confirmed by the mailed link), signing in and out (with reasons, a limit, two-factor
codes), the session cookie's guards, forms that only this node's pages can send, settings
that change the profile, the language, the password and the places one is signed in."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pyotp
import pytest

from node.members import node_rules
from node.moderators.roles import Acting
from node.runtime import Node
from node.store.states import AccountRole
from tests.conftest import serving
from tests.node.members.conftest import PASSWORD, NodeFactory, clock_of, member
from tests.support.browsing import Browser, browser
from tests.support.mail_catcher import MailCatcher


@pytest.fixture
async def node(make_node: NodeFactory) -> Node:
    return await make_node(mode="open")


@pytest.fixture
async def site(node: Node) -> AsyncIterator[str]:
    async with serving(node, workers=False) as served:
        yield served.base


async def sign_in(person: Browser, login: str, password: str = PASSWORD, code: str = "") -> None:
    await person.get("/auth/sign-in")
    fields = {"login": login, "password": password, "next": "/"}
    if code:
        fields["code"] = code
    await person.submit("/auth/sign-in", fields)


async def test_sign_up_confirm_by_mail_then_sign_in_and_out(
    node: Node, site: str, mail: MailCatcher
) -> None:
    await node_rules.add_node_rule(node, Acting.operator(node), "Be kind to each other.")
    async with browser(site) as person:
        form = await person.get("/auth/sign-up")
        assert "Be kind to each other." in form.text and "real name" in form.text
        fields = {
            "username": "river",
            "email": "river@mail.test",
            "password": "a long enough secret",
            "rules_version": "1",
        }
        refused = await person.submit("/auth/sign-up", fields)  # the rules not agreed
        assert refused.status == 400 and "agree to the node" in refused.text
        assert 'value="river@mail.test"' in refused.text  # what they typed is kept
        done = await person.submit("/auth/sign-up", {**fields, "agree": "yes"})
        assert done.status == 200 and "river@mail.test" in done.text
        assert len(mail.mails) == 1
        token = mail.link(mail.mails[0], "/auth/confirm")
        await sign_in(person, "river", "a long enough secret")
        assert person.last is not None and "Confirm your email" in person.last.text
        confirmed = await person.get(f"/auth/confirm?token={token}")
        assert confirmed.status == 200 and "Your account is ready" in confirmed.text
        again = await person.get(f"/auth/confirm?token={token}")
        assert again.status >= 400  # a link works once
        await sign_in(person, "river@MAIL.test", "a long enough secret")
        home = person.last
        assert home is not None and home.url == site + "/" and "Sign out" in home.text
        out = await person.submit("/auth/sign-out", {})
        assert out.status == 200 and "Sign out" not in out.text and "Sign in" in out.text
        assert (await person.get("/settings")).url.startswith(site + "/auth/sign-in?next=")


async def test_sign_in_says_why_and_stops_guessing(node: Node, site: str) -> None:
    await member(node, "kim", email="kim@mail.test")
    async with browser(site) as person:
        await sign_in(person, "kim", "not the password")
        wrong = person.last
        assert wrong is not None and wrong.status == 401
        assert "Wrong username or password" in wrong.text and 'value="kim"' in wrong.text
        await sign_in(person, "nobody", "not the password")
        assert person.last is not None and "Wrong username or password" in person.last.text
        for _ in range(4):
            await sign_in(person, "kim", "still not it")
        await sign_in(person, "kim")  # right, but too late: five failures in the window
        limited = person.last
        assert limited is not None and limited.status == 429
        assert (
            "Too many failed sign-ins" in limited.text and int(limited.headers["Retry-After"]) > 0
        )
        clock_of(node).advance(timedelta(minutes=16))
        await sign_in(person, "kim")
        assert person.last is not None and "Sign out" in person.last.text


async def test_the_session_cookie_and_forms_are_this_nodes_alone(node: Node, site: str) -> None:
    await member(node, "kim", email="kim@mail.test")
    async with browser(site) as person:
        await person.get("/auth/sign-in")
        stale = await person.submit(
            "/auth/sign-in",
            {"login": "kim", "password": PASSWORD},
            token="forged-token-value-123456",
        )
        assert stale.status == 403 and "expired" in stale.text
        await person.get("/auth/sign-in")
        elsewhere = await person.submit(
            "/auth/sign-in", {"login": "kim", "password": PASSWORD}, origin="https://evil.test"
        )
        assert elsewhere.status == 403 and "another site" in elsewhere.text
        assert person.cookie("cove_session") is None
        await person.get("/auth/sign-in?next=//evil.test/x")
        page = await person.submit(
            "/auth/sign-in", {"login": "kim", "password": PASSWORD, "next": "//evil.test/x"}
        )
        assert page.url == site + "/"  # never sent to another site
        signed_in_page = await person.get("/settings")
        assert signed_in_page.status == 200 and "Settings" in signed_in_page.text
        assert "no-store" in signed_in_page.headers["Cache-Control"]


async def test_cookie_flags_on_sign_in(node: Node, site: str) -> None:
    await member(node, "kim", email="kim@mail.test")
    async with browser(site) as person:
        page = await person.get("/auth/sign-in")
        async with person.session.post(
            site + "/auth/sign-in",
            data={"login": "kim", "password": PASSWORD, "next": "/", "form_token": page.form_token},
            headers={"Origin": site},
            allow_redirects=False,
        ) as r:
            assert r.status == 303
            cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("cove_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie


async def test_two_factor_from_settings_then_at_sign_in(node: Node, site: str) -> None:
    await member(node, "kim", email="kim@mail.test")
    async with browser(site) as person:
        await sign_in(person, "kim")
        await person.get("/settings/two-factor")
        setup = await person.submit("/settings/two-factor/begin", {})
        found = re.search(r'Key: <span class="handle">([A-Z2-7]+)</span>', setup.text)
        assert found is not None and "<svg" in setup.text
        secret = found.group(1)
        wrong = await person.submit("/settings/two-factor/confirm", {"code": "000000"})
        assert wrong.status >= 400
        found = re.search(r'<span class="handle">([A-Z2-7]+)</span>', wrong.text)
        assert found is not None
        secret = found.group(1)  # a new key: the first was not confirmed
        code = pyotp.TOTP(secret).at(node.clock())
        done = await person.submit("/settings/two-factor/confirm", {"code": code})
        assert "recovery codes" in done.text
        recovery = re.findall(r'<li><span class="handle">([^<]+)</span></li>', done.text)
        assert len(recovery) == 10
        await person.submit("/auth/sign-out", {})
        await sign_in(person, "kim")
        asked = person.last
        assert asked is not None and asked.status == 401 and 'id="code"' in asked.text
        clock_of(node).advance(timedelta(seconds=60))
        await sign_in(person, "kim", code=pyotp.TOTP(secret).at(node.clock()))
        assert person.last is not None and "Sign out" in person.last.text
        await person.submit("/auth/sign-out", {})
        await sign_in(person, "kim", code=recovery[0])
        assert person.last is not None and "Sign out" in person.last.text


async def test_staff_are_sent_to_turn_two_factor_on_first(make_node: NodeFactory) -> None:
    node = await make_node(mode="open", staff_two_factor=True)
    await member(node, "olive", AccountRole.ADMIN, email="olive@mail.test")
    async with serving(node, workers=False) as served, browser(served.base) as person:
        await sign_in(person, "olive")
        assert person.last is not None and person.last.url == served.base + "/settings/two-factor"
        assert "staff to turn on two-factor" in person.last.text
        elsewhere = await person.get("/settings")
        assert elsewhere.url == served.base + "/settings/two-factor"


async def test_settings_change_the_profile_language_and_password(node: Node, site: str) -> None:
    await member(node, "kim", email="kim@mail.test")
    async with browser(site) as person, browser(site) as phone:
        await sign_in(person, "kim")
        await sign_in(phone, "kim")
        await person.get("/settings")
        saved = await person.submit(
            "/settings/profile",
            {"display_name": "Kim K", "summary": "Runner.", "language": "es"},
        )
        assert saved.status == 200 and "Guardado" in saved.text and '<html lang="es">' in saved.text
        profile = await person.get("/u/kim")
        assert "Kim K" in profile.text and "Runner." in profile.text
        sessions = await person.get("/settings/sessions")
        assert sessions.text.count('<li class="card">') == 2
        await person.get("/settings/password")
        changed = await person.submit(
            "/settings/password",
            {"current": PASSWORD, "password": "a brand new secret", "again": "a brand new secret"},
        )
        assert changed.status == 200
        assert (await phone.get("/settings")).url.startswith(site + "/auth/sign-in")  # signed out
        assert (await person.get("/settings")).status == 200  # this browser stays in
        await person.submit("/auth/sign-out", {})
        await sign_in(person, "kim", "a brand new secret")
        assert person.last is not None and "Cerrar sesión" in person.last.text


async def test_a_sign_up_not_yet_confirmed_shows_no_one_an_actor(
    node: Node, site: str, mail: MailCatcher
) -> None:
    async with browser(site) as person:
        await person.get("/auth/sign-up")
        await person.submit(
            "/auth/sign-up",
            {"username": "quiet", "email": "q@mail.test", "password": PASSWORD, "agree": "yes"},
        )
        handle = f"acct:quiet@{node.urls.domain}"
        probes = {
            "actor": (node.urls.person("quiet"), "application/activity+json"),
            "profile": (node.urls.person("quiet"), "text/html"),
            "outbox": (node.urls.person("quiet") + "/outbox", "application/activity+json"),
            "webfinger": (f"{site}/.well-known/webfinger?resource={handle}", "application/json"),
        }

        async def statuses() -> dict[str, int]:
            found = {}
            for name, (url, accept) in probes.items():
                async with person.session.get(url, headers={"Accept": accept}) as r:
                    found[name] = r.status
            return found

        assert set((await statuses()).values()) == {404}
        token = mail.link(mail.mails[-1], "/auth/confirm")
        await person.get(f"/auth/confirm?token={token}")
        assert set((await statuses()).values()) == {200}


async def test_the_mails_speak_the_language_the_person_signed_up_in(
    node: Node, site: str, mail: MailCatcher
) -> None:
    async with browser(site, language="es-MX,es;q=0.9") as person:
        await person.get("/auth/sign-up")
        done = await person.submit(
            "/auth/sign-up",
            {"username": "lucia", "email": "l@mail.test", "password": PASSWORD, "agree": "yes"},
        )
        assert "Ya casi está" in done.text
    (sent,) = mail.mails
    assert sent["Subject"].startswith("Confirma tu correo para")
    assert "Hola, lucia:" in mail.text(sent) and "/auth/confirm?token=" in mail.text(sent)
    async with browser(site) as person:
        await person.get("/auth/forgot")
        await person.submit("/auth/forgot", {"email": "l@mail.test"})
    assert mail.mails[-1]["Subject"].startswith("Restablece tu contraseña")
