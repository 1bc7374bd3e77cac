"""The group's own reply under a released post: a few warm words and the crisis services for
the node's country and language, posted by the group for everyone reading the thread."""

from __future__ import annotations

from federation import builders
from federation.client import FederationClient
from node.actors import integrity
from node.crisis.resources import resources_for
from node.groups import announcing
from node.groups.groups import GroupInfo
from node.groups.posts import Draft, note_of
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import PostKind, Visibility
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
    group_uri = node.urls.group(group.name)
    now = node.clock()
    draft = Draft(node.urls.post(node.token()), text, now, None, post.uri)
    note = note_of(node.urls, group_uri, group_uri, draft, group.members_only)
    activity = await integrity.signed(
        node, group.actor_id, builders.create(node.urls.activity(node.token()), group_uri, note)
    )
    visibility = Visibility.MEMBERS_ONLY if group.members_only else Visibility.PUBLIC
    reply = Post(
        uri=note["id"],
        group_id=group.id,
        group_uri=group_uri,
        author_uri=group_uri,
        in_reply_to_uri=post.uri,
        kind=PostKind.NOTE,
        content_html=note["content"],
        visibility=visibility,
        local=True,
        published=now,
        created_at=now,
    )
    async with node.store.transaction() as session:
        session.add(reply)
        await queue(session, group.actor_id, activity, Visibility.DIRECT, [], now)
        await session.flush()
        session.expunge(reply)
    await announcing.announce(node, client, group, activity, reply)
    return str(note["id"])
