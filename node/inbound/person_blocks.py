"""A person elsewhere blocking a member here (a Block with no target, naming the member), and
its Undo: kept, so nothing of the member's is addressed or delivered to them directly."""

from __future__ import annotations

import logging

from sqlalchemy import delete
from sqlmodel import col, select

from federation.client import FederationClient
from federation.errors import FetchError, Refused
from federation.wire import Activity, WireBlock
from node.actors.remote import remote_actor
from node.members.accounts import account_at
from node.runtime import Node
from node.store.tables import RemoteBlock

log = logging.getLogger(__name__)


async def receive_block(node: Node, client: FederationClient, activity: Activity) -> None:
    """Mastodon's shape: {type: Block, actor, object: the member}. Kept once per blocker and
    member; a Block of someone not on this node is no business of ours."""
    assert isinstance(activity, WireBlock)  # the dispatch key says so
    async with node.store.session() as session:
        account = await account_at(session, node, activity.blocked)
    if account is None or account.id is None:
        log.info("event=block_ignored id=%s reason=no_such_member", activity.id)
        return
    await _know(node, client, activity.actor)
    async with node.store.transaction() as session:
        found = await session.exec(
            select(RemoteBlock).where(
                RemoteBlock.blocker_uri == activity.actor, RemoteBlock.account_id == account.id
            )
        )
        row = found.first()
        if row is None:
            row = RemoteBlock(
                blocker_uri=activity.actor,
                account_id=account.id,
                activity_uri=activity.id,
                created_at=node.clock(),
            )
            session.add(row)
        row.activity_uri = activity.id
    log.info("event=member_blocked actor=%s member=%s", activity.actor, activity.blocked)


async def _know(node: Node, client: FederationClient, actor: str) -> None:
    """The blocker's actor, stored: its own inbox is where nothing of the member's may go."""
    try:
        await remote_actor(node, client, actor)
    except FetchError as e:  # its signature was checked: the key's owner is known already
        log.info("event=blocker_unfetched actor=%s reason=%s", actor, e.reason)


async def receive_block_undone(node: Node, client: FederationClient, activity: Activity) -> None:
    """Undo{Block}: only the blocker lifts their own block."""
    block = activity.object
    assert isinstance(block, WireBlock)  # the dispatch key says so
    if block.actor != activity.actor:
        raise Refused("only its own actor may undo a Block of a person")
    async with node.store.transaction() as session:
        account = await account_at(session, node, block.blocked)
        if account is None:
            return
        await session.exec(
            delete(RemoteBlock).where(
                col(RemoteBlock.blocker_uri) == activity.actor,
                col(RemoteBlock.account_id) == account.id,
            )
        )
    log.info("event=member_unblocked actor=%s member=%s", activity.actor, block.blocked)
