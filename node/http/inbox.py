"""Inboxes: signed activities are verified, checked against their signer, stored once, and
answered 202; everything else gets a 4xx with its reason and leaves nothing behind."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from federation import jsontext
from federation.client import FetchError, origin, same_host
from federation.errors import Invalid, Refused, Unauthorized
from federation.wire import Activity, read_document
from moderation.domains import OPEN, Decision
from node.domain import accounts, bans, groups, remote_moderation, reports
from node.domain.inbox import Inbound
from node.domain.instance import get_instance
from node.domain.keys import instance_signer
from node.http.signatures import SignedBy, signed_by
from node.http.state import CLIENT, GROUPS, INBOX_WRITER, NODE, SUSPENSIONS
from node.runtime import Node

log = logging.getLogger(__name__)

routes = web.RouteTableDef()
AUTHORED_TYPES = frozenset({"Create", "Update"})


def read_envelope(document: object) -> Activity:
    """The activity, read into its typed form, with the checks an inbox makes on its origin."""
    if not isinstance(document, dict):
        raise Invalid("the body must be a JSON object (an activity)")
    read = read_document(document)
    if not isinstance(read, Activity):
        raise Invalid(f"an inbox takes activities, not a {read.type}")
    if origin(read.id) != origin(read.actor):
        raise Invalid("the activity's id is not on its actor's server")
    # Someone may only create or edit objects on their own server (bridgy-fed #16).
    embedded = not isinstance(read.object, str)
    if read.type in AUTHORED_TYPES and embedded and not same_host(read.object_id, read.actor):
        raise Invalid("the object is not on the server of the actor creating it")
    return read


def _parse(body: bytes) -> Any:
    try:
        document = jsontext.loads(body)
    except jsontext.UnstorableText as error:
        raise Invalid(str(error)) from None
    except (ValueError, RecursionError):
        raise Invalid("the body is not JSON") from None
    # How deeply it nests is checked as it is read (federation.normalise, for every @context).
    return document


_KEY_ID = re.compile(r'key[iI]d="([^"]+)"')


def _key_id_hint(request: web.Request) -> str | None:
    """The keyId a request's signature names (either spec), read from its headers only."""
    for header in ("Signature", "Signature-Input"):
        found = _KEY_ID.search(request.headers.get(header, ""))
        if found:
            return found.group(1)
    return None


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
    again = read_envelope(fetched.document)
    if again.actor != envelope.actor or again.type != envelope.type:
        raise Unauthorized("signed by another actor, and its origin copy differs")
    return fetched.document


async def receive(request: web.Request, local_actor_id: int | None) -> web.Response:
    node: Node = request.app[NODE]
    # The domain policy first, before the body is even read: the signer's server, then the
    # actor's. A suspended one costs no parsing, no key fetch and no storage.
    await _refuse_domain(node, _key_id_hint(request))
    body = await request.read()
    envelope_doc = _parse(body)
    envelope = read_envelope(envelope_doc)
    decision = await _refuse_domain(node, envelope.actor)
    # Before the signature: a suspended actor costs no key fetch (whoever claims to be one
    # is refused the same).
    await _refuse_suspended(request, envelope.actor)
    signer: SignedBy = await signed_by(request, body)
    document: dict[str, Any] = envelope_doc
    if signer.actor != envelope.actor:
        document = await _from_origin(request, envelope)
    if envelope.type == "Flag" and decision.reject_reports:
        # Mastodon's reject_reports: acknowledged (no retries) and dropped unread.
        log.info("event=flag_dropped actor=%s reason=reject_reports", envelope.actor)
        return web.Response(status=202)
    if envelope.type == "Flag":
        # Reports are rare and must not vanish quietly: one naming nothing here, or with a bad
        # category or rule number, is answered with the reason instead of a 202.
        await reports.check_flag(request.app[NODE], envelope)
    if envelope.type in ("Block", "Undo"):
        # A remote group's ban of a member here is kept only from that group's moderators;
        # anyone else hears 403 at once (rare, so worth a fetch of the moderators).
        await remote_moderation.check_inbound(request.app[NODE], request.app[CLIENT], envelope)
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

    async def load() -> groups.GroupInfo:
        async with node.store.session() as session:
            return await groups.get_group(session, name)

    group = await request.app[GROUPS].get(name, load)
    return await receive(request, group.actor_id)


@routes.post("/u/{name}/inbox")
async def person_inbox(request: web.Request) -> web.Response:
    node: Node = request.app[NODE]
    async with node.store.session() as session:
        account = await accounts.get_account(session, request.match_info["name"])
    return await receive(request, account.actor_id)
