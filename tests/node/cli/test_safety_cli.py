"""`cove safety check` and `cove safety eval` as a person runs them: no config, no database.
Run through the command's entry point in this process: a new one would compile the crisis
lists again (seconds) before the command starts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cove_in_process as cove
from tests.node.cli.test_cli import as_json, ok


def test_check_prints_the_level_and_the_phrases_behind_it(tmp_path: Path) -> None:
    text = "this is my last post. gonna k*ll myself tonight"
    human = ok(cove(tmp_path, "safety", "check", "--text", text))
    assert "level: acute" in human and "“kill myself tonight”" in human
    found = as_json(
        cove(tmp_path, "safety", "check", "--text", "this commute is killing me", "--json")
    )
    assert found["level"] == "none" and "is killing me" in found["lowered"]
    assert not (tmp_path / "cove.toml").exists() and not (tmp_path / "data").exists()


def test_eval_reports_recall_and_false_alarms_per_language_and_form(tmp_path: Path) -> None:
    lines = [
        {"text": "i'm going to kill myself tonight", "lang": "en", "label": "acute", "form": "x"},
        {"text": "everyone would be better off without me", "lang": "en", "label": "concern"},
        {"text": "voy a suicidarme esta noche", "lang": "es", "label": "concern", "id": 7},
        {"text": "this traffic is killing me", "lang": "en", "label": "none", "form": "x"},
    ]
    labelled = tmp_path / "set.jsonl"
    labelled.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    human = ok(cove(tmp_path, "safety", "eval", str(labelled)))
    assert "flagged at concern or acute" in human
    found = as_json(cove(tmp_path, "safety", "eval", str(labelled), "--json"))
    overall = found["overall"]
    assert overall["acute_recall"] == 1.0 and overall["false_alarm_rate"] == 0.0
    # The Spanish concern line was detected as acute: flagged for recall, not exact.
    assert overall["concern"] == {"lines": 2, "flagged_concern_or_acute": 2}
    assert overall["exact"] == 3 and found["languages"]["es"]["exact_accuracy"] == 0.0
    assert found["forms"]["x"]["lines"] == 2


def test_eval_refuses_a_bad_line_in_one_line_naming_it(tmp_path: Path) -> None:
    labelled = tmp_path / "bad.jsonl"
    labelled.write_text('{"text": "hi", "label": "none"}\n{"text": "hi", "label": "maybe"}\n')
    result = cove(tmp_path, "safety", "eval", str(labelled))
    assert result.returncode != 0 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "cove: line 2: label 'maybe' is not acute, concern or none"
    ]
