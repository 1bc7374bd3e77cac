"""The actions a group's public moderation log records."""

from __future__ import annotations

from enum import StrEnum


class ModAction(StrEnum):
    REMOVE_POST = "remove_post"
    RESTORE_POST = "restore_post"
    PURGE_POST = "purge_post"  # a removed post erased for good
    LOCK_POST = "lock_post"
    UNLOCK_POST = "unlock_post"
    PIN_POST = "pin_post"
    UNPIN_POST = "unpin_post"
    BAN = "ban"
    UNBAN = "unban"
    BAN_EXPIRED = "ban_expired"
    ADD_MODERATOR = "add_moderator"
    REMOVE_MODERATOR = "remove_moderator"
    CHANGE_RULES = "change_rules"
    SUSPEND = "suspend"  # node-level: a remote actor cut off from the whole node
    UNSUSPEND = "unsuspend"
    BLOCK_DOMAIN = "block_domain"  # a group's moderators keep a server out of the group
    UNBLOCK_DOMAIN = "unblock_domain"
    CHANGE_ROLE = "change_role"  # node-level: a local account given another node role


# How each action appears to other software reading the log collection (ActivityStreams types).
ACTIVITY_TYPE = {
    ModAction.REMOVE_POST: "Delete",
    ModAction.RESTORE_POST: "Undo",
    ModAction.PURGE_POST: "Delete",
    ModAction.LOCK_POST: "Lock",
    ModAction.UNLOCK_POST: "Undo",
    ModAction.PIN_POST: "Add",
    ModAction.UNPIN_POST: "Remove",
    ModAction.BAN: "Block",
    ModAction.UNBAN: "Undo",
    ModAction.BAN_EXPIRED: "Undo",
    ModAction.ADD_MODERATOR: "Add",
    ModAction.REMOVE_MODERATOR: "Remove",
    ModAction.CHANGE_RULES: "Update",
    ModAction.SUSPEND: "Block",
    ModAction.UNSUSPEND: "Undo",
    ModAction.BLOCK_DOMAIN: "Block",
    ModAction.UNBLOCK_DOMAIN: "Undo",
    ModAction.CHANGE_ROLE: "Update",
}
