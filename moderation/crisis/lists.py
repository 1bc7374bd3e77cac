"""The crisis lists: one TOML file per language under `lists/`, read and checked once into
rules (a phrase or pattern, its category or kind, its weight).

A file has `[language]` (code; stopwords for telling languages apart; `evasive` words a starred
or stretched spelling may stand for), `[macros]`, then `[[raise]]` groups (category, weight,
phrases, patterns) and `[[lower]]` groups (kind, weight, `at_most`, `scope`, phrases,
patterns). Phrases
use the notation in `phrases`; patterns are regular expressions over normalised text (ASCII:
folding leaves the four languages' letters so), searched for alone, so better kept few.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from moderation.crisis.levels import Level
from moderation.crisis.normalise import fold
from moderation.crisis.phrases import PhraseError, compile_phrase

# What raises: the acute signs first, then the signs of concern.
ACUTE_SIGNS = ("intent", "plan", "means", "timing", "farewell")
CONCERN_SIGNS = ("ideation", "self_harm", "hopelessness", "burden", "worried_other")
CATEGORIES = frozenset(ACUTE_SIGNS + CONCERN_SIGNS)
# What lowers: a negation or a recovery story, an idiom, a quotation (lyrics, a book, a film),
# news, an awareness post (hotline numbers, training), a game, an ordinary leave-taking.
KINDS = frozenset(
    {"negation", "recovery", "idiom", "quotation", "news", "awareness", "gaming", "ordinary"}
)
SCOPES = ("text", "next", "sentence")


class ListError(ValueError):
    """A list file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One phrase or pattern. A raising rule has a category; a lowering one has a kind, and
    `at_most` when it caps the level rather than (or as well as) taking weight away. Each is
    itself: two alike in a list still count once each."""

    label: str  # the category, or the kind of lowering
    weight: float
    phrase: str  # as the list writes it
    pattern: str  # the expression it stands for, compiled when first needed
    lowers: bool
    at_most: Level | None = None
    # What a lowering phrase explains away: the phrases it overlaps, taking its weight off the
    # whole text ("text"); only the phrase right after it ("next": "not" + "suicidal"); or
    # those of its sentence ("sentence": "a year ago today I tried to ..."). The last two
    # count, and are reported, only when they explain something away.
    scope: str = "text"
    # The phrase in the shapes that open with each word (see `phrases`); empty for a pattern,
    # or a phrase opening with a number: those are searched for alone.
    openings: Mapping[str, str] = field(default_factory=dict)

    @property
    def regex(self) -> re.Pattern[str]:
        return compiled(self.pattern)


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    """An expression compiled once, when first needed: compiling every phrase of four lists
    up front would hold a worker's first post for seconds."""
    return re.compile(pattern, re.ASCII)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's rules."""

    language: str
    stopwords: frozenset[str]
    evasive: frozenset[str]
    rules: tuple[Rule, ...]


@cache
def shipped() -> dict[str, Lexicon]:
    """The lists that come with Cove, by language code; read once per process."""
    folder = resources.files("moderation.crisis") / "lists"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            lexicon = read_lexicon(entry.read_text(encoding="utf-8"), entry.name)
            found[lexicon.language] = lexicon
    return found


def read_lexicon(text: str, source: str) -> Lexicon:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ListError(f"{source}: {e}") from None
    head = data.get("language", {})
    code = head.get("code")
    if not isinstance(code, str) or not code:
        raise ListError(f"{source}: [language] needs a code")
    macros = {k: fold(v) for k, v in data.get("macros", {}).items()}
    rules: list[Rule] = []
    for group in data.get("raise", []):
        rules += _group(group, macros, source, lowers=False)
    for group in data.get("lower", []):
        rules += _group(group, macros, source, lowers=True)
    return Lexicon(
        language=code,
        stopwords=frozenset(fold(w) for w in head.get("stopwords", [])),
        evasive=frozenset(fold(w) for w in head.get("evasive", [])),
        rules=tuple(rules),
    )


def _group(
    group: dict[str, Any],
    macros: Mapping[str, str],
    source: str,
    lowers: bool,
) -> list[Rule]:
    label = group.get("kind" if lowers else "category")
    allowed = KINDS if lowers else CATEGORIES
    if label not in allowed:
        what = "kind" if lowers else "category"
        raise ListError(f"{source}: {what} {label!r} is not one of {', '.join(sorted(allowed))}")
    weight = group.get("weight")
    if not isinstance(weight, int | float) or weight < 0:
        raise ListError(f"{source}: {label} needs a weight of zero or more")
    at_most = Level(group["at_most"]) if "at_most" in group else None
    scope = group.get("scope", "text")
    if scope not in SCOPES or (scope != "text" and not lowers):
        raise ListError(f"{source}: {label}: scope is one of {', '.join(SCOPES)}, when lowering")
    made = []
    for phrase in group.get("phrases", []):
        try:
            made_phrase = compile_phrase(fold(phrase), macros)
        except PhraseError as e:
            raise ListError(f"{source}: {e}") from None
        made.append(
            Rule(
                label,
                float(weight),
                phrase,
                made_phrase.pattern,
                lowers,
                at_most,
                scope,
                made_phrase.openings,
            )
        )
    for pattern in group.get("patterns", []):
        try:
            regex = compiled(fold(pattern))  # a pattern written by hand is checked now
        except re.error as e:
            raise ListError(f"{source}: {pattern!r}: {e}") from None
        made.append(Rule(label, float(weight), pattern, regex.pattern, lowers, at_most, scope))
    return made
