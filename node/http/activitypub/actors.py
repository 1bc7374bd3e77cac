"""Actor URLs: the instance Application actor, groups and people, as ActivityPub documents
(a browser is handed their pages, and the front page at the root); the published policy."""

from __future__ import annotations

from aiohttp import web

from federation import builders
from federation.actors import actor_document
from federation.errors import Invalid, NotFound
from federation.media import Representation, asks_for_activity_json, wants
from federation.vocabulary import AS_CONTEXT, cove_context, iso8601
from node.actors.instance import get_instance
from node.actors.local import keys_of
from node.crisis import professionals
from node.domain_policy import publishing
from node.groups.actor import group_document as group_actor_document
from node.http import presenters
from node.http.pages import front, group, person
from node.http.responses import activity_body_response, activity_response, encode
from node.http.state import ACTOR_DOCUMENTS, NODE
from node.members import accounts
from node.runtime import Node

routes = web.RouteTableDef()


def _context(node: Node) -> dict[str, object]:
    return cove_context(node.urls.vocabulary())


@routes.get("/")
async def front_page(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    if asks_for_activity_json(request.headers.get("Accept")):
        # Lemmy's site actor lives at the root; point ActivityPub clients at ours.
        raise web.HTTPFound(node.urls.instance_actor())
    return await front.front_page(request)


@routes.get("/actor")
async def instance_actor(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    if wants(request.headers.get("Accept")) is Representation.HTML:
        raise web.HTTPFound("/")

    async def load() -> bytes:
        info = await get_instance(node)
        keys = await keys_of(node, info.actor_id)
        actor = presenters.instance_actor(node.urls, node.config, info, keys)
        return encode(actor_document(actor, _context(node)))

    return activity_body_response(request, await request.app[ACTOR_DOCUMENTS].get("/actor", load))


@routes.get("/g/{name}")
async def group_actor(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    name = request.match_info["name"]
    if wants(request.headers.get("Accept")) is Representation.HTML:
        return await group.group_page(request, name)

    async def load() -> bytes:
        return encode(await group_actor_document(node, name))

    body = await request.app[ACTOR_DOCUMENTS].get(f"/g/{name}", load)
    return activity_body_response(request, body)


@routes.get("/u/{name}")
async def person_actor(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    name = request.match_info["name"]
    gone = await accounts.deleted_at(node, name)
    if gone is not None:
        # As Mastodon answers for a deleted account: 410 with a Tombstone at the actor's id.
        url = node.urls.person(name.lower())
        response = activity_response(request, builders.tombstone(url, "Person", iso8601(gone)))
        response.set_status(410)
        return response
    if wants(request.headers.get("Accept")) is Representation.HTML:
        return await person.person_page(request, name)

    async def load() -> bytes:
        account, keys = await accounts.account_with_keys(node, name)
        badge = await professionals.badge_of(node, account.id)
        actor = presenters.person_actor(node.urls, account, keys, badge)
        return encode(actor_document(actor, _context(node)))

    body = await request.app[ACTOR_DOCUMENTS].get(f"/u/{name}", load)
    return activity_body_response(request, body)


@routes.get("/actor/policy")
async def domain_policy(request: web.Request) -> web.StreamResponse:
    """The node's public domain policy (Cove's vocabulary), paged: ?page=1, 2..."""
    node = request.app[NODE]
    _require_published(node)
    raw = request.query.get("page")
    page = None
    if raw is not None:
        if not (raw.isascii() and raw.isdigit() and 1 <= len(raw) <= 6 and int(raw) >= 1):
            raise Invalid("page must be a whole number from 1")
        page = int(raw)
    document = await publishing.published_page(node, page)
    return activity_response(request, {"@context": _contexts(node), **document})


@routes.get("/actor/policy/{digest}")
async def domain_policy_entry(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    _require_published(node)
    found = await publishing.published_entry(node, request.match_info["digest"])
    if found is None:
        raise NotFound("no such policy entry")
    return activity_response(request, {"@context": _contexts(node), **found})


def _require_published(node: Node) -> None:
    if not node.config.federation.expose_blocklist:
        raise NotFound("this node does not publish its domain policy")


def _contexts(node: Node) -> list[object]:
    return [AS_CONTEXT, cove_context(node.urls.vocabulary())]
