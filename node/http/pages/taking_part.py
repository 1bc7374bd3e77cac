"""What a member does in a group from the pages: join it (accepting its rules, or asking),
accept its changed rules, start a thread, reply, edit or delete their own words, like a post.
Each is one form, sent back to the page it came from; a refusal is a page with its reason."""

from __future__ import annotations

from aiohttp import web

from federation.errors import CoveError, Invalid, Refused
from node.groups import groups, rules, threads
from node.groups.posts import PostInfo
from node.http.pages.group import group_page_again
from node.http.pages.members import member_of
from node.http.pages.render import render, told
from node.http.pages.thread import thread_at
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.members import participation
from node.members.accounts import AccountInfo
from node.text import html_to_plain

routes = web.RouteTableDef()
POST = "/g/{name}/t/{post_id:[0-9]{1,18}}"


async def _form(request: web.Request) -> tuple[AccountInfo, dict[str, str]]:
    account = await member_of(request)
    form = await checked_form(request)
    return account, form


async def _post(request: web.Request) -> PostInfo:
    """The post the path names, as the member may see it (NotFound otherwise)."""
    return (await thread_at(request)).post


def _thread_url(request: web.Request, post_id: int, anchor: str = "") -> str:
    return request.app[NODE].urls.thread(request.match_info["name"], post_id) + anchor


@routes.post("/g/{name}/join")
async def join(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account, form = await _form(request)
    group = await groups.group_named(node, request.match_info["name"])
    read = form.get("rules_version", "")
    try:
        await participation.join(
            node,
            request.app[CLIENT],
            account,
            node.urls.group(group.name),
            accept_rules=form.get("accept_rules") == "yes",
            rules_version=_version(read) if read else None,
        )
    except CoveError as e:  # rules published or changed while the page was open: shown
        return await group_page_again(request, group.name, e.status, told(request, e))
    raise web.HTTPSeeOther(node.urls.group(group.name))


@routes.post("/g/{name}/accept-rules")
async def accept_rules(request: web.Request) -> web.StreamResponse:
    """A member accepts the group's changed rules, the version the page showed them (`cove
    member accept-rules`): one published while the page was open is not accepted unseen,
    but shown, with why (a 409)."""
    node = request.app[NODE]
    account, form = await _form(request)
    group = await groups.group_named(node, request.match_info["name"])
    try:
        version = _version(form.get("rules_version", ""))
        await rules.accept_rules(node, group.name, node.urls.person(account.username), version)
    except CoveError as e:
        return await group_page_again(request, group.name, e.status, told(request, e))
    raise web.HTTPSeeOther(node.urls.group(group.name))


def _version(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) < 10):
        raise Invalid("say which version of the rules you read")
    return int(text)


@routes.post("/g/{name}/post")
async def start_thread(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account, form = await _form(request)
    group = await groups.group_named(node, request.match_info["name"])
    uri = await participation.publish(
        node,
        request.app[CLIENT],
        account,
        node.urls.group(group.name),
        form.get("text", ""),
        title=form.get("title") or None,
        anonymous=form.get("anonymous") == "yes",
        content_warning=form.get("content_warning") or None,
    )
    raise web.HTTPSeeOther(node.urls.thread(group.name, await threads.row_of(node, uri)))


@routes.post(POST + "/reply")
async def reply(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account, form = await _form(request)
    post = await _post(request)
    assert post.group_uri is not None
    uri = await participation.publish(
        node,
        request.app[CLIENT],
        account,
        post.group_uri,
        form.get("text", ""),
        in_reply_to=post.uri,
        anonymous=form.get("anonymous") == "yes",
        content_warning=form.get("content_warning") or None,
    )
    answer = await threads.row_of(node, uri)
    raise web.HTTPSeeOther(_thread_url(request, post.id or 0, f"#r{answer}"))


@routes.post(POST + "/like")
async def like(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account, _ = await _form(request)
    post = await _post(request)
    await participation.like(node, request.app[CLIENT], account, post.uri)
    raise web.HTTPSeeOther(_thread_url(request, post.id or 0))


@routes.get(POST + "/edit")
async def edit_page(request: web.Request) -> web.Response:
    account = await member_of(request)
    post = await _post(request)
    if post.author_uri != request.app[NODE].urls.person(account.username):
        raise Refused("you can edit only your own posts")
    return render(request, "edit.html", post=post, text=html_to_plain(post.content_html))


@routes.post(POST + "/edit")
async def edit(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account, form = await _form(request)
    post = await _post(request)
    await participation.edit(
        node,
        request.app[CLIENT],
        account,
        post.uri,
        form.get("text", ""),
        title=form.get("title") or None,
        content_warning=form.get("content_warning", ""),
    )
    raise web.HTTPSeeOther(_thread_url(request, post.id or 0))


@routes.post(POST + "/delete")
async def delete(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    account, _ = await _form(request)
    post = await _post(request)
    await participation.delete(node, request.app[CLIENT], account, post.uri)
    raise web.HTTPSeeOther(node.urls.group(request.match_info["name"]))
