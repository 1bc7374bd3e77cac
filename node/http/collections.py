"""Collections of local actors (outbox, followers, following, moderators, featured) as
OrderedCollection with OrderedCollectionPage pages: `?page=true`, then `max_id`/`min_id`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from federation.collections import ordered_collection, ordered_collection_page
from federation.errors import Refused
from federation.objects import post_document
from node.domain import accounts, groups, outbox, posts
from node.domain.instance import get_instance
from node.domain.paging import Cursor, Page
from node.http import presenters
from node.http.responses import activity_response
from node.http.state import NODE
from node.store.states import Visibility

routes = web.RouteTableDef()
T = TypeVar("T")

FOLLOWERS_HIDDEN = "this node does not publish who follows its actors"


def _wants_page(request: web.Request) -> bool:
    return "page" in request.query


def _page_url(collection_id: str, **cursor: int) -> str:
    return f"{collection_id}?{urlencode({'page': 'true', **cursor})}"


def _cursor(request: web.Request) -> Cursor:
    return Cursor.parse(request.query.get("max_id"), request.query.get("min_id"))


def _page_id(collection_id: str, cursor: Cursor) -> str:
    if cursor.min_id is not None:
        return _page_url(collection_id, min_id=cursor.min_id)
    if cursor.max_id is not None:
        return _page_url(collection_id, max_id=cursor.max_id)
    return _page_url(collection_id)


def keyset_document(
    collection_id: str,
    cursor: Cursor,
    page: Page[T],
    item: Callable[[T], Any],
    total: int,
) -> dict[str, Any]:
    """One OrderedCollectionPage of a keyset-paged collection, linked both ways."""
    oldest, newest = page.oldest_id, page.newest_id
    return ordered_collection_page(
        _page_id(collection_id, cursor),
        collection_id,
        [item(value) for _, value in page.items],
        next_page=_page_url(collection_id, max_id=oldest)
        if page.has_older and oldest is not None
        else None,
        prev_page=_page_url(collection_id, min_id=newest)
        if page.has_newer and newest is not None
        else None,
        total_items=total,
    )


def small_collection(
    request: web.Request, collection_id: str, items: Sequence[Any]
) -> web.Response:
    """A collection small enough for one page; its items also sit on the collection itself,
    where Lemmy and Mastodon read a group's moderators and featured posts."""
    if _wants_page(request):
        doc = ordered_collection_page(
            _page_url(collection_id), collection_id, items, total_items=len(items)
        )
    else:
        doc = ordered_collection(
            collection_id, len(items), first=_page_url(collection_id), items=items
        )
    return activity_response(request, doc)


def _without_context(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "@context"}


async def _outbox(request: web.Request, collection_id: str, local_actor_id: int) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        total = await outbox.outbox_count(session, local_actor_id)
        if not _wants_page(request):
            doc = ordered_collection(collection_id, total, first=_page_url(collection_id))
            return activity_response(request, doc)
        cursor = _cursor(request)
        page = await outbox.outbox_page(session, local_actor_id, cursor)
    return activity_response(
        request, keyset_document(collection_id, cursor, page, _without_context, total)
    )


@routes.get("/actor/outbox")
async def instance_outbox(request: web.Request) -> web.Response:
    node = request.app[NODE]
    info = await get_instance(node)
    return await _outbox(request, node.urls.instance_outbox(), info.actor_id)


@routes.get("/g/{name}/outbox")
async def group_outbox(request: web.Request) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        group = await groups.get_group(session, request.match_info["name"])
    return await _outbox(request, node.urls.outbox(node.urls.group(group.name)), group.actor_id)


@routes.get("/g/{name}/followers")
async def group_followers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        group = await groups.get_group(session, request.match_info["name"])
        collection_id = node.urls.followers(node.urls.group(group.name))
        total = await groups.follower_count(session, group.id)
        listed = node.config.privacy.expose_followers and not group.members_only
        if not _wants_page(request):
            first = _page_url(collection_id) if listed else None
            return activity_response(request, ordered_collection(collection_id, total, first=first))
        if not listed:
            raise Refused(FOLLOWERS_HIDDEN)
        cursor = _cursor(request)
        page = await groups.followers_page(session, group.id, cursor)
    return activity_response(request, keyset_document(collection_id, cursor, page, str, total))


@routes.get("/g/{name}/moderators")
async def group_moderators(request: web.Request) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        group = await groups.get_group(session, request.match_info["name"])
        moderators = await groups.moderator_uris(session, group.id)
    return small_collection(request, node.urls.moderators(node.urls.group(group.name)), moderators)


@routes.get("/g/{name}/featured")
async def group_featured(request: web.Request) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        group = await groups.get_group(session, request.match_info["name"])
        # A members-only group's posts are never shown to an unauthenticated fetch.
        shown: tuple[Visibility, ...] = () if group.members_only else (Visibility.PUBLIC,)
        pinned = await posts.featured_posts(session, group.id, shown)
    items = [post_document(presenters.post_object(node.urls, group, p)) for p in pinned]
    return small_collection(request, node.urls.featured(node.urls.group(group.name)), items)


@routes.get("/u/{name}/outbox")
async def person_outbox(request: web.Request) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        account = await accounts.get_account(session, request.match_info["name"])
    return await _outbox(
        request, node.urls.outbox(node.urls.person(account.username)), account.actor_id
    )


@routes.get("/u/{name}/followers")
async def person_followers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        account = await accounts.get_account(session, request.match_info["name"])
    if _wants_page(request):
        raise Refused(FOLLOWERS_HIDDEN)
    # People are followed through groups here; no one follows a member directly yet.
    collection_id = node.urls.followers(node.urls.person(account.username))
    return activity_response(request, ordered_collection(collection_id, 0))


@routes.get("/u/{name}/following")
async def person_following(request: web.Request) -> web.Response:
    node = request.app[NODE]
    async with node.store.session() as session:
        account = await accounts.get_account(session, request.match_info["name"])
        total = await accounts.groups_joined(session, account.id)
    if _wants_page(request):
        raise Refused(FOLLOWERS_HIDDEN)
    collection_id = node.urls.following(node.urls.person(account.username))
    return activity_response(request, ordered_collection(collection_id, total))
