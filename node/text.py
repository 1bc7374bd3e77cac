"""Plain text that organizers type (summaries, descriptions) turned into safe HTML."""

from __future__ import annotations

import html
import re

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


def plain_to_html(text: str) -> str:
    """Escape text and keep its paragraphs and line breaks: "<p>a<br>b</p><p>c</p>"."""
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line) for line in p.splitlines()) + "</p>"
        for p in paragraphs
    )
