"""The languages the pages speak: the catalogues shipped as text (.po, read at start, no build
step), and the choice of one for a request (the member's setting, else the browser's
Accept-Language, else English)."""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources as package_files

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from federation.errors import CoveError

DEFAULT = "en"
SUPPORTED = ("en", "es")  # English is the source text; each other one has node/locale/<x>/
NAMES = {"en": "English", "es": "Español"}


@functools.cache
def translations(language: str) -> NullTranslations:
    """The catalogue for a supported language (English: the text as written)."""
    if language == DEFAULT or language not in SUPPORTED:
        return NullTranslations()
    po = package_files.files("node.locale").joinpath(language, "cove.po")
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="cove")


def N_(text: str) -> str:
    """Marks words for the catalogue where they are written (Babel finds them); they are
    translated where they are shown."""
    return text


@dataclass(frozen=True, slots=True)
class Sentence:
    """Words for a person with their details as named fields, to be said in their language
    where they are shown (the wording is the catalogue's key); str() is the English."""

    wording: str
    details: Mapping[str, object] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.wording.format(**self.details) if self.details else self.wording


def say(said: CoveError | Sentence, language: str) -> str:
    """An error's reason or a sentence in a language, its first letter a capital: the
    wording from the catalogue with the details filled in (the English where the catalogue has
    none, or where a translation names a detail that is not there)."""
    wording, details = (said.wording, said.details)
    template = translations(language).gettext(wording)
    if not details:
        text = template
    else:
        try:
            text = template.format(**details)
        except (KeyError, IndexError, ValueError):
            template, text = wording, wording.format(**details)
    # A sentence that opens with a detail (a name, a field) keeps it as it is.
    return text if template.startswith("{") else text[:1].upper() + text[1:]


def word(text: str, language: str) -> str:
    """A word or phrase marked N_ where it is written, in a language."""
    return translations(language).gettext(text)


def from_accept_language(header: str | None) -> str | None:
    """The supported language the browser prefers most (RFC 9110 section 12.5.4), if any."""
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((header or "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                quality = float(value)
            except ValueError:
                continue
        primary = tag.strip().lower().split("-")[0]
        if primary in SUPPORTED and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else None


def choose(setting: str | None, accept_language: str | None) -> str:
    """The member's own setting when it is supported, else the browser's, else English."""
    if setting in SUPPORTED:
        return setting
    return from_accept_language(accept_language) or DEFAULT
