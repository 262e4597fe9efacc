"""Browser rendering with scrapy-playwright and Debian's Chromium, only where a page needs it.

Pages are fetched statically first; `needs_browser` decides from the static HTML whether a page
must be rendered (see its docstring for the rules). The download handler is only installed for
runs that may render, so static-only crawls never start Playwright.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

from scrapy.http import TextResponse
from scrapy.settings import BaseSettings

from crawler.interactions import LOAD_MORE_TEXT, Limits

DEFAULT_EXECUTABLE = "/usr/bin/chromium"
# What the issue and this machine call for: no sandbox as root, nothing phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
BLOCKED_RESOURCES = frozenset({"image", "media", "font"})

# An application shell: a framework root or an empty mount point where the content will go.
FRAMEWORK_MARKERS = re.compile(
    rb"data-reactroot|ng-version=|id=\"__next\"|id=\"__nuxt\"|__NEXT_DATA__|data-v-app", re.I
)
EMPTY_MOUNT = re.compile(
    rb"<div[^>]+id=\"(?:root|app|main-app|roster|residents)\"[^>]*>\s*</div>", re.I
)
SCRIPT = re.compile(rb"<script\b", re.I)
SHELL_TEXT_CHARS = 300  # visible text below this, with scripts present, is a shell
# Content a page of an expected type shows once rendered; absent while scripts are present,
# the page probably builds it in the browser.
EXPECTED_CONTENT = {
    "roster": re.compile(r"pgy|class of|medical school|intern|resident", re.I),
    "visa": re.compile(r"j-?1|h-?1b|visa", re.I),
}


# Controls whose content a script fills in on click (crawler/interactions.py clicks them).
BUTTON_LIKE_XPATH = (
    "//button | //*[@role='button'] | //a[not(@href) or @href='#' or "
    "starts-with(@href, 'javascript:')]"
)
# Client-side routes: "#/residents" or "#!/residents" name a page only a browser can show.
ROUTE_FRAGMENT = re.compile(r"^!?/[^/]")


class BrowserUnavailable(RuntimeError):
    """Rendering was required but no browser is installed."""


class BrowserConfigError(ValueError):
    """IMGCRAWL_BROWSER_* settings that cannot work together."""


@dataclass(frozen=True)
class BrowserConfig:
    """The IMGCRAWL_BROWSER_* settings, read once; conflicting values are refused at start-up."""

    max_pages: int
    navigation_timeout_s: float
    action_timeout_s: float
    interaction_budget_s: float
    max_clicks: int
    max_tabs: int
    crash_retries: int

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> BrowserConfig:
        config = cls(
            max_pages=settings.getint("IMGCRAWL_BROWSER_MAX_PAGES"),
            navigation_timeout_s=settings.getfloat("IMGCRAWL_BROWSER_NAVIGATION_TIMEOUT"),
            action_timeout_s=settings.getfloat("IMGCRAWL_BROWSER_ACTION_TIMEOUT"),
            interaction_budget_s=settings.getfloat("IMGCRAWL_BROWSER_INTERACTION_BUDGET"),
            max_clicks=settings.getint("IMGCRAWL_BROWSER_MAX_CLICKS"),
            max_tabs=settings.getint("IMGCRAWL_BROWSER_MAX_TABS"),
            crash_retries=settings.getint("IMGCRAWL_BROWSER_CRASH_RETRIES"),
        )
        if config.max_pages < 1:
            raise BrowserConfigError("IMGCRAWL_BROWSER_MAX_PAGES must be at least 1")
        for name in ("navigation_timeout_s", "action_timeout_s", "interaction_budget_s"):
            if getattr(config, name) <= 0:
                raise BrowserConfigError(f"browser {name.removesuffix('_s')} must be positive")
        if config.action_timeout_s > config.interaction_budget_s:
            raise BrowserConfigError(
                "IMGCRAWL_BROWSER_ACTION_TIMEOUT is longer than IMGCRAWL_BROWSER_INTERACTION_BUDGET"
            )
        if min(config.max_clicks, config.max_tabs, config.crash_retries) < 0:
            raise BrowserConfigError("browser click, tab and retry limits cannot be negative")
        return config

    @property
    def limits(self) -> Limits:
        return Limits(
            action_timeout_ms=self.action_timeout_s * 1000,
            max_clicks=self.max_clicks,
            max_tabs=self.max_tabs,
            budget_s=self.interaction_budget_s,
        )


def executable() -> str:
    return os.environ.get("IMGCRAWL_BROWSER_EXECUTABLE", DEFAULT_EXECUTABLE)


def browser_available() -> bool:
    return os.access(executable(), os.X_OK)


def abort_request(request: Any) -> bool:
    """Playwright route filter: no images, media or fonts. Where a page may connect at all is
    crawler/browser_guard.py's concern."""
    return request.resource_type in BLOCKED_RESOURCES


def browser_settings(config: BrowserConfig) -> dict[str, Any]:
    """Scrapy settings that install scrapy-playwright for this run."""
    # scrapy-playwright's handler, launching Chromium behind the egress proxy that refuses
    # private addresses (Chromium resolves names and follows redirects by itself).
    handler = "crawler.egress_proxy.GuardedPlaywrightHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": executable(),
            "args": CHROMIUM_ARGS,
            "headless": True,
        },
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.browser.abort_request",
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": config.navigation_timeout_s * 1000,
        # One context, so the page cap is the cap on pages open at once.
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": config.max_pages,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        # A crashed or killed browser is launched again for the next page.
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
        "IMGCRAWL_BROWSER": True,
    }


def needs_browser(
    response: TextResponse, expected_type: str | None, action_xpaths: tuple[str, ...] = ()
) -> str | None:
    """Why a statically fetched page must be rendered, or None. Rules, first hit wins:
    - `framework_root`: the HTML carries a single-page-app framework marker;
    - `empty_mount_point`: an empty <div id="root|app|roster|..."> waits for a script;
    - `app_shell`: scripts, and under SHELL_TEXT_CHARS of visible text;
    - `browser_actions`: the program's configured actions have something to click here;
    - `tabbed_content`: tabs whose panels are missing or empty (a script fills them on click);
    - `load_more_control`: a "Load more" / "Show more" button (not a link) under scripts;
    - `expected_content_missing`: a page linked as a roster or visa page, with scripts, that
      shows none of that content statically.
    """
    body = response.body
    if not SCRIPT.search(body):
        return None
    if FRAMEWORK_MARKERS.search(body):
        return "framework_root"
    if EMPTY_MOUNT.search(body):
        return "empty_mount_point"
    text = " ".join(
        response.xpath(
            "//body//text()[not(ancestor::script) and "
            "not(ancestor::style) and not(ancestor::noscript)]"
        ).getall()
    )
    text = " ".join(text.split())
    if len(text) < SHELL_TEXT_CHARS:
        return "app_shell"
    if any(response.xpath(xpath) for xpath in action_xpaths):
        return "browser_actions"
    if _panels_missing(response):
        return "tabbed_content"
    if any(
        LOAD_MORE_TEXT.search(" ".join(" ".join(c.xpath(".//text()").getall()).split()))
        for c in response.xpath(BUTTON_LIKE_XPATH)
    ):
        return "load_more_control"
    pattern = EXPECTED_CONTENT.get(expected_type or "")
    if pattern is not None and not pattern.search(text):
        return "expected_content_missing"
    return None


def _panels_missing(response: TextResponse) -> bool:
    """True if the static HTML holds fewer filled tab panels than there are tabs: one panel
    that a script refills per tab, or panels left empty until their tab is clicked."""
    tabs = response.xpath("//*[@role='tab']")
    if not tabs:
        return False
    ids = {t.attrib["aria-controls"] for t in tabs if t.attrib.get("aria-controls")}
    panels = response.xpath("//*[@role='tabpanel']") + [
        p for i in sorted(ids) for p in response.xpath("//*[@id=$id][not(@role='tabpanel')]", id=i)
    ]
    filled = [p for p in panels if "".join(p.xpath(".//text()").getall()).strip()]
    return len(filled) < len(tabs)


def is_route(fragment: str) -> bool:
    """True for a client-side route fragment ("/residents", "!/visa"), not an anchor."""
    return bool(ROUTE_FRAGMENT.match(fragment))
