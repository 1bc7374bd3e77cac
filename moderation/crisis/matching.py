"""Finding a language's phrases in a text in one pass: a regular expression that walks a trie
of the words phrases open with and, where those words stand, tries what the phrases say
after them."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from moderation.crisis.lists import Rule
from moderation.crisis.phrases import SEP, choice


class Found(NamedTuple):
    """Where a phrase matched, and what it matched (what a moderator reads)."""

    rule: Rule
    start: int
    end: int
    said: str


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    ends: list[tuple[str, Rule]] = field(default_factory=list)  # phrases whose opening ends here

    def add(self, chars: str, opening: str, rule: Rule) -> None:
        node = self
        for char in chars:
            node = node.children.setdefault(char, _Node())
        node.ends.append((opening, rule))


@dataclass(frozen=True, slots=True)
class _Word:
    """The phrases that open with one word, in one expression whose groups name them."""

    regex: re.Pattern[str]
    rules: tuple[Rule, ...]  # by group number, less one


class Matcher:
    """All the rules of one list. Running each phrase's expression over a text would cost one
    scan per phrase; here one scan finds where any phrase matches (a trie of the words they
    open with, trying at each what the phrases say after them), and only there are the
    phrases opening with that word told apart. At one place the first phrase that matches is
    taken, lowering ones first, then the heaviest, and a negation last: a shorter phrase
    starting there says less."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        after: dict[str, _Node] = {}  # by first word, what the phrases say after it
        self._loose: list[Rule] = []  # patterns, phrases opening with a gap: searched alone
        for rule in rules:
            if not rule.openings:
                self._loose.append(rule)
            for opening in rule.openings:
                first, space, second = opening.partition(" ")
                after.setdefault(first, _Node()).add(space + second, opening, rule)
        firsts = _Node()
        for first in after:
            firsts.add(first, first, _NO_RULE)
        # One group, the first word: a match is empty (a look-ahead), so that the next is
        # looked for at the next word and phrases that overlap are all found.
        trie = _trie(firsts, lambda ends: _ahead(after[ends[0][0]]))
        self._scan = re.compile(rf"\b(?=({trie}))", re.ASCII)
        # Each first word's expression is compiled when a text first holds it: most never do.
        self._after = after
        self._words: dict[str, _Word] = {}
        self._stems = {w.removesuffix("*"): w for w in after if w[-1] in "*#"}
        self._stem_lengths = sorted({len(w) - 1 for w in after if w[-1] == "*"}, reverse=True)

    def _word(self, first: str) -> _Word | None:
        if first not in self._after:
            return None
        if first not in self._words:
            self._words[first] = _word(first, self._after[first])
        return self._words[first]

    def find(self, text: str) -> list[Found]:
        found = []
        ends: dict[Rule, int] = {}  # a phrase's matches do not overlap, as one search's would
        for m in self._scan.finditer(text):
            start = m.start()
            word = self._word(m.group(1))
            told = word.regex.match(text, start) if word is not None else None
            if word is None or told is None:
                word, told = self._told_by_stem(m.group(1), text, start)
            at = told.lastindex or 0
            rule, end = word.rules[at - 1], told.end(at)
            if start >= ends.get(rule, 0):
                ends[rule] = end
                found.append(Found(rule, start, end, text[start:end]))
        for rule in self._loose:
            for m in rule.regex.finditer(text):
                if not (m.start() and text[m.start() - 1].isalnum()):  # inside a word
                    found.append(Found(rule, m.start(), m.end(), m.group(0)))
        return found

    def _told_by_stem(self, said: str, text: str, start: int) -> tuple[_Word, re.Match[str]]:
        """The phrases opening with a stem of the word (or with a number) that match here: the
        scan found one."""
        stems = [said[:n] for n in self._stem_lengths] + ["#"] * said.isdigit()
        for stem in stems:
            word = self._word(self._stems[stem]) if stem in self._stems else None
            told = word.regex.match(text, start) if word else None
            if word and told:
                return word, told
        raise AssertionError(f"the scan matched {said!r}, and no phrase opening with it")


_NO_RULE = Rule("", 0.0, "", "", lowers=False)


def _word(first: str, node: _Node) -> _Word:
    rules: list[Rule] = []

    def tails(ends: list[tuple[str, Rule]]) -> str:
        # Each phrase its own group, so that the match names its rule and where it ends.
        found = []
        for opening, rule in sorted(ends, key=_precedence):
            rules.append(rule)
            found.append(f"({rule.openings[opening]})")
        return choice(found)

    regex = "".join(_edge(c) for c in first) + _trie(node, tails)
    return _Word(re.compile(regex, re.ASCII), tuple(rules))


def _ahead(node: _Node) -> str:
    """Whether a phrase matches after its first word, without saying which (no groups: a
    match's cost grows with the groups of its expression)."""
    return "(?=" + _trie(node, lambda ends: choice([r.openings[o] for o, r in ends])) + ")"


def _trie(node: _Node, leaf: Callable[[list[tuple[str, Rule]]], str]) -> str:
    branches = [_edge(c) + _trie(child, leaf) for c, child in sorted(node.children.items())]
    if node.ends:
        branches.append(leaf(node.ends))
    return choice(branches)


def _edge(char: str) -> str:
    if char == " ":
        return SEP
    if char == "*":
        return r"\w*"
    if char == "#":
        return r"\d+"
    return re.escape(char)


def _precedence(end: tuple[str, Rule]) -> tuple[int, float, int]:
    # A negation word gives way to a phrase that holds it ("not coming back", "never wake up").
    opening, rule = end
    rank = 2 if rule.scope != "text" else 0 if rule.lowers else 1
    return (rank, -rule.weight, -len(rule.openings[opening]))
