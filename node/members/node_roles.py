"""A member's role on the whole node, given or taken back by an admin: admin, moderator,
organizer (starts groups), or member again. The node never loses its last admin this way."""

from __future__ import annotations

import logging

from sqlalchemy import func
from sqlmodel import col, select

from federation.errors import Conflict, Refused
from node.members.accounts import AccountInfo, account_row, get_account_by_id
from node.moderators.roles import Acting, require_node_admin
from node.runtime import Node
from node.store.states import AccountRole
from node.store.tables import Account

log = logging.getLogger(__name__)


async def set_role(node: Node, acting: Acting, username: str, role: AccountRole) -> AccountInfo:
    """Give a local account a node role (node admins only, as the roles are theirs to hand
    out); the account's pages and the API follow at its next request."""
    require_node_admin(acting, "node roles")
    async with node.store.transaction() as session:
        account, info = await account_row(session, username)
        if account.role == role:
            raise Conflict(
                "{username} already has the role {role}", username=info.username, role=role.value
            )
        if account.role == AccountRole.ADMIN:
            admins = await session.exec(
                select(func.count())
                .select_from(Account)
                .where(Account.role == AccountRole.ADMIN, col(Account.deleted_at).is_(None))
            )
            if int(admins.one()) <= 1:
                raise Refused(
                    "{username} is the node's only admin: make someone else admin first",
                    username=info.username,
                )
        account.role = role
        await session.flush()
        changed = await get_account_by_id(session, info.id)
    log.info("event=role_changed account=%s role=%s by=%s", info.username, role, acting.uri)
    return changed
