"""Group rules: numbered, each a short title and a longer text, versioned as a whole."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from federation.errors import Invalid

MAX_RULES = 30
MAX_TITLE = 200
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Rule:
    number: int  # 1-based, the position in the list; what reports cite
    title: str
    text: str = ""


def parse_rules(items: Sequence[Mapping[str, Any]]) -> tuple[Rule, ...]:
    """Rules as an organizer writes them ([{title, text}], in order), checked."""
    if len(items) > MAX_RULES:
        raise Invalid("a group has at most {limit} rules", limit=MAX_RULES)
    rules = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            raise Invalid("rule {number}: give a title and a text", number=number)
        title = item.get("title")
        text = item.get("text", "")
        if not isinstance(title, str) or not title.strip():
            raise Invalid("rule {number}: a rule needs a title", number=number)
        if not isinstance(text, str):
            raise Invalid("rule {number}: the text must be a string", number=number)
        if len(title.strip()) > MAX_TITLE:
            raise Invalid(
                "rule {number}: the title is longer than {limit} characters",
                number=number,
                limit=MAX_TITLE,
            )
        if len(text.strip()) > MAX_TEXT:
            raise Invalid(
                "rule {number}: the text is longer than {limit} characters",
                number=number,
                limit=MAX_TEXT,
            )
        rules.append(Rule(number, title.strip(), text.strip()))
    return tuple(rules)


def parse_rules_text(text: str) -> tuple[Rule, ...]:
    """Rules from plain text: one rule a paragraph, its first line the title, the rest its text
    (a leading "1." or "1)" is dropped: the order numbers the rules)."""
    items = []
    for paragraph in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line.strip() for line in paragraph.strip().splitlines() if line.strip()]
        if not lines:
            continue
        title = lines[0]
        head, dot, rest = title.partition(".")
        if not dot:
            head, dot, rest = title.partition(")")
        if dot and head.strip().isdigit() and rest.strip():
            title = rest.strip()
        items.append({"title": title, "text": " ".join(lines[1:])})
    return parse_rules(items)


def as_plain_text(rules: Iterable[Rule]) -> str:
    """The rules for software that reads only plain text (a summary, a welcome note)."""
    lines = []
    for rule in rules:
        lines.append(f"{rule.number}. {rule.title}" + (f": {rule.text}" if rule.text else ""))
    return "\n".join(lines)


def check_cited(cited: Iterable[int], rules: Sequence[Rule]) -> tuple[int, ...]:
    """Rule numbers a report cites, each one that exists."""
    numbers = tuple(sorted(set(cited)))
    for number in numbers:
        if not 1 <= number <= len(rules):
            if not rules:
                raise Invalid("there is no rule {number}: the group has no rules", number=number)
            raise Invalid(
                "there is no rule {number}: the group has rules 1 to {count}",
                number=number,
                count=len(rules),
            )
    return numbers
