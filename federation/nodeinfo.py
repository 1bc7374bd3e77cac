"""NodeInfo 2.1 documents and the /.well-known/nodeinfo discovery links (with FEP-2677), and
reading what software another server says it runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from federation.client import FederationClient
from federation.errors import FetchError

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


async def software_at(client: FederationClient, host: str, scheme: str) -> str | None:
    """The software name a server's NodeInfo 2.x gives (at most 64 characters), or None when
    it gives none or cannot be read."""
    try:
        links = (
            await client.get_json(f"{scheme}://{host}/.well-known/nodeinfo", None, check_id=False)
        ).document.get("links")
        href = next(
            (
                link["href"]
                for link in links or []
                if isinstance(link, dict)
                and "nodeinfo.diaspora.software/ns/schema/2" in str(link.get("rel", ""))
                and isinstance(link.get("href"), str)
            ),
            None,
        )
        if href is None:
            return None
        software = (await client.get_json(href, None, check_id=False)).document.get("software")
    except FetchError:
        return None
    name = software.get("name") if isinstance(software, dict) else None
    return name[:64] if isinstance(name, str) else None
