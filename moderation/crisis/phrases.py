"""The phrase notation of the crisis lists: a phrase becomes one regular expression over
normalised text, and the words it cannot match without (its anchors).

    kill myself          words, separated in the text by spaces or punctuation (not . ! ?);
                         a hyphen separates words too ("week-end")
    suicid*              a word and whatever letters follow it
    (going to|gonna)     alternatives, each one a phrase
    [really]             an optional part; so is an alternative with `?`: (so|really)?
    #                    a number
    saved ... pills      up to six words in between
    {me}                 a macro from the list's [macros] table, itself a phrase
    i'm                  an apostrophe may be left out: "i'm" and "im"

Anchors let the detector skip a phrase cheaply: every required part of a phrase names the words
it may start with (`needs`), and a phrase runs only on texts holding one of each, and there only
on the sentences where its most telling part (`anchors`) occurs. An anchor is a whole word, or
"stem:" and the first four letters of a word written with `*`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# Words stay within a sentence: a sentence's end is not a separator.
SEP = r"[^\w.!?\n]+"
GAP_WORDS = 6
STEM_LENGTH = 4
_TOKEN = re.compile(r"\.\.\.|\)\?|[()\[\]|]|\{[a-z_]+\}|[^\s()\[\]|{}]+")
_CLOSING = (")", ")?", "]", "|")


class PhraseError(ValueError):
    """A phrase that cannot be read; the message names it."""


@dataclass(frozen=True, slots=True)
class Compiled:
    pattern: str
    anchors: frozenset[str] | None  # None: no word is required (the phrase always runs)
    needs: tuple[frozenset[str], ...] = ()


@dataclass(frozen=True, slots=True)
class _Part:
    regex: str
    anchors: frozenset[str] | None
    optional: bool = False  # `[...]` and `...`: may match nothing
    gap: bool = False


def compile_phrase(
    phrase: str, macros: Mapping[str, str], common: frozenset[str] = frozenset()
) -> Compiled:
    """The regular expression and the anchors of one phrase (macros already folded); the
    anchors avoid `common` words where the phrase allows, since those are in every text."""
    tokens = _TOKEN.findall(phrase.replace("-", " "))  # "week-end" reads "week end" too
    parts, rest = _sequence(tokens, 0, macros, phrase, depth=0)
    if rest != len(tokens):
        raise PhraseError(f"unbalanced brackets in {phrase!r}")
    if not parts or all(p.optional for p in parts):
        raise PhraseError(f"{phrase!r} matches nothing")
    needs = tuple(p.anchors for p in parts if not p.optional and p.anchors is not None)
    # No `\b` in front: a pattern opening with its first words lets the engine skip ahead to
    # them, several times faster; the detector checks that a match starts a word.
    return Compiled(rf"{_join(parts)}\b", _anchors(parts, common), needs)


def _sequence(
    tokens: list[str], at: int, macros: Mapping[str, str], phrase: str, depth: int
) -> tuple[list[_Part], int]:
    """Parts until `|`, `)` or `]` (left for the caller) or the end."""
    parts: list[_Part] = []
    while at < len(tokens) and tokens[at] not in _CLOSING:
        token = tokens[at]
        if token == "(":
            alternatives, at = _alternatives(tokens, at + 1, macros, phrase, depth, ")")
            if tokens[at - 1] == ")?":
                alternatives = _Part(alternatives.regex, None, optional=True)
            parts.append(alternatives)
        elif token == "[":
            inner, at = _alternatives(tokens, at + 1, macros, phrase, depth, "]")
            parts.append(_Part(inner.regex, None, optional=True))
        elif token == "...":
            parts.append(_Part(rf"(?:{SEP}\w+){{0,{GAP_WORDS}}}", None, optional=True, gap=True))
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
    options: list[list[_Part]] = []
    while True:
        parts, at = _sequence(tokens, at, macros, phrase, depth)
        if not parts:
            raise PhraseError(f"an empty alternative in {phrase!r}")
        options.append(parts)
        if at >= len(tokens):
            raise PhraseError(f"{close!r} missing in {phrase!r}")
        if tokens[at] == "|":
            at += 1
            continue
        if tokens[at] != close and not (close == ")" and tokens[at] == ")?"):
            raise PhraseError(f"{tokens[at]!r} where {close!r} was expected in {phrase!r}")
        break
    regex = "(?:" + "|".join(_join(o) for o in options) + ")"
    return _Part(regex, _any_of(options)), at + 1


def _any_of(options: list[list[_Part]]) -> frozenset[str] | None:
    """Alternatives are anchored when every one of them is: by any of their anchors."""
    anchors: set[str] = set()
    for option in options:
        found = _anchors(option)
        if found is None:
            return None
        anchors |= found
    return frozenset(anchors)


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
        return _Part(r"\d+", None)
    stem = token.endswith("*")
    word = token.rstrip("*")
    if not word or not re.fullmatch(r"[\w']+", word):
        raise PhraseError(f"{token!r} is not a word in {phrase!r}")
    regex = re.escape(word).replace("'", "'?")
    if stem:
        anchors = frozenset({f"stem:{word[:STEM_LENGTH]}"}) if len(word) >= STEM_LENGTH else None
        return _Part(regex + r"\w*", anchors)
    # A word with an apostrophe is two words to the tokenizer, or one when it is left out.
    if "'" in word:
        return _Part(regex, frozenset({max(word.split("'"), key=len), word.replace("'", "")}))
    return _Part(regex, frozenset({word}))


def _join(parts: list[_Part]) -> str:
    """Parts in a row, a separator between words; an optional part carries its own."""
    out = ""
    need_sep = False
    for part in parts:
        if part.gap:
            out += part.regex
        elif part.optional:
            out += f"(?:{SEP}{part.regex})?" if need_sep else f"(?:{part.regex}{SEP})?"
        else:
            out += (SEP if need_sep else "") + part.regex
            need_sep = True
    return out


def _anchors(parts: list[_Part], common: frozenset[str] = frozenset()) -> frozenset[str] | None:
    """The most telling required part's anchors: fewest common words, then longest shortest
    word, then fewest words (a phrase with "suicide" should not run for every text with "i")."""
    required = [p.anchors for p in parts if not p.optional and p.anchors is not None]
    if not required:
        return None
    return max(required, key=lambda a: (-len(a & common), min(_strength(w) for w in a), -len(a)))


def _strength(anchor: str) -> int:
    return len(anchor) - (5 if anchor.startswith("stem:") else 0)
