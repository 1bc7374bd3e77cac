"""What a group gathers around: its kind and topics, read from what an organizer types (they
are changed with the group's other settings: node.groups.organizing)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from federation.errors import Invalid
from node.store.states import GroupKind

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


def topics_in(text: str) -> list[str]:
    """The topics a person typed in one line, between commas or spaces ("grief, #loss")."""
    return [t for t in re.split(r"[,\s]+", text) if t.strip("#")]


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
