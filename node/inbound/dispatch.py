"""What an activity from another server means: one table from its key (the activity's type and
what it acts on) to the route that verifies it at the inbox and receives it in a worker. A
new activity type is one entry here and one module; anything not in the table is dropped."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from federation.client import FederationClient
from federation.errors import Refused
from federation.wire import Activity, WireBan, WireObject
from node.inbound import (
    actor_deletions,
    actor_updates,
    announces,
    answers,
    flags,
    follows,
    person_blocks,
    policy_follows,
    posts,
    remote_moderation,
    votes,
)
from node.moderators import suspensions
from node.queue.outbox import sent_type
from node.runtime import Node

log = logging.getLogger(__name__)

Step = Callable[[Node, FederationClient, Activity], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Route:
    receive: Step  # in a worker, from the stored activity
    verify: Step | None = None  # at the inbox, before the 202: refusals the sender must hear


# What an activity acts on, where its type alone does not say.
ACTOR = "actor"  # an actor here: a group followed, joined, left or blocked by its follower
INSTANCE = "instance"  # this node's instance actor: a node subscribing to its domain policy
BAN = "ban"  # a Block with a group elsewhere as target: that group's ban of a member here
PERSON = "person"  # a person here: blocked by a person elsewhere (a Block with no target)
CONTENT = "content"  # a post, by id or embedded: edited, deleted, voted on
OBJECT = "object"  # an embedded object
REFERENCE = "reference"  # an object given by its URL only
ACTIVITY = "activity"  # an embedded activity
UNKNOWN = "unknown"  # an answer to nothing this node sent
SELF = "self"  # the sender itself: an account deleted at its home server, or changed
ANY = "any"  # whatever the object: the route reads it (a Flag's list, an Announce's shapes)

Key = tuple[str, str]

_ban = Route(remote_moderation.receive_ban, remote_moderation.check_inbound)
_ban_lifted = Route(remote_moderation.receive_ban_lifted, remote_moderation.check_inbound)
_follow_answer = Route(answers.receive_follow_answer)
_flag_answer = Route(answers.receive_flag_answer)
_policy_entries = Route(policy_follows.receive_entries)
_flag = Route(flags.receive_flag, flags.verify_flag)
_change = Route(posts.receive_change_of)
_vote = Route(votes.receive_vote)
_vote_undone = Route(votes.receive_vote_undone)
_follow_undone = Route(follows.receive_follow_undone)

TABLE: Mapping[Key, Route] = {
    ("Follow", ACTOR): Route(follows.receive_follow),
    ("Join", ACTOR): Route(follows.receive_follow),
    ("Follow", INSTANCE): Route(policy_follows.receive_follow),
    ("Leave", ACTOR): Route(follows.receive_leave),
    ("Block", ACTOR): Route(follows.receive_leave),  # a follower blocking the group leaves it
    ("Block", BAN): _ban,
    ("Block", PERSON): Route(person_blocks.receive_block),
    ("Create", OBJECT): Route(posts.receive_create),
    ("Create", REFERENCE): Route(posts.receive_create_by_reference),
    ("Update", CONTENT): _change,
    ("Delete", CONTENT): _change,
    ("Delete", SELF): Route(actor_deletions.receive_actor_deleted),
    ("Update", SELF): Route(actor_updates.receive_actor_update),
    ("Like", CONTENT): _vote,
    ("Dislike", CONTENT): _vote,
    ("Announce", ANY): Route(announces.receive_announce),
    ("Flag", ANY): _flag,
    ("Accept", "Follow"): _follow_answer,
    ("Reject", "Follow"): _follow_answer,
    ("Accept", "Flag"): _flag_answer,
    ("Reject", "Flag"): _flag_answer,
    ("Add", ANY): _policy_entries,
    ("Remove", ANY): _policy_entries,
    ("Undo", f"Follow {ACTOR}"): _follow_undone,
    ("Undo", f"Join {ACTOR}"): _follow_undone,
    ("Undo", REFERENCE): _follow_undone,  # an Undo naming only the follow's id
    ("Undo", f"Follow {INSTANCE}"): Route(policy_follows.receive_unfollow),
    ("Undo", f"Block {BAN}"): _ban_lifted,
    ("Undo", f"Block {PERSON}"): Route(person_blocks.receive_block_undone),
    ("Undo", f"Like {CONTENT}"): _vote_undone,
    ("Undo", f"Dislike {CONTENT}"): _vote_undone,
}
# Types whose route verifies at the inbox: only those pay for a key there.
VERIFIED_TYPES = frozenset(kind for (kind, _), route in TABLE.items() if route.verify is not None)


async def key_of(node: Node, activity: Activity) -> Key:
    return activity.type, await _acts_on(node, activity)


async def _acts_on(node: Node, activity: Activity) -> str:
    obj = activity.object
    match activity.type:
        case "Follow":
            return INSTANCE if activity.object_id == node.urls.instance_actor() else ACTOR
        case "Join" | "Leave":
            return ACTOR
        case "Block":
            # A ban (Block with a target) from a group elsewhere; a Block of a member here
            # by a person elsewhere; any other Block is of an actor, as when a follower
            # blocks a group here.
            if isinstance(activity, WireBan):
                here = node.urls.base + "/"
                return ACTOR if activity.group.startswith(here) else BAN
            return PERSON if _person_here(node, activity.object_id) else ACTOR
        case "Delete" | "Update" if activity.object_id == activity.actor:
            return SELF
        case "Update" | "Delete" | "Like" | "Dislike":
            return CONTENT
        case "Announce" | "Flag" | "Add" | "Remove":
            return ANY
        case "Undo":
            if isinstance(obj, Activity):
                return " ".join(await key_of(node, obj))
        case "Accept" | "Reject":
            return await _answered(node, obj)
    if isinstance(obj, str):
        return REFERENCE
    return ACTIVITY if isinstance(obj, Activity) else OBJECT


def _person_here(node: Node, uri: str) -> bool:
    name = uri.removeprefix(node.urls.person(""))
    return name != uri and bool(name) and "/" not in name


async def _answered(node: Node, obj: object) -> str:
    """What an Accept or Reject answers: the activity it embeds (Mastodon and Lemmy embed our
    Follow), else what this node sent under that id; an Event's RSVP is an Accept too."""
    if isinstance(obj, Activity | WireObject):
        return obj.type
    assert isinstance(obj, str)
    return await sent_type(node, obj) or UNKNOWN


async def verify(node: Node, client: FederationClient, activity: Activity) -> None:
    """The checks an inbox makes before answering 202, for the few routes that have them."""
    if activity.type not in VERIFIED_TYPES:
        return
    route = TABLE.get(await key_of(node, activity))
    if route is not None and route.verify is not None:
        await route.verify(node, client, activity)


async def receive(node: Node, client: FederationClient, activity: Activity) -> None:
    """Apply one stored activity: its sender's standing first, then its route, if any."""
    if await suspensions.is_suspended(node, activity.actor):
        raise Refused("the actor is suspended from this node")
    decision = await node.policy.decide_url(activity.actor, node.clock())
    if decision.suspended:  # stored before its server was cut off
        raise Refused(f"the actor's server is not federated with ({decision.why})")
    key = await key_of(node, activity)
    route = TABLE.get(key)
    if route is None:
        # As Mastodon does: acknowledged, and dropped with a line saying so.
        log.info("event=activity_ignored id=%s type=%s acts_on=%s", activity.id, *key)
        return
    await route.receive(node, client, activity)
