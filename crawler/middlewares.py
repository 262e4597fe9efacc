"""Downloader middlewares: the safety guard and robots.txt Crawl-delay."""

from __future__ import annotations

import ipaddress
import logging
import socket
from urllib.parse import urlparse

from protego import Protego
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

logger = logging.getLogger(__name__)


class BlockedAddress(IgnoreRequest):
    """A request the safety guard refused; the reason names host and address."""


def _is_private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


class SafetyGuardMiddleware:
    """Refuse requests whose host resolves to a private, loopback or link-local address.

    Crawled pages choose the links we follow, so a page must never steer us at an internal
    service. Hosts in IMGCRAWL_ALLOW_PRIVATE_HOSTS (the demo server) are let through. Counts
    `safety/blocked`.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.allowed = {h.lower() for h in crawler.settings.getlist("IMGCRAWL_ALLOW_PRIVATE_HOSTS")}
        self._verdicts: dict[str, str | None] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafetyGuardMiddleware:
        return cls(crawler)

    def _private_address(self, host: str) -> str | None:
        if host not in self._verdicts:
            try:
                addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
            except (socket.gaierror, UnicodeError):
                addresses = set()  # unresolvable: the download fails with a DNS error
            self._verdicts[host] = next((a for a in sorted(addresses) if _is_private(a)), None)
        return self._verdicts[host]

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        if host in self.allowed:
            return None
        private = self._private_address(host)
        if private:
            self.stats.inc_value("safety/blocked")
            raise BlockedAddress(f"blocked_private_address: {host} resolves to {private}")
        return None


class CrawlDelayMiddleware:
    """Apply a robots.txt Crawl-delay to the download slot of its host (Scrapy ignores it).

    Scrapy's RobotsTxtMiddleware fetches robots.txt through the downloader, so its response
    passes here. The delay only ever grows, and is capped at IMGCRAWL_MAX_CRAWL_DELAY.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.cap = crawler.settings.getfloat("IMGCRAWL_MAX_CRAWL_DELAY")
        self.user_agent = crawler.settings.get("USER_AGENT") or ""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlDelayMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if urlparse(request.url).path != "/robots.txt" or response.status != 200:
            return response
        try:
            delay = Protego.parse(response.body.decode("utf-8", "ignore")).crawl_delay(
                self.user_agent
            )
        except Exception:  # a malformed robots.txt must not stop the crawl
            return response
        if not delay:
            return response
        delay = min(float(delay), self.cap)
        slot_key = request.meta.get("download_slot") or urlparse_cached(request).hostname
        slot = self.crawler.engine.downloader.slots.get(slot_key) if self.crawler.engine else None
        if slot is not None and delay > slot.delay:
            slot.delay = delay
            self.crawler.stats.set_value(f"robotstxt/crawl_delay/{slot_key}", delay)
            logger.info("Crawl-delay %.1fs for %s", delay, slot_key)
        return response
