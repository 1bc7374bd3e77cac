"""Text as the crisis lists read it: lower case, accents folded, and the spellings people use
to slip past filters undone (leetspeak, starred, spaced and dotted letters, stretched words)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

# Quotes and ligatures NFKD leaves alone; "œ" matters in French ("sœur", "cœur").
_FOLD = {
    "\u2019": "'",  # right single quotation mark, the usual apostrophe on phones
    "\u2018": "'",
    "\u02bc": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u201e": '"',
    "ß": "ss",
    "œ": "oe",
    "æ": "ae",
    "ø": "o",
    "ł": "l",
}
_TYPOGRAPHIC = re.compile("[" + "".join(_FOLD) + "]")
_COMBINING = re.compile(r"[\u0300-\u036f]")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_SYMBOLS_TO_LETTERS = str.maketrans({"@": "a", "$": "s", "!": "i", "|": "l"})
# Each rewrite below looks first for the one character that gives an evasion away, and only
# around it for the word: an expression that opens with a rarely seen character is scanned
# for in a fraction of the time of one that tries every letter, and most text has none.
# Digits inside a word ("su1c1de", "m4tarme") or ending one ("m3"): a number standing alone,
# or leading a word ("10min", "4pm", "24h"), stays a number.
_DIGITS = re.compile(r"[013457](?<=[a-z].)[013457]*(?=[a-z]|\b)")
# "@", "$", "!" and "|" between letters, or "$" opening a word ("$uicide", "h@rm"), not "$5".
_SYMBOLS = re.compile(r"[@$!|](?:(?<=[a-z].)[@$!|]*(?=[a-z])|(?<=\$)(?<![\w@$]\$)(?=[a-z]{2}))")
# "s u i c i d e", "k.m.s", "k-i-l-l": three or more single letters with one separator kind,
# found from the first separator.
_SPACED = re.compile(r"([ .\-_*])(?<=\b[a-z].)[a-z](?:\1[a-z])+\b")
# Only letters people stretch in the words the lists hold ("killlll", "dieeee", "byeeee").
_TRIPLES = tuple(c * 3 for c in "aeiouyl")
_STRETCH = re.compile(r"([aeiouyl])\1\1")
_RUN = re.compile(r"([a-z])\1{2,}")
_STAR = re.compile(r"\*")
_WORD_AROUND = re.compile(r"[a-z*]*")


def fold(text: str) -> str:
    """Lower case, accents and typographic quotes folded: the same for text and lists."""
    text = text.lower()
    if text.isascii():
        return text
    for typographic in set(_TYPOGRAPHIC.findall(text)):
        text = text.replace(typographic, _FOLD[typographic])
    text = unicodedata.normalize("NFKD", text)
    return _COMBINING.sub("", text)


class Normaliser:
    """Undoes evasive spellings; `evasive` are the words a starred spelling may stand for
    ("k*ll" → "kill"), from every list, since a starred word is read before the language is
    known."""

    def __init__(self, evasive: Iterable[str]) -> None:
        self._evasive = sorted({fold(w) for w in evasive}, key=len)
        self._known = frozenset(self._evasive)

    def __call__(self, text: str) -> str:
        text = fold(text)
        if "*" in text:
            text = _around(text, _STAR, self._unstar)
        if _SPACED.search(text):
            text = _unspace(text)
        text = _DIGITS.sub(lambda m: m.group(0).translate(_LEET), text)
        text = _SYMBOLS.sub(lambda m: m.group(0).translate(_SYMBOLS_TO_LETTERS), text)
        if any(triple in text for triple in _TRIPLES):
            text = _around(text, _STRETCH, self._unstretch)
        return text

    def _unstretch(self, word: str) -> str:
        # "killlll" is "kill", "byeeee" is "bye": a known word with a double letter, else one.
        if not _RUN.search(word):
            return word
        double = _RUN.sub(r"\1\1", word)
        return double if double in self._known else _RUN.sub(r"\1", word)

    def _unstar(self, word: str) -> str:
        if not re.search(r"[a-z]", word):
            return word
        # A star stands for one or two letters: "k*ll", "s**cide", "m*tarme".
        shape = re.compile(re.sub(r"\*+", lambda m: f"[a-z]{{{len(m.group(0))},2}}", word))
        for candidate in self._evasive:
            if shape.fullmatch(candidate):
                return candidate
        return word


def _around(text: str, finder: re.Pattern[str], rewrite: Callable[[str], str]) -> str:
    """`text` with each word holding what `finder` finds rewritten."""
    out, done = [], 0
    for hit in finder.finditer(text):
        if hit.start() < done:
            continue
        start = hit.start()
        while start and (text[start - 1].isalpha() or text[start - 1] == "*"):
            start -= 1
        end = _WORD_AROUND.match(text, hit.start()).end()  # type: ignore[union-attr]
        out += [text[done:start], rewrite(text[start:end])]
        done = end
    return "".join(out) + text[done:]


def _unspace(text: str) -> str:
    out, done = [], 0
    for found in _SPACED.finditer(text):
        start = found.start() - 1  # the letter before the first separator
        if start < done:
            continue
        out += [text[done:start], re.sub(r"[ .\-_*]", "", text[start : found.end()])]
        done = found.end()
    return "".join(out) + text[done:]
