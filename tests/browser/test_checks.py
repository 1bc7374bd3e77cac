"""The browser checks themselves: they pass a sound page and fail, saying what and where, on
pages with the defects they exist to find."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from tests.browser.accessibility import check_accessible, check_keyboard_use, check_reflow

SOUND = """<!doctype html><html lang="en"><head><title>Sound</title></head><body>
<main><h1>Sound</h1><p>Read <a href="#rules">the rules</a> first.</p>
<form><label for="q">Search</label> <input id="q"> <button>Go</button></form></main>
</body></html>"""

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_a_sound_page_passes_both_checks(page: Page) -> None:
    await page.set_content(SOUND)
    await check_accessible(page)
    await check_keyboard_use(page)
    await check_reflow(page)


async def test_axe_names_each_violation_its_impact_and_the_elements(page: Page) -> None:
    await page.set_content(
        """<!doctype html><html><head><title>Faint</title></head><body><main>
        <p style="color:#bbb;background:#fff">Hard to read</p>
        <a href="/x"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></a>
        </main></body></html>"""
    )
    with pytest.raises(AssertionError) as failed:
        await check_accessible(page)
    message = str(failed.value)
    assert "- color-contrast (serious): Elements must meet minimum color contrast" in message
    assert (
        "\n    p: Fix any of the following: Element has insufficient color contrast of 1.91"
        in message
    )
    assert "- html-has-lang (serious)" in message
    assert "- image-alt (critical)" in message and "- link-name (serious)" in message


async def test_contrast_is_checked_in_the_scheme_the_page_is_in(page: Page, scheme: str) -> None:
    await page.set_content(
        """<!doctype html><html lang="en"><head><title>Dark</title><style>
        body { background: #fff; color: #111; }
        @media (prefers-color-scheme: dark) { body { background: #111; color: #444; } }
        </style></head><body><main><p>Only readable in the light.</p></main></body></html>"""
    )
    if scheme == "light":
        await check_accessible(page)
        return
    with pytest.raises(AssertionError) as failed:
        await check_accessible(page)
    assert "(dark colour scheme)" in str(failed.value)
    assert "\n- color-contrast (serious)" in str(failed.value)


async def test_keyboard_check_finds_unreachable_controls_and_hidden_focus(page: Page) -> None:
    await page.set_content(
        """<!doctype html><html lang="en"><head><title>Keys</title>
        <style>.bare:focus { outline: none; }</style></head><body><main>
        <a href="/fine">Fine link</a>
        <a class="bare" href="/bare">Bare link</a>
        <button tabindex="-1">Skipped button</button>
        <div hidden><a href="/gone">Hidden link</a></div>
        </main></body></html>"""
    )
    await page.focus(".bare")  # Tab still starts from the top
    with pytest.raises(AssertionError) as failed:
        await check_keyboard_use(page)
    problems = str(failed.value).splitlines()[1:]
    assert problems == [
        '- not reached by Tab: <button> "Skipped button"',
        '- no visible focus: <a> "Bare link"',
    ]


async def test_reflow_check_names_what_sticks_out_on_a_narrow_screen(page: Page) -> None:
    await page.set_content(
        """<!doctype html><html lang="en"><head><title>Wide</title></head><body><main>
        <p>Short words wrap.</p><p id="long">https://example.org/a/very/long/address/with/no/
        break/opportunity/anywhere/in/it/at/all/whatsoever/none</p></main></body></html>""".replace(
            "/\n        ", "/"
        )
    )
    with pytest.raises(AssertionError) as failed:
        await check_reflow(page)
    lines = str(failed.value).splitlines()
    assert "WCAG 1.4.10" in lines[0] and "in a 320 px window" in lines[0]
    assert len(lines) == 2 and lines[1].startswith('- <p id="long">https://example.org/a/very/')
    await page.add_style_tag(content="p { overflow-wrap: anywhere; }")
    await check_reflow(page)
