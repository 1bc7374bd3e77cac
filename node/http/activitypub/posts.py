"""Posts written by members of this node, at their ids: what a peer fetches when a group
boosts one by id (Mastodon) or when it checks a post at its origin."""

from __future__ import annotations

from aiohttp import web

from federation import builders
from federation.credentials import marked_note, note_context
from federation.errors import NotFound
from federation.vocabulary import AS_CONTEXT, cove_context, iso8601
from node.groups import posts
from node.http.activitypub.fetch_auth import VARY_SIGNED, authorize_fetch
from node.http.responses import activity_response
from node.http.state import NODE
from node.store.states import Visibility

routes = web.RouteTableDef()


@routes.get("/posts/{token}")
async def post(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    uri = f"{node.urls.base}/posts/{request.match_info['token']}"
    found = await posts.served_post(node, uri)
    signer = await authorize_fetch(request, members_only=not posts.open_to_anyone(found))
    viewer = posts.Viewer.signed_by(signer.actor if signer is not None else None)
    if not await posts.visible_to(node, viewer).sees(found):
        raise NotFound("no such post")  # not even that it exists
    gone = found.gone_at  # a removed post is kept for moderators only
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
    assert found.group_uri is not None  # served_post serves posts in groups only
    # The world sees the group as the author of an anonymous post.
    author = found.group_uri if found.anonymous else found.author_uri
    members_only = found.visibility == Visibility.MEMBERS_ONLY
    document = builders.note(
        uri,
        author,
        found.group_uri,
        found.content_html,
        iso8601(found.published),
        name=found.title,
        in_reply_to=found.in_reply_to_uri,
        updated=iso8601(found.updated_at) if found.updated_at else None,
        public=not members_only,
        followers=node.urls.followers(found.group_uri if members_only else author),
        content_warning=found.content_warning,
    )
    if found.professional_note:  # served as it was sent: marked, with the term's context
        context = note_context(cove_context(node.urls.vocabulary()))
        return activity_response(
            request, {"@context": context, **marked_note(document)}, vary=VARY_SIGNED
        )
    return activity_response(request, {"@context": AS_CONTEXT, **document}, vary=VARY_SIGNED)
