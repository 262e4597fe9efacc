"""Downloader middlewares: the safety guard, robots.txt rules and robots.txt Crawl-delay."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlparse

from protego import Protego
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler
from twisted.internet.defer import Deferred

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


ROBOTS_UNAVAILABLE = "robots_unavailable"


class RobotsUnavailable(IgnoreRequest):
    """A request refused because the robots.txt of its host could not be read.

    The message starts with ROBOTS_UNAVAILABLE and names the robots.txt and what went wrong;
    `cause` is the exception its download ended in (None if it answered an unusable status).
    """

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass(frozen=True)
class UnreadableRobots:
    """Stands in for the rules of a host whose robots.txt could not be read: nothing allowed."""

    message: str
    cause: BaseException | None = None


Rules = RobotParser | UnreadableRobots


class StrictRobotsTxtMiddleware(RobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, made safe to rely on (it replaces Scrapy's in settings).

    - Every request that waits for its host's robots.txt gets its rules. Scrapy 2.19 awaits the
      one Deferred per host with Deferred.asFuture(), which consumes the result: the first
      waiter got the rules, every later one None ("no robots.txt, everything allowed"), with
      nothing logged or counted. Requests pile up behind a slow robots.txt, so disallowed pages
      were fetched now and then. Here each waiter gets a Deferred of its own.
    - Only a 2xx robots.txt is read for rules, and only a 4xx other than 429 means "no
      robots.txt" (everything allowed, RFC 9309 2.3.1.3). Anything else - a 5xx or 429 after
      the retries, another status, a timeout, a connection error, a refusal by one of our
      middlewares (IgnoreRequest) - leaves the rules unknown, and nothing on that host is fetched
      this run (RFC 9309 2.3.1.4: assume complete disallow). Its requests fail with
      RobotsUnavailable; the host is logged once and counted in `robotstxt/unavailable`.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._rules: dict[str, Rules | Deferred[Rules]] = {}

    async def robot_parser(self, request: Request) -> Rules:  # type: ignore[override]
        netloc = urlparse_cached(request).netloc
        if netloc not in self._rules:
            waiting: Deferred[Rules] = Deferred()
            self._rules[netloc] = waiting
            rules: Rules = UnreadableRobots(
                f"{ROBOTS_UNAVAILABLE}: robots.txt of {netloc} not read"
            )
            try:
                rules = await self._read_robots(request)
            finally:  # whatever happens, no request waits forever nor goes unchecked
                self._rules[netloc] = rules
                waiting.callback(rules)
            return rules
        rules_or_waiting = self._rules[netloc]
        if isinstance(rules_or_waiting, Deferred):
            mine: Deferred[Rules] = Deferred()

            def relay(rules: Rules) -> Rules:
                mine.callback(rules)
                return rules  # for the next waiter

            rules_or_waiting.addCallback(relay)
            return await maybe_deferred_to_future(mine)
        return rules_or_waiting

    async def _read_robots(self, request: Request) -> Rules:
        url = urlparse_cached(request)
        robots_url = f"{url.scheme}://{url.netloc}/robots.txt"
        robots_request = Request(
            robots_url,
            priority=self.DOWNLOAD_PRIORITY,
            meta={"dont_obey_robotstxt": True},
            callback=NO_CALLBACK,
        )
        self._stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots_request)
        except Exception as error:
            if not isinstance(error, IgnoreRequest):
                self._stats.inc_value(f"robotstxt/exception_count/{type(error)}")
            detail = f"failed: {type(error).__name__}: {error}"
            return self._unreadable(url.netloc, f"{robots_url} {detail}"[:300], error)
        self._stats.inc_value("robotstxt/response_count")
        self._stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if 200 <= response.status < 300:
            body = response.body
        elif 400 <= response.status < 500 and response.status != 429:
            body = b""  # no robots.txt: everything allowed
        else:
            return self._unreadable(url.netloc, f"{robots_url} answered {response.status}")
        parser = build_from_crawler(self._parserimpl, self.crawler, body)
        await self.crawler.signals.send_catch_log_async(
            signal=signals.robots_parsed, robotparser=parser, request=request
        )
        return parser

    def _unreadable(
        self, netloc: str, detail: str, cause: BaseException | None = None
    ) -> UnreadableRobots:
        self._stats.inc_value("robotstxt/unavailable")
        logger.warning(
            "robots.txt unreadable, nothing on %s is fetched this run: %s", netloc, detail
        )
        return UnreadableRobots(f"{ROBOTS_UNAVAILABLE}: {detail}", cause)

    def process_request_2(self, rp: Rules | None, request: Request) -> None:
        if isinstance(rp, UnreadableRobots):
            self._stats.inc_value("robotstxt/unavailable_refused")
            raise RobotsUnavailable(rp.message, rp.cause)
        super().process_request_2(rp, request)
