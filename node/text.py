"""Text people write turned into safe HTML: organizers' plain text, and remote HTML sanitised."""

from __future__ import annotations

import html
import re

import nh3

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def plain_to_html(text: str) -> str:
    """Escape text and keep its paragraphs and line breaks: "<p>a<br>b</p><p>c</p>"."""
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )


# What remote HTML may keep: Mastodon's and Lemmy's formatting, nothing that runs or tracks.
ALLOWED_TAGS = {
    "p", "br", "a", "span", "em", "strong", "b", "i", "u", "s", "del", "blockquote", "code",
    "pre", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "span": {"class"}, "ol": {"start"}}


def sanitise_html(text: str) -> str:
    """Remote content as safe HTML: tags and attributes outside the list are dropped; links
    open as plain links (rel="nofollow noopener noreferrer")."""
    return nh3.clean(
        text,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )


def html_to_plain(text: str) -> str:
    """Stored HTML as plain text for a terminal: tags dropped, entities read, paragraphs kept
    apart by blank lines."""
    spaced = re.sub(r"(?i)</p>|<br\s*/?>", "\n", text)
    return html.unescape(nh3.clean(spaced, tags=set())).strip()
