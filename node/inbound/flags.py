"""Reports from other servers: a Flag is checked at the inbox (one naming nothing here, or with
a bad category or rule, is answered with the reason at once) and opened as a report."""

from __future__ import annotations

from federation.client import FederationClient
from federation.wire import Activity
from node.moderators.reports import received
from node.runtime import Node


async def verify_flag(node: Node, client: FederationClient, activity: Activity) -> None:
    # Reports are rare and must not vanish quietly: the sender hears what is wrong with one.
    await received.check_flag(node, activity)


async def receive_flag(node: Node, client: FederationClient, activity: Activity) -> None:
    await received.receive_flag(node, client, activity)
