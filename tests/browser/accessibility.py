"""The checks every page passes in a real browser: axe-core's WCAG 2.0/2.1/2.2 A and AA rules
(`check_accessible`), use by keyboard alone, every control reached by Tab and shown focused
(`check_keyboard_use`), and reading on a narrow screen without scrolling sideways
(`check_reflow`)."""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from playwright.async_api import Page

# axe-core's tags for the success criteria of WCAG 2.0, 2.1 and 2.2 at levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
# axe-core as its pinned Python distribution ships it (pyproject.toml, the dev extra).
AXE_PACKAGE = "axe_playwright_python"
# How much of axe's advice on each element the failure message keeps.
SUMMARY_CHARS = 240

RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary || ""})),
  }));
}"""


@functools.cache
def axe_source() -> str:
    return resources.files(AXE_PACKAGE).joinpath("axe.min.js").read_text(encoding="utf-8")


async def _load_axe(page: Page) -> None:
    # Evaluated over the DevTools protocol, so a page's Content-Security-Policy cannot stop it.
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(axe_source())


async def _scheme(page: Page) -> str:
    dark = await page.evaluate("() => matchMedia('(prefers-color-scheme: dark)').matches")
    return "dark" if dark else "light"


async def check_accessible(page: Page) -> None:
    """Fail, listing each violation's rule, impact, help and offending elements, when axe-core
    finds anything against WCAG 2.0/2.1/2.2 A or AA on the page as it is now."""
    await _load_axe(page)
    violations: list[dict[str, Any]] = await page.evaluate(RUN_AXE, list(WCAG_TAGS))
    if violations:
        raise AssertionError(
            f"axe-core found {len(violations)} accessibility violation(s) on {page.url} "
            f"({await _scheme(page)} colour scheme):\n" + describe_violations(violations)
        )


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            why = " ".join(node["summary"].split())
            why = why if len(why) <= SUMMARY_CHARS else why[: SUMMARY_CHARS - 1] + "…"
            lines.append(f"    {target}: {why}" if why else f"    {target}")
    return "\n".join(lines)


# Keyboard ------------------------------------------------------------------------------------

# Marks every control a person must reach, and notes how each looks unfocused, so that its
# look when focused can be compared. A natively interactive element counts even with
# tabindex=-1 (that is the defect to find); any other element counts when tabindex >= 0.
MARK_CONTROLS = """() => {
  const native = 'a[href], area[href], button, input:not([type=hidden]), select, textarea, ' +
    'summary, iframe, audio[controls], video[controls], [contenteditable=""], ' +
    '[contenteditable="true"]';
  const shown = el => {
    const s = getComputedStyle(el), r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && (r.width > 0 || r.height > 0)
      && !el.closest('[inert], [hidden]');
  };
  const controls = [...document.querySelectorAll('*')].filter(el =>
    (el.matches(native) || (el.hasAttribute('tabindex') && el.tabIndex >= 0))
    && !el.disabled && shown(el));
  // A group of radio buttons is one stop for Tab (arrow keys move within it): its buttons
  // share one key, and the group is listed once.
  window.__coveControls = new Map();
  const groups = new Map(), listed = [];
  for (const el of controls) {
    const s = getComputedStyle(el);
    const group = el.type === 'radio' && el.name ? `${el.form ? 'f' : ''}:${el.name}` : null;
    let key = group !== null ? groups.get(group) : undefined;
    if (key === undefined) {
      key = String(listed.length);
      if (group !== null) groups.set(group, key);
      const name = (el.getAttribute('aria-label') || el.textContent || el.value || '').trim();
      listed.push(`<${el.localName}> ${JSON.stringify(name.slice(0, 60))}`);
    }
    window.__coveControls.set(el, {
      key,
      outline: `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
      shadow: s.boxShadow, background: s.backgroundColor, border: s.borderColor,
    });
  }
  return listed;
}"""

# Which marked control has the focus now, and whether its focus is visible: an outline or a
# shadow, a background or a border it does not have unfocused.
FOCUSED = """() => {
  const el = document.activeElement, was = el && window.__coveControls.get(el);
  if (!was) return null;
  const s = getComputedStyle(el);
  const clear = c => c === 'transparent' || /rgba\\(.*,\\s*0\\)$/.test(c);
  const outline = `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`;
  const outlined = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0
    && !clear(s.outlineColor) && outline !== was.outline;
  const changed = s.boxShadow !== was.shadow || s.backgroundColor !== was.background
    || s.borderColor !== was.border;
  return {key: was.key, visible: outlined || changed};
}"""

# Tab then starts from the top, as on a freshly opened page: Chromium starts sequential focus
# navigation from the selection when nothing is focused.
START_AT_TOP = """() => {
  if (document.activeElement) document.activeElement.blur();
  window.getSelection().collapse(document.body, 0);
}"""
EXTRA_TABS = 3


async def check_keyboard_use(page: Page) -> None:
    """Fail unless pressing Tab from the top of the page reaches every link, button and field
    it shows, each with a visible focus indicator."""
    await page.evaluate(START_AT_TOP)  # unfocused first (a field may have autofocus)
    controls: list[str] = await page.evaluate(MARK_CONTROLS)
    await page.evaluate(START_AT_TOP)
    reached: set[str] = set()
    unseen_focus: set[str] = set()
    for _ in range(len(controls) + EXTRA_TABS):
        if len(reached) == len(controls):
            break
        await page.keyboard.press("Tab")
        focused = await page.evaluate(FOCUSED)
        if focused is None:
            continue
        reached.add(focused["key"])
        if not focused["visible"]:
            unseen_focus.add(focused["key"])
    problems = [
        f"- not reached by Tab: {controls[int(k)]}"
        for k in sorted(set(map(str, range(len(controls)))) - reached, key=int)
    ] + [f"- no visible focus: {controls[int(k)]}" for k in sorted(unseen_focus, key=int)]
    if problems:
        raise AssertionError(
            f"keyboard use of {page.url} ({await _scheme(page)} colour scheme), "
            f"{len(controls)} controls:\n" + "\n".join(problems)
        )


# Reflow --------------------------------------------------------------------------------------

# WCAG 2.1 success criterion 1.4.10: content reflows at 320 CSS pixels wide.
REFLOW_WIDTH = 320

# The page's width against the window's, and the innermost elements that stick out.
OVERFLOW = """() => {
  const limit = document.documentElement.clientWidth;
  // An element sticks out by its box, or by what it holds (a long word overflowing it).
  const out = el => {
    const box = el.getBoundingClientRect();
    return Math.max(box.right, box.left + el.scrollWidth) > limit + 0.5;
  };
  const sticking = [...document.body.querySelectorAll('*')]
    .filter(el => out(el) && ![...el.children].some(out))
    .map(el => el.outerHTML.slice(0, 100));
  return {page: document.documentElement.scrollWidth, window: limit, sticking};
}"""


async def check_reflow(page: Page) -> None:
    """Fail when the page, in a window 320 CSS pixels wide, has to be scrolled sideways,
    naming the elements that stick out."""
    before = page.viewport_size
    await page.set_viewport_size({"width": REFLOW_WIDTH, "height": 640})
    try:
        measured = await page.evaluate(OVERFLOW)
    finally:
        if before is not None:
            await page.set_viewport_size(before)
    if measured["page"] > measured["window"]:
        raise AssertionError(
            f"{page.url} is {measured['page']} px wide in a {measured['window']} px window "
            "(WCAG 1.4.10: scrolled sideways); sticking out:\n"
            + "\n".join(f"- {html}" for html in measured["sticking"])
        )
