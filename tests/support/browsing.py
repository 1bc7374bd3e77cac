"""A person's browser without the browser: an HTTP client that keeps cookies, reads each
page's form token and sends forms back as a browser does (for page tests that need no
script; the Chromium tests drive the real thing)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import ClientSession, CookieJar

from tests.node.members.conftest import PASSWORD as MEMBERS_PASSWORD

HTML = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
TOKEN = re.compile(r'name="form_token" value="([^"]+)"')


@dataclass
class Page:
    status: int
    text: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def form_token(self) -> str:
        found = TOKEN.search(self.text)
        assert found is not None, f"no form on {self.url}: {self.text[:300]}"
        return found.group(1)


@dataclass
class Browser:
    base: str
    session: ClientSession
    language: str = "en"
    last: Page | None = None

    async def get(self, path: str, *, follow: bool = True) -> Page:
        headers = {"Accept": HTML, "Accept-Language": self.language}
        async with self.session.get(self._url(path), headers=headers, allow_redirects=follow) as r:
            self.last = Page(r.status, await r.text(), str(r.url), dict(r.headers))
        return self.last

    async def submit(
        self,
        path: str,
        fields: dict[str, str],
        *,
        token: str | None = None,
        origin: str | None = None,
    ) -> Page:
        """Post a form as the last page's form would (its token), following the redirect."""
        if token is None:
            assert self.last is not None, "open a page with the form first"
            token = self.last.form_token
        headers = {
            "Accept": HTML,
            "Accept-Language": self.language,
            "Origin": origin or self.base,
        }
        data = {**fields, "form_token": token}
        async with self.session.post(self._url(path), data=data, headers=headers) as r:
            self.last = Page(r.status, await r.text(), str(r.url), dict(r.headers))
        return self.last

    def cookie(self, name: str) -> str | None:
        for cookie in self.session.cookie_jar:
            if cookie.key == name:
                return cookie.value
        return None

    def _url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path


@asynccontextmanager
async def browser(base: str, language: str = "en") -> AsyncIterator[Browser]:
    # unsafe: the node is at an IP address (127.0.0.1), whose cookies a default jar refuses
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as session:
        yield Browser(base, session, language)


async def signed_in(person: Browser, name: str, password: str = MEMBERS_PASSWORD) -> None:
    """Sign `person` in as `name` through the sign-in form (the test members' password)."""
    await person.get("/auth/sign-in")
    await person.submit("/auth/sign-in", {"login": name, "password": password, "next": "/"})
    assert person.last is not None and "Sign out" in person.last.text, person.last
