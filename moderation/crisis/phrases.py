"""The phrase notation of the crisis lists: a phrase becomes regular expressions over
normalised text, one for each word a match of it may open with.

    kill myself          words, separated in the text by spaces or punctuation (not . ! ?);
                         a hyphen separates words too ("week-end")
    suicid*              a word and whatever letters follow it
    (going to|gonna)     alternatives, each one a phrase
    [really]             an optional part; so is an alternative with `?`: (so|really)?
    #                    a number
    saved ... pills      up to six words in between
    {me}                 a macro from the list's [macros] table, itself a phrase
    i'm                  an apostrophe may be left out: "i'm" and "im"

A phrase is tried only where the words it may open with stand in a text, and there only in the
shape that opens with them: "{will} {die}" tried at "gonna kill" is "gonna kill {self}", not
the thirty ways {will} can begin.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Words stay within a sentence: a sentence's end is not a separator.
SEP = r"[^\w.!?\n]+"
GAP_WORDS = 6
_TOKEN = re.compile(r"\.\.\.|\)\?|[()\[\]|]|\{[a-z_]+\}|[^\s()\[\]|{}]+")
_CLOSING = (")", ")?", "]", "|")


class PhraseError(ValueError):
    """A phrase that cannot be read; the message names it."""


@dataclass(frozen=True, slots=True)
class Compiled:
    pattern: str  # the whole phrase, for a match anywhere
    # By the words a match may open with, as written in a text ("i'm going", "im going";
    # "suicid*" for a stem, "#" for a number), what the phrase says after them. Empty when a
    # match may open with a gap: such a phrase is searched for alone.
    openings: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class _Part:
    regex: str
    optional: bool = False  # `[...]`, `(...)?` and `...`: may match nothing
    gap: bool = False
    opens: frozenset[str] | None = None  # None: it may open with a number, or with anything
    options: tuple[tuple[_Part, ...], ...] = ()  # a choice's alternatives


def compile_phrase(phrase: str, macros: Mapping[str, str]) -> Compiled:
    """The regular expressions of one phrase (macros already folded)."""
    tokens = _TOKEN.findall(phrase.replace("-", " "))  # "week-end" reads "week end" too
    parts, rest = _sequence(tokens, 0, macros, phrase, depth=0)
    if rest != len(tokens):
        raise PhraseError(f"unbalanced brackets in {phrase!r}")
    if not parts or all(p.optional for p in parts):
        raise PhraseError(f"{phrase!r} matches nothing")
    return Compiled(rf"{_join(parts)}\b", _openings(parts))


def _sequence(
    tokens: list[str], at: int, macros: Mapping[str, str], phrase: str, depth: int
) -> tuple[list[_Part], int]:
    """Parts until `|`, `)` or `]` (left for the caller) or the end."""
    parts: list[_Part] = []
    while at < len(tokens) and tokens[at] not in _CLOSING:
        token = tokens[at]
        if token == "(":
            choice, at = _alternatives(tokens, at + 1, macros, phrase, depth, ")")
            if tokens[at - 1] == ")?":
                choice = _Part(choice.regex, True, opens=choice.opens, options=choice.options)
            parts.append(choice)
        elif token == "[":
            inner, at = _alternatives(tokens, at + 1, macros, phrase, depth, "]")
            parts.append(_Part(inner.regex, True, opens=inner.opens, options=inner.options))
        elif token == "...":
            parts.append(_Part(rf"(?:{SEP}\w+){{0,{GAP_WORDS}}}", optional=True, gap=True))
            at += 1
        elif token.startswith("{"):
            parts.append(_macro(token[1:-1], macros, phrase, depth))
            at += 1
        else:
            parts.append(_word(token, phrase))
            at += 1
    return parts, at


def _alternatives(
    tokens: list[str], at: int, macros: Mapping[str, str], phrase: str, depth: int, close: str
) -> tuple[_Part, int]:
    options: list[tuple[_Part, ...]] = []
    while True:
        parts, at = _sequence(tokens, at, macros, phrase, depth)
        if not parts:
            raise PhraseError(f"an empty alternative in {phrase!r}")
        options.append(tuple(parts))
        if at >= len(tokens):
            raise PhraseError(f"{close!r} missing in {phrase!r}")
        if tokens[at] == "|":
            at += 1
            continue
        if tokens[at] != close and not (close == ")" and tokens[at] == ")?"):
            raise PhraseError(f"{tokens[at]!r} where {close!r} was expected in {phrase!r}")
        break
    regex = choice([_join(o) for o in options])
    opens: set[str] | None = set()
    for option in options:
        found = _opens(option)
        opens = None if found is None or opens is None else opens | found
    return _Part(regex, opens=_frozen(opens), options=tuple(options)), at + 1


def _macro(name: str, macros: Mapping[str, str], phrase: str, depth: int) -> _Part:
    if name not in macros:
        raise PhraseError(f"no macro {{{name}}} for {phrase!r}")
    if depth > 4:
        raise PhraseError(f"macros nest too deep in {phrase!r}")
    tokens = _TOKEN.findall(f"({macros[name]})".replace("-", " "))
    part, rest = _alternatives(tokens, 1, macros, macros[name], depth + 1, ")")
    if rest != len(tokens):
        raise PhraseError(f"unbalanced brackets in macro {{{name}}}")
    return part


def _word(token: str, phrase: str) -> _Part:
    if token == "#":
        return _Part(r"\d+", opens=frozenset({"#"}))
    stem = token.endswith("*")
    word = token.rstrip("*")
    if not word or not re.fullmatch(r"[\w']+", word):
        raise PhraseError(f"{token!r} is not a word in {phrase!r}")
    regex = re.escape(word).replace("'", "'?")
    if stem:
        return _Part(regex + r"\w*", opens=frozenset({word + "*"}))
    return _Part(regex, opens=frozenset({word, word.replace("'", "")}))


def _join(parts: Sequence[_Part], after_word: bool = False) -> str:
    """Parts in a row, a separator between words; an optional part carries its own."""
    out = ""
    need_sep = after_word
    for part in parts:
        if part.gap:
            out += part.regex
        elif part.optional:
            out += f"(?:{SEP}{part.regex})?" if need_sep else f"(?:{part.regex}{SEP})?"
        else:
            out += (SEP if need_sep else "") + part.regex
            need_sep = True
    return out


def _opens(parts: Sequence[_Part]) -> frozenset[str] | None:
    """The words a row of parts may open with: those of its optional parts up to the first
    required one, and that one's."""
    found: set[str] = set()
    for part in parts:
        if part.opens is None:
            return None
        found |= part.opens
        if not part.optional:
            break
    return frozenset(found)


def _shapes(parts: Sequence[_Part]) -> list[tuple[str, tuple[_Part, ...]]] | None:
    """The first word a row of parts may open with and what follows it, for each way it may
    open; None when it may open with a gap (no word to look it up by)."""
    if not parts:
        return []
    head, rest = parts[0], tuple(parts[1:])
    if head.gap or head.opens is None:
        return None
    found: list[tuple[str, tuple[_Part, ...]]] = []
    if head.options:
        for option in head.options:
            inner = _shapes(option)
            if inner is None:
                return None
            found += [(word, tail + rest) for word, tail in inner]
    else:
        found += [(word, rest) for word in sorted(head.opens)]
    if head.optional:
        without = _shapes(rest)
        if without is None:
            return None
        found += without
    return found


def _openings(parts: Sequence[_Part]) -> dict[str, str]:
    """By its first two words ("i'm going"), or its first word when the second is not a word
    or may be missing, what a phrase says after them."""
    firsts = _shapes(parts)
    if firsts is None:
        return {}
    tails: dict[str, list[str]] = {}
    for first, rest in firsts:
        seconds = _shapes(rest)
        if not seconds or all(p.optional for p in rest):
            tails.setdefault(first, []).append(_join(rest, after_word=True))
        for second, tail in seconds or ():
            tails.setdefault(f"{first} {second}", []).append(_join(tail, after_word=True))
    return {key: choice(list(dict.fromkeys(found))) + r"\b" for key, found in tails.items()}


def choice(regexes: list[str]) -> str:
    """One expression matching any of these (no group of its own)."""
    return regexes[0] if len(regexes) == 1 else "(?:" + "|".join(regexes) + ")"


def _frozen(words: set[str] | None) -> frozenset[str] | None:
    return None if words is None else frozenset(words)
