"""Discovery endpoints: WebFinger (RFC 7033, FEP-d556), host-meta, NodeInfo 2.1 (FEP-2677)."""

from __future__ import annotations

from aiohttp import web

from federation.errors import NotFound
from federation.media import JRD_JSON, NODEINFO_21_JSON, XRD_XML
from federation.nodeinfo import NodeDescription, Usage, discovery_document, nodeinfo_21
from federation.webfinger import (
    Acct,
    ResourceUrl,
    actor_links,
    host_meta_xrd,
    jrd,
    parse_resource,
    service_links,
)
from node import __version__ as cove_version
from node.actors.instance import current_figures
from node.actors.local import actor_named
from node.http.responses import json_response, text_response
from node.http.state import DOCUMENTS, NODE
from node.members import accounts
from node.runtime import Node
from node.store.states import ActorKind

routes = web.RouteTableDef()


@routes.get("/.well-known/webfinger")
async def webfinger(request: web.Request) -> web.Response:
    node = request.app[NODE]
    resource = parse_resource(request.query.get("resource"))
    cache_key = f"jrd:{resource!r}"
    document = await request.app[DOCUMENTS].get(cache_key, lambda: _describe(node, resource))
    return json_response(document, JRD_JSON)


async def _describe(node: Node, resource: Acct | ResourceUrl) -> dict[str, object]:
    urls = node.urls
    if isinstance(resource, Acct):
        if resource.host != urls.domain:
            raise NotFound(f"{resource.host} is not this node ({urls.domain})")
        subject = f"acct:{resource.user}@{urls.domain}"
        if resource.user.lower() == urls.domain:
            # FEP-d556's Mastodon example: acct:domain@domain names the instance actor.
            actor = urls.instance_actor()
            return jrd(subject, actor_links(actor, urls.root(), "Application"), [actor])
        return await _local_actor(node, resource.user, subject)
    url = resource.url.rstrip("/")
    if url == urls.base:
        return jrd(resource.url, service_links(urls.instance_actor()))
    if url == urls.instance_actor():
        actor = urls.instance_actor()
        subject = f"acct:{urls.domain}@{urls.domain}"
        return jrd(subject, actor_links(actor, urls.root(), "Application"), [actor])
    for prefix in (f"{urls.base}/g/", f"{urls.base}/u/"):
        name = url.removeprefix(prefix)
        if url.startswith(prefix) and name and "/" not in name:
            return await _local_actor(node, name, f"acct:{name}@{urls.domain}", path=prefix)
    raise NotFound(f"{resource.url} is not an actor of this node")


async def _local_actor(
    node: Node, name: str, subject: str, path: str | None = None
) -> dict[str, object]:
    actor = await actor_named(node, name)
    if actor is None or actor.username is None:
        raise NotFound(f"no group or person named {name!r} on this node")
    if actor.kind == ActorKind.GROUP:
        url, as_type = node.urls.group(actor.username), "Group"
    else:
        accounts.in_use(await accounts.get_account_by_name(node, actor.username))
        url, as_type = node.urls.person(actor.username), "Person"
    if path is not None and not url.startswith(path):
        raise NotFound(f"no {as_type.lower()} at that URL")
    return jrd(f"acct:{actor.username}@{node.urls.domain}", actor_links(url, url, as_type), [url])


@routes.get("/.well-known/host-meta")
async def host_meta(request: web.Request) -> web.Response:
    node = request.app[NODE]
    return text_response(host_meta_xrd(node.urls.webfinger()), XRD_XML)


@routes.get("/.well-known/nodeinfo")
async def nodeinfo_links(request: web.Request) -> web.Response:
    urls = request.app[NODE].urls
    document = discovery_document(urls.nodeinfo(), urls.instance_actor())
    return json_response(document)


@routes.get("/nodeinfo/2.1")
async def nodeinfo(request: web.Request) -> web.Response:
    node = request.app[NODE]
    figures = await current_figures(node)
    description = NodeDescription(
        software_version=cove_version,
        open_registrations=False,  # accounts are created by the node's admins (`cove account`)
        usage=Usage(
            users_total=figures.accounts,
            local_posts=figures.local_posts,
            local_comments=figures.local_comments,
        ),
        metadata={
            "nodeName": node.config.node.name,
            "nodeDescription": node.config.node.description,
            "staffAccounts": [node.urls.person(name) for name in figures.admin_usernames],
            "groups": figures.groups,
        },
    )
    return json_response(nodeinfo_21(description), NODEINFO_21_JSON)
