"""Mastodon's domain policy API, so the tools admins already run work against Cove:
`/api/v1/admin/domain_blocks` and `/domain_allows` (the same fields, ids, digest and paging),
the public `/api/v1/instance/domain_blocks`, and the `instance_follows` measure FediBlockHole
asks for before it suspends a server people here follow."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from federation.errors import Conflict, Invalid, NotFound
from moderation.blocklists import BlockEntry
from moderation.domains import (
    Severity,
    covering,
    labels_of,
    normalise_domain,
    obfuscated,
    parse_severity,
)
from node.domain_policy import blocks, cuts
from node.domain_policy.blocks import BlockInfo
from node.http.api import auth, entities, params
from node.http.api.auth import Caller
from node.http.api.paging import linked_page
from node.http.api.params import Fields
from node.http.api.paths import MASTODON, routes_on
from node.http.responses import json_response
from node.http.state import NODE
from node.moderators.roles import require_federation_admin

routes = web.RouteTableDef()
_route = routes_on(routes)


# Blocks -----------------------------------------------------------------------------------------


@_route("GET", MASTODON + "/admin/domain_blocks")
async def list_blocks(request: web.Request) -> web.Response:
    await _admin(request, "admin:read:domain_blocks")
    found = await blocks.list_blocks(request.app[NODE])
    items = [(b.id, entities.domain_block(b)) for b in found if not b.by_digest]
    return linked_page(request, items, MASTODON + "/admin/domain_blocks")


@_route("GET", MASTODON + "/admin/domain_blocks/{id}")
async def show_block(request: web.Request) -> web.Response:
    await _admin(request, "admin:read:domain_blocks")
    block = await blocks.get_block(request.app[NODE], params.path_id(request, "domain block"))
    return json_response(entities.domain_block(block))


@_route("POST", MASTODON + "/admin/domain_blocks")
async def create_block(request: web.Request) -> web.Response:
    caller = await _admin(request, "admin:write:domain_blocks")
    node = request.app[NODE]
    fields = await params.body(request)
    try:
        domain = normalise_domain(fields.required("domain"))
    except Invalid as error:  # Mastodon's validation failure: 422 (tools go on past it)
        return json_response({"error": f"Validation failed: {error.reason}"}, status=422)
    # Mastodon answers 422 when a block covers the domain already (FediBlockHole reads it
    # as "a stricter block exists" and leaves it be).
    for candidate in covering(domain):
        existing = await blocks.find_block(node, candidate)
        if existing is not None:
            return json_response(
                {
                    "error": f"{existing.domain} is blocked already: change that block instead",
                    "existing_domain_block": entities.domain_block(existing),
                },
                status=422,
            )
    entry = _entry(fields, domain, default=Severity.SILENCE)
    done = await blocks.set_block(node, caller.acting, entry, params.expiry(fields, node.clock()))
    return json_response(entities.domain_block(done.block))


@_route("PUT", MASTODON + "/admin/domain_blocks/{id}")
async def update_block(request: web.Request) -> web.Response:
    caller = await _admin(request, "admin:write:domain_blocks")
    node = request.app[NODE]
    current = await blocks.get_block(node, params.path_id(request, "domain block"))
    fields = await params.body(request)
    entry = _entry(fields, current.domain, default=current.severity, current=current)
    expires = (
        params.expiry(fields, node.clock()) if params.gives_expiry(fields) else current.expires_at
    )
    done = await blocks.set_block(node, caller.acting, entry, expires)
    return json_response(entities.domain_block(done.block))


@_route("DELETE", MASTODON + "/admin/domain_blocks/{id}")
async def delete_block(request: web.Request) -> web.Response:
    caller = await _admin(request, "admin:write:domain_blocks")
    node = request.app[NODE]
    await blocks.remove_block_by_id(node, caller.acting, params.path_id(request, "domain block"))
    return json_response({})


def _entry(
    fields: Fields, domain: str, *, default: Severity, current: BlockInfo | None = None
) -> BlockEntry:
    severity = fields.optional("severity")

    def flag(name: str) -> bool:
        return fields.flag(name, getattr(current, name) if current else False)

    def text(name: str) -> str:
        value = fields.values.get(name)
        if value is None:
            return str(getattr(current, name)) if current else ""
        return fields.text(name).strip()

    labels = fields.texts("labels") if "labels" in fields.values else None
    return BlockEntry(
        domain=domain,
        severity=parse_severity(severity) if severity else default,
        reject_media=flag("reject_media"),
        reject_reports=flag("reject_reports"),
        obfuscate=flag("obfuscate"),
        public_comment=text("public_comment"),
        private_comment=text("private_comment"),
        labels=labels_of(labels) if labels is not None else (current.labels if current else ()),
    )


# Allows ----------------------------------------------------------------------------------------


@_route("GET", MASTODON + "/admin/domain_allows")
async def list_allows(request: web.Request) -> web.Response:
    await _admin(request, "admin:read:domain_allows")
    found = await blocks.list_allows(request.app[NODE])
    return linked_page(
        request,
        [(a.id, entities.domain_allow(a)) for a in found],
        MASTODON + "/admin/domain_allows",
    )


@_route("GET", MASTODON + "/admin/domain_allows/{id}")
async def show_allow(request: web.Request) -> web.Response:
    await _admin(request, "admin:read:domain_allows")
    allow = await blocks.allow_by_id(request.app[NODE], params.path_id(request, "domain allow"))
    return json_response(entities.domain_allow(allow))


@_route("POST", MASTODON + "/admin/domain_allows")
async def create_allow(request: web.Request) -> web.Response:
    caller = await _admin(request, "admin:write:domain_allows")
    node = request.app[NODE]
    domain = normalise_domain((await params.body(request)).required("domain"))
    try:
        allow = await blocks.allow(node, caller.acting, domain)
    except Conflict:  # Mastodon answers with the allow that exists
        found = [a for a in await blocks.list_allows(node) if a.domain == domain]
        allow = found[0]
    return json_response(entities.domain_allow(allow))


@_route("DELETE", MASTODON + "/admin/domain_allows/{id}")
async def delete_allow(request: web.Request) -> web.Response:
    caller = await _admin(request, "admin:write:domain_allows")
    node = request.app[NODE]
    allow = await blocks.allow_by_id(node, params.path_id(request, "domain allow"))
    await blocks.disallow(node, caller.acting, allow.domain)
    return json_response({})


# The public list -------------------------------------------------------------------------------


@_route("GET", MASTODON + "/instance/domain_blocks")
async def public_blocks(request: web.Request) -> web.Response:
    """The blocks as Mastodon publishes them: silenced and suspended domains (obfuscated ones
    starred, with the digest), each with its public comment."""
    node = request.app[NODE]
    if not node.config.federation.expose_blocklist:
        raise NotFound("this node does not publish its domain blocks")
    found = await blocks.list_blocks(node)
    shown = [
        {
            "domain": obfuscated(b.domain) if b.obfuscate else b.domain,
            "digest": b.digest,
            "severity": b.severity.value,
            "comment": b.public_comment or None,
        }
        for b in found
        if not b.by_digest and b.severity != Severity.NOOP
    ]
    return json_response(shown)


# Measures ---------------------------------------------------------------------------------------


@_route("POST", MASTODON + "/admin/measures")
async def measures(request: web.Request) -> web.Response:
    """Mastodon's measures, the ones about another server: how many follows (and followers)
    tie people here to it. Other keys answer 0."""
    await _admin(request, "admin:read")
    fields = await params.body(request)
    keys = fields.texts("keys")
    if not keys:
        raise Invalid("give keys[]")
    answers: list[dict[str, Any]] = []
    for key in keys:
        total = 0
        domain = _measure_domain(fields, key)
        if key in ("instance_follows", "instance_followers") and domain is not None:
            impact = await cuts.impact(request.app[NODE], [domain])
            total = sum(impact.followers.values()) + impact.memberships
        answers.append(
            {"key": key, "unit": None, "total": str(total), "previous_total": None, "data": []}
        )
    return json_response(answers)


def _measure_domain(fields: Fields, key: str) -> str | None:
    """The domain a measure is about; None when it names none that can exist (an obfuscated
    one, say), which Mastodon counts as 0 too."""
    given = fields.values.get(key)
    if not isinstance(given, dict) or not isinstance(given.get("domain"), str):
        return None
    try:
        return normalise_domain(given["domain"])
    except Invalid:
        return None


async def _admin(request: web.Request, scope: str) -> Caller:
    """The caller, when their token carries `scope` and they are an admin of this node: the
    domain policy, its private comments and the measures are the admins' alone (Mastodon's
    "Manage Federation"), for reading as for writing; a scope alone is not a role."""
    caller = await auth.caller(request, scope)
    require_federation_admin(caller.acting)
    return caller
