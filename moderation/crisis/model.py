"""The crisis detector's optional second stage: how like the labelled examples a text reads, by
a linear model over character n-grams, shipped as JSON and run here without any library. It
only ever raises the first stage's level, and nothing calls it unless it is switched on.

The model is fitted by `python -m moderation.crisis.fitting` (the `crisis-model` extra) on the
tuning and development lines of the labelled set; that module says why this model, and
`moderation.crisis.crossval` how well it does. This one reads the file and scores a text as
the fitting library does: character n-grams inside words (`char_wb`), counted, log-scaled,
weighted by idf, scaled to unit length, then one score per level turned into probabilities
(multinomial logistic).
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from moderation.crisis.levels import Assessment, Level

SHIPPED = Path(__file__).with_name("model.json")
FORMAT = 1
LEVELS = (Level.NONE, Level.CONCERN, Level.ACUTE)  # the order of every weight and score


def prepare(text: str) -> str:
    """Lower case with accents dropped, as both the fitting and the scoring read a text: people
    write "suicidarme" and "suicidarmé", "müde" and "mude"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def char_ngrams(text: str, low: int, high: int) -> Counter[str]:
    """The n-grams of each word padded with a space either side, `low` to `high` long; a word
    shorter than `low` counts once whole. The same as the fitting library's `char_wb`."""
    padded = [f" {word} " for word in text.split()]
    # One comprehension and one count: a loop per n-gram costs twice as much.
    grams = [
        p[i : i + n] for n in range(low, high + 1) for p in padded for i in range(len(p) - n + 1)
    ]
    grams += [p for p in padded if len(p) < low]
    return Counter(grams)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When the model is sure enough to raise a level, chosen by cross-validation so that it
    raises no more than a twentieth of the `none` lines it was not fitted on."""

    acute: float  # P(acute) at or above this: acute
    flag: float  # P(concern) + P(acute) at or above this: at least concern

    def level(self, probabilities: Mapping[Level, float]) -> tuple[Level, float] | None:
        """The level these probabilities support and the probability behind it, or None."""
        if probabilities[Level.ACUTE] >= self.acute:
            return Level.ACUTE, probabilities[Level.ACUTE]
        flagged = probabilities[Level.ACUTE] + probabilities[Level.CONCERN]
        if flagged >= self.flag:
            return Level.CONCERN, flagged
        return None


@dataclass(frozen=True, slots=True)
class Model:
    """A fitted model: per n-gram its idf and its weight for none, concern and acute; an
    intercept per level, in the same order."""

    low: int
    high: int
    terms: Mapping[str, tuple[float, float, float, float]]
    intercepts: tuple[float, float, float]
    thresholds: Thresholds

    def scores(self, text: str) -> tuple[float, float, float]:
        """The linear score of none, concern and acute (the fitting library's
        `decision_function`)."""
        none = concern = acute = squares = 0.0
        terms = self.terms
        for gram, count in char_ngrams(prepare(text), self.low, self.high).items():
            term = terms.get(gram)
            if term is None:
                continue
            idf, w_none, w_concern, w_acute = term
            value = idf if count == 1 else (1.0 + math.log(count)) * idf
            squares += value * value
            none += value * w_none
            concern += value * w_concern
            acute += value * w_acute
        # Unit length over the known n-grams only: a text with none has the intercepts alone.
        norm = math.sqrt(squares) or 1.0
        b_none, b_concern, b_acute = self.intercepts
        return none / norm + b_none, concern / norm + b_concern, acute / norm + b_acute

    def probabilities(self, text: str) -> dict[Level, float]:
        scores = self.scores(text)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {level: e / total for level, e in zip(LEVELS, exps, strict=True)}


def read_model(data: Mapping[str, Any]) -> Model:
    """A model from its JSON form (written by the fitting); a file of another format is refused."""
    if data.get("format") != FORMAT:
        raise ValueError(f"model format {data.get('format')!r}, expected {FORMAT}")
    w_none, w_concern, w_acute = (data["coef"][level.value] for level in LEVELS)
    terms = {
        term: (idf, w_none[i], w_concern[i], w_acute[i])
        for i, (term, idf) in enumerate(zip(data["terms"], data["idf"], strict=True))
    }
    b_none, b_concern, b_acute = (data["intercept"][level.value] for level in LEVELS)
    low, high = data["ngram_range"]
    return Model(low, high, terms, (b_none, b_concern, b_acute), Thresholds(**data["thresholds"]))


@cache
def shipped() -> Model:
    """The model in the package, read once."""
    with SHIPPED.open(encoding="utf-8") as file:
        return read_model(json.load(file))


def second_stage(text: str, model: Model | None = None) -> tuple[Level, float] | None:
    """The level the model is confident of for `text`, with its probability; None when it is
    not confident that the text is more than `none`."""
    found = model or shipped()
    return found.thresholds.level(found.probabilities(text))


def raised(first: Level, second: tuple[Level, float] | None) -> Level:
    """The first stage's level, raised to the second's when that is higher; never lowered,
    since the first stage's reasons (a plan, a farewell) are read phrases, not likeness."""
    if second is None or second[0].rank <= first.rank:
        return first
    return second[0]


def combine(first: Assessment, text: str, model: Model | None = None) -> Assessment:
    """The first stage's assessment of `text`, raised when the model is confident of a higher
    level, with a reason saying so; the first stage's reasons and languages are kept."""
    if first.level == Level.ACUTE:
        return first  # nothing to raise, and the model's time is saved
    second = second_stage(text, model)
    level = raised(first.level, second)
    if second is None or level == first.level:
        return first
    reason = f"similar to labelled {level.value} examples ({second[1]:.2f})"
    return Assessment(level, (*first.reasons, reason), first.lowered, first.languages)
