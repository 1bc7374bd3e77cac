"""A group named on the command line, read once: its bare name, `@name@host` or its URL, into
the name of a group of this node (and who acts on it) or the URL of a group here or elsewhere."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from federation.errors import Invalid, NotFound, Refused

if TYPE_CHECKING:
    from federation.client import FederationClient
    from node.moderators.roles import Acting
    from node.runtime import Node

GROUP_HERE_HELP = "the group: its name, @name@host or its URL"
GROUP_ANYWHERE_HELP = "the group: its name here, @name@host or its URL"


def name_here(node: Node, argument: str) -> str | None:
    """The name of the group of this node that `argument` names (`name`, `@name`,
    `@name@this-host` or its URL here); None for a group elsewhere."""
    from node.groups.groups import local_group_name

    text = argument.strip()
    if "://" in text:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise Invalid(f"{argument} is not an http(s) URL: name a group, @name@host or its URL")
        return local_group_name(node, text)
    name, _, host = text.lstrip("@").partition("@")
    if not name or "/" in name:
        raise Invalid(f"{argument!r} is not a group: give its name, @name@host or its URL")
    if host and host.lower() != node.urls.domain:
        return None
    return name


def local_group(node: Node, argument: str) -> str:
    """The name of the group of this node that `argument` names; a group elsewhere is refused
    (moderators act on the groups of their own node)."""
    name = name_here(node, argument)
    if name is None:
        raise Invalid(f"{argument} is not a group of this node")
    return name


async def acting_on(node: Node, as_account: str | None, argument: str) -> tuple[Acting, str]:
    """Who acts (the account --as names, else the node operator) and the name of the group of
    this node they act on."""
    from node.moderators.roles import acting_as

    return await acting_as(node, as_account), local_group(node, argument)


async def group_url(node: Node, client: FederationClient, argument: str) -> str:
    """The URL of the group `argument` names, here or elsewhere: a group here must exist, and a
    handle elsewhere is looked up with WebFinger (unless the domain policy cuts its server off)."""
    from node.actors.remote import resolve_handle
    from node.groups.groups import group_at

    name = name_here(node, argument)
    if name is not None:
        url = node.urls.group(name)
        if await group_at(node, url) is None:
            raise NotFound(
                f"no group named {name!r} on this node (a group elsewhere is @name@host or its URL)"
            )
        return url
    text = argument.strip()
    if "://" in text:
        return text
    host = text.lstrip("@").partition("@")[2]
    decision = await node.policy.decide(host, node.clock())
    if decision.suspended:
        raise Refused(f"{host} is not federated with by this node ({decision.why})")
    group = await resolve_handle(node, client, text)
    if group.type != "Group":
        raise Invalid(f"{argument} is a {group.type}, not a group")
    return group.uri
