"""The languages the pages speak: the catalogues shipped as text (.po, read at start, no build
step), and the choice of one for a request (the member's setting, else the browser's
Accept-Language, else English)."""

from __future__ import annotations

import functools
import io
from importlib import resources as package_files

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

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
