"""Worry that crosses servers: when a moderator here refers a report about a person elsewhere
(or a member here is worried about one), a Flag goes to the person's home server so its
moderators, who may know them, can act. A detector's finding alone never leaves the node."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from federation import builders
from federation.client import FederationClient
from federation.errors import Invalid, NotFound
from federation.vocabulary import cove_context
from moderation import reports as policy
from moderation.reports import ReportCategory
from node.actors.instance import get_instance
from node.actors.remote import remote_actor, software_name
from node.groups.groups import GroupInfo, get_group_by_id
from node.moderators.reports.info import ReportInfo, record_event, report_info
from node.moderators.roles import Acting, require_group_moderator, require_node_moderator
from node.queue.delivery import inbox_of, queue
from node.runtime import Node
from node.store.states import ReportDirection, Visibility
from node.store.tables import Report

log = logging.getLogger(__name__)

WORRIED = ReportCategory.SELF_HARM


def worried_comment(who: str, comment: str = "") -> str:
    """What a worried Flag says, in words any moderator reads the same (Mastodon shows only
    this text), with what the person here added after it."""
    said = (
        f"{who} is worried about this person's safety (self-harm or suicide risk)."
        " This is not an accusation."
    )
    if not comment.strip():
        return said
    return f"{said}\n\n{comment.strip()}"[: policy.MAX_COMMENT]


async def worried_flag(
    node: Node,
    client: FederationClient,
    flag_id: str,
    sender: str,
    person_uri: str,
    post_uri: str | None,
    comment: str,
) -> dict[str, object]:
    """The Flag for the person's home server: Mastodon's shape ([account, post], addressed to
    the account, the comment as content), which every server reads; a Cove server is also
    told the category, so it opens the report as urgent whatever the words say."""
    objects = [person_uri, post_uri] if post_uri else [person_uri]
    host = urlsplit(person_uri).netloc.lower()
    if await software_name(node, client, host) != "cove":
        return builders.flag(flag_id, sender, objects, [person_uri], comment)
    return builders.flag(
        flag_id,
        sender,
        objects,
        [person_uri],
        comment,
        category=WORRIED.value,
        context=cove_context(node.urls.vocabulary()),
    )


async def _may_refer(node: Node, acting: Acting, row: Report) -> GroupInfo | None:
    async with node.store.session() as session:
        if row.group_id is None:
            require_node_moderator(acting)
            return None
        group = await get_group_by_id(session, row.group_id)
        await require_group_moderator(session, acting, group)
        return group


async def refer(
    node: Node, client: FederationClient, acting: Acting, report_id: int, comment: str = ""
) -> ReportInfo:
    """A moderator here sends a report about a person elsewhere on to their home server, as
    a worry about their safety, from the group the report is in (else the node): the
    reporter is never named. Refused for a report about someone on this node."""
    async with node.store.session() as session:
        row = await session.get(Report, report_id)
    if row is None or row.direction != ReportDirection.RECEIVED:
        raise NotFound("no report {report_id}", report_id=report_id)
    group = await _may_refer(node, acting, row)
    person_uri = row.target_account_uri
    if person_uri is None or urlsplit(person_uri).netloc.lower() == node.urls.domain:
        raise Invalid(
            "report {report_id} is about someone on this node: no server to tell",
            report_id=report_id,
        )
    person = await remote_actor(node, client, person_uri)
    if group is not None:
        sender_id, sender = group.actor_id, node.urls.group(group.name)
        who = f"A moderator of the group {group.title}"
    else:
        sender_id, sender = (await get_instance(node)).actor_id, node.urls.instance_actor()
        who = f"A moderator of {node.config.node.name}"
    text = worried_comment(who, policy.checked_comment(comment))
    post = row.target_uri if row.target_is_post else None
    flag_id = node.urls.activity(f"refer-{node.token()}")
    flag = await worried_flag(node, client, flag_id, sender, person.uri, post, text)
    now = node.clock()
    async with node.store.transaction() as session:
        await queue(session, sender_id, flag, Visibility.DIRECT, [inbox_of(person)], now)
        record_event(session, report_id, "referred", acting.uri, urlsplit(person.uri).netloc, now)
        stored = await session.get(Report, report_id)
        assert stored is not None
        info = report_info(stored)
    log.info("event=report_referred id=%s host=%s flag=%s", report_id, person.domain, flag_id)
    return info
