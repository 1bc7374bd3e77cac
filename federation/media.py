"""Media types of the wire and content negotiation between ActivityPub JSON and HTML pages."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

ACTIVITY_JSON = "application/activity+json"
LD_JSON = "application/ld+json"
AS2_PROFILE = "https://www.w3.org/ns/activitystreams"
LD_JSON_AS2 = f'{LD_JSON}; profile="{AS2_PROFILE}"'
JRD_JSON = "application/jrd+json"
XRD_XML = "application/xrd+xml"
NODEINFO_21_PROFILE = "http://nodeinfo.diaspora.software/ns/schema/2.1#"
NODEINFO_21_JSON = f'application/json; profile="{NODEINFO_21_PROFILE}"'
TURTLE = "text/turtle"
HTML = "text/html"


class Representation(Enum):
    """What a client asked for at a URL that has both a document and a page."""

    ACTIVITY = "activity"
    HTML = "html"


@dataclass(frozen=True, slots=True)
class MediaRange:
    """One entry of an Accept header."""

    type: str
    subtype: str
    params: dict[str, str]
    q: float

    def matches(self, media_type: str) -> bool:
        main, _, sub = media_type.partition("/")
        return self.type in ("*", main) and self.subtype in ("*", sub)

    @property
    def specificity(self) -> int:
        return (self.type != "*") + (self.subtype != "*")


def parse_accept(header: str | None) -> list[MediaRange]:
    """Parse an Accept header (RFC 9110 §12.5.1); malformed entries are skipped, not fatal."""
    ranges: list[MediaRange] = []
    for part in (header or "").split(","):
        fields = [f.strip() for f in part.split(";")]
        main, slash, sub = fields[0].lower().partition("/")
        if not slash or not main or not sub:
            continue
        params: dict[str, str] = {}
        q = 1.0
        for field in fields[1:]:
            name, eq, value = field.partition("=")
            if not eq:
                continue
            name = name.strip().lower()
            value = value.strip().strip('"')
            if name == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
            else:
                params[name] = value
        ranges.append(MediaRange(main, sub, params, q))
    return ranges


def quality(ranges: list[MediaRange], media_type: str) -> float:
    """The q a client gives a media type: the most specific matching range wins."""
    best: MediaRange | None = None
    for r in ranges:
        if r.matches(media_type) and (best is None or r.specificity > best.specificity):
            best = r
    return best.q if best else 0.0


def negotiate(accept: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers, ties going to the earlier offer; None if none.

    A missing or empty Accept header accepts anything, so the first offer wins.
    """
    ranges = parse_accept(accept)
    if not ranges:
        return offered[0] if offered else None
    scored = [(quality(ranges, m), -i, m) for i, m in enumerate(offered)]
    q, _, chosen = max(scored)
    return chosen if q > 0 else None


def wants(accept: str | None) -> Representation:
    """Pick ActivityPub JSON or an HTML page for an actor or object URL.

    Federation software asks for activity+json or ld+json; browsers ask for text/html first.
    Anything ambiguous (no header, */*) gets the ActivityPub document: that is what a remote
    server that forgot its Accept header needs, and a person's browser always names text/html.
    """
    chosen = negotiate(accept, [ACTIVITY_JSON, LD_JSON, HTML])
    return Representation.HTML if chosen == HTML else Representation.ACTIVITY


def asks_for_activity_json(accept: str | None) -> bool:
    """True only when a client names an ActivityPub media type itself (not through */*)."""
    ranges = parse_accept(accept)
    return any(
        r.q > 0 and (r.matches(ACTIVITY_JSON) or r.matches(LD_JSON)) and r.subtype != "*"
        for r in ranges
    )
