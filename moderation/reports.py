"""Reports: their categories, what makes one urgent, how a received Flag is read whatever
software sent it, and the plain-language outcome a reporter is told."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from federation.errors import Invalid
from moderation.crisis.detector import assess
from moderation.crisis.reading import plain_words

if TYPE_CHECKING:
    from federation.wire import Activity

MAX_COMMENT = 2000


class ReportCategory(StrEnum):
    SPAM = "spam"
    HARASSMENT = "harassment"
    VIOLATION = "violation"  # breaks a group rule (rule numbers given); Mastodon's name
    MISINFORMATION = "misinformation"
    SELF_HARM = "self_harm"  # "worried about someone": self-harm or suicide risk
    OTHER = "other"


class ReportState(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"  # action taken
    DISMISSED = "dismissed"  # looked at, nothing to do


# Someone may be at risk: these go to the top of every moderator's queue.
URGENT = frozenset({ReportCategory.SELF_HARM})


def parse_category(text: str) -> ReportCategory:
    try:
        return ReportCategory(text.strip().lower().replace("-", "_"))
    except ValueError:
        names = ", ".join(c.value for c in ReportCategory)
        raise Invalid(
            "unknown report category {text!r}: use one of {names}", text=text, names=names
        ) from None


def checked_comment(text: str | None) -> str:
    comment = (text or "").strip()
    if len(comment) > MAX_COMMENT:
        raise Invalid("the comment is longer than {limit} characters", limit=MAX_COMMENT)
    return comment


def stated_category(given: str | None, rules: Sequence[int]) -> ReportCategory | None:
    """The category a report states: the one given, else a rule violation when rules are
    cited (as Mastodon forces); None when only its comment can say. Refused when the two
    disagree."""
    if given:
        category: ReportCategory | None = parse_category(given)
    elif rules:
        category = ReportCategory.VIOLATION
    else:
        category = None
    if rules and category != ReportCategory.VIOLATION:
        raise Invalid("rule numbers go with the category violation")
    if category == ReportCategory.VIOLATION and not rules:
        raise Invalid("a report of a rule violation names the rule numbers it breaks")
    return category


def category_for(given: str | None, rules: Sequence[int], comment: str) -> ReportCategory:
    """The category of a report: the one it states, else a worry when the crisis detector
    reads the comment as acute or concern (Lemmy and Mastodon send only a comment; a false
    alarm costs a moderator a look, a missed one may cost more), else other. The detector
    runs here: call it in a worker or off the event loop, never in an inbox request."""
    stated = stated_category(given, rules)
    if stated is not None:
        return stated
    return ReportCategory.SELF_HARM if assess(comment).flagged else ReportCategory.OTHER


@dataclass(frozen=True, slots=True)
class FlagClaim:
    """A received Flag, read the same whichever of the three shapes it came in: Mastodon's
    (instance actor, [account, statuses...], content), Lemmy's (reporter, one object, summary,
    the group in `to`) or Mbin's ([post, user], summary and content); Cove adds `category`
    and `rules`."""

    flag_id: str
    actor: str
    objects: tuple[str, ...]
    comment: str
    category: str | None
    rules: tuple[int, ...]
    addressed: tuple[str, ...]  # to, cc and audience: the group a Lemmy Flag names


def read_flag(activity: Activity) -> FlagClaim:
    raw = activity.raw
    objects = tuple(o if isinstance(o, str) else o.id for o in activity.objects)
    texts = [t.strip() for t in (activity.content, activity.summary) if t and t.strip()]
    # Mbin sends the same reason as both; keep one.
    comment = "\n".join(dict.fromkeys(texts))
    category = raw.get("category")
    if category is not None and not isinstance(category, str):
        raise Invalid("a Flag's category must be a string")
    rules = raw.get("rules", [])
    if isinstance(rules, int) and not isinstance(rules, bool):
        rules = [rules]
    if not isinstance(rules, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in rules
    ):
        raise Invalid("a Flag's rules must be rule numbers")
    return FlagClaim(
        flag_id=activity.id,
        actor=activity.actor,
        objects=objects,
        comment=checked_comment(plain_words(comment).strip()),
        category=category,
        rules=tuple(rules),
        addressed=(*activity.to, *activity.cc, *activity.audience),
    )


def outcome_text(state: ReportState, what_was_done: str | None) -> str:
    """What the reporter is told, in plain words."""
    if state == ReportState.RESOLVED:
        done = what_was_done.strip() if what_was_done else ""
        return "Thank you for your report. The moderators took action" + (
            f": {done}" if done else "."
        )
    if state == ReportState.DISMISSED:
        why = what_was_done.strip() if what_was_done else ""
        return "Thank you for your report. The moderators looked at it and took no action" + (
            f": {why}" if why else "."
        )
    return "Your report was reopened and the moderators are looking at it again."


def flag_outcome(
    decisions: Sequence[tuple[ReportState, str | None]],
) -> tuple[ReportState, str] | None:
    """What one Flag's sender is told once every report it made is decided (None while any is
    open): action taken when any was acted on, else dismissed, with what the moderators said.
    One Flag naming several posts gets one answer, never several that disagree."""
    if not decisions or any(state == ReportState.OPEN for state, _ in decisions):
        return None
    resolved = [note for state, note in decisions if state == ReportState.RESOLVED]
    state = ReportState.RESOLVED if resolved else ReportState.DISMISSED
    notes = resolved if resolved else [note for _, note in decisions]
    said = "; ".join(dict.fromkeys(n.strip() for n in notes if n and n.strip()))
    return state, outcome_text(state, said)
