"""Keeping each program's crawl on its own sites, redirects included.

Links are followed only within a program's allowed domains (the spider checks them), but a
page may redirect anywhere: left alone, another site's page would be stored as the program's
page and its statements would become the program's values. A redirect hop outside the
allowed domains is therefore not followed; the page is recorded as a failed capture
`offsite_redirect: TARGET` under the URL the program linked to. Browser navigations are
checked by the spider on the URL the page ended at (Chromium follows redirects itself).
"""

from __future__ import annotations

from urllib.parse import urlparse

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

OFFSITE_REDIRECT = "offsite_redirect"
DOMAINS_META = "allowed_domains"  # request meta: the program's allowed domains
REASON_CHARS = 500  # Capture.error's length


def host(url: str) -> str:
    """URL's host as the checks compare it: lower case, no trailing dot."""
    return (urlparse(url).hostname or "").rstrip(".")


def in_domains(url: str, domains: tuple[str, ...]) -> bool:
    """True if URL's host is one of DOMAINS or a subdomain of one."""
    name = host(url)
    return any(name == d or name.endswith("." + d) for d in domains)


def offsite_reason(target: str) -> str:
    """The failure reason of a page that ended at TARGET, outside its program's domains."""
    return f"{OFFSITE_REDIRECT}: {target}"[:REASON_CHARS]


class OffsiteRedirect(IgnoreRequest):
    """A redirect hop the middleware refused; the message is the failure reason."""


class OffsiteRedirectMiddleware:
    """Refuse a redirect hop that leaves the program's allowed domains, before it is fetched.

    Redirected requests come back through the downloader middlewares, so this sees every hop
    (HTTP and meta refresh) before robots.txt is asked for the new host. Requests without the
    program's domains in their meta (robots.txt itself) are not checked. Counts
    `offsite/redirects_refused`.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OffsiteRedirectMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        domains = request.meta.get(DOMAINS_META)
        if not request.meta.get("redirect_urls") or domains is None:
            return None
        if in_domains(request.url, tuple(domains)):
            return None
        self.stats.inc_value("offsite/redirects_refused")
        raise OffsiteRedirect(offsite_reason(request.url))
