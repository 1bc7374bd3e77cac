"""NodeInfo 2.1 documents and the /.well-known/nodeinfo discovery links (with FEP-2677)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

NODEINFO_21_REL = "http://nodeinfo.diaspora.software/ns/schema/2.1"
# FEP-2677: the NodeInfo discovery document also links the server's Application actor.
APPLICATION_ACTOR_REL = "https://www.w3.org/ns/activitystreams#Application"
SOFTWARE_NAME = "cove"


@dataclass(frozen=True, slots=True)
class Usage:
    """What a node counts of itself; None leaves a figure out (FEP-0151 allows that)."""

    users_total: int
    local_posts: int
    local_comments: int
    users_active_month: int | None = None
    users_active_halfyear: int | None = None


@dataclass(frozen=True, slots=True)
class NodeDescription:
    software_version: str
    open_registrations: bool
    usage: Usage
    metadata: dict[str, Any] = field(default_factory=dict)
    repository: str | None = None
    homepage: str | None = None


def discovery_document(nodeinfo_url: str, instance_actor_url: str) -> dict[str, Any]:
    """The /.well-known/nodeinfo document."""
    return {
        "links": [
            {"rel": NODEINFO_21_REL, "href": nodeinfo_url},
            {"rel": APPLICATION_ACTOR_REL, "href": instance_actor_url},
        ]
    }


def nodeinfo_21(node: NodeDescription) -> dict[str, Any]:
    """The NodeInfo 2.1 document; it validates against the published 2.1 schema."""
    software: dict[str, Any] = {"name": SOFTWARE_NAME, "version": node.software_version}
    if node.repository:
        software["repository"] = node.repository
    if node.homepage:
        software["homepage"] = node.homepage
    users: dict[str, int] = {"total": node.usage.users_total}
    if node.usage.users_active_month is not None:
        users["activeMonth"] = node.usage.users_active_month
    if node.usage.users_active_halfyear is not None:
        users["activeHalfyear"] = node.usage.users_active_halfyear
    return {
        "version": "2.1",
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": node.open_registrations,
        "usage": {
            "users": users,
            "localPosts": node.usage.local_posts,
            "localComments": node.usage.local_comments,
        },
        "metadata": node.metadata,
    }
