"""Posts written by members of this node, at their ids: what a peer fetches when a group
boosts one by id (Mastodon) or when it checks a post at its origin."""

from __future__ import annotations

from aiohttp import web
from sqlmodel import select

from federation import builders
from federation.errors import NotFound
from federation.vocabulary import AS_CONTEXT, iso8601
from node.http.fetch_auth import VARY_SIGNED, authorize_fetch
from node.http.responses import activity_response
from node.http.state import NODE
from node.store.states import Visibility
from node.store.tables import Post

routes = web.RouteTableDef()


@routes.get("/posts/{token}")
async def post(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    uri = f"{node.urls.base}/posts/{request.match_info['token']}"
    async with node.store.session() as session:
        found = (await session.exec(select(Post).where(Post.uri == uri))).first()
    if found is None or found.visibility == Visibility.DIRECT or found.group_uri is None:
        raise NotFound("no such post")
    await authorize_fetch(request, members_only=found.visibility != Visibility.PUBLIC)
    if found.visibility != Visibility.PUBLIC:
        raise NotFound("no such post")  # members-only posts: served with membership checks later
    if found.deleted_at is not None:
        tombstone = {
            "@context": AS_CONTEXT,
            "id": uri,
            "type": "Tombstone",
            "deleted": iso8601(found.deleted_at),
        }
        response = activity_response(request, tombstone, vary=VARY_SIGNED)
        response.set_status(410)
        return response
    document = builders.note(
        uri,
        found.author_uri,
        found.group_uri,
        found.content_html,
        iso8601(found.published),
        name=found.title,
        in_reply_to=found.in_reply_to_uri,
        updated=iso8601(found.updated_at) if found.updated_at else None,
        followers=node.urls.followers(found.author_uri),
    )
    return activity_response(request, {"@context": AS_CONTEXT, **document}, vary=VARY_SIGNED)
