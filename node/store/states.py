"""Named states of everything that outlives a request, and the transitions allowed between them.

One place says which moves are legal; domain code calls `advance` and never assigns a state
column directly, so an impossible move (a rejected follow becoming accepted) fails loudly.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Protocol, TypeVar

from moderation.reports import ReportCategory as ReportCategory
from moderation.reports import ReportState as ReportState

# Roles are policy (moderation.roles); re-exported here beside the other stored enums.
from moderation.roles import AccountRole as AccountRole
from moderation.roles import GroupRole as GroupRole


class ActorKind(StrEnum):
    APPLICATION = "application"
    GROUP = "group"
    PERSON = "person"


class PostingPolicy(StrEnum):
    ANYONE = "anyone"
    MEMBERS = "members"
    MODERATORS = "moderators"


class GroupKind(StrEnum):
    """What a group gathers around, as a person choosing one looks for it."""

    GENERAL = "general"
    CONDITION_SPECIFIC = "condition-specific"  # one condition or experience: grief, bipolar
    DEMOGRAPHIC = "demographic"  # one kind of people: carers, students, veterans
    LIFESTYLE = "lifestyle"  # a shared practice: running, sobriety, cooking


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    MEMBERS_ONLY = "members_only"
    DIRECT = "direct"


class PostKind(StrEnum):
    PAGE = "page"  # a top-level post with a title (Lemmy's Page)
    NOTE = "note"  # a comment or a microblog status


class PostState(StrEnum):
    LIVE = "live"
    REMOVED = "removed"  # by a moderator: hidden from all but moderators, until restored
    DELETED = "deleted"  # by its author (or purged): for good
    HELD = "held"  # an acute post in a group that holds them: unannounced until released


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class KeyState(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class MembershipState(StrEnum):
    PENDING = "pending"  # asked to join a group that approves members
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    LEFT = "left"  # Undo{Follow}, Leave, or removed


class ActivityState(StrEnum):
    RECEIVED = "received"  # inbound, stored, not yet applied
    PROCESSED = "processed"
    REJECTED = "rejected"  # inbound, refused by policy or unreadable
    QUEUED = "queued"  # outbound, written with the change that caused it
    FANNED_OUT = "fanned_out"  # outbound, one delivery row per inbox written


class DeliveryState(StrEnum):
    PENDING = "pending"  # due at next_attempt_at
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up: a final 4xx, or retries exhausted
    CANCELLED = "cancelled"  # no longer owed (the peer was suspended, say)


class JobOutcome(StrEnum):
    """How a periodic job's last run went (node.queue.job_runs keeps one row a job)."""

    RUNNING = "running"  # started, not yet ended (or its process died meanwhile)
    DONE = "done"
    PUT_OFF = "put_off"  # the database or a peer failed: it runs again at its next interval
    FAILED = "failed"  # a bug: the log has its trace


class ReportDirection(StrEnum):
    RECEIVED = "received"  # about content or members here: this node's moderators handle it
    SENT = "sent"  # a member here reported something elsewhere; its outcome comes back


class BanState(StrEnum):
    ACTIVE = "active"
    LIFTED = "lifted"  # by a moderator (Undo{Block})
    EXPIRED = "expired"  # its time ran out


class PersonBlockKind(StrEnum):
    """How a member keeps a person away (a relation, not a process: the row is the block, and
    undoing it deletes the row)."""

    BLOCK = "block"  # hidden here, and told to the person's server (Block)
    MUTE = "mute"  # hidden here, and told to no one


class Software(StrEnum):
    """How a follower's server reads a group's Announces (told by its NodeInfo)."""

    GROUP_AWARE = "group_aware"  # Lemmy, PieFed, Mbin, NodeBB, Cove: Announce{activity}
    MICROBLOG = "microblog"  # Mastodon and kin: Announce{object id} of top-level posts
    UNKNOWN = "unknown"  # both shapes; each kind ignores the one it cannot use


class PolicyOrigin(StrEnum):
    """Who made a domain policy entry: retractions only ever remove subscription-made ones."""

    MANUAL = "manual"  # an admin, by hand, an import or the API
    SUBSCRIPTION = "subscription"  # merged from the subscribed sources


class SourceKind(StrEnum):
    URL = "url"  # a file fetched on a schedule (Mastodon CSV, GoToSocial JSON, plain text)
    ACTOR = "actor"  # another Cove node's instance actor, followed (signed Add/Remove)


class SourceState(StrEnum):
    OK = "ok"
    FAILING = "failing"  # the last fetch failed: the last good list stays in force (an alert)


class DraftState(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # the sources changed again before anyone decided


class DutyState(StrEnum):
    ON = "on"  # told at once of crisis items
    OFF = "off"


class EscalationStage(StrEnum):
    """Who has been told of a crisis item: those on duty, then (nobody answering) every
    moderator of the group, then the node's staff."""

    ON_DUTY = "on_duty"
    MODERATORS = "moderators"
    STAFF = "staff"


class CareReason(StrEnum):
    """Why a group sent a person a care message."""

    DETECTED = "detected"  # a post or message of theirs read as acute or concern
    WORRIED = "worried"  # someone said they were worried about them
    HELD = "held"  # their post waits for a moderator


class AccountState(StrEnum):
    """Where a local account stands: signed up and confirming their email, waiting for node
    staff, in use, turned down, or suspended by the node."""

    UNCONFIRMED = "unconfirmed"  # signed up; the link mailed to them is not yet followed
    AWAITING_APPROVAL = "awaiting_approval"  # confirmed, on a node that approves sign-ups
    ACTIVE = "active"
    REJECTED = "rejected"  # node staff turned the sign-up down
    SUSPENDED = "suspended"  # node staff stopped the account


class EmailTokenPurpose(StrEnum):
    """What a single-use link mailed to an account does."""

    CONFIRM = "confirm"  # confirms the address (sign-up)
    RESET = "reset"  # sets a new password


S = TypeVar("S", bound=StrEnum)

TRANSITIONS: Mapping[type[StrEnum], Mapping[StrEnum, frozenset[StrEnum]]] = {
    AccountState: {
        # Staff may turn down a sign-up before its email is confirmed (spam), never approve it.
        AccountState.UNCONFIRMED: frozenset(
            {AccountState.AWAITING_APPROVAL, AccountState.ACTIVE, AccountState.REJECTED}
        ),
        AccountState.AWAITING_APPROVAL: frozenset({AccountState.ACTIVE, AccountState.REJECTED}),
        AccountState.ACTIVE: frozenset({AccountState.SUSPENDED}),
        AccountState.REJECTED: frozenset({AccountState.ACTIVE}),  # staff thought again
        AccountState.SUSPENDED: frozenset({AccountState.ACTIVE}),
    },
    MembershipState: {
        MembershipState.PENDING: frozenset(
            {MembershipState.ACCEPTED, MembershipState.REJECTED, MembershipState.LEFT}
        ),
        MembershipState.ACCEPTED: frozenset({MembershipState.LEFT}),
        MembershipState.REJECTED: frozenset({MembershipState.PENDING}),
        MembershipState.LEFT: frozenset({MembershipState.PENDING, MembershipState.ACCEPTED}),
    },
    PostState: {
        PostState.LIVE: frozenset({PostState.REMOVED, PostState.DELETED}),
        PostState.REMOVED: frozenset({PostState.LIVE, PostState.DELETED}),
        PostState.DELETED: frozenset(),
        PostState.HELD: frozenset({PostState.LIVE, PostState.REMOVED, PostState.DELETED}),
    },
    ActivityState: {
        ActivityState.RECEIVED: frozenset({ActivityState.PROCESSED, ActivityState.REJECTED}),
        ActivityState.PROCESSED: frozenset(),
        ActivityState.REJECTED: frozenset(),
        ActivityState.QUEUED: frozenset({ActivityState.FANNED_OUT}),
        ActivityState.FANNED_OUT: frozenset(),
    },
    DeliveryState: {
        DeliveryState.PENDING: frozenset(
            {DeliveryState.DELIVERED, DeliveryState.FAILED, DeliveryState.CANCELLED}
        ),
        DeliveryState.DELIVERED: frozenset(),
        DeliveryState.FAILED: frozenset({DeliveryState.PENDING}),
        DeliveryState.CANCELLED: frozenset(),
    },
    ReportState: {
        ReportState.OPEN: frozenset({ReportState.RESOLVED, ReportState.DISMISSED}),
        ReportState.RESOLVED: frozenset({ReportState.OPEN}),
        ReportState.DISMISSED: frozenset({ReportState.OPEN}),
    },
    BanState: {
        BanState.ACTIVE: frozenset({BanState.LIFTED, BanState.EXPIRED}),
        BanState.LIFTED: frozenset(),
        BanState.EXPIRED: frozenset(),
    },
    KeyState: {
        KeyState.ACTIVE: frozenset({KeyState.RETIRED}),
        KeyState.RETIRED: frozenset(),
    },
    SourceState: {
        SourceState.OK: frozenset({SourceState.FAILING}),
        SourceState.FAILING: frozenset({SourceState.OK}),
    },
    DraftState: {
        DraftState.PENDING: frozenset(
            {DraftState.ACCEPTED, DraftState.REJECTED, DraftState.SUPERSEDED}
        ),
        DraftState.ACCEPTED: frozenset(),
        DraftState.REJECTED: frozenset(),
        DraftState.SUPERSEDED: frozenset(),
    },
}


class IllegalTransition(Exception):
    """A state change that the table above does not allow: a bug, not bad input."""


def check_transition(current: S, target: S) -> None:
    allowed = TRANSITIONS[type(current)][current]
    if target not in allowed:
        raise IllegalTransition(f"{type(current).__name__}: {current} -> {target} is not allowed")


class Stateful(Protocol[S]):
    """A row with a state column (a membership, an activity, a delivery, a report...)."""

    state: S


def advance(row: Stateful[S], target: S) -> bool:
    """Move a row to `target` if the table above allows it (an impossible move raises);
    staying where it is, is no move. Returns whether the state changed."""
    if row.state == target:
        return False
    check_transition(row.state, target)
    row.state = target
    return True
