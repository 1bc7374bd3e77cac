"""The crisis detector: how urgent a text sounds, from the shipped lists, and why.

A text is normalised, the lists of its language (or of every language, when unsure) find the
phrases that raise and those that lower, and the level follows from the weights by category:

- a lowering phrase that overlaps a raising one explains it away ("this commute is killing me"),
  and its weight comes off the total ("40 days clean", a hotline number, "police said");
- `none` below a total of 1 (timing words alone never count: "tonight" is not a worry);
- `acute` for a stated intent ("i'm going to kill myself"), or for acute signs (a plan, the
  means, a farewell) of 1.5 or more that reach 3 with the timing, any wish to die and a
  friend's worry; unless a phrase caps it ("no plan", "not going to do anything");
- else `concern`.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from moderation.crisis.language import languages_for
from moderation.crisis.levels import Assessment, Level
from moderation.crisis.lists import Lexicon, Rule, shipped, tokens_of
from moderation.crisis.normalise import Normaliser

CONCERN_AT = 1.0
INTENT_AT = 3.0  # a stated intent is acute by itself
STRONG_AT = 1.5  # plan, means, farewell and intent together
ACUTE_AT = 3.0  # ... with timing and the wish to die
CATEGORY_CAP = 3.0  # many phrases of one kind say one thing: hopelessness never adds up to a plan
_WORDS = re.compile(r"\w+", re.ASCII)
_SENTENCE_END = re.compile(r"[.!?\n]")


@dataclass(frozen=True, slots=True)
class _Found:
    rule: Rule
    start: int
    end: int
    said: str


def assess(text: str, language: str | None = None) -> Assessment:
    """How urgent `text` sounds; `language` (a BCP 47 tag, or None: detect, else all lists)."""
    lexicons = shipped()
    normalised = _normaliser()(text)
    words = frozenset(_WORDS.findall(normalised))
    codes = languages_for(language, words, lexicons)
    found = _find(normalised, tokens_of(words), [lexicons[c] for c in codes])
    return _judge(found, tuple(codes))


@cache
def _normaliser() -> Normaliser:
    return Normaliser(w for lexicon in shipped().values() for w in lexicon.evasive)


def _find(text: str, tokens: frozenset[str], lexicons: Iterable[Lexicon]) -> list[_Found]:
    # A phrase never crosses a sentence's end: each runs only on the sentences holding one of
    # its anchors, which is what keeps a long post cheap.
    ends = [m.start() for m in _SENTENCE_END.finditer(text)]
    found = []
    for lexicon in lexicons:
        for rule in lexicon.rules_for(tokens):
            for start, end in _sentences(text, rule.anchors & tokens, ends):
                found += [
                    _Found(rule, *m.span(), m.group(0))
                    for m in rule.regex.finditer(text, start, end)
                    if not (m.start() and text[m.start() - 1].isalnum())  # inside a word
                ]
    return found


def _sentences(text: str, anchors: Iterable[str], ends: list[int]) -> set[tuple[int, int]]:
    spans = set()
    for anchor in anchors:
        literal = anchor.removeprefix("stem:")
        at = text.find(literal)
        while at >= 0:
            k = bisect_right(ends, at)
            start = ends[k - 1] + 1 if k else 0
            end = ends[k] if k < len(ends) else len(text)
            spans.add((start, end))
            at = text.find(literal, end)
    return spans or {(0, len(text))}


def _judge(found: Sequence[_Found], codes: tuple[str, ...]) -> Assessment:
    lowering = [f for f in found if f.rule.lowers]
    raising = [
        f for f in found if not f.rule.lowers and not any(_overlap(f, low) for low in lowering)
    ]
    # "suicidal thoughts" says what "suicid*" inside it says: the longer phrase counts alone.
    raising = [f for f in raising if not any(_within(f, g) for g in raising)]
    weights: dict[str, float] = defaultdict(float)
    for rule in dict.fromkeys(f.rule for f in raising):  # a phrase said twice counts once
        weights[rule.label] = min(CATEGORY_CAP, weights[rule.label] + rule.weight)
    taken = sum(rule.weight for rule in dict.fromkeys(f.rule for f in lowering))
    total = sum(w for label, w in weights.items() if label != "timing") - taken
    reasons = tuple(dict.fromkeys(f.said for f in sorted(raising, key=lambda f: f.start)))
    lowered = tuple(dict.fromkeys(f.said for f in sorted(lowering, key=lambda f: f.start)))
    if total < CONCERN_AT:
        return Assessment(Level.NONE, reasons, lowered, codes)
    capped = any(f.rule.at_most == Level.CONCERN for f in lowering)
    level = Level.CONCERN if capped or not _acute(weights) else Level.ACUTE
    return Assessment(level, reasons, lowered, codes)


def _acute(weights: dict[str, float]) -> bool:
    if weights["intent"] >= INTENT_AT:
        return True
    strong = weights["intent"] + weights["plan"] + weights["means"] + weights["farewell"]
    # A friend's worry counts with them: a farewell seen by someone frightened is a farewell.
    context = weights["timing"] + weights["ideation"] + weights["worried_other"]
    return strong >= STRONG_AT and strong + context >= ACUTE_AT


def _within(inner: _Found, outer: _Found) -> bool:
    return (
        inner is not outer
        and outer.start <= inner.start
        and inner.end <= outer.end
        and (outer.end - outer.start, outer.rule.weight)
        > (inner.end - inner.start, inner.rule.weight)
    )


def _overlap(a: _Found, b: _Found) -> bool:
    return a.start < b.end and b.start < a.end
