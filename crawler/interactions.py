"""What the browser does on a rendered page before capturing it: settle, then interact.

Some content appears only after a click: rosters behind one tab per training year, lists that
grow with a "Load more" button. By default every rendered page gets the generic interactions:
  1. `load_more`: click a visible "Load more" / "Show more" / "View all" button until it is gone,
     disabled, or stops changing the page (at most IMGCRAWL_BROWSER_MAX_CLICKS clicks);
  2. `tabs`: visit each tab of every ARIA tablist and keep each tab's panel, under a heading with
     the tab's label, in the captured HTML (sites often keep only one panel in the DOM).
A program replaces them with its own `browser_actions` (parsed and validated here, stored on
the Program): `click SEL; click_all SEL; load_more SEL; tabs SEL [=> PANEL_SEL]; wait_for SEL;
wait MS; generic; none`, selectors in CSS. They become scrapy-playwright PageMethods that call
our own functions below. Nothing taken from a crawled page is ever run as code: selectors and
labels are only data handed to our fixed scripts.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

from cssselect import GenericTranslator, SelectorError

logger = logging.getLogger(__name__)

SELECTOR_ACTIONS = ("click", "click_all", "load_more", "tabs", "wait_for")
ACTIONS = (*SELECTOR_ACTIONS, "wait", "generic", "none")
GENERIC: tuple[dict[str, Any], ...] = ({"action": "generic"},)
MAX_WAIT_MS = 10_000  # a configured pause longer than this is a mistake, not a need
MAX_SELECTOR_CHARS = 300

# Buttons that reveal more of the same list. Links with a real href are left to the spider:
# clicking them would navigate away from the page being captured.
LOAD_MORE_TEXT = re.compile(r"^\s*(?:load|show|view|see)\s+(?:more|all)\b", re.I)
BUTTON_LIKE = "button, [role=button], a:not([href]), a[href='#'], a[href^='javascript:']"
TAB = "[role=tab]"
TABLIST = "[role=tablist]"
MAX_TABLISTS = 5
# How long the page must stay still (no DOM change, no request in flight) to count as settled
# after a click: long enough for a script to render a fetched response, short enough that
# twenty clicks cost seconds, not minutes.
QUIET_MS = 150

# Our scripts. They take crawled values only as arguments (data), never as code.
DOM_QUIET_JS = """({quietMs, maxMs}) => new Promise((resolve) => {
  let timer = null;
  const observer = new MutationObserver(() => {
    clearTimeout(timer);
    timer = setTimeout(done, quietMs);
  });
  const cap = setTimeout(done, maxMs);
  function done() { observer.disconnect(); clearTimeout(timer); clearTimeout(cap); resolve(); }
  observer.observe(document, {subtree: true, childList: true, characterData: true});
  timer = setTimeout(done, quietMs);
})"""
ELEMENT_COUNT_JS = "() => document.getElementsByTagName('*').length"
# Keeps a copy of the panel a tab shows: by aria-controls, else the given panel selector, else
# the visible tabpanel. Copies wait in a page global until PLACE_PANELS_JS puts them back.
KEEP_PANEL_JS = """(tab, {group, panelSelector}) => {
  const id = tab.getAttribute('aria-controls');
  let panel = id ? document.getElementById(id) : null;
  if (!panel && panelSelector) panel = document.querySelector(panelSelector);
  if (!panel) {
    panel = [...document.querySelectorAll('[role=tabpanel]')]
      .find((p) => !p.hidden && p.getClientRects().length > 0) || null;
  }
  if (!panel) return false;
  const kept = (window.__imgcrawl_kept__ = window.__imgcrawl_kept__ || {});
  const entry = (kept[group] = kept[group] || {panels: [], live: new Set(), list: null});
  const copy = panel.cloneNode(true);
  copy.removeAttribute('hidden');
  copy.removeAttribute('id');
  entry.panels.push({label: (tab.textContent || '').trim(), node: copy});
  entry.live.add(panel);
  entry.list = entry.list || tab.closest('[role=tablist]') || tab.parentElement;
  return true;
}"""
# One section with every kept panel, each under a heading naming its tab, where the live
# panel was: the captured HTML then reads like a page that shows all tabs at once.
PLACE_PANELS_JS = """(group) => {
  const entry = (window.__imgcrawl_kept__ || {})[group];
  if (!entry || !entry.panels.length) return 0;
  const section = document.createElement('section');
  section.setAttribute('data-imgcrawl', 'tab-panels');
  for (const {label, node} of entry.panels) {
    const heading = document.createElement('h3');
    heading.textContent = label;
    section.append(heading, node);
  }
  const live = [...entry.live].filter((p) => p.isConnected);
  if (live.length) live[0].replaceWith(section);
  else if (entry.list && entry.list.isConnected) entry.list.after(section);
  else document.body.append(section);
  live.slice(1).forEach((p) => p.remove());
  delete window.__imgcrawl_kept__[group];
  return entry.panels.length;
}"""


class ActionError(ValueError):
    """A browser_actions value that cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what one rendered page may cost (from BrowserConfig)."""

    action_timeout_ms: float = 5_000
    max_clicks: int = 20
    max_tabs: int = 12
    budget_s: float = 30.0  # all interactions of one page together


def _split(text: str) -> list[str]:
    """Split on ';' outside quotes (a CSS attribute value may contain one)."""
    parts, current, quote = [], [], ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ";":
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote:
        raise ActionError("unbalanced quote")
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def css_to_xpath(selector: str) -> str:
    """The XPath of a CSS selector; ActionError if it is not plain CSS."""
    if not selector or len(selector) > MAX_SELECTOR_CHARS or "\n" in selector:
        raise ActionError(f"selector {selector!r} must be one line of 1-{MAX_SELECTOR_CHARS} chars")
    try:
        return GenericTranslator().css_to_xpath(selector)
    except SelectorError as error:
        raise ActionError(f"{selector!r} is not a CSS selector ({error})") from error


def _one(step: str) -> dict[str, Any]:
    verb, _, arg = step.partition(" ")
    verb, arg = verb.strip().lower(), arg.strip()
    if verb not in ACTIONS:
        raise ActionError(f"unknown action {verb!r} (use {', '.join(ACTIONS)})")
    if verb in ("generic", "none"):
        if arg:
            raise ActionError(f"{verb} takes no argument")
        return {"action": verb}
    if verb == "wait":
        if not arg.isdigit() or not 0 < int(arg) <= MAX_WAIT_MS:
            raise ActionError(f"wait takes milliseconds, 1-{MAX_WAIT_MS} (got {arg!r})")
        return {"action": "wait", "ms": int(arg)}
    if not arg:
        raise ActionError(f"{verb} needs a CSS selector")
    if verb == "tabs" and "=>" in arg:
        tabs, _, panel = (part.strip() for part in arg.partition("=>"))
        css_to_xpath(tabs)
        css_to_xpath(panel)
        return {"action": "tabs", "selector": tabs, "panel": panel}
    css_to_xpath(arg)
    return {"action": verb, "selector": arg}


def parse_actions(value: Any) -> list[dict[str, Any]] | None:
    """A browser_actions value (CSV text, YAML string or list) -> actions, or None if blank."""
    if value is None:
        return None
    if isinstance(value, list):
        steps = []
        for item in value:
            if not isinstance(item, str):
                raise ActionError("each action must be a string like 'load_more button.more'")
            steps.extend(_split(item))
    elif isinstance(value, str):
        steps = _split(value)
    else:
        raise ActionError("must be text like 'tabs [role=tab]; load_more button.more'")
    if not steps:
        return None
    actions = [_one(step) for step in steps]
    if any(a["action"] == "none" for a in actions) and len(actions) > 1:
        raise ActionError("'none' must be the only action")
    return actions


def static_selectors(actions: list[dict[str, Any]] | None) -> tuple[str, ...]:
    """XPaths of the elements a program's actions click: their presence calls for a browser."""
    return tuple(
        css_to_xpath(a["selector"])
        for a in actions or ()
        if a["action"] in ("click", "click_all", "load_more", "tabs")
    )


def page_methods(actions: list[dict[str, Any]] | None, limits: Limits) -> list[Any]:
    """scrapy-playwright PageMethods: wait for the page's data, then run the interactions."""
    from scrapy_playwright.page import PageMethod

    methods = [PageMethod(wait_for_data, limits)]
    steps = list(actions or GENERIC)
    if steps != [{"action": "none"}]:
        methods.append(PageMethod(interact, steps, limits))
    return methods


async def wait_for_data(page: Any, limits: Limits) -> dict[str, int]:
    """Bound every later call on the page, then wait until its scripts stop loading data.

    A page that never goes quiet (polling, analytics) is captured as it is after the action
    timeout instead of failing.
    """
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    page.set_default_timeout(limits.action_timeout_ms)
    try:
        await page.wait_for_load_state("networkidle", timeout=limits.action_timeout_ms)
    except PlaywrightTimeoutError:
        return {"network_busy": 1}
    return {}


CRASH_PHRASES = (
    "has been closed",
    "target crashed",
    "page crashed",
    "browser has disconnected",
    "connection closed",
)


def browser_failure(error: BaseException) -> str | None:
    """`browser_crashed` when the browser (or the page's renderer) went away,
    `browser_timeout` when a page did not load in time, else None."""
    from playwright.async_api import Error as PlaywrightError
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    if isinstance(error, PlaywrightTimeoutError):
        return "browser_timeout"
    if isinstance(error, PlaywrightError) and any(
        phrase in str(error).lower() for phrase in CRASH_PHRASES
    ):
        return "browser_crashed"
    return None


def is_crash(error: BaseException) -> bool:
    """True for errors that mean the browser (or the page's renderer) went away."""
    return browser_failure(error) == "browser_crashed"


class _Inflight:
    """Requests the page has in flight, counted from Playwright's request events."""

    def __init__(self, page: Any) -> None:
        self.page, self.count = page, 0
        page.on("request", self._start)
        page.on("requestfinished", self._end)
        page.on("requestfailed", self._end)

    def _start(self, _request: Any) -> None:
        self.count += 1

    def _end(self, _request: Any) -> None:
        self.count = max(0, self.count - 1)  # requests begun before we listened

    def close(self) -> None:
        for event, handler in (
            ("request", self._start),
            ("requestfinished", self._end),
            ("requestfailed", self._end),
        ):
            self.page.remove_listener(event, handler)


async def _settle(page: Any, inflight: _Inflight, timeout_ms: float) -> None:
    """Wait until no request is in flight and the DOM has been still for QUIET_MS."""
    deadline = time.monotonic() + timeout_ms / 1000
    await asyncio.sleep(0.05)  # let the click's handlers start their requests
    while time.monotonic() < deadline:
        if inflight.count:
            await asyncio.sleep(0.05)
            continue
        remaining = max(QUIET_MS, (deadline - time.monotonic()) * 1000)
        await page.evaluate(DOM_QUIET_JS, {"quietMs": QUIET_MS, "maxMs": remaining})
        if not inflight.count:
            return


async def _click(page: Any, target: Any, inflight: _Inflight, limits: Limits) -> None:
    await target.click(timeout=limits.action_timeout_ms)
    await _settle(page, inflight, limits.action_timeout_ms)


async def _load_more(page: Any, selector: str | None, inflight: _Inflight, limits: Limits) -> int:
    """Click the control until it is gone, disabled or has no effect; returns the clicks."""
    if selector:
        controls = page.locator(selector)
    else:
        controls = page.locator(BUTTON_LIKE).filter(has_text=LOAD_MORE_TEXT)
    clicks = 0
    while clicks < limits.max_clicks:
        control = controls.filter(visible=True).first
        if not await control.count() or not await control.is_enabled():
            break
        before = await page.evaluate(ELEMENT_COUNT_JS)
        await _click(page, control, inflight, limits)
        clicks += 1
        if await page.evaluate(ELEMENT_COUNT_JS) == before:
            break  # nothing was added: a stuck or decorative button
    return clicks


def _navigates(href: str | None) -> bool:
    return bool(href) and not href.startswith(("#", "javascript:"))


async def _tab_group(
    page: Any, tabs: Any, group: str, panel: str | None, inflight: _Inflight, limits: Limits
) -> int:
    """Visit each tab and keep the panel it shows; returns the panels kept."""
    for index in range(min(await tabs.count(), limits.max_tabs)):
        tab = tabs.nth(index)
        if _navigates(await tab.get_attribute("href")) or not await tab.is_visible():
            continue  # a tab that is a link to another page is crawled as that page
        await _click(page, tab, inflight, limits)
        await tab.evaluate(KEEP_PANEL_JS, {"group": group, "panelSelector": panel})
    return await page.evaluate(PLACE_PANELS_JS, group)


async def _tabs(page: Any, action: dict[str, Any], inflight: _Inflight, limits: Limits) -> int:
    if action.get("selector"):
        tabs = page.locator(action["selector"])
        return await _tab_group(page, tabs, "custom", action.get("panel"), inflight, limits)
    lists = page.locator(TABLIST)
    kept = 0
    for index in range(min(await lists.count(), MAX_TABLISTS)):
        tabs = lists.nth(index).locator(TAB)
        kept += await _tab_group(page, tabs, f"list{index}", None, inflight, limits)
    return kept


async def _run(page: Any, action: dict[str, Any], inflight: _Inflight, limits: Limits) -> int:
    kind = action["action"]
    if kind == "load_more":
        return await _load_more(page, action["selector"], inflight, limits)
    if kind == "tabs":
        return await _tabs(page, action, inflight, limits)
    if kind == "click":
        target = page.locator(action["selector"]).filter(visible=True).first
        if not await target.count():
            return 0
        await _click(page, target, inflight, limits)
        return 1
    if kind == "click_all":
        targets = page.locator(action["selector"]).filter(visible=True)
        count = min(await targets.count(), limits.max_clicks)
        for index in range(count):
            await _click(page, targets.nth(index), inflight, limits)
        return count
    if kind == "wait_for":
        await page.locator(action["selector"]).first.wait_for(
            state="visible", timeout=limits.action_timeout_ms
        )
        return 1
    if kind == "wait":
        await page.wait_for_timeout(action["ms"])
        return 1
    return 0


async def interact(page: Any, actions: list[dict[str, Any]], limits: Limits) -> dict[str, int]:
    """Run ACTIONS on PAGE within the page's budget; returns counts per action and outcome.

    A failed or slow interaction is counted and the page is captured as it is; only a crashed
    browser is an error (the page is then retried or recorded as `browser_crashed`).
    """
    from playwright.async_api import Error as PlaywrightError

    steps = [s for a in actions for s in (_generic() if a["action"] == "generic" else [a])]
    counts: dict[str, int] = {}
    inflight = _Inflight(page)
    start_url = page.url
    deadline = time.monotonic() + limits.budget_s
    try:
        for step in steps:
            kind = step["action"]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                counts["budget_exhausted"] = 1
                break
            try:
                done = await asyncio.wait_for(_run(page, step, inflight, limits), remaining)
            except TimeoutError:
                counts["budget_exhausted"] = 1
                break
            except PlaywrightError as error:
                if is_crash(error):
                    raise
                logger.info("%s on %s: %s", kind, page.url, str(error).splitlines()[0])
                counts[f"{kind}/failed"] = counts.get(f"{kind}/failed", 0) + 1
                continue
            counts[kind] = counts.get(kind, 0) + done
            if page.url.split("#")[0] != start_url.split("#")[0]:
                counts["navigated"] = 1  # a click left the page: stop touching it
                break
    finally:
        inflight.close()
    return counts


def _generic() -> list[dict[str, Any]]:
    return [{"action": "load_more", "selector": None}, {"action": "tabs"}]
