"""Professionals' notes: a member with a credential that counts answers a post with a reply
marked as a professional's note, sent as any reply of theirs is."""

from __future__ import annotations

from federation.client import FederationClient
from federation.errors import Invalid, NotFound, Refused
from node.crisis.professionals import is_professional
from node.groups.posts import post_at
from node.members import participation
from node.members.accounts import AccountInfo
from node.runtime import Node
from node.store.states import PostState


async def add_note(
    node: Node, client: FederationClient, account: AccountInfo, post_uri: str, text: str
) -> str:
    """The member's note on a post known here (in a group here, or one elsewhere the member
    belongs to); returns the note's id. Refused without a credential that counts."""
    if not await is_professional(node, account.username):
        raise Refused(
            "{username} has no professional credential in force here: only a verified"
            " professional may add a professional's note (a node admin records credentials)",
            username=account.username,
        )
    async with node.store.session() as session:
        post = await post_at(session, post_uri.strip())
    if post is None or post.state != PostState.LIVE:
        raise NotFound(
            "no post {post_uri} here (join its group to see its posts)", post_uri=post_uri
        )
    if post.group_uri is None:
        raise Invalid("{post_uri} is in no group", post_uri=post_uri)
    return await participation.publish(
        node,
        client,
        account,
        post.group_uri,
        text,
        in_reply_to=post.uri,
        professional_note=True,
    )
