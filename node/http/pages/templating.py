"""The page templates: one Jinja2 environment (autoescaped, strict) per language the pages
speak, each with its catalogue installed."""

from __future__ import annotations

import jinja2

from node.http.pages.translated import TranslatedOnce
from node.locale import languages


class Templates:
    """The page templates, once per language (each environment carries its catalogue)."""

    def __init__(self) -> None:
        self._environments = {language: _environment(language) for language in languages.SUPPORTED}

    def get(self, language: str, name: str) -> jinja2.Template:
        environment = self._environments.get(language) or self._environments[languages.DEFAULT]
        return environment.get_template(name)


def _environment(language: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("node.http.pages", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n", TranslatedOnce],
        # The templates ship with the code: no page render looks at their files' times again.
        auto_reload=False,
    )
    translations = languages.translations(language)
    environment.install_gettext_translations(  # type: ignore[attr-defined]
        translations, newstyle=True
    )
    environment.extend(cove_gettext=translations.gettext)  # fixed sentences, at compile time
    return environment
