"""What an assessment says: a level and the reasons, phrases a moderator can read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """How urgent a text sounds. Stored on assessments; `none` is never stored."""

    ACUTE = "acute"  # intent, plan, means, timing, farewell: a human must see it now
    CONCERN = "concern"  # ideation without a plan, self-harm urges, hopelessness, a worried friend
    NONE = "none"

    @property
    def rank(self) -> int:
        """0 for none, 1 for concern, 2 for acute: the order levels are compared and queued in."""
        return _RANKS[self]


_RANKS = {Level.NONE: 0, Level.CONCERN: 1, Level.ACUTE: 2}


@dataclass(frozen=True, slots=True)
class Assessment:
    """One text's level, the phrases that raised it (`reasons`) and those that lowered it
    (`lowered`: negation, recovery, idiom, quotation), and the languages whose lists ran."""

    level: Level
    reasons: tuple[str, ...] = ()
    lowered: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return self.level != Level.NONE
