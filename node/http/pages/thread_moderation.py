"""What a moderator sends from a thread's page about one of its posts: remove, restore, purge,
lock its thread, pin; ban its author from the group, keep their server out. Done as from a
report's page (moderator_forms.py), by the functions the CLI calls with the same role check;
whose post it is comes from the post, never from the form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from federation.errors import CoveError, Invalid, NotFound
from node.http.pages.moderator_forms import act_on_post, ban_from_form, keep_server_out
from node.http.pages.render import page_number, told
from node.http.pages.staff import acting_of
from node.http.pages.thread import shown_thread
from node.http.pages.visitors import checked_form
from node.http.state import CLIENT, NODE
from node.moderators import thread_moderation
from node.moderators.roles import Acting
from node.moderators.thread_moderation import PostInHand

routes = web.RouteTableDef()
ACTION = "/g/{name}/t/{post_id:[0-9]{1,18}}/moderate/{action}"

Action = Callable[[web.Request, Acting, PostInHand, dict[str, str]], Awaitable[str]]


async def _on_post(
    request: web.Request, acting: Acting, post: PostInHand, form: dict[str, str]
) -> str:
    node, client = request.app[NODE], request.app[CLIENT]
    return await act_on_post(node, client, acting, post.group.name, post.uri, post.thread_uri, form)


async def _ban(request: web.Request, acting: Acting, post: PostInHand, form: dict[str, str]) -> str:
    node, client = request.app[NODE], request.app[CLIENT]
    if post.author_uri == node.urls.group(post.group.name):
        raise Invalid("the group itself wrote this post: there is no one to ban")
    return await ban_from_form(node, client, acting, post.group.name, post.author_uri, form)


async def _keep_out(
    request: web.Request, acting: Acting, post: PostInHand, form: dict[str, str]
) -> str:
    if post.author_server is None:
        raise Invalid("they are a member of this node: ban them instead")
    return await keep_server_out(
        request.app[NODE], acting, post.group.name, post.author_server, form
    )


ACTIONS: dict[str, Action] = {"post": _on_post, "ban": _ban, "keep-out": _keep_out}


def _back(form: dict[str, str], post: PostInHand) -> tuple[int, int]:
    """The thread's page the form was sent from (its first post's row, its page of replies),
    to go back to: the post's own page when the form does not say."""
    back = form.get("back", "")
    shown = int(back) if back.isascii() and back.isdigit() and len(back) <= 18 else post.id
    return shown, page_number(form.get("page"))


@routes.post(ACTION)
async def moderate(request: web.Request) -> web.StreamResponse:
    action = ACTIONS.get(request.match_info["action"])
    if action is None:
        raise NotFound("nothing here")
    node = request.app[NODE]
    acting = await acting_of(request)
    form = await checked_form(request)
    post = await thread_moderation.post_in_hand(
        node, acting, request.match_info["name"], int(request.match_info["post_id"])
    )
    shown, page = _back(form, post)
    try:
        done = await action(request, acting, post, form)
    except CoveError as e:
        problem = told(request, e)
        return await shown_thread(
            request, post.group.name, shown, page, status=e.status, problem=problem
        )
    group = f"/g/{post.group.name}"
    if done == "purged" and shown == post.id:  # the page it was on is gone with it
        raise web.HTTPSeeOther(f"{group}/moderation?done=purged")
    more = f"page={page}&" if page > 1 else ""
    raise web.HTTPSeeOther(f"{group}/t/{shown}?{more}done={done}")
