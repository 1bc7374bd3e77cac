"""The node's accounts as its admins see them: every account, a page at a time and found by
name, and changing an account's node role (never leaving the node without an admin)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import col, select

from federation.errors import Conflict
from moderation.modlog import ModAction
from node.members.accounts import AccountInfo, account_info, account_row, get_account_by_id
from node.moderators import modlog
from node.moderators.roles import Acting, require_node_admin, require_node_moderator
from node.runtime import Node
from node.store.states import AccountRole, AccountState
from node.store.tables import Account, LocalActor

log = logging.getLogger(__name__)

PAGE_SIZE = 50
MAX_SEARCH = 100


@dataclass(frozen=True, slots=True)
class AccountsPage:
    accounts: list[AccountInfo]
    more: bool  # there is a page after this one


def _like(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def accounts_page(
    node: Node,
    acting: Acting,
    search: str = "",
    page: int = 1,
    size: int = PAGE_SIZE,
    state: AccountState | None = None,
) -> AccountsPage:
    """Live accounts by username, `size` to a page (from 1): those whose username or display
    name holds `search` (any case) when it is given, those in `state` when it is. Node staff
    only: states are theirs."""
    require_node_moderator(acting)
    query = (
        select(Account, LocalActor.username)
        .join(LocalActor, col(Account.actor_id) == col(LocalActor.id))
        .where(col(Account.deleted_at).is_(None))
    )
    if state is not None:
        query = query.where(Account.state == state)
    wanted = search.strip().lstrip("@").lower()[:MAX_SEARCH]
    if wanted:
        pattern = _like(wanted)
        query = query.where(
            or_(
                col(LocalActor.username).like(pattern, escape="\\"),
                func.lower(col(Account.display_name)).like(pattern, escape="\\"),
            )
        )
    query = query.order_by(col(LocalActor.username)).offset((page - 1) * size).limit(size + 1)
    async with node.store.session() as session:
        rows = (await session.exec(query)).all()
    found = [account_info(account, name or "") for account, name in rows]
    return AccountsPage(found[:size], len(found) > size)


async def set_role(node: Node, acting: Acting, username: str, role: AccountRole) -> AccountInfo:
    """Give an account another node role: node admins only. The last admin in use keeps
    theirs, so that someone can still run the node from the web (the console's operator
    always can). Written to the node's moderation log."""
    require_node_admin(acting, "node roles")
    async with node.store.transaction() as session:
        account, info = await account_row(session, username)
        if account.role == role:
            raise Conflict("{username} is {role} already", username=info.username, role=role.value)
        if account.role == AccountRole.ADMIN:
            # Locked until the commit: two admins demoting each other at once cannot both
            # pass (PostgreSQL; SQLite runs one writer at a time).
            admins = await session.exec(
                select(Account.id)
                .where(
                    Account.role == AccountRole.ADMIN,
                    Account.state == AccountState.ACTIVE,
                    col(Account.deleted_at).is_(None),
                )
                .with_for_update()
            )
            if not set(admins.all()) - {account.id}:
                raise Conflict(
                    "{username} is the node's last admin: make someone else an admin first",
                    username=info.username,
                )
        was = account.role
        account.role = role
        modlog.record(
            session,
            None,
            ModAction.CHANGE_ROLE,
            acting.uri,
            node.urls.person(info.username),
            node.clock(),
            reason=f"{was.value} -> {role.value}",
        )
    log.info(
        "event=account_role account=%s from=%s to=%s by=%s",
        info.username,
        was.value,
        role.value,
        acting.name,
    )
    async with node.store.session() as session:
        return await get_account_by_id(session, info.id)
