"""Posts written by members of this node, at their ids: what a peer fetches when a group
boosts one by id (Mastodon) or when it checks a post at its origin."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web
from sqlmodel import select

from federation import builders
from federation.errors import NotFound
from federation.vocabulary import AS_CONTEXT, iso8601
from node.domain import groups
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
    signer = await authorize_fetch(request, members_only=found.visibility != Visibility.PUBLIC)
    if found.visibility != Visibility.PUBLIC:
        # A members-only post is served to signed fetches from servers with a member only.
        assert signer is not None
        host = urlsplit(signer.actor).netloc.lower()
        async with node.store.session() as session:
            if found.group_id is None or not await groups.has_member_on(
                session, found.group_id, host
            ):
                raise NotFound("no such post")
    gone = found.deleted_at or found.removed_at  # a removed post is kept for moderators only
    if gone is not None:
        tombstone = {
            "@context": AS_CONTEXT,
            "id": uri,
            "type": "Tombstone",
            "deleted": iso8601(gone),
        }
        response = activity_response(request, tombstone, vary=VARY_SIGNED)
        response.set_status(410)
        return response
    # The world sees the group as the author of an anonymous post.
    author = found.group_uri if found.anonymous else found.author_uri
    document = builders.note(
        uri,
        author,
        found.group_uri,
        found.content_html,
        iso8601(found.published),
        name=found.title,
        in_reply_to=found.in_reply_to_uri,
        updated=iso8601(found.updated_at) if found.updated_at else None,
        followers=node.urls.followers(author),
    )
    return activity_response(request, {"@context": AS_CONTEXT, **document}, vary=VARY_SIGNED)
