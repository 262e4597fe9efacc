"""What a page rendered in Chromium may reach.

Two rules, each enforced where it can be:
- no private, loopback or link-local address unless the host is listed in
  IMGCRAWL_ALLOW_PRIVATE_HOSTS: for every connection Chromium opens (navigations, redirect
  hops, scripts' fetch() and XHR, iframes, WebSockets), by the egress proxy
  (crawler/egress_proxy.py, whose `GuardedPlaywrightHandler` launches Chromium behind it);
- a page's sub-requests stay within its program's allowed domains plus public hosts: a host
  allowed to be private (the demo's sites, an intranet host listed for one program) serves
  only the programs whose domains include it. `PageGuard` routes each page's requests for
  this; public hosts stay open because pages load their scripts and data from CDNs and APIs.

`PageGuard` also records the main frame's navigation hops (request meta NAVIGATION_HOPS), so
a page whose navigation, or a redirect of it, was refused is reported as a failed capture
`blocked_private_address` rather than as a browser error. Counts `safety/blocked` and
`safety/blocked/browser` once per refused request, and
`safety/browser_connections_refused` per connection the proxy refused (Chromium may try a
request more than once, and opens some connections for no page).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler

from crawler.offsite import DOMAINS_META, host, in_domains
from crawler.safe_resolver import REFUSED_NAMES

NAVIGATION_HOPS = "browser_navigation_hops"  # request meta: URLs the main frame navigated to
# Chromium's error for a connection the proxy would not open.
PROXY_REFUSED = "ERR_SOCKS_CONNECTION_FAILED"


class PageGuard:
    """Installed on each rendered page (scrapy-playwright's page init callback) before it
    navigates: see the module docstring."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler  # its stats exist only once the crawl starts
        self.allowed = frozenset(
            h.lower() for h in crawler.settings.getlist("IMGCRAWL_ALLOW_PRIVATE_HOSTS")
        )

    async def init_page(self, page: Any, request: Request) -> None:
        hops: list[str] = []
        request.meta[NAVIGATION_HOPS] = hops
        page.on("request", partial(_record_navigation, hops))
        page.on("requestfailed", self._count_refused)
        domains = tuple(request.meta.get(DOMAINS_META) or ())
        await page.route("**", partial(self._route, domains))

    async def _route(self, domains: tuple[str, ...], route: Any, request: Any) -> None:
        if host(request.url) in self.allowed and not in_domains(request.url, domains):
            self._count()
            # Not "aborted": scrapy-playwright takes ERR_ABORTED on a navigation for a download.
            await route.abort("blockedbyclient")
            return
        await route.fallback()  # on to scrapy-playwright's own route (resource blocking)

    def _count_refused(self, request: Any) -> None:
        if PROXY_REFUSED in (request.failure or "") and host(request.url) in REFUSED_NAMES:
            self._count()

    def _count(self) -> None:
        self.crawler.stats.inc_value("safety/blocked")
        self.crawler.stats.inc_value("safety/blocked/browser")


def _record_navigation(hops: list[str], request: Any) -> None:
    if request.is_navigation_request() and request.frame.parent_frame is None:
        hops.append(request.url)


def refused_navigation(meta: dict[str, Any]) -> str | None:
    """The reason the proxy refused the last hop of a page's navigation, if it did."""
    hops = meta.get(NAVIGATION_HOPS) or ()
    return REFUSED_NAMES.get(host(hops[-1])) if hops else None
