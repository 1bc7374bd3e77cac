"""The `cove safety` commands about crisis detection: how one text is assessed and why, and how
well the lists do on a labelled file. Neither needs a config file or a database."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.cli.console import Invocation, Parser, emit, table

if TYPE_CHECKING:
    from moderation.crisis.evaluation import Tally

CONCERN_NOTE = (
    "concern recall counts concern lines flagged at concern or acute; "
    "exact is the share of lines detected at exactly their level"
)


def add_commands(safety: Any, common: Parser) -> None:
    """Add `check` and `eval` to the `cove safety` family (made in main, where others add more)."""
    check = safety.add_parser("check", parents=[common], help="how urgent a text sounds, and why")
    check.add_argument("--text", required=True, help="the text to assess")
    check.add_argument("--lang", help="its language, a BCP 47 tag (default: detected)")
    check.set_defaults(run=cmd_check)
    evaluate = safety.add_parser(
        "eval", parents=[common], help="recall and false alarms on a labelled JSON-lines file"
    )
    evaluate.add_argument("file", type=Path, help='lines of {"text", "lang", "label", "form"}')
    evaluate.set_defaults(run=cmd_eval)


def cmd_check(inv: Invocation) -> None:
    from moderation.crisis.detector import assess

    found = assess(inv.args.text, inv.args.lang)
    human = [
        f"level: {found.level.value}",
        "matched: " + (_quoted(found.reasons) or "nothing"),
        "lowered by: " + (_quoted(found.lowered) or "nothing"),
        "lists: " + ", ".join(found.languages),
    ]
    data = {
        "level": found.level,
        "reasons": found.reasons,
        "lowered": found.lowered,
        "languages": found.languages,
    }
    emit(inv, data, "\n".join(human))


def cmd_eval(inv: Invocation) -> None:
    from moderation.crisis.evaluation import evaluate, read_labelled

    with inv.args.file.open(encoding="utf-8") as lines:
        labelled = read_labelled(lines)
    result = evaluate(labelled)
    data = {"note": CONCERN_NOTE, **result.as_json()}
    rows = [_row("overall", result.overall)]
    rows += [_row(f"lang {code}", tally) for code, tally in sorted(result.languages.items())]
    rows += [_row(f"form {form}", tally) for form, tally in sorted(result.forms.items())]
    headers = ["", "lines", "acute recall", "concern recall", "exact", "false alarms"]
    emit(inv, data, f"{table(headers, rows)}\n({CONCERN_NOTE})")


def _row(name: str, tally: Tally) -> list[str]:
    return [
        name,
        str(tally.lines),
        _share(tally.acute_found, tally.acute),
        _share(tally.concern_flagged, tally.concern),
        _share(tally.exact, tally.lines),
        _share(tally.false_alarms, tally.none),
    ]


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.2f} ({part}/{whole})" if whole else "-"


def _quoted(phrases: tuple[str, ...]) -> str:
    return "; ".join(f"“{p}”" for p in phrases)
