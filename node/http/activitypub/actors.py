"""Actor URLs: the instance Application actor, groups and people, as ActivityPub documents
or, for a browser, as readable pages; and the node's front page."""

from __future__ import annotations

from aiohttp import web
from sqlmodel.ext.asyncio.session import AsyncSession

from federation.actors import actor_document
from federation.errors import Invalid, NotFound
from federation.media import Representation, asks_for_activity_json, wants
from federation.vocabulary import AS_CONTEXT, cove_context
from node.actors.instance import get_instance
from node.actors.local import published_keys
from node.domain_policy import publishing
from node.groups import groups, posts, rules
from node.http import presenters
from node.http.pages.render import render
from node.http.responses import activity_body_response, activity_response, encode
from node.http.state import ACTOR_DOCUMENTS, NODE
from node.members import accounts
from node.moderators import modlog
from node.runtime import Node
from node.store.states import PostingPolicy
from node.text import plain_to_html

routes = web.RouteTableDef()

POSTING_EXPLAINED = {
    PostingPolicy.ANYONE: "Anyone who follows the group can post into it by mentioning it.",
    PostingPolicy.MEMBERS: "Accepted members can post into it by mentioning it.",
    PostingPolicy.MODERATORS: "Only the group's moderators post here; members reply.",
}


def _context(node: Node) -> dict[str, object]:
    return cove_context(node.urls.vocabulary())


@routes.get("/")
async def front_page(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    if asks_for_activity_json(request.headers.get("Accept")):
        # Lemmy's site actor lives at the root; point ActivityPub clients at ours.
        raise web.HTTPFound(node.urls.instance_actor())
    async with node.store.session() as session:
        all_groups = await groups.list_groups(session)
    listed = [
        {
            "name": g.name,
            "title": g.title,
            "url": node.urls.group(g.name),
            "members_only": g.members_only,
            "approves_members": g.approves_members,
        }
        for g in all_groups
    ]
    return render(
        request,
        "home.html",
        description_html=plain_to_html(node.config.node.description),
        groups=listed,
    )


@routes.get("/actor")
async def instance_actor(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    if wants(request.headers.get("Accept")) is Representation.HTML:
        raise web.HTTPFound("/")

    async def load() -> bytes:
        info = await get_instance(node)
        async with node.store.session() as session:
            keys = await published_keys(session, info.actor_id)
        actor = presenters.instance_actor(node.urls, node.config, info, keys)
        return encode(actor_document(actor, _context(node)))

    return activity_body_response(request, await request.app[ACTOR_DOCUMENTS].get("/actor", load))


@routes.get("/g/{name}")
async def group_actor(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    name = request.match_info["name"]
    if wants(request.headers.get("Accept")) is Representation.HTML:
        async with node.store.session() as session:
            group = await groups.get_group(session, name)
            return await _group_page(request, node, session, group)

    async def load() -> bytes:
        async with node.store.session() as session:
            group = await groups.get_group(session, name)
            keys = await groups.group_public_keys(session, group)
            current = await rules.current_rules(session, group.id)
        actor = presenters.group_actor(node.urls, group, keys, current.rules if current else ())
        return encode(actor_document(actor, _context(node)))

    body = await request.app[ACTOR_DOCUMENTS].get(f"/g/{name}", load)
    return activity_body_response(request, body)


async def _group_page(
    request: web.Request, node: Node, session: AsyncSession, group: groups.GroupInfo
) -> web.Response:
    # A browser carries no server's signature: it sees what anyone may.
    shown = await posts.listed_for(session, group, posts.ANYONE)
    return render(
        request,
        "group.html",
        group=group,
        summary_html=plain_to_html(group.summary),
        posting_explained=POSTING_EXPLAINED[group.posting_policy],
        members_only=group.members_only,
        follower_count=await groups.follower_count(session, group.id),
        pinned=await posts.featured_posts(session, group.id, shown),
        threads=await posts.recent_threads(session, group.id, shown),
        moderators=await groups.moderator_uris(session, group.id),
        rules=await rules.current_rules(session, group.id),
        modlog=await _recent_modlog(session, node, group),
        modlog_url=node.urls.modlog(node.urls.group(group.name)),
    )


MODLOG_ON_PAGE = 10


async def _recent_modlog(
    session: AsyncSession, node: Node, group: groups.GroupInfo
) -> list[dict[str, object]]:
    if group.members_only:
        return []
    hide = await groups.hides_modlog_names(session, group.id)
    group_uri = node.urls.group(group.name)
    entries = await modlog.recent(session, group.id, MODLOG_ON_PAGE)
    return [presenters.modlog_line(e, group_uri, hide_names=hide) for e in entries]


@routes.get("/u/{name}")
async def person_actor(request: web.Request) -> web.StreamResponse:
    node = request.app[NODE]
    name = request.match_info["name"]
    if wants(request.headers.get("Accept")) is Representation.HTML:
        async with node.store.session() as session:
            account = await accounts.get_account(session, name)
        return render(
            request, "person.html", account=account, summary_html=plain_to_html(account.summary)
        )

    async def load() -> bytes:
        async with node.store.session() as session:
            account = await accounts.get_account(session, name)
            keys = await accounts.account_public_keys(session, account)
        actor = presenters.person_actor(node.urls, account, keys)
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
