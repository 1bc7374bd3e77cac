"""Inboxes: signed activities are verified, checked against their signer, stored once, and
answered 202; everything else gets a 4xx with its reason and leaves nothing behind."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from federation import jsontext
from federation.addresses import origin, same_host
from federation.errors import FetchError, Invalid, Refused, Unauthorized, UnsupportedType
from federation.httpsig.inbound import Claim, authority_of, claim_of
from federation.httpsig.message import Headers, HttpMessage
from federation.normalise import check_nesting, needs_normalising
from federation.readers import read_as_given, read_document
from federation.wire import Activity, Document, WireBlock
from moderation.domains import OPEN, Decision
from node.actors.instance import get_instance
from node.actors.signers import instance_signer
from node.groups import groups
from node.http.signatures import SignedBy, signed_by
from node.http.state import (
    BACKLOG,
    CLIENT,
    GROUPS,
    INBOX_LIMITS,
    INBOX_WRITER,
    NODE,
    SUSPENSIONS,
)
from node.inbound import dispatch
from node.members import accounts
from node.moderators import bans
from node.queue.inbox import Inbound
from node.runtime import Node
from node.store.tables import URI_LENGTH

log = logging.getLogger(__name__)

routes = web.RouteTableDef()
AUTHORED_TYPES = frozenset({"Create", "Update"})
# Only whoever followed or voted may take it back (a ban, though, may be lifted by another
# of the group's moderators than the one who made it).
OWN_UNDO_TYPES = frozenset({"Follow", "Join", "Like", "Dislike"})
# Real documents never need pyld (none of the 102 peer samples in the shared fixtures does);
# one that does is read only this far, so no single request can hold a worker thread long.
MAX_NORMALISED_BYTES = 64 * 1024


class TooLarge(Invalid):
    status = 413


@dataclass(frozen=True, slots=True)
class FirstLook:
    """An activity as it reads by its term names, before anyone knows who sent it."""

    activity: Activity
    nested_contexts: bool  # an object in it has a @context of its own


def read_envelope(document: object) -> FirstLook:
    """The activity as it reads by its term names (no JSON-LD processing: that waits for
    its signature), with the checks an inbox makes on its origin."""
    if not isinstance(document, dict):
        raise Invalid("the body must be a JSON object (an activity)")
    nested = check_nesting(document)
    return FirstLook(_checked(read_as_given(document)), nested)


def _checked(read: Document) -> Activity:
    if not isinstance(read, Activity):
        raise Invalid(f"an inbox takes activities, not a {read.type}")
    if max(len(read.id), len(read.actor), len(read.object_id)) > URI_LENGTH:
        raise Invalid(f"ids are at most {URI_LENGTH} characters long here")
    if origin(read.id) != origin(read.actor):
        raise Invalid("the activity's id is not on its actor's server")
    # Someone may only create or edit objects on their own server (bridgy-fed #16).
    embedded = not isinstance(read.object, str)
    if read.type in AUTHORED_TYPES and embedded and not same_host(read.object_id, read.actor):
        raise Invalid("the object is not on the server of the actor creating it")
    undone = read.object
    if (
        read.type == "Undo"
        and isinstance(undone, Activity)
        and undone.type in OWN_UNDO_TYPES
        and undone.actor != read.actor
    ):
        raise Invalid(f"only its own actor may undo a {undone.type}")
    return read


async def understood(document: dict[str, Any], look: FirstLook, size: int) -> Activity:
    """The activity as it means, once its sender is known: a document whose @context gives
    standard terms other meanings is normalised with pyld (milliseconds of CPU a document:
    off the event loop, and only up to MAX_NORMALISED_BYTES), and must still say what it
    seemed to say."""
    first_look = look.activity
    if not needs_normalising(document, look.nested_contexts):
        return first_look
    if size > MAX_NORMALISED_BYTES:
        raise TooLarge(
            f"a document whose JSON-LD context redefines standard terms is read up to"
            f" {MAX_NORMALISED_BYTES // 1024} KiB"
        )
    loop = asyncio.get_running_loop()
    read = _checked(await loop.run_in_executor(None, read_document, document))
    if (read.id, read.type, read.actor) != (first_look.id, first_look.type, first_look.actor):
        raise Invalid("the activity means something else once its JSON-LD context is applied")
    return read


def _blocks_an_actor(activity: Activity) -> bool:
    """A Block with no target (a person's or a follower's, not a group's ban), or its Undo."""
    inner = activity.object if activity.type == "Undo" else activity
    return isinstance(inner, WireBlock)


def _parse(body: bytes) -> Any:
    try:
        document = jsontext.loads(body)
    except jsontext.UnstorableText as error:
        raise Invalid(str(error)) from None
    except (ValueError, RecursionError):
        raise Invalid("the body is not JSON") from None
    # How deeply it nests is checked as it is read (federation.normalise, for every @context).
    return document


def _claim(request: web.Request) -> Claim | None:
    """Who the request's signature says signed it (either spec), read from its headers only;
    the signature check then uses this same reading, so both see the same signer."""
    try:
        return claim_of(
            HttpMessage(request.method, request.path, Headers(request.headers.items()), b"")
        )
    except Unauthorized:
        return None  # refused with the reason by the signature check


async def _refuse_domain(node: Node, url: str | None) -> Decision:
    if url is None:
        return OPEN
    decision = await node.policy.decide_url(url, node.clock())
    if decision.suspended:
        host = urlsplit(url).hostname
        raise Refused(f"{host} is not federated with by this node ({decision.why})")
    return decision


async def _refuse_suspended(request: web.Request, actor: str) -> None:
    node = request.app[NODE]
    table = await request.app[SUSPENSIONS].get("node", lambda: bans.suspensions(node))
    if bans.suspended(table, actor, node.clock()):
        raise Refused("the actor is suspended from this node")


async def _from_origin(request: web.Request, envelope: Activity) -> dict[str, Any]:
    """An activity signed by someone other than its actor (a forward) counts only as the
    actor's own server serves it: fetch it by id from there."""
    node = request.app[NODE]
    try:
        fetched = await request.app[CLIENT].get_json(envelope.id, await instance_signer(node))
    except FetchError as e:
        raise Unauthorized(
            f"signed by another actor, and its origin copy failed: {e.reason}"
        ) from None
    again = read_envelope(fetched.document).activity
    if again.actor != envelope.actor or again.type != envelope.type:
        raise Unauthorized("signed by another actor, and its origin copy differs")
    return fetched.document


async def receive(request: web.Request, local_actor_id: int | None) -> web.Response:
    node: Node = request.app[NODE]
    # The domain policy first, before the body is even read: the signer's server, then the
    # actor's. A suspended one costs no parsing, no key fetch and no storage.
    claim = _claim(request)
    await _refuse_domain(node, claim.key_id if claim else None)
    body = await request.read()
    document: dict[str, Any] = _parse(body)
    try:
        look = read_envelope(document)
    except UnsupportedType as unknown:
        return await _acknowledge_unknown(request, body, claim, unknown)
    actor = look.activity.actor
    decision = await _refuse_domain(node, actor)
    # Before the signature: a suspended actor costs no key fetch (whoever claims to be one
    # is refused the same).
    await _refuse_suspended(request, actor)
    signer: SignedBy = await signed_by(request, body, claim)
    # Counted once the signature holds: a forger cannot spend someone else's allowance.
    request.app[INBOX_LIMITS].admit(signer.actor, authority_of(signer.actor))
    await request.app[BACKLOG].admit(authority_of(actor))
    if _blocks_an_actor(look.activity) and authority_of(signer.actor) != authority_of(actor):
        # A block is its actor's own: Mastodon does not serve one by id, so no copy from its
        # origin could vouch for a Block another server sent.
        raise Refused("a Block of an actor is taken only from its actor's own server")
    if signer.actor != actor:
        document = await _from_origin(request, look.activity)
        look = read_envelope(document)
    envelope = await understood(document, look, len(body))
    if envelope.type == "Flag" and decision.reject_reports:
        # Mastodon's reject_reports: acknowledged (no retries) and dropped unread.
        log.info("event=flag_dropped actor=%s reason=reject_reports", envelope.actor)
        return web.Response(status=202)
    # The few routes that refuse at once (a Flag naming nothing here, a ban from someone who
    # does not moderate that group) say so now rather than after a 202.
    await dispatch.verify(node, request.app[CLIENT], envelope)
    stored = await request.app[INBOX_WRITER].store(
        Inbound(
            document, envelope.id, envelope.type, envelope.actor, envelope.object_id, local_actor_id
        )
    )
    log.debug(  # the access log has the request; this line names the activity
        "event=inbox_%s id=%s type=%s actor=%s spec=%s",
        "accepted" if stored else "duplicate",
        envelope.id,
        envelope.type,
        envelope.actor,
        signer.spec.value,
    )
    return web.Response(status=202)


async def _acknowledge_unknown(
    request: web.Request, body: bytes, claim: Claim | None, unknown: UnsupportedType
) -> web.Response:
    """An activity of a type Cove does not read: once its signature holds, acknowledged and
    dropped with a line saying so, as Mastodon does (a refusal would have its sender retry
    it for days); nothing is stored."""
    signer: SignedBy = await signed_by(request, body, claim)
    request.app[INBOX_LIMITS].admit(signer.actor, authority_of(signer.actor))
    log.info("event=inbox_unknown_type signer=%s reason=%s", signer.actor, unknown.reason)
    return web.Response(status=202)


@routes.post("/inbox")
async def shared_inbox(request: web.Request) -> web.Response:
    return await receive(request, None)


@routes.post("/actor/inbox")
async def instance_inbox(request: web.Request) -> web.Response:
    info = await get_instance(request.app[NODE])
    return await receive(request, info.actor_id)


@routes.post("/g/{name}/inbox")
async def group_inbox(request: web.Request) -> web.Response:
    node: Node = request.app[NODE]
    name = request.match_info["name"]

    group = await request.app[GROUPS].get(name, lambda: groups.group_named(node, name))
    return await receive(request, group.actor_id)


@routes.post("/u/{name}/inbox")
async def person_inbox(request: web.Request) -> web.Response:
    node: Node = request.app[NODE]
    account = await accounts.get_account_by_name(node, request.match_info["name"])
    return await receive(request, account.actor_id)
