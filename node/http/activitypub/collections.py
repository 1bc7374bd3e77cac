"""Collections of local actors (outbox, followers, following, moderators, featured) as
OrderedCollection with OrderedCollectionPage pages: `?page=true`, then `max_id`/`min_id`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web

from federation.collections import ordered_collection, ordered_collection_page
from federation.errors import Refused
from federation.media import Representation, wants
from federation.objects import post_document
from node.actors.instance import get_instance
from node.groups import groups, posts
from node.http import presenters
from node.http.activitypub.fetch_auth import VARY_SIGNED, authorize_fetch
from node.http.pages.modlog import modlog_page
from node.http.responses import activity_response
from node.http.state import NODE
from node.members import accounts
from node.moderators import modlog
from node.queue import outbox
from node.store.paging import Cursor, Page
from node.store.states import Visibility
from node.store.tables import ModLogEntry

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
    return activity_response(request, doc, vary=VARY_SIGNED)


def _without_context(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "@context"}


async def _outbox(
    request: web.Request,
    collection_id: str,
    local_actor_id: int,
    shown: tuple[Visibility, ...] = outbox.LISTED,
) -> web.Response:
    node = request.app[NODE]
    cursor = _cursor(request) if _wants_page(request) else None
    total, page = await outbox.outbox(node, local_actor_id, cursor, shown)
    if cursor is None or page is None:
        doc = ordered_collection(collection_id, total, first=_page_url(collection_id))
        return activity_response(request, doc, vary=VARY_SIGNED)
    return activity_response(
        request,
        keyset_document(collection_id, cursor, page, _without_context, total),
        vary=VARY_SIGNED,
    )


@routes.get("/actor/outbox")
async def instance_outbox(request: web.Request) -> web.Response:
    node = request.app[NODE]
    await authorize_fetch(request)
    info = await get_instance(node)
    return await _outbox(request, node.urls.instance_outbox(), info.actor_id)


async def _group(request: web.Request) -> groups.GroupInfo:
    """The group a collection URL names, once the fetch is authorized to see its content."""
    group, _ = await _group_and_view(request)
    return group


async def _group_and_view(request: web.Request) -> tuple[groups.GroupInfo, posts.Visible]:
    """The group, and what the asker may see of it: a members-only group shows its content
    only to signed fetches from servers that have an accepted member."""
    node = request.app[NODE]
    group = await groups.group_named(node, request.match_info["name"])
    signer = await authorize_fetch(request, members_only=group.members_only)
    viewer = posts.Viewer.signed_by(signer.actor if signer is not None else None)
    visible = posts.visible_to(node, viewer)
    if not await visible.listed_in(group):
        raise Refused(f"no one on {viewer.signer_host} is a member of {group.name}")
    return group, visible


async def _account(request: web.Request) -> accounts.AccountInfo:
    account = await accounts.get_account_by_name(request.app[NODE], request.match_info["name"])
    accounts.in_use(account)
    await authorize_fetch(request)
    return account


@routes.get("/g/{name}/outbox")
async def group_outbox(request: web.Request) -> web.Response:
    node = request.app[NODE]
    group, visible = await _group_and_view(request)
    collection_id = node.urls.outbox(node.urls.group(group.name))
    return await _outbox(request, collection_id, group.actor_id, await visible.listed_in(group))


@routes.get("/g/{name}/followers")
async def group_followers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    group = await _group(request)
    collection_id = node.urls.followers(node.urls.group(group.name))
    listed = node.config.privacy.expose_followers and not group.members_only
    if not _wants_page(request):
        total, _ = await groups.followers(node, group.id, None)
        first = _page_url(collection_id) if listed else None
        doc = ordered_collection(collection_id, total, first=first)
        return activity_response(request, doc, vary=VARY_SIGNED)
    if not listed:
        raise Refused(FOLLOWERS_HIDDEN)
    cursor = _cursor(request)
    total, page = await groups.followers(node, group.id, cursor)
    assert page is not None  # a cursor was given
    doc = keyset_document(collection_id, cursor, page, str, total)
    return activity_response(request, doc, vary=VARY_SIGNED)


@routes.get("/g/{name}/moderators")
async def group_moderators(request: web.Request) -> web.Response:
    node = request.app[NODE]
    group = await _group(request)
    moderators = await groups.moderators_of(node, group.id)
    return small_collection(request, node.urls.moderators(node.urls.group(group.name)), moderators)


@routes.get("/g/{name}/featured")
async def group_featured(request: web.Request) -> web.Response:
    node = request.app[NODE]
    group, visible = await _group_and_view(request)
    pinned = await visible.featured(group)
    items = [post_document(presenters.post_object(node.urls, group, p)) for p in pinned]
    return small_collection(request, node.urls.featured(node.urls.group(group.name)), items)


@routes.get("/u/{name}/outbox")
async def person_outbox(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await _account(request)
    collection_id = node.urls.outbox(node.urls.person(account.username))
    return await _outbox(request, collection_id, account.actor_id)


@routes.get("/u/{name}/followers")
async def person_followers(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await _account(request)
    if _wants_page(request):
        raise Refused(FOLLOWERS_HIDDEN)
    # People are followed through groups here; no one follows a member directly yet.
    collection_id = node.urls.followers(node.urls.person(account.username))
    return activity_response(request, ordered_collection(collection_id, 0), vary=VARY_SIGNED)


@routes.get("/u/{name}/following")
async def person_following(request: web.Request) -> web.Response:
    node = request.app[NODE]
    account = await _account(request)
    total = await accounts.groups_joined_by(node, account.id)
    if _wants_page(request):
        raise Refused(FOLLOWERS_HIDDEN)
    collection_id = node.urls.following(node.urls.person(account.username))
    return activity_response(request, ordered_collection(collection_id, total), vary=VARY_SIGNED)


@routes.get("/g/{name}/modlog")
async def group_modlog(request: web.Request) -> web.Response:
    """The group's public moderation log, newest first; a members-only group's log is for its
    members' servers only, and a group may hide which moderator did what."""
    node = request.app[NODE]
    if wants(request.headers.get("Accept")) is Representation.HTML:
        return await modlog_page(request)
    group, _ = await _group_and_view(request)
    group_uri = node.urls.group(group.name)
    collection_id = node.urls.modlog(group_uri)
    total = await modlog.log_total(node, group.id)
    if not _wants_page(request):
        doc = ordered_collection(collection_id, total, first=_page_url(collection_id))
        return activity_response(request, doc, vary=VARY_SIGNED)
    cursor = _cursor(request)
    log = await modlog.public_log(node, group.name, cursor)

    def item(entry: ModLogEntry) -> dict[str, Any]:
        return presenters.modlog_item(entry, group_uri, hide_names=log.hide_names)

    doc = keyset_document(collection_id, cursor, log.page, item, total)
    return activity_response(request, doc, vary=VARY_SIGNED)
