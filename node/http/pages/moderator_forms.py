"""What a moderator's forms say, read the same on every page that has them (a report's page, a
thread's page, a group's moderation page): a reason, how long a ban lasts, and what to do with
a post (remove, restore, lock its thread, pin, purge), a person (ban) or their server (keep it
out), each done by the domain function the CLI calls, which checks the same role."""

from __future__ import annotations

from datetime import datetime

from federation.client import FederationClient
from federation.errors import Invalid
from moderation.bans import parse_duration
from node.moderators import bans, group_domain_blocks, removals
from node.moderators.roles import Acting
from node.runtime import Node

MAX_REASON = 1000
# The lengths offered as choices, as the CLI's --for writes them; "other" reads a typed one.
LENGTHS = ("1d", "7d", "30d")
# What a post's form did, as the notice after it says.
POST_DONE = ("removed", "restored", "locked", "unlocked", "pinned", "unpinned", "purged")


def reason_of(form: dict[str, str], field: str = "reason") -> str:
    reason = form.get(field, "").strip()
    if len(reason) > MAX_REASON:
        raise Invalid("a reason is at most {limit} characters", limit=MAX_REASON)
    return reason


def ban_end(now: datetime, form: dict[str, str]) -> datetime | None:
    """When a ban chosen on the form ends: None for one without end."""
    chosen = form.get("length", "")
    if chosen == "forever":
        return None
    if chosen == "other":
        typed = form.get("other_length", "").strip()
        if not typed:
            raise Invalid("write how long the ban lasts: 30m, 12h, 7d or 2w")
        return now + parse_duration(typed)
    if chosen not in LENGTHS:
        raise Invalid("choose how long the ban lasts")
    return now + parse_duration(chosen)


async def act_on_post(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group: str,
    post_uri: str,
    thread_uri: str,
    form: dict[str, str],
) -> str:
    """Do to a group's post what the form's `act` says (`cove post`, `cove group pin`); a
    thread is locked at the post it starts with. Returns what was done."""
    verb, reason = form.get("act", ""), reason_of(form)
    if verb in ("remove", "restore"):
        removed = verb == "remove"
        await removals.set_removed(node, client, acting, group, post_uri, reason, removed=removed)
        return "removed" if removed else "restored"
    if verb in ("lock", "unlock"):
        locked = verb == "lock"
        # A thread is locked at the post it starts with: no reply anywhere under it.
        await removals.set_locked(node, client, acting, group, thread_uri, reason, locked=locked)
        return "locked" if locked else "unlocked"
    if verb in ("pin", "unpin"):
        pinned = verb == "pin"
        await removals.set_pinned(node, client, acting, group, post_uri, pinned=pinned)
        return "pinned" if pinned else "unpinned"
    if verb == "purge":
        await removals.purge(node, acting, group, post_uri)
        return "purged"
    raise Invalid("choose what to do with the post")


async def ban_from_form(
    node: Node,
    client: FederationClient,
    acting: Acting,
    group: str,
    actor_uri: str,
    form: dict[str, str],
) -> str:
    """Ban someone from the group for the form's length and reason (`cove group ban`), their
    posts there removed too when it asks."""
    ends = ban_end(node.clock(), form)
    remove = form.get("remove_content") == "yes"
    await bans.ban(
        node, client, acting, group, actor_uri, reason_of(form), ends, remove_content=remove
    )
    return "banned"


async def keep_server_out(
    node: Node, acting: Acting, group: str, server: str, form: dict[str, str]
) -> str:
    """Keep a server out of the group, with the form's reason (`cove group block-domain`)."""
    await group_domain_blocks.block_domain(node, acting, group, server, reason_of(form))
    return "kept_out"
