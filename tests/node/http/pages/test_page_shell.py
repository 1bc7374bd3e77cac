"""What every page carries whoever reads it: the language the reader's browser prefers
(English or Spanish, both catalogues complete), the "Need help now?" link to the crisis lines
chosen for their country and language, one cached stylesheet, and error pages that explain."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from node.groups import groups
from node.groups.groups import NewGroup
from node.locale import extraction, languages
from node.members import accounts
from tests.conftest import ServedNode

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
LOCALE = Path(__file__).parents[4] / "node" / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")  # in templates and mails
FIELD = re.compile(r"(?<!\{)\{\w+[^{}]*\}")  # an error's details


async def page(served: ServedNode, url: str, language: str = "en") -> tuple[int, str]:
    headers = {"Accept": BROWSER, "Accept-Language": language}
    async with served.client.get(absolute(served, url), headers=headers) as r:
        assert r.headers["Content-Type"].startswith("text/html"), r.headers
        return r.status, await r.text()


def absolute(served: ServedNode, url: str) -> str:
    return url if url.startswith("http") else served.urls.base + url


@pytest.mark.parametrize(
    ("header", "chosen"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("fr-CA, fr;q=0.9, es;q=0.5, en;q=0.4", "es"),
        ("en-GB, es;q=0.9", "en"),
        ("de", None),
        ("es;q=0, en;q=0.1", "en"),
        ("es;q=abc", None),
        ("", None),
    ],
)
def test_the_browsers_language_is_read_by_its_preferences(header: str, chosen: str | None) -> None:
    assert languages.from_accept_language(header) == chosen
    assert languages.choose("es", header) == "es"  # a member's own setting wins
    assert languages.choose(None, header) == (chosen or "en")


def test_every_word_on_the_pages_has_its_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    """Every word a page, a mail or an error's reason may show (extraction.words) has its
    Spanish, with the same details to fill in; a reason written as an f-string could not be
    translated, and Babel's warning about one fails the test."""
    with (LOCALE / "es" / "cove.po").open("rb") as f:
        spanish = read_po(f, locale="es")
    found = dict(extraction.words())
    assert not [line for line in capsys.readouterr().err.splitlines() if "f-string" in line]
    assert len(found) > 400
    assert {"no group named {name!r} on this node", "wrong username or password"} <= set(found)
    for text, where in found.items():
        entry = spanish.get(text)
        assert entry is not None and entry.string, f"no Spanish for {text!r} ({where})"
        translated = entry.string if isinstance(entry.string, str) else entry.string[-1]
        for fields in (PLACEHOLDER, FIELD):
            assert sorted(fields.findall(translated)) == sorted(fields.findall(text)), text


async def test_the_pages_speak_the_readers_language(served: ServedNode) -> None:
    await groups.create_group(served.node, NewGroup(name="grief", title="Grief"))
    await accounts.create_account(served.node, "kim")
    for url in ("/", served.urls.group("grief"), served.urls.person("kim"), "/help", "/nowhere"):
        _, spanish = await page(served, url, "es-ES,es;q=0.9")
        assert '<html lang="es">' in spanish and "¿Necesitas ayuda ahora?" in spanish, url
        assert '<a class="help" href="/help">' in spanish, url
        _, english = await page(served, url, "en-US")
        assert '<html lang="en">' in english and "Need help now?" in english, url
    _, group_page = await page(served, served.urls.group("grief"), "es")
    assert "Cómo unirse" in group_page and "0 miembros" in group_page


async def test_need_help_lists_the_lines_for_a_country_in_the_readers_language(
    served: ServedNode,
) -> None:
    status, mexico = await page(served, "/help?country=mx", "es")
    assert status == 200
    assert "Línea de la Vida" in mexico and "800 911 2000" in mexico
    assert "Find A Helpline" in mexico  # the lines for anywhere come after
    assert mexico.index("Línea de la Vida") < mexico.index("Find A Helpline")
    assert '<option value="MX" selected>México</option>' in mexico
    _, britain = await page(served, "/help?country=GB", "en")
    assert "Samaritans" in britain and "Línea de la Vida" not in britain
    status, wrong = await page(served, "/help?country=Narnia", "en")
    assert status == 400 and "country" in wrong and "Need help now?" in wrong


async def test_one_stylesheet_cached_and_no_other_file(served: ServedNode) -> None:
    _, home = await page(served, "/")
    found = re.search(r'<link rel="stylesheet" href="([^"]+)">', home)
    assert found is not None
    async with served.client.get(absolute(served, found.group(1))) as r:
        assert r.status == 200 and r.content_type == "text/css"
        assert "prefers-color-scheme: dark" in await r.text()
        assert "immutable" in r.headers["Cache-Control"]
    for wrong in ("/static/..%2Fconfig.py", "/static/nothing.css"):
        status, _ = await page(served, wrong)
        assert status == 404


async def test_an_error_page_says_what_happened_and_how_to_go_back(served: ServedNode) -> None:
    status, missing = await page(served, "/g/nobody-here", "en")
    assert status == 404 and "<h1>Not found</h1>" in missing and 'href="/"' in missing
    assert "No group named &#39;nobody-here&#39; on this node" in missing
    status, ausente = await page(served, "/g/nobody-here", "es")
    assert status == 404 and "<h1>No encontrado</h1>" in ausente
    assert "No hay ningún grupo llamado &#39;nobody-here&#39; en este nodo" in ausente


async def test_a_refusal_gives_its_reason_in_the_readers_language(served: ServedNode) -> None:
    headers = {"Accept": BROWSER, "Accept-Language": "es", "Origin": served.urls.base}
    url = absolute(served, "/auth/sign-in")
    async with served.client.post(url, data={"login": "kim"}, headers=headers) as r:
        assert r.status == 403
        assert "Este formulario ha caducado" in await r.text()
    headers["Accept-Language"] = "en"
    async with served.client.post(url, data={"login": "kim"}, headers=headers) as r:
        assert r.status == 403 and "This form has expired" in await r.text()
