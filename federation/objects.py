"""ActivityStreams objects for posts (Page for threads, Note for comments and statuses)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from federation.vocabulary import AS_PUBLIC, iso8601


@dataclass(frozen=True, slots=True)
class PostObject:
    id: str
    type: Literal["Page", "Note"]
    attributed_to: str  # the author, or the group for an anonymous post
    group: str  # the group's actor id (audience)
    group_followers: str
    content_html: str
    published: datetime
    public: bool
    name: str | None = None
    in_reply_to: str | None = None
    sensitive: bool = False
    updated: datetime | None = None


def post_document(post: PostObject) -> dict[str, Any]:
    """A post as Lemmy and Mastodon read it: addressed to the group, audience set (FEP-1b12)."""
    to = [post.group, AS_PUBLIC] if post.public else [post.group]
    doc: dict[str, Any] = {
        "id": post.id,
        "type": post.type,
        "attributedTo": post.attributed_to,
        "to": to,
        "cc": [post.group_followers],
        "audience": post.group,
        "content": post.content_html,
        "mediaType": "text/html",
        "published": iso8601(post.published),
        "sensitive": post.sensitive,
    }
    if post.name is not None:
        doc["name"] = post.name
    if post.in_reply_to is not None:
        doc["inReplyTo"] = post.in_reply_to
    if post.updated is not None:
        doc["updated"] = iso8601(post.updated)
    return doc
