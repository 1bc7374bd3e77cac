"""Readers of inbound ActivityStreams documents: each document is read once, at the edge, into
the typed values of federation.wire, or refused with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, replace
from typing import Any, get_args

from federation.errors import Invalid, UnsupportedType
from federation.normalise import needs_normalising, normalise, quoted
from federation.properties import (
    first_id,
    is_http_url,
    optional_url,
    read_addresses,
    read_attachment,
    read_attribution,
    read_bool,
    read_entries,
    read_id,
    read_language_map,
    read_link,
    read_moment,
    read_public_key,
    read_tag,
    read_text,
    required_url,
)
from federation.wire import (
    Activity,
    ActivityType,
    ActorType,
    CollectionType,
    Document,
    Embedded,
    ObjectType,
    PolicyType,
    WireActor,
    WireBan,
    WireBlock,
    WireCollection,
    WireObject,
    WirePolicy,
)

# Activities that mean nothing without a target: Lemmy's Add/Remove name the moderators or
# featured collection there (federation-wire.md section 4), Move names the new account.
TARGET_REQUIRED: frozenset[ActivityType] = frozenset({"Add", "Remove", "Move"})

# How many objects may nest inside each other (Lemmy's outbox page holds Announce{Create{Page}},
# three levels below the collection). Anything deeper is refused, not followed.
MAX_DEPTH = 5


def read_document(doc: Mapping[str, Any]) -> Document:
    """Read an inbound document into a typed value, or raise Invalid with a short reason.

    Documents whose @context redefines standard terms are normalised with pyld first.
    """
    if not isinstance(doc, Mapping):
        raise Invalid("a document must be a JSON object")
    readable = normalise(doc) if needs_normalising(doc) else doc
    value = _read(readable, 0)
    if isinstance(value, Activity) and readable is not doc:
        return replace(value, raw=doc)
    return value


def read_as_given(doc: Mapping[str, Any]) -> Document:
    """Read a document by its term names alone, its JSON-LD context not applied: the cheap
    first look an inbox takes before it knows who sent it. Whoever relies on what the terms
    mean reads it again with `read_document`."""
    if not isinstance(doc, Mapping):
        raise Invalid("a document must be a JSON object")
    return _read(doc, 0)


def _types(table: Any) -> dict[str, Any]:
    return {name: name for name in get_args(table)}


_ACTIVITY_TYPES: Mapping[str, ActivityType] = _types(ActivityType)
_OBJECT_TYPES: Mapping[str, ObjectType] = _types(ObjectType)
_ACTOR_TYPES: Mapping[str, ActorType] = _types(ActorType)
_COLLECTION_TYPES: Mapping[str, CollectionType] = _types(CollectionType)
_POLICY_TYPES: Mapping[str, PolicyType] = _types(PolicyType)
SUPPORTED_TYPES = frozenset(
    [*_ACTIVITY_TYPES, *_OBJECT_TYPES, *_ACTOR_TYPES, *_COLLECTION_TYPES, *_POLICY_TYPES]
)


def _read(doc: Mapping[str, Any], depth: int) -> Document:
    if depth > MAX_DEPTH:
        raise Invalid(f"objects nest deeper than {MAX_DEPTH} levels")
    name = _type_name(doc)
    if name in _ACTIVITY_TYPES:
        return _activity(doc, _ACTIVITY_TYPES[name], depth)
    if name in _OBJECT_TYPES:
        return _object(doc, _OBJECT_TYPES[name])
    if name in _ACTOR_TYPES:
        return _actor(doc, _ACTOR_TYPES[name])
    if name in _COLLECTION_TYPES:
        return _collection(doc, _COLLECTION_TYPES[name], depth)
    if name in _POLICY_TYPES:
        return _policy(doc)
    raise UnsupportedType(f"unsupported type {quoted(name)}")


def _policy(doc: Mapping[str, Any]) -> WirePolicy:
    domain, digest = read_text(doc.get("domain")), read_text(doc.get("domainDigest"))
    if domain is None and digest is None:
        raise Invalid("a DomainPolicy names a domain or its domainDigest")
    severity = read_text(doc.get("severity"))
    if severity is None:
        raise Invalid("a DomainPolicy has a severity")
    labels = doc.get("labels", [])
    listed = labels if isinstance(labels, list) else [labels]
    return WirePolicy(
        id=read_id(doc, "DomainPolicy"),
        type="DomainPolicy",
        domain=domain,
        digest=digest,
        severity=severity,
        reject_media=doc.get("rejectMedia") is True,
        reject_reports=doc.get("rejectReports") is True,
        summary=read_text(doc.get("summary")),
        labels=tuple(x for x in listed if isinstance(x, str)),
        end_time=read_moment(doc.get("endTime")),
    )


def _type_name(doc: Mapping[str, Any]) -> str:
    value = doc.get("type")
    if value is None:
        raise Invalid("the document has no type")
    # JSON-LD allows several types; the first one we read decides.
    names = [v for v in (value if isinstance(value, list) else [value]) if isinstance(v, str)]
    if not names:
        raise Invalid("type must be a string")
    return next((n for n in names if n in SUPPORTED_TYPES), names[0])


def _activity(doc: Mapping[str, Any], kind: ActivityType, depth: int) -> Activity:
    activity_id = read_id(doc, kind)
    actor = required_url(doc, "actor", kind)
    given = doc.get("object")
    if kind == "Undo" and isinstance(given, Mapping) and "actor" not in given:
        # The activity undone is the undoer's own when it names no actor (Mastodon reads an
        # Undo{Follow} so; some bot frameworks leave the inner actor out).
        given = {**given, "actor": actor}
    objects = _objects(given, kind, depth)
    target = optional_url(doc.get("target"))
    if target is None and kind in TARGET_REQUIRED:
        raise Invalid(f"{kind} has no target")
    activity = Activity(
        id=activity_id,
        type=kind,
        actor=actor,
        objects=objects,
        target=target,
        to=read_addresses(doc.get("to")),
        cc=read_addresses(doc.get("cc")),
        audience=read_addresses(doc.get("audience")),
        summary=read_text(doc.get("summary")),
        content=read_text(doc.get("content")),
        published=read_moment(doc.get("published")),
        raw=doc,
    )
    return _block(activity, doc) if kind == "Block" else activity


def _block(block: Activity, doc: Mapping[str, Any]) -> WireBan | WireBlock:
    """A Block with a target is a ban from that group (Lemmy's shape); one without is an
    actor blocking another (Mastodon's)."""
    read = {entry.name: getattr(block, entry.name) for entry in fields(Activity)}
    if block.target is None:
        return WireBlock(**read)
    return WireBan(
        **read,
        group=block.target,
        # Lemmy sends the end of a ban as endTime and, deprecated, expires; Cove sends both.
        expires=read_moment(doc.get("expires")) or read_moment(doc.get("endTime")),
        remove_data=doc.get("removeData") is True,
    )


def _objects(value: object, kind: ActivityType, depth: int) -> tuple[Embedded, ...]:
    entries = value if isinstance(value, list) else [] if value is None else [value]
    if not entries:
        raise Invalid(f"{kind} has no object")
    return tuple(_embedded(entry, "object", depth) for entry in entries)


def _embedded(value: object, name: str, depth: int) -> Embedded:
    if isinstance(value, str):
        if not is_http_url(value):
            raise Invalid(f"{name} must be a URL")
        return value
    if not isinstance(value, Mapping):
        raise Invalid(f"{name} must be a URL or an object")
    if "type" not in value:
        reference = value.get("id")  # a bare {"id": ...}
        if not is_http_url(reference):
            raise Invalid(f"{name} has neither a type nor a URL id")
        return reference
    try:
        return _read(value, depth + 1)
    except Invalid as error:
        raise type(error)(f"{name}: {error.reason}") from error


def _object(doc: Mapping[str, Any], kind: ObjectType) -> WireObject:
    return WireObject(
        id=read_id(doc, kind),
        type=kind,
        attributed_to=read_attribution(doc),
        content=read_text(doc.get("content")) or read_language_map(doc.get("contentMap")),
        media_type=read_text(doc.get("mediaType")),
        name=read_text(doc.get("name")) or read_language_map(doc.get("nameMap")),
        summary=read_text(doc.get("summary")) or read_language_map(doc.get("summaryMap")),
        in_reply_to=optional_url(doc.get("inReplyTo")),
        to=read_addresses(doc.get("to")),
        cc=read_addresses(doc.get("cc")),
        audience=read_addresses(doc.get("audience")),
        sensitive=doc.get("sensitive") is True,  # Pleroma sends null
        published=read_moment(doc.get("published")),
        updated=read_moment(doc.get("updated")),
        url=read_link(doc.get("url")),
        tags=tuple(read_tag(t) for t in read_entries(doc.get("tag"))),
        attachments=tuple(read_attachment(a) for a in read_entries(doc.get("attachment"))),
        professional_note=doc.get("professionalNote") is True,
    )


def _actor(doc: Mapping[str, Any], kind: ActorType) -> WireActor:
    endpoints = doc.get("endpoints")
    shared_inbox = endpoints.get("sharedInbox") if isinstance(endpoints, Mapping) else None
    attributed_to = optional_url(doc.get("attributedTo"))
    return WireActor(
        id=read_id(doc, kind),
        type=kind,
        preferred_username=read_text(doc.get("preferredUsername")),
        name=read_text(doc.get("name")) or read_language_map(doc.get("nameMap")),
        summary=read_text(doc.get("summary")) or read_language_map(doc.get("summaryMap")),
        url=read_link(doc.get("url")),
        inbox=required_url(doc, "inbox", kind),
        outbox=optional_url(doc.get("outbox")),
        followers=optional_url(doc.get("followers")),
        following=optional_url(doc.get("following")),
        featured=optional_url(doc.get("featured")),
        # Discourse puts sharedInbox on the actor itself rather than under endpoints.
        shared_inbox=optional_url(shared_inbox or doc.get("sharedInbox")),
        public_key=read_public_key(doc.get("publicKey")),
        moderators=optional_url(doc.get("moderators")) or _moderators(doc.get("attributedTo")),
        attributed_to=attributed_to,
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        discoverable=read_bool(doc.get("discoverable")),
        posting_restricted_to_mods=doc.get("postingRestrictedToMods") is True,
    )


def _moderators(attributed_to: object) -> str | None:
    # PieFed and WordPress send `moderators`; Lemmy puts the moderators collection's URL in a
    # Group's attributedTo (FEP-1b12). PeerTube's channels list their owner accounts there as
    # embedded actors instead, which are not a moderators collection.
    return attributed_to if is_http_url(attributed_to) else None


def _collection(doc: Mapping[str, Any], kind: CollectionType, depth: int) -> WireCollection:
    total = doc.get("totalItems")
    items = doc.get("orderedItems", doc.get("items"))
    return WireCollection(
        id=read_id(doc, kind),
        type=kind,
        total_items=total if isinstance(total, int) and not isinstance(total, bool) else None,
        first=_page(doc.get("first"), depth),
        next=optional_url(doc.get("next")),
        part_of=optional_url(doc.get("partOf")),
        items=tuple(i for i in (_item(e, depth) for e in read_entries(items)) if i is not None),
    )


def _page(value: object, depth: int) -> WireCollection | str | None:
    # Mastodon embeds the first page of replies without an id: nothing to page from, so None.
    try:
        page = _embedded(value, "first", depth)
    except Invalid:
        return None
    return page if isinstance(page, str | WireCollection) else None


def _item(value: object, depth: int) -> Embedded | None:
    # A page with one item we cannot read is still worth paging through (Mastodon's
    # featuredTags holds Hashtags, which we do not read): keep its id, or skip it.
    try:
        return _embedded(value, "item", depth)
    except Invalid:
        found = first_id(value)
        return found if is_http_url(found) else None
