"""A member's page, for a person with a browser."""

from __future__ import annotations

from aiohttp import web

from node.http.pages.render import render
from node.http.state import NODE
from node.members import accounts
from node.text import plain_to_html


async def person_page(request: web.Request, name: str) -> web.Response:
    account = accounts.in_use(await accounts.get_account_by_name(request.app[NODE], name))
    return render(
        request, "person.html", account=account, summary_html=plain_to_html(account.summary)
    )
