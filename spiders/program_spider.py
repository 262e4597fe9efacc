"""The program spider: per program, start at its website and follow the most promising links.

Navigation only: every response (or failure) becomes a CaptureItem; nothing is extracted here.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived
from w3lib.url import canonicalize_url

from crawler.browser import BrowserConfig, is_route, needs_browser
from crawler.browser_guard import PageGuard, refused_navigation
from crawler.capture_store import CaptureStore
from crawler.interactions import browser_failure, is_crash, page_methods, static_selectors
from crawler.items import CaptureItem
from crawler.middlewares import BlockedAddress, RobotsUnavailable
from crawler.offsite import (
    DOMAINS_META,
    OFFSITE_REDIRECT,
    OffsiteRedirect,
    host,
    in_domains,
    offsite_reason,
)
from crawler.safe_resolver import BLOCKED, REFUSED_NAMES
from spiders.link_scoring import expected_type, score_link

logger = logging.getLogger(__name__)

ROBOTS_FORBIDDEN = "Forbidden by robots.txt"
# URLs the budget left out, listed in the stats per program: enough to see what kind of pages
# were missed without storing a whole site's link graph on the run.
DROPPED_URLS_KEPT = 20
DOCUMENT_EXTENSIONS = (".pdf",)
FAILURE_REASONS = (
    # Scrapy 2.19 wraps download errors in its own types; the Twisted ones are kept for older
    # download handlers.
    ((CannotResolveHostError, DNSLookupError), "dns_error"),
    ((DownloadTimeoutError, TimeoutError, TCPTimedOutError), "timeout"),
    ((DownloadConnectionRefusedError, ConnectionRefusedError), "connection_refused"),
    (
        (ResponseDataLossError, ConnectionLost, ResponseFailed, ResponseNeverReceived),
        "connection_lost",
    ),
    (DownloadCancelledError, "cancelled"),
)


def canonical(url: str) -> str:
    """The URL a page is stored under: sorted query, no fragment unless it is a client-side
    route ("#/residents"), which names a page of its own."""
    return canonicalize_url(url, keep_fragments=is_route(urlparse(url).fragment))


def _now() -> datetime:
    return datetime.now(UTC)


class ProgramSpider(scrapy.Spider):
    """Crawls every program listed in the IMGCRAWL_PROGRAMS_FILE JSON.

    Each entry: {"id", "website", "allowed_domains", "known_pages"}. Links are followed within
    the program's allowed domains, highest score first, up to IMGCRAWL_MAX_DEPTH clicks and
    IMGCRAWL_PAGE_BUDGET distinct pages requested per program (a link to a page already
    requested costs nothing; a page read from the archive because it is not due costs nothing).
    A known page is asked for conditionally (its ETag / Last-Modified); on 304 its links are
    read from the archived body instead.
    """

    name = "programs"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The page budget counts distinct pages requested, not links seen: a menu repeated on
        # every page links to the same dozen URLs each time. Per program, the canonical URLs
        # requested, and those the budget left out (so each is counted once).
        self.requested: dict[str, set[str]] = {}
        self.over_budget: dict[str, set[str]] = {}
        self.domains: dict[str, tuple[str, ...]] = {}
        self.known_pages: dict[str, dict[str, dict[str, Any]]] = {}
        self.not_due_seen: set[tuple[str, str]] = set()
        self.render_modes: dict[str, str] = {}
        self.actions: dict[str, list[dict[str, Any]] | None] = {}
        self.action_xpaths: dict[str, tuple[str, ...]] = {}
        self.browser = False
        self.browser_config: BrowserConfig | None = None
        self.page_guard: PageGuard | None = None
        # Domains are checked by host below: Scrapy's allow_domains compares host:port.
        # PDFs are followed (rosters and visa policies are often posted as PDFs).
        self.link_extractor = LinkExtractor(
            unique=True, deny_extensions=[e for e in IGNORED_EXTENSIONS if e != "pdf"]
        )

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.programs = json.loads(Path(settings["IMGCRAWL_PROGRAMS_FILE"]).read_text())
        spider.max_depth = settings.getint("IMGCRAWL_MAX_DEPTH")
        spider.budget = settings.getint("IMGCRAWL_PAGE_BUDGET")
        spider.store = CaptureStore(Path(settings["IMGCRAWL_DATA_DIR"]))
        spider.browser = settings.getbool("IMGCRAWL_BROWSER")
        if spider.browser:
            spider.browser_config = BrowserConfig.from_settings(settings)
        return spider

    async def start(self) -> AsyncIterator[Any]:
        for program in self.programs:
            self.domains[program["id"]] = tuple(program["allowed_domains"])
            self.known_pages[program["id"]] = program.get("known_pages", {})
            self.render_modes[program["id"]] = program.get("render_mode", "auto")
            self.actions[program["id"]] = program.get("browser_actions")
            self.action_xpaths[program["id"]] = static_selectors(program.get("browser_actions"))
            # Programs whose last crawl failed go first (the orchestrator listed them first).
            score = 200 if program.get("retry_first") else 100
            for output in self._visit(program["id"], program["website"], depth=0, score=score):
                yield output

    def _visit(
        self, program_id: str, url: str, depth: int, score: int, expected: str | None = None
    ) -> Iterator[Any]:
        """A request for URL; or, for a known page that is not due, its archived links."""
        key = canonical(url)
        known = self.known_pages[program_id].get(key)
        if known and not known.get("due", True):
            # Read from the archive, not requested: it costs no budget.
            if (program_id, key) in self.not_due_seen:
                return
            self.not_due_seen.add((program_id, key))
            yield CaptureItem(
                program_id=program_id,
                url=canonical(url),
                requested_url=canonical(url),
                fetched_at=_now(),
                depth=depth,
                not_due=True,
            )
            request = scrapy.Request(
                url,
                meta={
                    "program_id": program_id,
                    "page_depth": depth,
                    "known_body": known["body_sha256"],
                },
            )
            archived = self._archived(HtmlResponse(url=url, request=request))
            if isinstance(archived, TextResponse) and depth < self.max_depth:
                yield from self.follow_links(archived)
            return
        if is_route(urlparse(url).fragment):
            yield from self._visit_route(program_id, url, depth, score, expected)
            return
        if not self._within_budget(program_id, key):
            return
        meta: dict[str, Any] = {
            "program_id": program_id,
            "page_depth": depth,
            "expected_type": expected,
            DOMAINS_META: self.domains[program_id],
        }
        # Documents are never rendered: Chromium would hand back its PDF viewer, not the PDF.
        document = urlparse(url).path.lower().endswith(DOCUMENT_EXTENSIONS)
        if self.browser and self.render_modes[program_id] == "browser" and not document:
            meta.update(self._browser_meta(program_id, "render_mode"))
        headers = {}
        if known:
            if known.get("etag"):
                headers["If-None-Match"] = known["etag"]
            if known.get("last_modified"):
                headers["If-Modified-Since"] = known["last_modified"]
            meta.update(known_body=known["body_sha256"], handle_httpstatus_list=[304])
        yield scrapy.Request(
            url,
            callback=self.capture_page,
            errback=self.record_failure,
            priority=score,
            meta=meta,
            headers=headers,
        )

    def _visit_route(
        self, program_id: str, url: str, depth: int, score: int, expected: str | None
    ) -> Iterator[Any]:
        """A client-side route ("/#/residents") exists only in a browser: render it directly.

        Scrapy's duplicate filter ignores fragments; the budget's set of requested URLs keeps
        them (canonical() does), so routes are deduplicated there.
        """
        if not self.browser or self.render_modes[program_id] == "static":
            self.crawler.stats.inc_value("imgcrawl/routes_skipped")
            return
        if not self._within_budget(program_id, canonical(url)):
            return
        self.crawler.stats.inc_value("imgcrawl/rendered/hash_route")
        yield scrapy.Request(
            url,
            callback=self.capture_page,
            errback=self.record_failure,
            priority=score,
            dont_filter=True,
            meta={
                "program_id": program_id,
                "page_depth": depth,
                "expected_type": expected,
                DOMAINS_META: self.domains[program_id],
                **self._browser_meta(program_id, "hash_route"),
            },
        )

    def _within_budget(self, program_id: str, key: str) -> bool:
        """True if canonical URL KEY is to be requested now: not requested before for this
        program, and the program's budget not spent. Counts what the budget leaves out, each
        URL once: `imgcrawl/budget/dropped[/<program>]`, the first DROPPED_URLS_KEPT of them in
        `imgcrawl/budget/dropped_urls/<program>`, and `imgcrawl/budget/exhausted` (programs)."""
        requested = self.requested.setdefault(program_id, set())
        if key in requested:
            return False
        if len(requested) < self.budget:
            requested.add(key)
            return True
        dropped = self.over_budget.setdefault(program_id, set())
        if key not in dropped:
            stats = self.crawler.stats
            if not dropped:
                stats.inc_value("imgcrawl/budget/exhausted")
                logger.info("page budget of %s spent (%d pages)", program_id, self.budget)
            dropped.add(key)
            stats.inc_value("imgcrawl/budget/dropped")
            stats.inc_value(f"imgcrawl/budget/dropped/{program_id}")
            if len(dropped) <= DROPPED_URLS_KEPT:
                urls = stats.get_value(f"imgcrawl/budget/dropped_urls/{program_id}") or []
                stats.set_value(f"imgcrawl/budget/dropped_urls/{program_id}", [*urls, key])
        return False

    def _browser_meta(self, program_id: str, reason: str) -> dict[str, Any]:
        """Meta keys that send a request to the browser, with the program's interactions and
        the guard on what the page may reach (crawler/browser_guard.py)."""
        assert self.browser_config is not None
        if self.page_guard is None:
            self.page_guard = PageGuard(self.crawler)
        return {
            "playwright": True,
            "render_reason": reason,
            "playwright_page_init_callback": self.page_guard.init_page,
            "playwright_page_methods": page_methods(
                self.actions[program_id], self.browser_config.limits
            ),
        }

    def capture_page(self, response: Response) -> Iterator[Any]:
        """Hand the page to the pipeline, then queue its best links."""
        meta = response.meta
        if meta.get("playwright"):
            self._count_interactions(meta)
        if not in_domains(response.url, self.domains[meta["program_id"]]):
            # Redirected (by the server, or in the browser by a script) off the program's
            # sites: another site's page must not become the program's. Nothing is followed.
            reason = refused_navigation(meta) or offsite_reason(response.url)
            yield self._failed(response.request, reason)
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        yield CaptureItem(
            program_id=meta["program_id"],
            url=canonical(response.url),
            requested_url=canonical((meta.get("redirect_urls") or [response.url])[0]),
            fetched_at=_now(),
            depth=meta["page_depth"],
            status=response.status,
            content_type=content_type,
            headers=self._headers(response),
            body=None if response.status == 304 else response.body,
            rendered=bool(meta.get("playwright")),
        )
        escalation = self._escalation(response)
        if escalation is not None:
            yield escalation  # the rendered page follows the links
            return
        if response.status == 304:
            response = self._archived(response)
        if isinstance(response, TextResponse) and meta["page_depth"] < self.max_depth:
            yield from self.follow_links(response)

    def _escalation(self, response: Response) -> scrapy.Request | None:
        """A browser request for a static page that needs one (crawler/browser.py rules)."""
        meta = response.meta
        program_id = meta["program_id"]
        if (
            not self.browser
            or meta.get("playwright")
            or response.status != 200
            or self.render_modes[program_id] != "auto"
            or not isinstance(response, TextResponse)
        ):
            return None
        reason = needs_browser(
            response, meta.get("expected_type"), self.action_xpaths.get(program_id, ())
        )
        if reason is None:
            return None
        self.crawler.stats.inc_value(f"imgcrawl/rendered/{reason}")
        return scrapy.Request(
            response.url,
            callback=self.capture_page,
            errback=self.record_failure,
            dont_filter=True,
            priority=50,
            meta={
                "program_id": program_id,
                "page_depth": meta["page_depth"],
                "expected_type": meta.get("expected_type"),
                DOMAINS_META: self.domains[program_id],
                **self._browser_meta(program_id, reason),
            },
        )

    def _count_interactions(self, meta: dict[str, Any]) -> None:
        """Stats from what the page methods did: `imgcrawl/interactions/<action>[/<outcome>]`."""
        for method in meta.get("playwright_page_methods") or ():
            for key, count in (getattr(method, "result", None) or {}).items():
                self.crawler.stats.inc_value(f"imgcrawl/interactions/{key}", count)

    def _archived(self, response: Response) -> Response:
        """The body we stored for a page (304 or not due), to follow its links again."""
        try:
            body = self.store.get(response.meta["known_body"])
        except OSError:
            return response
        return HtmlResponse(url=response.url, body=body, request=response.request, encoding="utf-8")

    def follow_links(self, response: TextResponse) -> Iterator[Any]:
        """Requests for in-domain links, best-scored first, within the program's budget."""
        program_id = response.meta["program_id"]
        links = [
            link
            for link in self.link_extractor.extract_links(response)
            if in_domains(link.url, self.domains[program_id])
        ]
        scored = sorted(
            ((score_link(link.text, link.url), link) for link in links), key=lambda pair: -pair[0]
        )
        for score, link in scored:
            yield from self._visit(
                program_id,
                link.url,
                response.meta["page_depth"] + 1,
                score,
                expected_type(link.text, link.url),
            )

    def record_failure(self, failure: Failure) -> Iterator[CaptureItem]:
        """A failed fetch is a capture with a reason; pages robots.txt forbids are only counted."""
        request = failure.request
        if failure.check(RobotsUnavailable):
            yield self._robots_unavailable(request, failure.value)
            return
        if request.meta.get("playwright") and is_crash(failure.value):
            retry = self._retry_after_crash(request)
            if retry is not None:
                yield retry
                return
        # These are IgnoreRequests too, but they are real failures.
        if failure.check(IgnoreRequest) and not failure.check(
            HttpError, BlockedAddress, OffsiteRedirect
        ):
            if ROBOTS_FORBIDDEN in str(failure.value):
                self.crawler.stats.inc_value(
                    f"imgcrawl/robots_skipped/{request.meta['program_id']}"
                )
            return
        status = None
        headers: dict[str, Any] = {}
        if failure.check(HttpError):
            response = failure.value.response
            status = response.status
            headers = self._headers(response)
            reason = f"http_{status}"
        elif failure.check(BlockedAddress, OffsiteRedirect):
            reason = str(failure.value)
        elif request.meta.get("playwright") and refused_navigation(request.meta):
            # The egress proxy refused the page or a redirect of it (counted by the guard);
            # Chromium only says the proxy failed.
            reason = refused_navigation(request.meta)
        elif request.meta.get("playwright") and browser_failure(failure.value):
            reason = browser_failure(failure.value)
        elif host(request.url) in REFUSED_NAMES:
            # SafeResolver refused the name; the download only saw "no address".
            reason = REFUSED_NAMES[host(request.url)]
            self.crawler.stats.inc_value("safety/blocked")
        else:
            reason = next(
                (
                    name
                    for types, name in FAILURE_REASONS
                    if failure.check(*(types if isinstance(types, tuple) else (types,)))
                ),
                None,
            )
            reason = reason or f"error: {type(failure.value).__name__}: {failure.value}"[:300]
        yield self._failed(request, reason, status, headers)

    def _failed(
        self,
        request: scrapy.Request,
        reason: str,
        status: int | None = None,
        headers: dict[str, Any] | None = None,
    ) -> CaptureItem:
        """A failed capture. A redirect that left the program (another site, a refused
        address) fails the page the program linked to: its target is no page of the program,
        and the failure carries the first redirect's status."""
        url = request.url
        redirects = request.meta.get("redirect_urls")
        if redirects and reason.startswith((OFFSITE_REDIRECT, BLOCKED)):
            url = redirects[0]
            first = (request.meta.get("redirect_reasons") or [None])[0]
            status = first if isinstance(first, int) else status
        return CaptureItem(
            program_id=request.meta["program_id"],
            url=canonical(url),
            requested_url=canonical(url),
            fetched_at=_now(),
            depth=request.meta["page_depth"],
            status=status,
            headers=headers or {},
            error=reason,
        )

    def _robots_unavailable(self, request: scrapy.Request, error: RobotsUnavailable) -> CaptureItem:
        """A page not fetched because its host's robots.txt could not be read. The reason says
        why: our safety guard refused the host, the host could not be reached (the reason of
        the robots.txt download first, as for a page), or robots.txt answered no rules."""
        program_id = request.meta["program_id"]
        name = host(request.url)
        if name in REFUSED_NAMES:
            # SafeResolver refused the name when robots.txt was asked for: as for a page.
            reason = REFUSED_NAMES[name]
            self.crawler.stats.inc_value("safety/blocked")
        else:
            self.crawler.stats.inc_value(f"imgcrawl/robots_unavailable/{program_id}")
            cause = next(
                (name for types, name in FAILURE_REASONS if isinstance(error.cause, types)),
                None,
            )
            reason = f"{cause}: {error}" if cause else str(error)
        return self._failed(request, reason[:500])

    def _retry_after_crash(self, request: scrapy.Request) -> scrapy.Request | None:
        """The same page again if its browser died and retries are left (the browser is
        relaunched for it), else None."""
        assert self.browser_config is not None
        self.crawler.stats.inc_value("imgcrawl/browser/crashed_pages")
        attempt = request.meta.get("browser_attempt", 0) + 1
        if attempt > self.browser_config.crash_retries:
            return None
        self.crawler.stats.inc_value("imgcrawl/browser/crash_retries")
        meta = {
            key: request.meta[key]
            for key in ("program_id", "page_depth", "expected_type", "render_reason", DOMAINS_META)
            if key in request.meta
        }
        meta.update(self._browser_meta(meta["program_id"], meta["render_reason"]))
        meta["browser_attempt"] = attempt
        return request.replace(meta=meta, dont_filter=True)

    @staticmethod
    def _headers(response: Response) -> dict[str, Any]:
        keep = (b"Content-Type", b"ETag", b"Last-Modified", b"Content-Length", b"Location")
        out = {
            k.decode(): response.headers.get(k).decode("latin-1")
            for k in keep
            if response.headers.get(k)
        }
        if response.meta.get("redirect_urls"):
            out["X-Imgcrawl-Redirected-From"] = response.meta["redirect_urls"]
        if response.meta.get("render_reason"):
            out["X-Imgcrawl-Render-Reason"] = response.meta["render_reason"]
        return out
