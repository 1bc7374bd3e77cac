"""The crisis detector's second stage: the shipped model reads and scores as the library that
fitted it would, and combining it with the first stage only ever raises a level."""

from __future__ import annotations

import importlib.util
import json
from typing import Any

import pytest

from moderation.crisis.levels import Assessment, Level
from moderation.crisis.model import (
    LEVELS,
    SHIPPED,
    Model,
    char_ngrams,
    combine,
    prepare,
    read_model,
    second_stage,
    shipped,
)

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None
TEXTS = [
    "I'm going to kill myself tonight. The note is on my desk.",
    "honestly everyone would be better off without me",
    "this commute is killing me",
    "Voy a suicidarme esta noche. Ya tengo todo preparado.",
    "je suis un poids pour tout le monde",
    "Der Stau bringt mich heute noch um 🙄",
    "a  b\tc\n\nÉLÈVE ß 💀 k*ll s u i c i d e",
    "",
]


def tiny_model(**thresholds: float) -> Model:
    """A hand-made model: the n-gram " die" pulls towards acute, " cake" towards none."""
    return read_model(
        {
            "format": 1,
            "ngram_range": [4, 4],
            "thresholds": {"acute": 0.6, "flag": 0.6, **thresholds},
            "intercept": {"none": 0.0, "concern": 0.0, "acute": 0.0},
            "terms": [" die", " cak"],
            "idf": [1.0, 1.0],
            "coef": {"none": [-3.0, 3.0], "concern": [1.0, -1.0], "acute": [3.0, -3.0]},
        }
    )


def test_the_shipped_model_is_small_and_loads() -> None:
    assert SHIPPED.stat().st_size < 2_000_000
    model = shipped()
    assert (model.low, model.high) == (2, 5)
    assert 0 < model.thresholds.acute < 1 and 0 < model.thresholds.flag < 1
    # A stated plan reads as acute far more than an idiom with the same verb.
    plan, idiom = (model.probabilities(TEXTS[i])[Level.ACUTE] for i in (0, 2))
    assert plan > model.thresholds.acute > idiom


def test_a_model_file_of_another_format_is_refused() -> None:
    with pytest.raises(ValueError, match="model format 2, expected 1"):
        read_model({"format": 2})


@pytest.mark.skipif(not HAS_SKLEARN, reason="the crisis-model extra (scikit-learn) is absent")
def test_scoring_here_matches_the_fitting_library() -> None:
    import numpy as np

    vectoriser, classifier = _library_model(json.loads(SHIPPED.read_text(encoding="utf-8")))
    theirs = classifier.predict_proba(vectoriser.transform(TEXTS))
    ours = [[shipped().probabilities(text)[level] for level in LEVELS] for text in TEXTS]
    assert np.allclose(theirs, ours, atol=1e-9)
    analyse = vectoriser.build_analyzer()
    for text in TEXTS:
        assert char_ngrams(prepare(text), 2, 5) == _counted(analyse(text))


def _library_model(data: dict[str, Any]) -> tuple[Any, Any]:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectoriser = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=tuple(data["ngram_range"]),
        preprocessor=prepare,
        sublinear_tf=True,
        vocabulary=data["terms"],
        dtype=np.float64,
    )
    vectoriser.idf_ = np.array(data["idf"])
    classifier = LogisticRegression()
    classifier.classes_ = np.array([level.value for level in LEVELS])
    classifier.coef_ = np.array([data["coef"][level.value] for level in LEVELS])
    classifier.intercept_ = np.array([data["intercept"][level.value] for level in LEVELS])
    return vectoriser, classifier


def _counted(grams: list[str]) -> dict[str, int]:
    counted: dict[str, int] = {}
    for gram in grams:
        counted[gram] = counted.get(gram, 0) + 1
    return counted


def test_ngrams_are_taken_inside_words_padded_with_spaces() -> None:
    pairs = {" a": 1, "ab": 1, "b ": 1, " c": 1, "c ": 1}
    assert char_ngrams("ab  c", 2, 3) == {**pairs, " ab": 1, "ab ": 1, " c ": 1}
    # A word shorter than the shortest n-gram counts once, whole, as the fitting library does.
    assert char_ngrams("ab c", 5, 6) == {" ab ": 1, " c ": 1}
    assert prepare("ÉLÈVE Müde") == "eleve mude"


@pytest.mark.parametrize(
    "text",
    [
        "I'm going to kill myself tonight. The pills are ready and the note is written.",
        "Voy a suicidarme esta noche. Ya tengo todo preparado.",
        "Heute Nacht bring ich mich um, die Tabletten liegen schon bereit.",
    ],
)
def test_a_plain_intent_to_act_tonight_reads_as_acute(text: str) -> None:
    found = second_stage(text)
    assert found is not None and found[0] == Level.ACUTE


@pytest.mark.parametrize(
    "text",
    ["", "Missing my sister since she moved away. Video call tonight though", "ok"],
)
def test_ordinary_chatter_raises_nothing(text: str) -> None:
    assert second_stage(text) is None


def test_combining_raises_a_missed_worry_and_says_why() -> None:
    first = Assessment(Level.NONE, (), ("not",), ("en",))
    found = combine(first, "i want to die", tiny_model())
    assert found.level == Level.ACUTE
    assert found.reasons == ("similar to labelled acute examples (0.88)",)
    assert found.lowered == ("not",) and found.languages == ("en",)


def test_combining_raises_to_concern_when_only_the_flag_is_sure() -> None:
    found = combine(Assessment(Level.NONE), "i want to die", tiny_model(acute=0.99))
    assert found.level == Level.CONCERN
    assert found.reasons == ("similar to labelled concern examples (1.00)",)


@pytest.mark.parametrize("first", list(Level))
@pytest.mark.parametrize("text", [*TEXTS, "i want to die", "cake"])
def test_combining_never_lowers_the_first_stage(first: Level, text: str) -> None:
    before = Assessment(first, ("a phrase",))
    for model in (shipped(), tiny_model()):
        after = combine(before, text, model)
        assert LEVELS.index(after.level) >= LEVELS.index(first)
        assert after.reasons[: len(before.reasons)] == before.reasons
        if after.level == first:
            assert after == before
