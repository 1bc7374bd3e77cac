"""Sentences the templates say as they are, translated once. Each language has its own
environment and so its own compiled templates: `_("Open")`, a fixed sentence with nothing to
fill in, is the same words every time a page is made in that language. Read as the page's own
text when the template is compiled, it costs nothing when the page is made; a sentence with
something to fill in (`_("Report %(id)s", id=...)`) is translated when the page is made."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from jinja2.ext import Extension
from jinja2.lexer import (
    TOKEN_DOT,
    TOKEN_LPAREN,
    TOKEN_NAME,
    TOKEN_PIPE,
    TOKEN_RPAREN,
    TOKEN_STRING,
    Token,
    TokenStream,
)

GETTEXT = frozenset({"_", "gettext"})
CALL = (TOKEN_NAME, TOKEN_LPAREN, TOKEN_STRING, TOKEN_RPAREN)


class TranslatedOnce(Extension):
    """`_("a fixed sentence")` in a template becomes its translation, as i18n's newstyle
    gettext would give it (trusted text, not escaped again), in the words of the environment's
    `cove_gettext` (its catalogue's gettext, set by templating._environment)."""

    def filter_stream(self, stream: TokenStream) -> Iterator[Token]:
        gettext: Callable[[str], str] = self.environment.cove_gettext  # type: ignore[attr-defined]
        window: list[Token] = []
        after = ""  # the type of the token before the window (`x._(...)` is not gettext)
        for token in stream:
            window.append(token)
            if len(window) < len(CALL):
                continue
            if after != TOKEN_DOT and _is_fixed_call(window):
                name, _, string, _ = window
                said = _as_said(gettext(string.value))
                if said is not None:
                    yield Token(name.lineno, TOKEN_STRING, said)
                    yield Token(name.lineno, TOKEN_PIPE, "|")
                    yield Token(name.lineno, TOKEN_NAME, "safe")
                    window.clear()
                    after = TOKEN_NAME
                    continue
            passed = window.pop(0)
            after = passed.type
            yield passed
        yield from window


def _is_fixed_call(window: list[Token]) -> bool:
    return (
        tuple(t.type for t in window) == CALL
        and window[0].value in GETTEXT
        and isinstance(window[2].value, str)
    )


def _as_said(translation: str) -> str | None:
    """What newstyle gettext makes of a sentence with nothing to fill in (`%%` is one `%`),
    or None where it would fail when the page is made: left for then, to fail the same way."""
    try:
        return translation % {}
    except (KeyError, ValueError, TypeError):
        return None
