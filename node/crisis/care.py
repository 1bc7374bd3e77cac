"""Care messages: a group (or the node) privately offers a person crisis lines and kind words,
at most once a day, never to someone who said no; and a member's choice to get them or not."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from federation import builders
from federation.client import FederationClient
from federation.errors import FetchError, NotFound
from federation.vocabulary import iso8601
from node.actors.instance import get_instance
from node.actors.remote import remote_actor, software_name
from node.crisis.care_words import CareText, cove_words, words_language, write_message
from node.crisis.resources import resources_for, seed_if_empty
from node.groups.groups import GroupInfo
from node.members.accounts import AccountInfo, account_at
from node.members.notifications import NotificationKind, notify
from node.queue.delivery import queue
from node.runtime import Node
from node.store.states import CareReason, Visibility
from node.store.tables import Account, CareMessage, CommunityGroup, RemoteActor
from node.text import html_to_plain

log = logging.getLogger(__name__)

# One care message a day is care; more would be pressure. A hold message is always sent: it
# explains what happened to the person's own post.
CARE_EVERY = timedelta(hours=24)
NO_CARE = "nocare"
_NO_CARE_TAG = re.compile(rf"(?<![\w#])#{NO_CARE}\b", re.IGNORECASE)


def wants_no_care(summary: str | None, tags: Any = None) -> bool:
    """Whether a profile says #nocare: in its text (Mastodon links a hashtag in a bio, so the
    HTML is read as text first) or among its hashtags (`tag`, as Mastodon lists a bio's)."""
    if summary and _NO_CARE_TAG.search(html_to_plain(summary)):
        return True
    listed = tags if isinstance(tags, list) else [tags]
    return any(
        isinstance(t, Mapping)
        and t.get("type") == "Hashtag"
        and str(t.get("name", "")).lstrip("#").lower() == NO_CARE
        for t in listed
    )


async def offer_care(
    node: Node,
    client: FederationClient,
    group: GroupInfo | None,
    person_uri: str,
    reason: CareReason,
    language: str | None = None,
) -> bool:
    """Send `person_uri` a care message from `group` (None: the node's instance actor) in
    `language` (what they wrote in, when known): a notification for a member here, a direct
    Note to their own inbox for a person elsewhere. Whether one was sent: not to a person who
    opted out or said #nocare, nor a second within a day (a hold message always goes)."""
    async with node.store.session() as session:
        account = await account_at(session, node, person_uri)
    if account is not None:
        if account.care_opt_out or wants_no_care(account.summary):
            return _skipped("opted_out", reason, group)
        return await _send(node, group, person_uri, reason, language, account=account)
    person = await _remote_person(node, client, person_uri)
    if person is None:
        return _skipped("unreachable", reason, group)
    if wants_no_care(person.document.get("summary"), person.document.get("tag")):
        return _skipped("opted_out", reason, group)
    if (
        reason == CareReason.WORRIED
        and await software_name(node, client, _host(person_uri)) == "cove"
    ):
        # The worry reached their home node as a Flag, which offers care there, as a
        # notification; a Cove inbox has no place for a direct Note to one of its members.
        return _skipped("home_node_cares", reason, group)
    return await _send(node, group, person_uri, reason, language, remote=person)


def _skipped(why: str, reason: CareReason, group: GroupInfo | None) -> bool:
    log.info(
        "event=care_skipped why=%s reason=%s group=%s",
        why,
        reason.value,
        group.name if group else "-",
    )
    return False


async def _remote_person(
    node: Node, client: FederationClient, person_uri: str
) -> RemoteActor | None:
    """The person's actor as stored (fetched when unknown): a care message goes to a person
    only, never to a group or a server's actor."""
    try:
        actor = await remote_actor(node, client, person_uri)
    except (FetchError, NotFound) as e:
        log.warning("event=care_unreachable person_host=%s reason=%s", _host(person_uri), e)
        return None
    return actor if actor.type == "Person" else None


def _host(uri: str) -> str:
    return uri.split("//", 1)[-1].split("/", 1)[0]


async def _cared_for_lately(session: AsyncSession, person_uri: str, now: datetime) -> bool:
    found = await session.exec(
        select(CareMessage.id).where(
            CareMessage.person_uri == person_uri, CareMessage.created_at > now - CARE_EVERY
        )
    )
    return found.first() is not None


async def _send(
    node: Node,
    group: GroupInfo | None,
    person_uri: str,
    reason: CareReason,
    language: str | None,
    *,
    account: Account | None = None,
    remote: RemoteActor | None = None,
) -> bool:
    words = words_language(node, language)
    # Read before the transaction: SQLite would have one connection wait on the other.
    sender = await _sender(node, group) if remote is not None else None
    now = node.clock()
    async with node.store.transaction() as session:
        if reason != CareReason.HELD and await _cared_for_lately(session, person_uri, now):
            return _skipped("sent_today", reason, group)
        await seed_if_empty(session, now)
        found = await resources_for(session, node.config.crisis.default_country, words)
        title, own = await _group_words(session, node, group, reason)
        message = write_message(own or cove_words(words, reason == CareReason.HELD), title, found)
        note_uri = None
        if account is not None:
            assert account.id is not None
            notify(session, [account.id], NotificationKind.CARE, message.plain, now)
        elif remote is not None and sender is not None:
            note_uri = await _deliver(node, session, sender, remote, message, words)
        session.add(
            CareMessage(
                person_uri=person_uri,
                group_id=group.id if group else None,
                reason=reason,
                note_uri=note_uri,
                created_at=now,
            )
        )
    log.info(
        "event=care_sent reason=%s group=%s local=%s note=%s",
        reason.value,
        group.name if group else "-",
        account is not None,
        note_uri or "-",
    )
    return True


async def _sender(node: Node, group: GroupInfo | None) -> tuple[int, str]:
    """The local actor a care message comes from, and its id."""
    if group is not None:
        return group.actor_id, node.urls.group(group.name)
    return (await get_instance(node)).actor_id, node.urls.instance_actor()


async def _group_words(
    session: AsyncSession, node: Node, group: GroupInfo | None, reason: CareReason
) -> tuple[str, str | None]:
    """The title a message names, and the group's own words for it (None: Cove's)."""
    if group is None:
        return node.config.node.name, None
    row = await session.get(CommunityGroup, group.id)
    assert row is not None
    own = row.hold_template if reason == CareReason.HELD else row.care_template
    return group.title, own


async def _deliver(
    node: Node,
    session: AsyncSession,
    sender: tuple[int, str],
    person: RemoteActor,
    message: CareText,
    language: str,
) -> str:
    """A direct Note to the person alone, written to the sender's outbox with its delivery
    to their own inbox: a shared inbox would hand it to a server to fan out, and a message
    about someone's safety must reach them and nobody else."""
    sender_id, sender_uri = sender
    token = node.token()
    note = builders.direct_note(
        node.urls.activity(f"care-{token}"),
        sender_uri,
        person.uri,
        message.html,
        iso8601(node.clock()),
        language=language,
    )
    create = builders.create(node.urls.activity(f"care-{token}-create"), sender_uri, note)
    await queue(session, sender_id, create, Visibility.DIRECT, [person.inbox], node.clock())
    return str(note["id"])


async def set_care(node: Node, account: AccountInfo, wanted: bool) -> bool:
    """A member turns care messages on or off for themselves; whether they now get them."""
    async with node.store.transaction() as session:
        row = await session.get(Account, account.id)
        assert row is not None
        row.care_opt_out = not wanted
    log.info("event=care_choice account=%s wanted=%s", account.username, wanted)
    return wanted
