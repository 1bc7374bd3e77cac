"""What a group gathers around: its kind and topics, read from what an organizer types, and
changed later (the actor document, cached, follows through the change feed)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from federation.errors import Invalid
from node.groups.groups import GroupInfo, get_group, get_group_by_id
from node.moderators.roles import Acting, require_group_moderator
from node.runtime import Node
from node.store.states import GroupKind
from node.store.tables import CommunityGroup

MAX_TOPICS = 10
MAX_TOPIC = 40
# Letters of any script, digits, underscore and hyphen: what a hashtag holds on Mastodon and
# Lemmy, plus the hyphen people write in "self-care".
TOPIC_PATTERN = re.compile(r"^[\w-]+$")


def parse_kind(text: str) -> GroupKind:
    try:
        return GroupKind(text.strip().lower())
    except ValueError:
        choices = ", ".join(k.value for k in GroupKind)
        raise Invalid(
            "unknown group kind {text!r}: use one of {choices}", text=text, choices=choices
        ) from None


def normalise_topic(text: str) -> str:
    """One topic as it is stored and federated: no '#', lowercase."""
    topic = text.strip().lstrip("#").lower()
    if not topic:
        raise Invalid("a topic needs at least one letter or digit: {text!r}", text=text)
    if len(topic) > MAX_TOPIC:
        raise Invalid(
            "the topic {topic!r} is longer than {limit} characters", topic=topic, limit=MAX_TOPIC
        )
    if not TOPIC_PATTERN.match(topic) or topic.strip("_-") == "":
        raise Invalid(
            "the topic {text!r} may hold only letters, digits, '_' and '-', like a hashtag",
            text=text,
        )
    return topic


def normalise_topics(texts: Iterable[str]) -> list[str]:
    """Topics in the order given, each once."""
    topics = list(dict.fromkeys(normalise_topic(t) for t in texts))
    if len(topics) > MAX_TOPICS:
        raise Invalid(
            "a group has at most {limit} topics ({count} given)",
            limit=MAX_TOPICS,
            count=len(topics),
        )
    return topics


async def describe_group(
    node: Node,
    acting: Acting,
    name: str,
    *,
    kind: GroupKind | None = None,
    topics: list[str] | None = None,
) -> GroupInfo:
    """Set a group's kind, its topics (normalised), or both (None leaves one as it is): for
    its moderators and the node's staff."""
    async with node.store.transaction() as session:
        group = await get_group(session, name)
        await require_group_moderator(session, acting, group)
        row = await session.get(CommunityGroup, group.id)
        assert row is not None
        if kind is not None:
            row.kind = kind
        if topics is not None:
            row.topics = normalise_topics(topics)
    async with node.store.session() as session:
        return await get_group_by_id(session, group.id)
