"""Bans from a group and suspensions from the node: when one is in force, and its expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from federation.errors import Invalid

MAX_BAN = timedelta(days=3650)


def checked_expiry(expires_at: datetime | None, now: datetime) -> datetime | None:
    """A ban's end: None for a ban without end; never in the past."""
    if expires_at is None:
        return None
    if expires_at.tzinfo is None:
        raise Invalid("give the expiry with a time zone (for example 2026-12-01T00:00:00Z)")
    if expires_at <= now:
        raise Invalid("the ban's expiry is in the past")
    if expires_at - now > MAX_BAN:
        raise Invalid("a ban can last at most ten years; leave the expiry out for no end")
    return expires_at


def parse_duration(text: str) -> timedelta:
    """A ban's length as people write it: 30m, 12h, 7d, 2w."""
    units = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}
    units["w"] = timedelta(weeks=1)
    text = text.strip().lower()
    number = text[:-1]
    if len(text) < 2 or text[-1] not in units or not (number.isascii() and number.isdigit()):
        raise Invalid("unknown duration {text!r}: write it as 30m, 12h, 7d or 2w", text=text)
    # Counted in the unit before any timedelta is made: a huge count would overflow one.
    unit = units[text[-1]]
    if len(number.lstrip("0")) > 9 or int(number) > MAX_BAN // unit:
        raise Invalid("a ban can last at most ten years; leave the duration out for no end")
    length = int(number) * unit
    if length <= timedelta(0):
        raise Invalid("a ban's duration must be longer than zero")
    return length


def in_force(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is None or expires_at > now
