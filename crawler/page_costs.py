"""What a page costs to fetch, statically and in the browser, as run stats.

A rendered page costs far more than a static one (a browser tab, its scripts, the data they
load, our interactions); this records how much more on each run, so the escalation rules can
be judged by their price. The figure is Scrapy's `download_latency`: for a static page, from
sending the request to the last byte; for a rendered one, from navigation to the captured
HTML, interactions included.

Stats: `imgcrawl/latency/<static|rendered>/pages`, `.../median_ms`, `.../p95_ms`.
"""

from __future__ import annotations

import statistics

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.http import Request, Response


class PageCostRecorder:
    """Collects each program page's download latency; summarises it when the spider closes."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats
        self.latencies: dict[str, list[float]] = {"static": [], "rendered": []}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageCostRecorder:
        recorder = cls(crawler)
        crawler.signals.connect(recorder.response_received, signal=signals.response_received)
        crawler.signals.connect(recorder.spider_closed, signal=signals.spider_closed)
        return recorder

    def response_received(self, response: Response, request: Request, spider=None) -> None:
        latency = request.meta.get("download_latency")
        if latency is None or not request.meta.get("program_id"):
            return  # robots.txt and other requests that are not program pages
        kind = "rendered" if request.meta.get("playwright") else "static"
        self.latencies[kind].append(latency * 1000)

    def spider_closed(self, spider=None) -> None:
        for kind, values in self.latencies.items():
            if not values:
                continue
            values.sort()
            prefix = f"imgcrawl/latency/{kind}"
            self.stats.set_value(f"{prefix}/pages", len(values))
            self.stats.set_value(f"{prefix}/median_ms", round(statistics.median(values), 1))
            # Nearest rank: with few pages the p95 is simply the slowest one.
            rank = max(0, -(-95 * len(values) // 100) - 1)
            self.stats.set_value(f"{prefix}/p95_ms", round(values[rank], 1))
