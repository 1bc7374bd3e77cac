"""Text as the crisis lists read it: lower case, accents folded, and the spellings people use
to slip past filters undone (leetspeak, starred, spaced and dotted letters, stretched words)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

# Quotes and ligatures NFKD leaves alone; "œ" matters in French ("sœur", "cœur").
_FOLD = (
    ("\u2019", "'"),  # right single quotation mark, the usual apostrophe on phones
    ("\u2018", "'"),
    ("\u02bc", "'"),
    ("`", "'"),
    ("\u201c", '"'),
    ("\u201d", '"'),
    ("\u00ab", '"'),
    ("\u00bb", '"'),
    ("\u201e", '"'),
    ("ß", "ss"),
    ("œ", "oe"),
    ("æ", "ae"),
    ("ø", "o"),
    ("ł", "l"),
)
_COMBINING = re.compile(r"[\u0300-\u036f]")
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t"})
_SYMBOLS = str.maketrans({"@": "a", "$": "s", "!": "i", "|": "l"})
# Each rewrite below runs only when a cheap test finds what it undoes: most text has none, and
# a full pass of each costs more than the whole of matching.
# Digits inside a word ("su1c1de", "m4tarme") or ending one ("m3"): a number standing alone,
# or leading a word ("10min", "4pm", "24h"), stays a number.
_MAYBE_LEET = re.compile(r"[013457@$!|](?<=[a-z].)|[$@](?=[a-z])")
_DIGITS_IN_WORD = re.compile(r"(?<=[a-z])[013457]+(?=[a-z]|\b)")
# "@", "$", "!" and "|" only between letters, or "$"/"@" opening a word ("$uicide", "h@rm").
_SYMBOLS_IN_WORD = re.compile(r"(?<=[a-z])[@$!|]+(?=[a-z])|(?<![\w@$])[$](?=[a-z]{2})")
# "s u i c i d e", "k.m.s", "k-i-l-l": three or more single letters with one separator kind.
_MAYBE_SPACED = re.compile(r"[ .\-_*][a-z][ .\-_*][a-z]\b")
_SPACED = re.compile(r"\b[a-z](?:([ .\-_*])[a-z])(?:\1[a-z])+\b")
# Only letters people stretch in the words the lists hold ("killlll", "dieeee", "byeeee").
_TRIPLES = tuple(c * 3 for c in "aeiouyl")
_STRETCHED = re.compile(r"\b(?=[a-z]*([a-z])\1\1)[a-z]+")
_RUN = re.compile(r"([a-z])\1{2,}")
_STARRED = re.compile(r"\b[a-z]*(?:[a-z]\*+|\*+[a-z])[a-z*]*")


def fold(text: str) -> str:
    """Lower case, accents and typographic quotes folded: the same for text and lists."""
    text = text.lower()
    if text.isascii():
        return text
    for typographic, plain in _FOLD:
        if typographic in text:
            text = text.replace(typographic, plain)
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
            text = _STARRED.sub(self._unstar, text)
        if _MAYBE_SPACED.search(text):
            text = _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), text)
        if _MAYBE_LEET.search(text):
            text = _DIGITS_IN_WORD.sub(lambda m: m.group(0).translate(_LEET), text)
            text = _SYMBOLS_IN_WORD.sub(lambda m: m.group(0).translate(_SYMBOLS), text)
        if any(triple in text for triple in _TRIPLES):
            text = _STRETCHED.sub(self._unstretch, text)
        return text

    def _unstretch(self, found: re.Match[str]) -> str:
        # "killlll" is "kill", "byeeee" is "bye": a known word with a double letter, else one.
        double = _RUN.sub(r"\1\1", found.group(0))
        return double if double in self._known else _RUN.sub(r"\1", found.group(0))

    def _unstar(self, found: re.Match[str]) -> str:
        word = found.group(0)
        # A star stands for one or two letters: "k*ll", "s**cide", "m*tarme".
        shape = re.compile(re.sub(r"\*+", lambda m: f"[a-z]{{{len(m.group(0))},2}}", word))
        for candidate in self._evasive:
            if shape.fullmatch(candidate):
                return candidate
        return word
