"""Answers from other servers to what members here sent: Accept or Reject of a Follow (a group
elsewhere letting a member in, or not) and of a Flag (what a server did about a report)."""

from __future__ import annotations

import logging

from sqlmodel import select

from federation.client import FederationClient
from federation.wire import Activity
from node.moderators.reports import decisions
from node.runtime import Node
from node.store.states import MembershipState, advance
from node.store.tables import RemoteMembership

log = logging.getLogger(__name__)


async def receive_flag_answer(node: Node, client: FederationClient, activity: Activity) -> None:
    await decisions.receive_outcome(node, activity, accepted=activity.type == "Accept")


async def receive_follow_answer(node: Node, client: FederationClient, activity: Activity) -> None:
    """Accept or Reject{Follow} from a group a member asked to join."""
    accepted = activity.type == "Accept"
    follow_id = activity.object_id
    async with node.store.transaction() as session:
        row = (
            await session.exec(
                select(RemoteMembership).where(
                    RemoteMembership.follow_uri == follow_id,
                    RemoteMembership.group_uri == activity.actor,
                )
            )
        ).first()
        if row is None:
            return
        target = MembershipState.ACCEPTED if accepted else MembershipState.REJECTED
        if advance(row, target):
            row.updated_at = node.clock()
    log.info("event=membership_answered group=%s accepted=%s", activity.actor, accepted)
