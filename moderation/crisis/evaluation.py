"""How well the detector does on labelled lines (JSON objects with text, lang, label and an
optional form): recall of acute and of concern, exact-level accuracy, and false alarms on
`none`, overall, per language and per form."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from federation.errors import Invalid
from moderation.crisis.detector import assess
from moderation.crisis.levels import Assessment, Level


@dataclass(frozen=True, slots=True)
class Labelled:
    text: str
    lang: str | None
    label: Level
    form: str | None


def read_labelled(lines: Iterable[str]) -> list[Labelled]:
    """Lines of JSON, blank lines skipped; other keys are ignored. A bad line is refused with
    its number."""
    found = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            found.append(_labelled(json.loads(line)))
        except (ValueError, TypeError) as e:
            raise Invalid("line {number}: {problem}", number=number, problem=_reason(e)) from None
    return found


def _labelled(row: Any) -> Labelled:
    if not isinstance(row, dict):
        raise TypeError("not a JSON object")
    text, lang, form = row.get("text"), row.get("lang"), row.get("form")
    if not isinstance(text, str):
        raise TypeError("no text")
    if lang is not None and not isinstance(lang, str):
        raise TypeError("lang is not a string")
    if form is not None and not isinstance(form, str):
        raise TypeError("form is not a string")
    try:
        label = Level(str(row.get("label")))
    except ValueError:
        raise TypeError(f"label {row.get('label')!r} is not acute, concern or none") from None
    return Labelled(text, lang, label, form)


def _reason(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"not JSON ({error.msg})"
    return str(error)


@dataclass(slots=True)
class Tally:
    """Counts for one slice of the lines."""

    lines: int = 0
    exact: int = 0  # detected at exactly the labelled level
    acute: int = 0
    acute_found: int = 0  # acute lines detected as acute
    concern: int = 0
    concern_flagged: int = 0  # concern lines detected at concern or acute
    none: int = 0
    false_alarms: int = 0  # none lines detected at any level

    def add(self, label: Level, got: Level) -> None:
        self.lines += 1
        self.exact += got == label
        if label == Level.ACUTE:
            self.acute += 1
            self.acute_found += got == Level.ACUTE
        elif label == Level.CONCERN:
            self.concern += 1
            self.concern_flagged += got != Level.NONE
        else:
            self.none += 1
            self.false_alarms += got != Level.NONE

    def figures(self) -> dict[str, float | None]:
        return {
            "acute_recall": _ratio(self.acute_found, self.acute),
            "concern_recall": _ratio(self.concern_flagged, self.concern),
            "exact_accuracy": _ratio(self.exact, self.lines),
            "false_alarm_rate": _ratio(self.false_alarms, self.none),
        }

    def as_json(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "acute": {"lines": self.acute, "detected_acute": self.acute_found},
            "concern": {"lines": self.concern, "flagged_concern_or_acute": self.concern_flagged},
            "none": {"lines": self.none, "flagged": self.false_alarms},
            "exact": self.exact,
            **self.figures(),
        }


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(slots=True)
class Evaluation:
    overall: Tally = field(default_factory=Tally)
    languages: dict[str, Tally] = field(default_factory=dict)
    forms: dict[str, Tally] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "overall": self.overall.as_json(),
            "languages": {k: v.as_json() for k, v in sorted(self.languages.items())},
            "forms": {k: v.as_json() for k, v in sorted(self.forms.items())},
        }


def evaluate(
    lines: Iterable[Labelled], detect: Callable[[str, str | None], Assessment] = assess
) -> Evaluation:
    """Every line through the detector (with its declared language), tallied."""
    result = Evaluation()
    for line in lines:
        got = detect(line.text, line.lang).level
        result.overall.add(line.label, got)
        result.languages.setdefault(line.lang or "?", Tally()).add(line.label, got)
        if line.form:
            result.forms.setdefault(line.form, Tally()).add(line.label, got)
    return result
