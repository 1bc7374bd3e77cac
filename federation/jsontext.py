"""JSON from other servers as text that can be stored: PostgreSQL keeps no NUL character, and
JSON's \\u escapes can carry half of a surrogate pair, which no encoding can write. Both are
refused where a document comes in, so that nothing fails later, half-stored."""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Only an escape can bring either in (raw control characters are not JSON), so a body
# without one needs no walk.
_SUSPECT = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")
_SUSPECT_BYTES = re.compile(_SUSPECT.pattern.encode())


class UnstorableText(ValueError):
    """Valid JSON holding text that cannot be stored; the message says which kind."""


def check_text(document: object) -> None:
    """Refuse a NUL character or a lone surrogate anywhere in the document's keys or values."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
        elif isinstance(item, str):
            if "\x00" in item:
                raise UnstorableText("text must not contain NUL characters")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise UnstorableText("text must be valid Unicode") from None


def _no_constant(name: str) -> Any:
    raise UnstorableText(f"numbers must be finite ({name} is not)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise UnstorableText(f"numbers must be finite ({text[:20]} is too large)")
    return value


def loads(body: bytes | str) -> Any:
    """json.loads, then check_text when the body holds an escape that could need it. Raises
    ValueError (UnstorableText for the text, another ValueError for bad JSON). NaN, Infinity
    and numbers too large for a double are refused too: Python reads them, PostgreSQL's JSON
    does not, and one such document would fail the whole batch it is stored with."""
    document = json.loads(body, parse_constant=_no_constant, parse_float=_finite)
    suspect = _SUSPECT_BYTES if isinstance(body, bytes) else _SUSPECT
    if suspect.search(body):  # type: ignore[arg-type]
        check_text(document)
    return document
