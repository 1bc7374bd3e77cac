"""The group's own reply under a released post: a few warm words and the crisis services for
the node's country and language, posted by the group for everyone reading the thread."""

from __future__ import annotations

from federation.client import FederationClient
from node.crisis.resources import resources_for
from node.groups.anonymous_posts import group_post
from node.groups.groups import GroupInfo
from node.groups.posts import Draft
from node.runtime import Node
from node.store.tables import Post

OPENING = (
    "If you are going through something hard right now, you are not alone, and it is okay to"
    " reach out. These services are there for you, day and night:"
)


async def resource_reply(node: Node, client: FederationClient, group: GroupInfo, post: Post) -> str:
    """Post the group's reply with resources under `post`; its id."""
    crisis = node.config.crisis
    async with node.store.session() as session:
        found = await resources_for(session, crisis.default_country, crisis.default_language)
    text = "\n".join([OPENING, "", *(f"- {r.line()}" for r in found)])
    draft = Draft(node.urls.post(node.token()), text, node.clock(), None, post.uri)
    group_uri = node.urls.group(group.name)
    reply = await group_post(node, client, group, draft, author=group_uri, account_id=None)
    return reply.uri
