"""Who may moderate: node roles (admin, moderator, organizer, member) and group roles (owner,
moderator)."""

from __future__ import annotations

from enum import StrEnum


class AccountRole(StrEnum):
    """A local account's role on the whole node."""

    ADMIN = "admin"
    MODERATOR = "moderator"
    # Starts groups (and owns those it starts), with no power over the rest of the node.
    ORGANIZER = "organizer"
    MEMBER = "member"


class GroupRole(StrEnum):
    """A member's role in one group."""

    OWNER = "owner"
    MODERATOR = "moderator"
    MEMBER = "member"


MODERATING = frozenset({GroupRole.OWNER, GroupRole.MODERATOR})
STAFF = frozenset({AccountRole.ADMIN, AccountRole.MODERATOR})


def may_moderate_group(node_role: AccountRole | None, group_role: GroupRole | None) -> bool:
    """Remove, restore, lock, pin, ban, handle the group's reports. Node staff act in every
    group (Mastodon's moderators see every report); group moderators in their own only."""
    return node_role in STAFF or group_role in MODERATING


def may_appoint(node_role: AccountRole | None, group_role: GroupRole | None) -> bool:
    """Add or remove a group's moderators, and change its rules: its owner or a node admin."""
    return node_role == AccountRole.ADMIN or group_role == GroupRole.OWNER


def may_found_group(node_role: AccountRole | None) -> bool:
    """Create a group, becoming its owner: node admins, and the organizers they name (people
    trusted to start communities, who need no say over the node's other groups, reports or
    federation)."""
    return node_role in (AccountRole.ADMIN, AccountRole.ORGANIZER)


def may_moderate_node(node_role: AccountRole | None) -> bool:
    """Reports about this node's members, and suspensions of remote actors."""
    return node_role in STAFF


def may_manage_federation(node_role: AccountRole | None) -> bool:
    """Domain blocks and allows, blocklist subscriptions, the federation mode: node admins
    (Mastodon keeps these behind "Manage Federation", an admin's permission)."""
    return node_role == AccountRole.ADMIN


def may_administer_node(node_role: AccountRole | None) -> bool:
    """What the node answers for as a whole: its crisis lines (for its region), members'
    professional credentials (other servers show the badge on the node's word alone), and
    its own crisis webhooks: node admins, not a group's moderators."""
    return node_role == AccountRole.ADMIN


def may_set_paging(node_role: AccountRole | None, group_role: GroupRole | None) -> bool:
    """Whether a group pages its members' verified professionals about acute items: the
    group's owner and moderators, who answer for its care, or a node admin."""
    return node_role == AccountRole.ADMIN or group_role in MODERATING
