"""Fitting the crisis detector's second stage: the labelled tuning and development lines in, the
shipped model file out. Needs the `crisis-model` extra; scoring with the model does not.

    python -m moderation.crisis.fitting [--set DIR] [--out FILE]

The model: character n-grams of 2 to 5 inside words, on lower-cased text without accents (the
n-grams catch "suicid" in suicide, suicidarme, suicidaire and Suizid, and the evasive spellings
that share most of a word), tf-idf weighted, and one multinomial logistic regression over the
four languages together, since cross-validation found per-language models no better and each
language's lines are few. N-grams seen in only one line are dropped: that halves the file
for about two points of recall in cross-validation. The thresholds at which the model
raises a level are chosen on out-of-fold probabilities (grouped 5-fold, near-duplicate lines
kept in one fold) so that it raises at most 5% of the `none` lines it was not fitted on.

Only `*.tuning.jsonl` and `*.dev.jsonl` are read: the held-out half is the final measure of
the whole detector and never informs it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt
from scipy.sparse.csgraph import connected_components
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from moderation.crisis.evaluation import Labelled, read_labelled
from moderation.crisis.levels import Level
from moderation.crisis.model import FORMAT, LEVELS, SHIPPED, Thresholds, prepare

LABELLED = Path(__file__).parents[2] / "tests" / "moderation" / "crisis_set"
FITTED_ON = {"tuning": "*.tuning.jsonl", "dev": "*.dev.jsonl"}
NGRAMS = (2, 5)
LEAST_LINES = 2  # an n-gram in one line alone is that line's, not a sign
C = 30.0  # weak regularisation did best in cross-validation (10 to 100 within a point)
MOST_FALSE_ALARMS = 0.05
FOLDS = 5
# Lines this alike (cosine of their n-gram vectors) are one paraphrase written twice: a fold
# that held one and tested on the other would flatter the model.
SAME_LINE = 0.5
DECIMALS = 5  # of idf and weights in the file: scores move by under 1e-3

# numpy's array type; Any where the crisis-model extra (and with it numpy) is not installed,
# so that a setup without it still type-checks.
Floats: TypeAlias = npt.NDArray[np.float64]  # type: ignore[valid-type,unused-ignore]


@dataclass(frozen=True, slots=True)
class Fitted:
    vectoriser: Any  # TfidfVectorizer: the fitting library has no type hints
    classifier: Any  # LogisticRegression

    def probabilities(self, texts: Sequence[str]) -> Floats:
        """One row per text, columns in LEVELS order."""
        found: Floats = self.classifier.predict_proba(self.vectoriser.transform(texts))
        order = [list(self.classifier.classes_).index(level.value) for level in LEVELS]
        return found[:, order]


def read_parts(folder: Path = LABELLED) -> dict[str, list[Labelled]]:
    """The tuning and the development lines of every language, each in a stable order."""
    parts: dict[str, list[Labelled]] = {}
    for part, pattern in FITTED_ON.items():
        parts[part] = []
        for path in sorted(folder.glob(pattern)):
            with path.open(encoding="utf-8") as file:
                parts[part] += read_labelled(file)
    if not any(parts.values()):
        raise SystemExit(
            f"no labelled lines matching {' or '.join(FITTED_ON.values())} in {folder}"
        )
    return parts


def read_set(folder: Path = LABELLED) -> list[Labelled]:
    """Every line the model may learn from: the tuning lines, then the development lines."""
    return [line for lines in read_parts(folder).values() for line in lines]


def fit(lines: Sequence[Labelled]) -> Fitted:
    vectoriser = TfidfVectorizer(
        analyzer="char_wb",
        ngram_range=NGRAMS,
        preprocessor=prepare,
        sublinear_tf=True,
        min_df=LEAST_LINES,
        dtype=np.float64,
    )
    features = vectoriser.fit_transform([line.text for line in lines])
    classifier = LogisticRegression(C=C, max_iter=5000)
    classifier.fit(features, [line.label.value for line in lines])
    return Fitted(vectoriser, classifier)


def alike_groups(texts: Sequence[str]) -> npt.NDArray[np.int32]:
    """A group number per text; near-duplicates (and what they chain to) share one."""
    vectors = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAMS, preprocessor=prepare, sublinear_tf=True
    ).fit_transform(texts)
    alike = (vectors @ vectors.T) >= SAME_LINE
    _, groups = connected_components(alike, directed=False)
    return np.asarray(groups, dtype=np.int32)


def out_of_fold(lines: Sequence[Labelled], folds: int = FOLDS) -> Floats:
    """Each line's probabilities from a model fitted on the other folds (grouped)."""
    texts = [line.text for line in lines]
    found = np.zeros((len(lines), len(LEVELS)))
    for train, test in GroupKFold(folds).split(texts, groups=alike_groups(texts)):
        fitted = fit([lines[i] for i in train])
        found[test] = fitted.probabilities([texts[i] for i in test])
    return found


def choose_thresholds(
    probabilities: Floats, labels: Sequence[Level], most_false_alarms: float = MOST_FALSE_ALARMS
) -> Thresholds:
    """The thresholds that find the most acute lines as acute and concern lines as flagged
    while raising at most `most_false_alarms` of the none lines; higher ones on a tie."""
    acute = probabilities[:, LEVELS.index(Level.ACUTE)]
    flag = acute + probabilities[:, LEVELS.index(Level.CONCERN)]
    is_none = np.array([label == Level.NONE for label in labels])
    is_acute = np.array([label == Level.ACUTE for label in labels])
    is_concern = np.array([label == Level.CONCERN for label in labels])
    allowed = most_false_alarms * is_none.sum()
    best: tuple[int, float, Thresholds] | None = None
    grid = np.round(np.arange(0.05, 1.0, 0.01), 2)
    for acute_at in grid:
        rated_acute = acute >= acute_at
        for flag_at in grid:
            raised = rated_acute | (flag >= flag_at)
            if (raised & is_none).sum() > allowed:
                continue
            found = int((rated_acute & is_acute).sum() + (raised & is_concern).sum())
            key = (found, float(acute_at + flag_at))
            if best is None or key > best[:2]:
                best = (*key, Thresholds(acute=float(acute_at), flag=float(flag_at)))
    if best is None:
        raise SystemExit("no thresholds keep false alarms low enough")
    return best[2]


def as_json(fitted: Fitted, thresholds: Thresholds) -> dict[str, Any]:
    """The model file: the n-grams in the vectoriser's column order with their idf, a weight
    column and an intercept per level, the thresholds."""
    vocabulary: dict[str, int] = fitted.vectoriser.vocabulary_
    terms = sorted(vocabulary, key=vocabulary.__getitem__)
    classes = list(fitted.classifier.classes_)
    coef = fitted.classifier.coef_
    return {
        "format": FORMAT,
        "about": "crisis second stage: char_wb n-grams, tf-idf, multinomial logistic regression",
        "ngram_range": list(NGRAMS),
        "thresholds": {"acute": thresholds.acute, "flag": thresholds.flag},
        "intercept": {
            c: round(float(b), DECIMALS)
            for c, b in zip(classes, fitted.classifier.intercept_, strict=True)
        },
        "terms": terms,
        "idf": [round(float(v), DECIMALS) for v in fitted.vectoriser.idf_],
        "coef": {
            c: [round(float(w), DECIMALS) for w in row]
            for c, row in zip(classes, coef, strict=True)
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m moderation.crisis.fitting",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", type=Path, default=LABELLED, help="the labelled set's folder")
    parser.add_argument("--out", type=Path, default=SHIPPED, help="the model file to write")
    args = parser.parse_args(argv)
    lines = read_set(args.set)
    thresholds = choose_thresholds(out_of_fold(lines), [line.label for line in lines])
    fitted = fit(lines)
    text = json.dumps(as_json(fitted, thresholds), ensure_ascii=False, separators=(",", ":"))
    args.out.write_text(text + "\n", encoding="utf-8")
    size = args.out.stat().st_size
    print(
        f"fitted on {len(lines)} lines; {len(fitted.vectoriser.vocabulary_)} n-grams; "
        f"thresholds acute {thresholds.acute:.2f}, flag {thresholds.flag:.2f}; "
        f"{args.out.name} {size / 1e6:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
