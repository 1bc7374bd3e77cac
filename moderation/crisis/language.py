"""Which lists read a text: the language its post declares, else the one whose common words
it uses most, else (a short text, a mixed one) every list."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from moderation.crisis.lists import Lexicon
from moderation.crisis.places import primary_language

# A guess needs this many common words and a clear lead over the runner-up: a wrong guess
# silences the right list, while running every list only costs time.
LEAST_WORDS = 3
LEAD = 2.0
# The opening of a post says its language as well as the whole does, for a fraction of the
# cost (a long post's words cost as much as finding every phrase in it).
SAMPLE = 400
_WORDS = re.compile(r"\w+", re.ASCII)


def languages_for(
    declared: str | None, text: str, lexicons: Mapping[str, Lexicon]
) -> Sequence[str]:
    """The codes of the lists to run for a normalised `text`. `declared` is a BCP 47 tag
    ("es-MX" reads as "es")."""
    primary = primary_language(declared)
    if primary is not None and primary in lexicons:
        return (primary,)
    found = guess(frozenset(_WORDS.findall(text, 0, SAMPLE)), lexicons)
    return (found,) if found else tuple(lexicons)


def guess(words: frozenset[str], lexicons: Mapping[str, Lexicon]) -> str | None:
    """The language whose stopwords a text uses most, when it clearly leads; else None."""
    counts = sorted(
        ((len(words & lexicon.stopwords), code) for code, lexicon in lexicons.items()),
        reverse=True,
    )
    if not counts:
        return None
    best, code = counts[0]
    runner_up = counts[1][0] if len(counts) > 1 else 0
    if best >= LEAST_WORDS and best >= LEAD * runner_up:
        return code
    return None
