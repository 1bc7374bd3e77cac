"""The words of care messages: Cove's own in each language it ships (care_words.toml), a
group's own words that its owner or moderators set, and a message written from either."""

from __future__ import annotations

import functools
import html
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources as package_files

from federation.errors import Invalid
from moderation.crisis.places import primary_language
from node.crisis.resources import Resource
from node.groups.groups import get_group
from node.moderators.roles import Acting, require_group_moderator
from node.runtime import Node
from node.store.tables import CommunityGroup
from node.text import plain_to_html

MAX_WORDS = 5000
GROUP_MARK = "{group}"
RESOURCES_MARK = "{resources}"


@functools.cache
def shipped_words() -> Mapping[str, Mapping[str, str]]:
    """Cove's words by language, then by kind ("care", "hold")."""
    text = package_files.files("node.crisis").joinpath("care_words.toml").read_text("utf-8")
    return {
        language: {kind: words.strip() for kind, words in kinds.items()}
        for language, kinds in tomllib.loads(text).items()
    }


def words_language(node: Node, language: str | None) -> str:
    """The language to write in: the person's when Cove ships words in it, else the node's
    default when it ships those, else English."""
    for candidate in (primary_language(language), node.config.crisis.default_language):
        if candidate is not None and candidate in shipped_words():
            return candidate
    return "en"


def cove_words(language: str, hold: bool) -> str:
    return shipped_words()[language]["hold" if hold else "care"]


@dataclass(frozen=True, slots=True)
class CareText:
    """A care message as plain text (a notification) and as HTML (a Note)."""

    plain: str
    html: str


def write_message(words: str, group_title: str, found: Sequence[Resource]) -> CareText:
    """The message from the words: the group's title for {group}, the crisis lines for
    {resources} (after the words when they lack the mark: an organizer's words never send a
    message without the lines)."""
    lines = "\n".join(r.line() for r in found)
    text = words.replace(GROUP_MARK, group_title)
    text = text.replace(RESOURCES_MARK, lines) if RESOURCES_MARK in text else f"{text}\n\n{lines}"
    body = plain_to_html(text)
    for url in dict.fromkeys(r.url for r in found if r.url):
        # Escaped once, as plain_to_html wrote it; checked http(s) when the resource was saved.
        shown = html.escape(url)
        body = body.replace(shown, f'<a href="{shown}" rel="nofollow noopener">{shown}</a>')
    return CareText(text, body)


def checked_words(text: str) -> str:
    words = text.strip()
    if not words:
        raise Invalid("the words are empty: say something, or use --reset for Cove's own")
    if len(words) > MAX_WORDS:
        raise Invalid("the words are longer than {limit} characters", limit=MAX_WORDS)
    return words


@dataclass(frozen=True, slots=True)
class GroupWords:
    """A group's care or hold words: its own (None: Cove's) and what is sent meanwhile."""

    group: str
    hold: bool
    own: str | None
    in_use: str

    def as_json(self) -> dict[str, object]:
        return {
            "group": self.group,
            "kind": "hold" if self.hold else "care",
            "own": self.own,
            "in_use": self.in_use,
        }


async def group_words(
    node: Node,
    acting: Acting,
    group_name: str,
    *,
    hold: bool,
    change: str | None = None,
    reset: bool = False,
) -> GroupWords:
    """Show, change (`change`) or reset to Cove's (`reset`) a group's care or hold words: its
    owner's and moderators' to write, as they know their group's voice."""
    new = checked_words(change) if change is not None else None
    async with node.store.transaction() as session:
        group = await get_group(session, group_name)
        await require_group_moderator(session, acting, group)
        row = await session.get(CommunityGroup, group.id)
        assert row is not None
        if new is not None or reset:
            setattr(row, "hold_template" if hold else "care_template", new)
        own = row.hold_template if hold else row.care_template
    language = words_language(node, None)
    return GroupWords(group.name, hold, own, own or cove_words(language, hold))
