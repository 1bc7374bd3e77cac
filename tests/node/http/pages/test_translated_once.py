"""A fixed sentence in a template is translated when the template is compiled, into exactly
what gettext would have said when the page is made; a sentence with something to fill in is
still translated then."""

from __future__ import annotations

import jinja2

from node.http.pages.templating import _environment
from node.locale import languages

SOURCE = (
    '{{ _("Open") }}|{{ _("Report %(id)s", id=7) }}|{{ _("Decided") ~ "!" }}'
    '|{{ box._("Open") }}|{{ _("Not in the catalogue <b>") }}'
)


class Box:
    def _(self, said: str) -> str:
        return f"[{said}]"


def test_fixed_sentences_are_the_compiled_pages_own_words() -> None:
    spanish = _environment("es")
    code = spanish.compile(SOURCE, raw=True)
    assert "Abiertas" in code and "Decididas" in code  # in the compiled page itself
    assert "Denuncia" not in code  # filled in when the page is made
    made = spanish.from_string(SOURCE).render(box=Box())
    assert made == "Abiertas|Denuncia 7|Decididas!|[Open]|Not in the catalogue <b>"


def test_the_words_are_the_same_as_gettext_makes_them() -> None:
    for language in languages.SUPPORTED:
        at_compile = _environment(language)
        at_render = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
        at_render.install_gettext_translations(  # type: ignore[attr-defined]
            languages.translations(language), newstyle=True
        )
        made = at_compile.from_string(SOURCE).render(box=Box())
        assert made == at_render.from_string(SOURCE).render(box=Box()), language
