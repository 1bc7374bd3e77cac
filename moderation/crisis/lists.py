"""The crisis lists: one TOML file per language under `lists/`, read and checked once into
rules (a phrase or pattern, its category or kind, its weight), indexed by their anchor words.

A file has `[language]` (code; stopwords for telling languages apart; `common` words no phrase
should be looked up by; `evasive` words a starred or stretched spelling may stand for),
`[macros]`, then `[[raise]]` groups (category, weight, phrases, patterns) and `[[lower]]` groups
(kind, weight, `at_most`, phrases, patterns). Phrases use the notation in `phrases`; patterns
are regular expressions over normalised text (ASCII: folding leaves the four languages' letters
so) and name the `anchors` one of which they need.
"""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from moderation.crisis.levels import Level
from moderation.crisis.normalise import fold
from moderation.crisis.phrases import STEM_LENGTH, PhraseError, compile_phrase

# What raises: the acute signs first, then the signs of concern.
ACUTE_SIGNS = ("intent", "plan", "means", "timing", "farewell")
CONCERN_SIGNS = ("ideation", "self_harm", "hopelessness", "burden", "worried_other")
CATEGORIES = frozenset(ACUTE_SIGNS + CONCERN_SIGNS)
# What lowers: a negation or a recovery story, an idiom, a quotation (lyrics, a book, a film),
# news, an awareness post (hotline numbers, training), a game, an ordinary leave-taking.
KINDS = frozenset(
    {"negation", "recovery", "idiom", "quotation", "news", "awareness", "gaming", "ordinary"}
)


class ListError(ValueError):
    """A list file that cannot be used; the message names the file and the entry."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One phrase or pattern. A raising rule has a category; a lowering one has a kind, and
    `at_most` when it caps the level rather than (or as well as) taking weight away."""

    label: str  # the category, or the kind of lowering
    weight: float
    phrase: str  # as the list writes it
    regex: re.Pattern[str]
    lowers: bool
    at_most: Level | None = None
    # Words (and "stem:" prefixes) it cannot match without: one of each set, and where it may
    # start looking (the most telling set).
    needs: tuple[frozenset[str], ...] = ()
    anchors: frozenset[str] = frozenset()

    def may_match(self, tokens: frozenset[str]) -> bool:
        return all(not need.isdisjoint(tokens) for need in self.needs)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """One language's rules, found by the words of a text."""

    language: str
    stopwords: frozenset[str]
    evasive: frozenset[str]
    always: tuple[Rule, ...]
    by_anchor: Mapping[str, tuple[Rule, ...]]

    def rules_for(self, tokens: frozenset[str]) -> list[Rule]:
        """The rules that may match a text with these tokens (see `tokens_of`)."""
        found = dict.fromkeys(self.always)
        for anchor in self.by_anchor.keys() & tokens:
            found.update(dict.fromkeys(r for r in self.by_anchor[anchor] if r.may_match(tokens)))
        return list(found)

    @property
    def size(self) -> int:
        every = set(self.always)
        for rules in self.by_anchor.values():
            every.update(rules)
        return len(every)


def tokens_of(words: Iterable[str]) -> frozenset[str]:
    """A text's words and their "stem:" prefixes, what anchors are looked up in."""
    words = frozenset(words)
    return words | {f"stem:{w[:STEM_LENGTH]}" for w in words if len(w) >= STEM_LENGTH}


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
    common = frozenset(fold(w) for w in (*head.get("stopwords", []), *head.get("common", [])))
    rules: list[Rule] = []
    for group in data.get("raise", []):
        rules += _group(group, macros, common, source, lowers=False)
    for group in data.get("lower", []):
        rules += _group(group, macros, common, source, lowers=True)
    by_anchor: dict[str, list[Rule]] = defaultdict(list)
    always = []
    for rule in rules:
        if not rule.anchors:
            always.append(rule)
        for anchor in rule.anchors:
            by_anchor[anchor].append(rule)
    return Lexicon(
        language=code,
        stopwords=frozenset(fold(w) for w in head.get("stopwords", [])),
        evasive=frozenset(fold(w) for w in head.get("evasive", [])),
        always=tuple(always),
        by_anchor={k: tuple(v) for k, v in by_anchor.items()},
    )


def _group(
    group: dict[str, Any],
    macros: Mapping[str, str],
    common: frozenset[str],
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
    made = []
    for phrase in group.get("phrases", []):
        try:
            compiled = compile_phrase(fold(phrase), macros, common)
        except PhraseError as e:
            raise ListError(f"{source}: {e}") from None
        made.append(
            Rule(
                label,
                float(weight),
                phrase,
                re.compile(compiled.pattern, re.ASCII),
                lowers,
                at_most,
                compiled.needs,
                compiled.anchors or frozenset(),
            )
        )
    patterns = group.get("patterns", [])
    anchors = frozenset(fold(a) for a in group.get("anchors", []))
    if patterns and not anchors:
        raise ListError(f"{source}: {label} patterns need anchors (words one of which they need)")
    for pattern in patterns:
        try:
            regex = re.compile(fold(pattern), re.ASCII)
        except re.error as e:
            raise ListError(f"{source}: {pattern!r}: {e}") from None
        rule = Rule(label, float(weight), pattern, regex, lowers, at_most, (anchors,), anchors)
        made.append(rule)
    return made
