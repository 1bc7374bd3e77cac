"""The typed, immutable values inbound ActivityStreams documents are read into: activities
(a Block as a ban or a block), objects, actors, collections and shared domain policy entries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

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
    # Cove's professionalNote: only a claim until the author's own server vouches for them
    # (node.crisis.professionals).
    professional_note: bool = False

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
class WireBan(Activity):
    """A Block with a target: `actor` (a moderator, or the group itself) bans `object` from the
    `target` group (Lemmy's BlockUser, and Cove's). Lemmy bans from a whole site the same way,
    naming the site as target."""

    group: str  # the target
    expires: datetime | None  # `expires` or `endTime`; None: for good
    remove_data: bool  # Lemmy's removeData: take the banned person's posts there down too

    @property
    def banned(self) -> str:
        return self.object_id

    @property
    def reason(self) -> str | None:
        return self.summary


@dataclass(frozen=True, slots=True)
class WireBlock(Activity):
    """A Block without a target: `actor` blocks the actor `object` (Mastodon's shape), as when
    a follower blocks a group, or a person another person."""

    @property
    def blocked(self) -> str:
        return self.object_id


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
