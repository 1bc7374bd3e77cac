"""How well the second stage generalises, measured on the tuning and development lines only:
the first stage alone, the model alone and the two combined, per language. Needs the
`crisis-model` extra.

    python -m moderation.crisis.crossval [--set DIR]

Three ways of splitting the lines: fit on tuning and test on development, the reverse, and
grouped 5-fold (near-duplicates in one fold). The model's thresholds are chosen each time on
the training part alone (out of fold, as the fitting does), so no figure has seen its own test
lines. The first stage's lists were written against the tuning lines: its figures there are
not an estimate of anything, and those on the development lines are.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import GroupKFold

from moderation.crisis.detector import assess
from moderation.crisis.evaluation import Labelled, Tally
from moderation.crisis.fitting import (
    FOLDS,
    LABELLED,
    alike_groups,
    choose_thresholds,
    fit,
    out_of_fold,
    read_parts,
)
from moderation.crisis.levels import Level
from moderation.crisis.model import LEVELS, Thresholds, raised

WAYS = ("first stage", "model", "combined")
Split = tuple[list[int], list[int]]


def splits(parts: dict[str, list[Labelled]]) -> Iterator[tuple[str, list[Split]]]:
    """Each scheme's name and its (train, test) index lists into the tuning lines followed by
    the development lines."""
    tuning = list(range(len(parts["tuning"])))
    dev = list(range(len(tuning), len(tuning) + len(parts["dev"])))
    yield "fit on tuning, test on dev", [(tuning, dev)]
    yield "fit on dev, test on tuning", [(dev, tuning)]
    texts = [line.text for line in parts["tuning"] + parts["dev"]]
    folds = GroupKFold(FOLDS).split(texts, groups=alike_groups(texts))
    yield f"grouped {FOLDS}-fold", [(list(train), list(test)) for train, test in folds]


def levels_found(lines: Sequence[Labelled], split: Split) -> dict[str, dict[int, Level]]:
    """The level each way gives every test line of one split."""
    train, test = split
    training = [lines[i] for i in train]
    thresholds = choose_thresholds(out_of_fold(training), [line.label for line in training])
    probabilities = fit(training).probabilities([lines[i].text for i in test])
    found: dict[str, dict[int, Level]] = {way: {} for way in WAYS}
    row: Any
    for index, row in zip(test, probabilities, strict=True):
        first = assess(lines[index].text, lines[index].lang).level
        second = _second(thresholds, row)
        found["first stage"][index] = first
        found["model"][index] = raised(Level.NONE, second)
        found["combined"][index] = raised(first, second)
    return found


def _second(thresholds: Thresholds, row: np.ndarray) -> tuple[Level, float] | None:
    return thresholds.level({level: float(p) for level, p in zip(LEVELS, row, strict=True)})


def tallies(
    lines: Sequence[Labelled], found: dict[str, dict[int, Level]]
) -> dict[tuple[str, str], Tally]:
    """Per way and language (and "all"), the counts over every test line."""
    counted: dict[tuple[str, str], Tally] = {}
    for way, levels in found.items():
        for index, level in levels.items():
            for language in (lines[index].lang or "?", "all"):
                counted.setdefault((way, language), Tally()).add(lines[index].label, level)
    return counted


def report(name: str, counted: dict[tuple[str, str], Tally]) -> str:
    languages = [*sorted({language for _, language in counted} - {"all"}), "all"]
    rows = [
        name,
        f"{'':<6}" + "".join(f"{way:>24}" for way in WAYS),
        f"{'':<6}" + f"{'acute  concern  alarms':>24}" * len(WAYS),
    ]
    for language in languages:
        cells = [_cell(counted[way, language]) for way in WAYS]
        rows.append(f"{language:<6}" + "".join(f"{cell:>24}" for cell in cells))
    return "\n".join(rows)


def _cell(tally: Tally) -> str:
    acute, concern, alarms = (
        tally.figures()[key] or 0.0
        for key in ("acute_recall", "concern_recall", "false_alarm_rate")
    )
    return f"{acute:>5.2f}{concern:>9.2f}{alarms:>8.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m moderation.crisis.crossval",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--set", type=Path, default=LABELLED, help="the labelled set's folder")
    args = parser.parse_args(argv)
    parts = read_parts(args.set)
    lines = parts["tuning"] + parts["dev"]
    for name, scheme in splits(parts):
        found: dict[str, dict[int, Level]] = {way: {} for way in WAYS}
        for split in scheme:
            for way, levels in levels_found(lines, split).items():
                found[way].update(levels)
        print(report(name, tallies(lines, found)), end="\n\n")
    print(
        "acute: acute lines found acute; concern: concern lines found concern or acute; "
        "alarms: none lines found at any level"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
