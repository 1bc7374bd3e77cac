"""The crisis detector: how urgent a text sounds, from the shipped lists, and why.

A text is normalised, the lists of its language (or of every language, when unsure) find the
phrases that raise and those that lower, and the level follows from the weights by category:

- a lowering phrase that overlaps a raising one explains it away ("this commute is killing me"),
  and its weight comes off the total ("40 days clean", a hotline number, "police said"); a
  negation explains away the phrase right after it ("not suicidal"), a past the phrases of
  its clause ("a year ago today I tried to..."), and a phrase inside a longer one says nothing
  more;
- within a category the strongest phrase counts in full and each further one by half;
- `none` below a total of 1 (timing words alone never count: "tonight" is not a worry);
- `acute` for a stated intent ("i'm going to kill myself"), or for acute signs (a plan, the
  means, a farewell) of 1.5 or more that reach 3 with their company (the timing, a wish to die,
  hopelessness, a burden, a friend's worry); unless a phrase caps it ("no plan");
- else `concern`.
"""

from __future__ import annotations

import gc
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import cache

from moderation.crisis.language import languages_for
from moderation.crisis.levels import Assessment, Level
from moderation.crisis.lists import Rule, shipped
from moderation.crisis.matching import Found, Matcher
from moderation.crisis.normalise import Normaliser

CONCERN_AT = 1.0
INTENT_AT = 3.0  # a stated intent is acute by itself
STRONG_AT = 1.5  # plan, means, farewell and intent together
ACUTE_AT = 3.0  # ... with the signs around them
ACUTE_SIGNS = ("intent", "plan", "means", "farewell")
# Where what a past or a time since says stops: a sentence's end, or the present coming back
# ("two years ago I overdosed, and lately the thoughts are back").
_CLAUSE_END = re.compile(
    r"[.!?\n;]|\b(?:but|now|lately|currently|these days|again|anymore|ahora|pero|"
    r"ultimamente|otra vez|aber|jetzt|wieder|mais|maintenant|encore)\b"
)
CONTEXT = ("timing", "ideation", "worried_other", "burden", "hopelessness")
CATEGORY_CAP = 3.0  # many phrases of one kind say one thing: hopelessness never adds up to a plan


def assess(text: str, language: str | None = None) -> Assessment:
    """How urgent `text` sounds; `language` (a BCP 47 tag, or None: detect, else all lists)."""
    lexicons = shipped()
    normalised = _normaliser()(text)
    codes = tuple(languages_for(language, normalised, lexicons))
    found = (
        [f for code in codes for f in _matcher(code).find(normalised)]
        if len(codes) > 1
        else _matcher(codes[0]).find(normalised)
    )
    return _judge(normalised, found, codes)


def prepare() -> None:
    """Read and compile every list now (about a second of work), so that the first post a
    worker reads is not the one that waits for it.

    The compile makes millions of short-lived objects in no cycle; the collector's full passes
    over them doubled its time and, holding the interpreter, stopped every other thread (the
    event loop's too) for a fifth of a second each, seconds on a busy machine. It is off
    meanwhile; what it would have freed is freed at its next pass."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        for code in shipped():
            _matcher(code)
        _normaliser()
    finally:
        if enabled:
            gc.enable()


@cache
def _normaliser() -> Normaliser:
    return Normaliser(w for lexicon in shipped().values() for w in lexicon.evasive)


@cache
def _matcher(code: str) -> Matcher:
    return Matcher(shipped()[code].rules)


def _judge(text: str, found: Sequence[Found], codes: tuple[str, ...]) -> Assessment:
    raising: list[Found] = []
    lowering: list[Found] = []
    nexts: list[Found] = []  # negations and "used to", for the phrase right after them
    sentences: list[Found] = []  # pasts and times since, for the phrases of their clause
    for f in found:
        rule = f.rule
        if not rule.lowers:
            raising.append(f)
        elif rule.scope == "text":
            lowering.append(f)
        else:
            (nexts if rule.scope == "next" else sentences).append(f)
    if nexts:
        # "not a holiday", "not joking": a negation takes back what would lower.
        lowering = [f for f in lowering if _next_to(text, f, nexts, "negation") is None]
    raising = _outermost([f for f in raising if not any(_overlap(f, w) for w in lowering)])
    used = []
    for sentence in sentences:
        inside = [f for f in raising if _same_clause(text, sentence, f)]
        if inside:
            used.append(sentence)
            raising = [f for f in raising if f not in inside]
    if nexts:
        kept = []
        for f in raising:
            said_before = _next_to(text, f, nexts)
            if said_before is None:
                kept.append(f)
            else:
                used.append(said_before)
        raising = kept
    # "8 weeks clean" says what "weeks clean" inside it says: one recovery, not two.
    lowering = _outermost(lowering + used) if used or len(lowering) > 1 else lowering
    weights = _weights(raising)
    # A negation or a past has done its work by explaining its phrases away; only what lowers
    # the whole text ("lol", a hotline number, "police said") takes weight off.
    taken = sum(_once(f.rule for f in lowering if f.rule.scope == "text").values())
    total = sum(w for label, w in weights.items() if label != "timing") - taken
    reasons = tuple(dict.fromkeys(f.said for f in raising))
    lowered = tuple(dict.fromkeys(f.said for f in lowering))
    if total < CONCERN_AT:
        return Assessment(Level.NONE, reasons, lowered, codes)
    capped = any(f.rule.at_most == Level.CONCERN for f in lowering)
    level = Level.CONCERN if capped or not _acute(weights) else Level.ACUTE
    return Assessment(level, reasons, lowered, codes)


def _next_to(text: str, found: Found, nexts: list[Found], kind: str | None = None) -> Found | None:
    """The phrase of `kind` standing right before `found`: nothing but spaces between, or
    ending within it by a word that is not itself the negation ("no me" before "me voy a
    matar", but not "i'm not" before "not coming back", which says its own "not")."""
    at = found.start
    while at and text[at - 1] == " ":
        at -= 1
    for before in nexts:
        if before.start >= found.start or kind not in (None, before.rule.label):
            continue
        if before.end == at:
            return before
        if before.end > found.start and not before.rule.regex.match(text, found.start):
            return before
    return None


def _same_clause(text: str, a: Found, b: Found) -> bool:
    start, end = min(a.start, b.start), max(a.end, b.end)
    return _CLAUSE_END.search(text, start, end) is None


def _outermost(found: list[Found]) -> list[Found]:
    """In text order, without the phrases inside a longer one ("suicidal thoughts" says what
    "suicid*" inside it says), nor inside one as long and heavier."""
    kept: list[Found] = []
    reach: Found | None = None  # of the phrases so far, the one reaching furthest
    for f in sorted(found, key=lambda f: (f.start, -f.end, -f.rule.weight)):
        if reach is not None and (
            reach.end > f.end
            or (
                reach.end == f.end and (reach.start, -reach.rule.weight) < (f.start, -f.rule.weight)
            )
        ):
            continue
        kept.append(f)
        if reach is None or f.end > reach.end:
            reach = f
    return kept


def _once(rules: Iterable[Rule]) -> dict[tuple[str, str], float]:
    """A phrase said twice, or in two lists when every list runs, counts once."""
    return {(rule.label, rule.phrase): rule.weight for rule in rules}


def _weights(raising: Sequence[Found]) -> dict[str, float]:
    # The strongest phrase of a category counts in full and each further one by half: two
    # thanks are one farewell, while a farewell, a note and the dog given away are a plan.
    by_label: dict[str, list[float]] = defaultdict(list)
    for (label, _), weight in _once(f.rule for f in raising).items():
        by_label[label].append(weight)
    weights: dict[str, float] = defaultdict(float)
    for label, found in by_label.items():
        found.sort(reverse=True)
        weights[label] = min(CATEGORY_CAP, found[0] + sum(found[1:]) / 2)
    return weights


def _acute(weights: dict[str, float]) -> bool:
    if weights["intent"] >= INTENT_AT:
        return True
    signs = sum(weights[label] for label in ACUTE_SIGNS)
    # The company a sign keeps: a farewell with a date, with a wish to die, with "a burden",
    # with "no way out", or seen by a frightened friend is a farewell.
    context = sum(weights[label] for label in CONTEXT)
    return signs >= STRONG_AT and signs + context >= ACUTE_AT


def _overlap(a: Found, b: Found) -> bool:
    return a.start < b.end and b.start < a.end
