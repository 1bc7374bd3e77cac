"""What of a post the detector reads: its title, content warning and text as plain words, and
the language the post declares."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from moderation.crisis.detector import assess
from moderation.crisis.levels import Assessment
from moderation.crisis.model import combine

if TYPE_CHECKING:  # a type only: the `cove` parser reads report categories without the wire
    from federation.wire import WireObject

_TAG = re.compile(r"<[^>]*>")
_BREAK = re.compile(r"(?i)</p>|<br\s*/?>")


def plain_words(content: str) -> str:
    """HTML as the words a reader sees: breaks kept, tags dropped, entities read (cheap: the
    text is only read here, never shown)."""
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", content)))


def read_object(
    obj: WireObject, raw: Mapping[str, Any] | None = None, *, second_stage: bool = False
) -> Assessment:
    """The assessment of a post as it arrived, in the language it declares (else detected);
    `second_stage`: the shipped model may raise what the lists read."""
    return read_parts(obj.name, obj.summary, obj.content, language_of(raw), second_stage)


def read_raw(raw: Mapping[str, Any], *, second_stage: bool = False) -> Assessment:
    """The same reading of a post still in its received JSON (the inbox's triage)."""

    def text(key: str) -> str | None:
        value = raw.get(key)
        return value if isinstance(value, str) else None

    return read_parts(
        text("name"), text("summary"), text("content"), language_of(raw), second_stage
    )


def read_parts(
    name: str | None,
    summary: str | None,
    content: str | None,
    language: str | None,
    second_stage: bool = False,
) -> Assessment:
    parts = (name, summary, plain_words(content or ""))
    return read_text("\n".join(p for p in parts if p), language, second_stage)


# The triage and the admission read the same post moments apart: the second reading is free.
@lru_cache(maxsize=512)
def read_text(text: str, language: str | None = None, second_stage: bool = False) -> Assessment:
    """The assessment of plain text (a member's post as written here)."""
    first = assess(text, language)
    return combine(first, text) if second_stage else first


def language_of(raw: Mapping[str, Any] | None) -> str | None:
    """The language a post declares: the one key of its contentMap (Mastodon, Lemmy), else
    Lemmy's `language` object; None when it declares none or several."""
    if not raw:
        return None
    content_map = raw.get("contentMap")
    if isinstance(content_map, Mapping) and len(content_map) == 1:
        key = next(iter(content_map))
        if isinstance(key, str) and key:
            return key
    language = raw.get("language")
    if isinstance(language, Mapping) and isinstance(language.get("identifier"), str):
        return str(language["identifier"])
    return None
