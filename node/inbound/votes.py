"""Votes on content in this node's groups: Like and Dislike (Lemmy's up and down votes,
Mastodon's favourites) and their Undo, admitted and relayed like any change to a post."""

from __future__ import annotations

from federation.client import FederationClient
from federation.wire import Activity
from node.inbound.posts import receive_change
from node.runtime import Node


async def receive_vote(node: Node, client: FederationClient, activity: Activity) -> None:
    await receive_change(node, client, activity, activity.object_id)


async def receive_vote_undone(node: Node, client: FederationClient, activity: Activity) -> None:
    vote = activity.object
    if not isinstance(vote, Activity) or vote.actor != activity.actor:
        return  # only the voter takes a vote back
    await receive_change(node, client, activity, vote.object_id)
