"""Typed, immutable readers for inbound ActivityStreams documents: each document is read once,
at the edge, into an Activity, object, actor or collection, or refused with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal, TypeGuard, get_args
from urllib.parse import urlsplit

from federation.errors import Invalid
from federation.normalise import needs_normalising, normalise, quoted
from federation.vocabulary import AS_PUBLIC

ActivityType = Literal[
    "Create", "Update", "Delete", "Follow", "Accept", "Reject", "Undo", "Like", "Dislike",
    "Announce", "Flag", "Block", "Add", "Remove", "Lock", "Join", "Leave", "Move",
    "Resolve", "Warn",
]  # fmt: skip
ObjectType = Literal[
    "Note", "Page", "Article", "Question", "Event", "Video", "Image", "Audio", "Document",
    "ChatMessage", "Tombstone",
]  # fmt: skip
ActorType = Literal["Person", "Group", "Service", "Application", "Organization"]
CollectionType = Literal[
    "Collection", "OrderedCollection", "CollectionPage", "OrderedCollectionPage"
]
PolicyType = Literal["DomainPolicy"]  # Cove's vocabulary: a shared domain policy entry

# Activities that mean nothing without a target: Lemmy's Add/Remove name the moderators or
# featured collection there (federation-wire.md section 4), Move names the new account.
TARGET_REQUIRED: frozenset[ActivityType] = frozenset({"Add", "Remove", "Move"})

# How many objects may nest inside each other (Lemmy's outbox page holds Announce{Create{Page}},
# three levels below the collection). Anything deeper is refused, not followed.
MAX_DEPTH = 5

# Spellings of the public collection that Mastodon also accepts in addressing (it compares
# against "as:Public" and "Public" too), and that pyld compaction produces ("as:Public").
_PUBLIC_SPELLINGS = frozenset({AS_PUBLIC, "as:Public", "Public"})


class UnsupportedType(Invalid):
    """A document of a type Cove does not read (an inbox acknowledges and drops such
    activities, as Mastodon does, rather than refuse them)."""


@dataclass(frozen=True, slots=True)
class WireKey:
    """A public key an actor document publishes for verifying its HTTP signatures."""

    id: str
    owner: str
    pem: str


@dataclass(frozen=True, slots=True)
class Tag:
    """One entry of `tag`: a Mention (href = the actor), a Hashtag, an Emoji or a peer's own."""

    type: str
    href: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class Attachment:
    """One entry of `attachment`: an image, a link, a document; only what rendering needs."""

    type: str
    url: str | None
    media_type: str | None
    name: str | None


@dataclass(frozen=True, slots=True)
class WireObject:
    """A post, comment, message or other content object, or the Tombstone left of one."""

    id: str
    type: ObjectType
    attributed_to: str | None
    content: str | None  # HTML as the peer sent it; sanitised before anyone sees it
    media_type: str | None
    name: str | None
    summary: str | None
    in_reply_to: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    audience: tuple[str, ...]
    sensitive: bool
    published: datetime | None
    updated: datetime | None
    url: str | None
    tags: tuple[Tag, ...]
    attachments: tuple[Attachment, ...]

    @property
    def mentions(self) -> tuple[str, ...]:
        """The actors the object @-mentions (how Mastodon users post into a group)."""
        return tuple(t.href for t in self.tags if t.type == "Mention" and t.href is not None)

    @property
    def is_public(self) -> bool:
        return AS_PUBLIC in self.to or AS_PUBLIC in self.cc


@dataclass(frozen=True, slots=True)
class WireActor:
    """A remote person, group, service or instance actor, as its actor document describes it."""

    id: str
    type: ActorType
    preferred_username: str | None
    name: str | None
    summary: str | None
    url: str | None
    inbox: str
    outbox: str | None
    followers: str | None
    following: str | None
    featured: str | None
    shared_inbox: str | None
    public_key: WireKey | None
    moderators: str | None
    attributed_to: str | None
    manually_approves_followers: bool
    discoverable: bool | None  # None: not said, which Lemmy treats unlike false
    posting_restricted_to_mods: bool


@dataclass(frozen=True, slots=True)
class WireCollection:
    """A collection or one page of it; items are ids or embedded values."""

    id: str
    type: CollectionType
    total_items: int | None
    first: str | WireCollection | None
    next: str | None
    part_of: str | None
    items: tuple[Embedded, ...]


@dataclass(frozen=True, slots=True)
class Activity:
    """An activity, with its object as an id or an embedded value, and the document it came in."""

    id: str
    type: ActivityType
    actor: str
    objects: tuple[Embedded, ...]  # never empty; a Flag names several (Mastodon, Mbin)
    target: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    audience: tuple[str, ...]
    summary: str | None
    content: str | None
    published: datetime | None
    # The document as received, for forwarding unchanged (FEP-1b12 Announce). When the
    # document had to be normalised, embedded activities keep their normalised form.
    raw: Mapping[str, Any] = field(compare=False, repr=False)

    @property
    def object(self) -> Embedded:
        return self.objects[0]

    @property
    def object_id(self) -> str:
        """The id of the (first) object, embedded or not."""
        first = self.objects[0]
        return first if isinstance(first, str) else first.id

    @property
    def is_public(self) -> bool:
        return AS_PUBLIC in self.to or AS_PUBLIC in self.cc


@dataclass(frozen=True, slots=True)
class WirePolicy:
    """A domain policy entry one node shares with the nodes following its instance actor:
    by domain, or by the domain's SHA-256 alone when the node obfuscates it."""

    id: str
    type: PolicyType
    domain: str | None
    digest: str | None
    severity: str
    reject_media: bool
    reject_reports: bool
    summary: str | None
    labels: tuple[str, ...]
    end_time: datetime | None


Embedded = str | Activity | WireObject | WireActor | WireCollection | WirePolicy
Document = Activity | WireObject | WireActor | WireCollection | WirePolicy


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


def first_id(value: object) -> str | None:
    """The first id a property gives: a string, an object's id, or the first of a list that has
    one. Lists inside lists are not looked into."""
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, str):
            return item
        item_id = item.get("id") if isinstance(item, Mapping) else None
        if isinstance(item_id, str):
            return item_id
    return None


def is_http_url(value: object) -> TypeGuard[str]:
    """An absolute http(s) URL with a host, and nothing that would break a log line."""
    return isinstance(value, str) and _http_url(value)


@lru_cache(maxsize=8192)  # the same actor, group and Public URLs come in all day
def _http_url(value: str) -> bool:
    # Every whitespace character but the ASCII space is unprintable (Unicode Z* and Cc).
    if " " in value or not value.isprintable():
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. an unbalanced [ in the host
        return False


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
    domain, digest = _text(doc.get("domain")), _text(doc.get("domainDigest"))
    if domain is None and digest is None:
        raise Invalid("a DomainPolicy names a domain or its domainDigest")
    severity = _text(doc.get("severity"))
    if severity is None:
        raise Invalid("a DomainPolicy has a severity")
    labels = doc.get("labels", [])
    listed = labels if isinstance(labels, list) else [labels]
    return WirePolicy(
        id=_id(doc, "DomainPolicy"),
        type="DomainPolicy",
        domain=domain,
        digest=digest,
        severity=severity,
        reject_media=doc.get("rejectMedia") is True,
        reject_reports=doc.get("rejectReports") is True,
        summary=_text(doc.get("summary")),
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
    activity_id = _id(doc, kind)
    actor = _required_url(doc, "actor", kind)
    given = doc.get("object")
    if kind == "Undo" and isinstance(given, Mapping) and "actor" not in given:
        # The activity undone is the undoer's own when it names no actor (Mastodon reads an
        # Undo{Follow} so; some bot frameworks leave the inner actor out).
        given = {**given, "actor": actor}
    objects = _objects(given, kind, depth)
    target = _optional_url(doc.get("target"))
    if target is None and kind in TARGET_REQUIRED:
        raise Invalid(f"{kind} has no target")
    return Activity(
        id=activity_id,
        type=kind,
        actor=actor,
        objects=objects,
        target=target,
        to=_addresses(doc.get("to")),
        cc=_addresses(doc.get("cc")),
        audience=_addresses(doc.get("audience")),
        summary=_text(doc.get("summary")),
        content=_text(doc.get("content")),
        published=read_moment(doc.get("published")),
        raw=doc,
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
        id=_id(doc, kind),
        type=kind,
        attributed_to=_attribution(doc),
        content=_text(doc.get("content")) or _language_map(doc.get("contentMap")),
        media_type=_text(doc.get("mediaType")),
        name=_text(doc.get("name")) or _language_map(doc.get("nameMap")),
        summary=_text(doc.get("summary")) or _language_map(doc.get("summaryMap")),
        in_reply_to=_optional_url(doc.get("inReplyTo")),
        to=_addresses(doc.get("to")),
        cc=_addresses(doc.get("cc")),
        audience=_addresses(doc.get("audience")),
        sensitive=doc.get("sensitive") is True,  # Pleroma sends null
        published=read_moment(doc.get("published")),
        updated=read_moment(doc.get("updated")),
        url=_link(doc.get("url")),
        tags=tuple(_tag(t) for t in _entries(doc.get("tag"))),
        attachments=tuple(_attachment(a) for a in _entries(doc.get("attachment"))),
    )


def _actor(doc: Mapping[str, Any], kind: ActorType) -> WireActor:
    endpoints = doc.get("endpoints")
    shared_inbox = endpoints.get("sharedInbox") if isinstance(endpoints, Mapping) else None
    attributed_to = _optional_url(doc.get("attributedTo"))
    return WireActor(
        id=_id(doc, kind),
        type=kind,
        preferred_username=_text(doc.get("preferredUsername")),
        name=_text(doc.get("name")) or _language_map(doc.get("nameMap")),
        summary=_text(doc.get("summary")) or _language_map(doc.get("summaryMap")),
        url=_link(doc.get("url")),
        inbox=_required_url(doc, "inbox", kind),
        outbox=_optional_url(doc.get("outbox")),
        followers=_optional_url(doc.get("followers")),
        following=_optional_url(doc.get("following")),
        featured=_optional_url(doc.get("featured")),
        # Discourse puts sharedInbox on the actor itself rather than under endpoints.
        shared_inbox=_optional_url(shared_inbox or doc.get("sharedInbox")),
        public_key=_public_key(doc.get("publicKey")),
        moderators=_optional_url(doc.get("moderators")) or _moderators(doc.get("attributedTo")),
        attributed_to=attributed_to,
        manually_approves_followers=doc.get("manuallyApprovesFollowers") is True,
        discoverable=_flag(doc.get("discoverable")),
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
        id=_id(doc, kind),
        type=kind,
        total_items=total if isinstance(total, int) and not isinstance(total, bool) else None,
        first=_page(doc.get("first"), depth),
        next=_optional_url(doc.get("next")),
        part_of=_optional_url(doc.get("partOf")),
        items=tuple(i for i in (_item(e, depth) for e in _entries(items)) if i is not None),
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


def _id(doc: Mapping[str, Any], kind: str) -> str:
    value = doc.get("id")
    if value is None:
        raise Invalid(f"{kind} has no id")
    if not is_http_url(value):
        raise Invalid(f"{kind} id must be an http(s) URL")
    return value


def _required_url(doc: Mapping[str, Any], name: str, kind: str) -> str:
    value = doc.get(name)
    if value is None:
        raise Invalid(f"{kind} has no {name}")
    found = first_id(value)
    if not is_http_url(found):
        raise Invalid(f"{name} must be a URL")
    return found


def _optional_url(value: object) -> str | None:
    found = first_id(value)
    return found if is_http_url(found) else None


def _attribution(doc: Mapping[str, Any]) -> str | None:
    # PeerTube attributes a video to [account, channel] as embedded actors: the first is the author.
    value = doc.get("attributedTo")
    if value is None:
        return None
    found = first_id(value)
    if not is_http_url(found):
        raise Invalid("attributedTo must be a URL")
    return found


def _addresses(value: object) -> tuple[str, ...]:
    """to/cc/audience: one address or a list, each a URL or an embedded actor; junk dropped."""
    found: list[str] = []
    for entry in value if isinstance(value, list) else [value]:
        address = first_id(entry)
        if address in _PUBLIC_SPELLINGS:
            found.append(AS_PUBLIC)
        elif is_http_url(address):
            found.append(address)
    return tuple(dict.fromkeys(found))


def _text(value: object) -> str | None:
    """A string, or the first string of a list or of JSON-LD value objects ({"@value": ...})."""
    for entry in value if isinstance(value, list) else [value]:
        inner = entry.get("@value") if isinstance(entry, Mapping) else entry
        if isinstance(inner, str):
            return inner
    return None


def _language_map(value: object) -> str | None:
    """The first text of a language map, as in Mastodon's contentMap ({"en": "<p>…</p>"})."""
    if not isinstance(value, Mapping):
        return None
    return next((text for text in value.values() if isinstance(text, str)), None)


def _link(value: object) -> str | None:
    """A url property: a URL, or Link objects with href (PeerTube lists several; HTML first)."""
    for entry in value if isinstance(value, list) else [value]:
        candidate = entry.get("href", entry.get("id")) if isinstance(entry, Mapping) else entry
        if is_http_url(candidate):
            return candidate
    return None


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def read_moment(value: object) -> datetime | None:
    """An xsd:dateTime as an aware datetime; a date without a zone is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _entries(value: object) -> list[Mapping[str, Any] | str]:
    entries = value if isinstance(value, list) else [value]
    return [e for e in entries if isinstance(e, Mapping | str)]


def _tag(entry: Mapping[str, Any] | str) -> Tag:
    if isinstance(entry, str):
        return Tag(type="Link", href=entry if is_http_url(entry) else None, name=None)
    return Tag(
        type=_text(entry.get("type")) or "Link",
        href=_link(entry.get("href")),
        name=_text(entry.get("name")),
    )


def _attachment(entry: Mapping[str, Any] | str) -> Attachment:
    if isinstance(entry, str):
        return Attachment(type="Link", url=_link(entry), media_type=None, name=None)
    return Attachment(
        type=_text(entry.get("type")) or "Link",
        # Lemmy sends links as {"type": "Link", "href": ...}, images with url.
        url=_link(entry.get("url")) or _link(entry.get("href")),
        media_type=_text(entry.get("mediaType")),
        name=_text(entry.get("name")),
    )


def _public_key(value: object) -> WireKey | None:
    # Some servers publish several keys as a list; the first complete one is used.
    for entry in value if isinstance(value, list) else [value]:
        if not isinstance(entry, Mapping):
            continue
        key_id, owner, pem = entry.get("id"), entry.get("owner"), entry.get("publicKeyPem")
        if is_http_url(key_id) and is_http_url(owner) and isinstance(pem, str):
            return WireKey(id=key_id, owner=owner, pem=pem)
    return None
