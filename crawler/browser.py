"""Browser rendering with scrapy-playwright and Debian's Chromium, only where a page needs it.

Pages are fetched statically first; `needs_browser` decides from the static HTML whether a page
must be rendered (see its docstring for the rules). The download handler is only installed for
runs that may render, so static-only crawls never start Playwright.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import urlparse

from scrapy.http import TextResponse

from crawler.safe_resolver import is_private

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


class BrowserUnavailable(RuntimeError):
    """Rendering was required but no browser is installed."""


def executable() -> str:
    return os.environ.get("IMGCRAWL_BROWSER_EXECUTABLE", DEFAULT_EXECUTABLE)


def browser_available() -> bool:
    return os.access(executable(), os.X_OK)


# Hosts a page's scripts may reach although they are private (the demo server); set by the
# spider from IMGCRAWL_ALLOW_PRIVATE_HOSTS. The browser does its own DNS, so scripts are held
# to literal addresses here; names are left to the allowed-domain links the spider follows.
ALLOWED_PRIVATE_HOSTS: set[str] = set()


def abort_request(request: Any) -> bool:
    """Playwright route filter: no images, media or fonts, and no private literal addresses."""
    if request.resource_type in BLOCKED_RESOURCES:
        return True
    host = (urlparse(request.url).hostname or "").lower()
    if host in ALLOWED_PRIVATE_HOSTS:
        return False
    try:
        return is_private(host)
    except ValueError:
        return False


def browser_settings(max_pages: int = 4, navigation_timeout_ms: int = 20_000) -> dict[str, Any]:
    """Scrapy settings that install scrapy-playwright for this run."""
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": executable(),
            "args": CHROMIUM_ARGS,
            "headless": True,
        },
        "PLAYWRIGHT_ABORT_REQUEST": "crawler.browser.abort_request",
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": navigation_timeout_ms,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": max_pages,
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
        "IMGCRAWL_BROWSER": True,
    }


def needs_browser(response: TextResponse, expected_type: str | None) -> str | None:
    """Why a statically fetched page must be rendered, or None. Rules, first hit wins:
    - `framework_root`: the HTML carries a single-page-app framework marker;
    - `empty_mount_point`: an empty <div id="root|app|roster|..."> waits for a script;
    - `app_shell`: scripts, and under SHELL_TEXT_CHARS of visible text;
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
    pattern = EXPECTED_CONTENT.get(expected_type or "")
    if pattern is not None and not pattern.search(text):
        return "expected_content_missing"
    return None


def settle_page_methods() -> list[Any]:
    """Wait until the page's scripts have stopped loading data (no request for 500 ms)."""
    from scrapy_playwright.page import PageMethod

    return [PageMethod("wait_for_load_state", "networkidle")]
