"""Downloader middlewares: the safety guard and robots.txt Crawl-delay."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from protego import Protego
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.safe_resolver import BLOCKED, is_private

logger = logging.getLogger(__name__)


class BlockedAddress(IgnoreRequest):
    """A request the safety guard refused; the reason names host and address."""


class SafetyGuardMiddleware:
    """Refuse requests to literal private, loopback or link-local IP addresses.

    Crawled pages choose the links we follow, so a page must never steer us at an internal
    service. Host names are checked by SafeResolver when they are resolved for the connection;
    hosts in IMGCRAWL_ALLOW_PRIVATE_HOSTS (the demo server) are let through. Counts
    `safety/blocked`.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.allowed = {h.lower() for h in crawler.settings.getlist("IMGCRAWL_ALLOW_PRIVATE_HOSTS")}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SafetyGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = (urlparse_cached(request).hostname or "").lower()
        if host in self.allowed:
            return None
        try:
            private = is_private(host)
        except ValueError:
            return None  # a name, not an address: SafeResolver checks what it resolves to
        if private:
            self.stats.inc_value("safety/blocked")
            raise BlockedAddress(f"{BLOCKED}: {host} is a private address")
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
