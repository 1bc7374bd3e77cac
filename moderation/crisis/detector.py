"""PLACEHOLDER until the lists land: the detector's interface, with the old worry pattern."""

from __future__ import annotations

import re

from moderation.crisis.levels import Assessment, Level

_WORRY = re.compile(
    r"\b(suicid\w*|self[- ]?harm\w*|kill (?:my|him|her|them)sel\w+|end (?:my|his|her|their) life"
    r"|hurt(?:ing)? (?:my|him|her|them)sel\w+|overdos\w*|cutting)\b",
    re.IGNORECASE,
)
_ACUTE = re.compile(r"\b(tonight|goodbye|last post|note)\b", re.IGNORECASE)


def assess(text: str, language: str | None = None) -> Assessment:
    """How urgent `text` sounds; `language` (a BCP 47 tag, or None: detect, else all lists)."""
    found = _WORRY.search(text)
    if found is None:
        return Assessment(Level.NONE)
    level = Level.ACUTE if _ACUTE.search(text) else Level.CONCERN
    return Assessment(level, (found.group(0),))
