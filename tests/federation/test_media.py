"""Content negotiation between ActivityPub documents and HTML pages."""

from __future__ import annotations

import pytest

from federation.media import (
    ACTIVITY_JSON,
    LD_JSON,
    Representation,
    negotiate,
    wants,
)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (BROWSER, Representation.HTML),
        ("text/html", Representation.HTML),
        ("application/activity+json", Representation.ACTIVITY),
        (
            'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
            Representation.ACTIVITY,
        ),
        ("application/activity+json, application/ld+json", Representation.ACTIVITY),
        ("application/activity+json;q=0.9, text/html;q=0.8", Representation.ACTIVITY),
        ("text/html;q=0.5, application/activity+json;q=0.6", Representation.ACTIVITY),
        ("text/html, application/activity+json;q=0.1", Representation.HTML),
        ("*/*", Representation.ACTIVITY),
        (None, Representation.ACTIVITY),
        ("", Representation.ACTIVITY),
        ("garbage;;;", Representation.ACTIVITY),
    ],
)
def test_actor_urls_negotiate_between_activity_json_and_html(
    accept: str | None, expected: Representation
) -> None:
    assert wants(accept) is expected


def test_negotiate_prefers_higher_q_then_earlier_offer() -> None:
    assert negotiate("application/ld+json", [ACTIVITY_JSON, LD_JSON]) == LD_JSON
    assert negotiate("*/*", [ACTIVITY_JSON, LD_JSON]) == ACTIVITY_JSON
    assert (
        negotiate("application/*;q=0.5, application/ld+json", [ACTIVITY_JSON, LD_JSON]) == LD_JSON
    )
    assert negotiate("image/png", [ACTIVITY_JSON]) is None
    assert negotiate("application/activity+json;q=0", [ACTIVITY_JSON]) is None
